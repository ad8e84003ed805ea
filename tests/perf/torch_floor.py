"""How close can torch CPU get to numpy at L = 16?  A raw-torch Ising Metropolis sweep against
``baselines.local.sweep`` on torch and on numpy (issue 18's "torch within 1.5× of numpy").

    OMP_NUM_THREADS=1 python tests/perf/torch_floor.py

The raw sweep is the library's chains-last colour-plane sweep written with as few torch calls
as it allows and none of the library's helpers: one transposition of the int16 site pairs and
one shift for both colours' planes; per colour one gather of the four neighbours, one int8 sum,
the table index s (n + 5) + 9, one threshold gather compared in place, one ``addcmul`` for the
new spins; back by one cast, one product and one or.  It draws the same random bits and
updates the same sites with them, so it is checked to give the library's torch states bit for
bit before it is timed.  Printed: raw / numpy and library / numpy CPU time, median and range
of 7 alternating repeats (``measure_ratio``), Ising β = 0.4407, 16², 64 chains.  It is a
measuring stick, not a kernel: the library keeps one array-API code path.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from leapsbench.backends import get_backend
from leapsbench.baselines import local, local_ising, local_planes
from leapsbench.baselines.local_tables import probability_thresholds

from leapsbench.models import ising
from leapsbench.perf import measure_ratio, pin_allocator

L, CHAINS, BETA, RULE = 16, 64, 0.4407, "metropolis"


def _shift_tables(Lx: int, w: int, chains: int):
    """int16 (2, Lx, w, chains): the library's right shifts taking black's and white's byte of
    the chains-last int16 site pairs to the low byte (``local_planes._byte_shift_table``)
    stacked for one shift of both colours, and the factors 2^shift back."""
    black = local_planes._byte_shift_table(Lx, w, chains)
    shifts = np.stack([black, 8 - black])
    return torch.from_numpy(shifts), torch.from_numpy(1 << shifts)


def _neighbour_rows(Lx: int, w: int, colour: int) -> torch.Tensor:
    """Rows of the (2·Lx·w, B) planes holding the four neighbours of each site of ``colour``:
    the other colour's rows above and below, the same index, and the one left or right."""
    k, rows = np.arange(w), np.arange(Lx)[:, None]
    column = np.where(rows % 2 == colour, (k - 1) % w, (k + 1) % w)
    flat = [(rows - 1) % Lx * w + k, (rows + 1) % Lx * w + k, rows * w + k, rows * w + column]
    return torch.from_numpy(np.stack(flat).reshape(-1) + (1 - colour) * Lx * w)


def raw_sweeper(model, rng, chains: int):
    """A function x → (new x, acceptance) doing one sweep in raw torch calls."""
    Lx, Ly = model.lattice.Lx, model.lattice.Ly
    w, sites = Ly // 2, Lx * Ly // 2
    table = local_ising.acceptance_table(model, model.beta, RULE)
    thresholds = torch.from_numpy(probability_thresholds(table))
    shifts, factors = _shift_tables(Lx, w, chains)
    neighbours = [_neighbour_rows(Lx, w, colour) for colour in (0, 1)]
    five, nine = (torch.tensor(v, dtype=torch.int8) for v in (5, 9))

    def sweep(x):
        words = x.view(torch.int16).permute(1, 2, 0).contiguous()
        planes = (words >> shifts).to(torch.int8).view(2 * sites, chains)
        bits = rng.bits32((2, sites * chains))
        for colour in (0, 1):
            s = planes[colour * sites : (colour + 1) * sites]
            n = planes.index_select(0, neighbours[colour]).view(4, sites, chains)
            index = s * (n.sum(0, dtype=torch.int8) + five) + nine
            gathered = thresholds.index_select(0, index.view(-1).to(torch.int32))
            flip = torch.le(bits[colour], gathered, out=index.view(-1)).view(sites, chains)
            torch.addcmul(s, s, flip, value=-2, out=s)
        pairs = planes.view(2, Lx, w, chains).view(torch.uint8).to(torch.int16)
        pairs *= factors
        new = (pairs[0] | pairs[1]).permute(2, 0, 1).contiguous().view(torch.int8)
        changed = torch.sum(new != x, dim=(1, 2), dtype=torch.int32)
        return new, changed.to(torch.float32) / model.n_sites

    return sweep


def _kernel(sweep, x):
    state = [x]

    def run():
        state[0] = sweep(state[0])[0]

    return run


def main() -> None:
    pin_allocator()
    torch.set_num_threads(1)
    model = ising(L, beta=BETA)
    torch_backend, numpy_backend = get_backend("torch"), get_backend("numpy")
    x = model.uniform_states(torch_backend, torch_backend.rng(0), CHAINS)
    raw = raw_sweeper(model, torch_backend.rng(1), CHAINS)
    check_rng = torch_backend.rng(1)
    library = lambda y: local.sweep(model, y, BETA, check_rng, RULE)  # noqa: E731
    a, b = x, x
    for _ in range(3):
        a, b = raw(a)[0], library(b)[0]
    if not torch.equal(a, b):
        raise SystemExit("the raw sweep does not reproduce the library's torch sweep")
    numpy_rng = numpy_backend.rng(1)
    numpy_x = model.uniform_states(numpy_backend, numpy_backend.rng(0), CHAINS)
    numpy_sweep = _kernel(lambda y: local.sweep(model, y, BETA, numpy_rng, RULE), numpy_x)
    library_rng = torch_backend.rng(2)
    library_sweep = _kernel(lambda y: local.sweep(model, y, BETA, library_rng, RULE), x)
    for name, kernel in (("raw torch", _kernel(raw, x)), ("library torch", library_sweep)):
        m = measure_ratio(name, kernel, numpy_sweep, 7, min_seconds=0.1, clock=time.process_time)
        print(
            f"{name} / numpy, Ising Metropolis L = {L}, {CHAINS} chains: "
            f"{m.median:.2f} ({min(m.ratios):.2f}–{max(m.ratios):.2f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
