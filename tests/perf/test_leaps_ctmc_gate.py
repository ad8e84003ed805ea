"""Ratio gate of one LEAPS CTMC step (LE-conv paper preset, Ising L = 15, 16 walkers, torch CPU)
against the same step written directly in torch, timed in the same process (leapsbench.perf),
and its 2× twin.  The step: ``leapsbench.leaps.ctmc.step`` (exact weights, linear schedule) from
a state holding the scores at (x, t) — the tau-leap move, the network at (x', t + h), the weight
increment: one network evaluation, as in a run.  The direct twin, for Ising spins s with
flip scores f = s · g (g the LE-conv, same algorithm in plain torch) and rates r = [f]_+ + ε:

    moved_i = u_i < 1 − e^{−h r_i},   s' = where(moved, −s, s),
    b_i = ([−f'_i]_+ + ε) e^{−β_{t+h} ΔE_i(s')},   ΔE_i(s) = 2 s_i (J Σ_{j∼i} s_j + h_field),
    ΔA = β_t H(s) − β_{t+h} H(s') + Σ_i [moved_i] (log(1 − e^{−h b_i}) − log(1 − e^{−h r_i}))
         + Σ_i [not moved_i] (h r_i − h b_i).

Before timing, both take one step from the same generator state and must move the same sites and
give the same increments (to 1e-9).  Threshold and measured spread: docs/perf.md (LEAPS).
"""

from __future__ import annotations

import time

import pytest
from leapsbench.backends import BackendUnavailable, get_backend

from leapsbench.leaps import conv, ctmc
from leapsbench.leaps.layers import kernel_offsets
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising
from leapsbench.models.schedule import get_schedule
from leapsbench.params import params_to
from leapsbench.perf import slowed

pytestmark = pytest.mark.perf

WALKERS, SIZE, BETA = 16, 15, 0.4407
STEP, H, FLOOR = 50, 0.01, 1e-3
T = STEP * H
THRESHOLD = 1.5
REPEATS, TWIN_REPEATS, MIN_SECONDS = 11, 5, 0.5
"""One step of 16 walkers takes ~0.1 s: each side of a repeat runs ≥ 0.5 s (about five steps,
interleaved one by one), so that a slow phase of the machine reaches both sides, and the median
of 11 (twin: 5) outvotes the repeats it still moves.  With 64 walkers (~0.4–0.8 s a step, one or
two per side) a clean-clone CI run scattered 0.82–1.84 (median 1.337); with 16, 0.94–1.21.  Both
sides are torch on the CPU, timed in this process's CPU time (``CLOCK``): another process taking
the core away (a second job on a 2-core machine read 1.57 in wall time) is left out."""
CLOCK = time.process_time


def _ising_energy(torch, s, J=1.0, field=0.0):
    bonds = s * torch.roll(s, -1, 1) + s * torch.roll(s, -1, 2)
    return -J * bonds.sum((1, 2)) - field * s.sum((1, 2))


def _ising_delta(torch, s, J=1.0, field=0.0):
    neighbours = torch.roll(s, 1, 1) + torch.roll(s, -1, 1) + torch.roll(s, 1, 2)
    return 2.0 * s * (J * (neighbours + torch.roll(s, -1, 2)) + field)


def direct_ising_le_conv(torch, params, net, spins, t):
    """The Ising LE-conv scores g (B, Lx, Ly) of :mod:`leapsbench.leaps.conv` (same algorithm:
    rolled neighbour stacks, [silu(h), 1] @ [A; b1] in blocks of ``conv.BLOCK_ELEMENTS``, the
    kernel contracted by matmuls), in plain torch."""
    silu = torch.nn.functional.silu
    batch, n_sites, c = spins.shape[0], net.n_sites, net.hyper["channels"]
    sizes = net.hyper["kernel_sizes"]

    def unfold(v, k):
        offsets = kernel_offsets(k, net.shape)
        return torch.stack([torch.roll(v, (-dx, -dy), (1, 2)) for dx, dy in offsets], dim=3)

    u = spins.to(torch.float64)[..., None]
    tcol = t[:, None]
    h = torch.tensordot(
        unfold((1 + tcol)[:, :, None, None] * u, sizes[0]), params["conv0.w"], dims=([3, 4], [0, 1])
    )
    ones = torch.ones((batch, *net.shape, 1), dtype=torch.float64)
    for layer, k in enumerate(sizes[1:], start=1):
        p = f"layer{layer}."
        n = len(kernel_offsets(k, net.shape))
        weight = torch.cat([params[p + "A"].reshape(c, n * c), params[p + "b1"].reshape(1, n * c)])
        hidden = torch.cat([silu(h), ones], dim=-1).reshape(-1, c + 1)
        phi = (
            silu(
                silu(tcol * params[p + "t1.w"] + params[p + "t1.b"]) @ params[p + "t2.w"]
                + params[p + "t2.b"]
            )
            @ params[p + "t3.w"]
            + params[p + "t3.b"]
        )
        s_nb = unfold(u, k).reshape(batch, n_sites, n)
        rows = max(1, conv.BLOCK_ELEMENTS // (n * c))  # K in cache-sized blocks of sites
        blocks = zip(hidden.split(rows), s_nb.reshape(-1, 1, n).split(rows), strict=True)
        h = torch.cat([s @ silu((z @ weight).reshape(-1, n, c)) for z, s in blocks])
        h = h.reshape(batch, n_sites, c)
        h = (h + s_nb @ (params[p + "b2"] + phi[..., None])).reshape(batch, *net.shape, c)
        h = h / n**0.5
    return (h @ params["out.w"]) * (1 + tcol)[:, :, None]


def direct_step(torch, conv, x, scores, generator):
    """(x', moved, ΔA) of one tau-leap step with exact weights from the flip scores ``scores``
    at (x, t), plain torch (module docstring); ``conv(x, t)`` gives g."""
    t = torch.full((x.shape[0],), T, dtype=torch.float64)
    rate = torch.relu(scores) + FLOOR
    u = torch.rand(tuple(x.shape), generator=generator, dtype=torch.float64)
    moved = u < -torch.expm1(-H * rate)
    x_next = torch.where(moved, -x, x)
    s, s_next = x.to(torch.float64), x_next.to(torch.float64)
    back = torch.relu(-s_next * conv(x_next, t + H)) + FLOOR
    back = back * torch.exp(-BETA * (T + H) * _ising_delta(torch, s_next))
    jump = torch.log(-torch.expm1(-H * back)) - torch.log(-torch.expm1(-H * rate))
    log_ratio = torch.where(moved, jump, H * (rate - back)).sum((1, 2))
    energy = BETA * T * _ising_energy(torch, s) - BETA * (T + H) * _ising_energy(torch, s_next)
    return x_next, moved, energy + log_ratio


def _setup():
    """(kernel, reference): one step each from the same walkers x, with the scores at (x, t)
    computed once (in a run they come from the previous step's network pass)."""
    torch = pytest.importorskip("torch")
    try:
        backend = get_backend("torch")
    except BackendUnavailable as err:
        pytest.skip(str(err))
    model = ising(SIZE, beta=BETA)
    net = make_network("conv", model, preset="paper")
    params = params_to(backend, net.init_params(0))
    params["out.w"] = params["out.w"] * 1000  # trained-like rates O(1): the check sees jumps
    rng = backend.rng(0)
    x = model.uniform_states(backend, rng, WALKERS)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        G = ctmc.network_scores(net, params, x, T)

        def conv(v, t):
            return direct_ising_le_conv(torch, params, net, v, t)

        scores = x * conv(x, torch.full((WALKERS,), T, dtype=torch.float64))
    torch.testing.assert_close(
        torch.where(x == 1, G[..., 1], G[..., 0]), scores, rtol=0, atol=1e-12
    )

    dynamics = ctmc.Dynamics(net, params, model, H, FLOOR, get_schedule("linear"))
    state = ctmc.CTMCState(x, backend.zeros((WALKERS,), dtype=torch.float64), STEP, G)

    def kernel():
        with torch.no_grad():
            _, info = ctmc.step(rng, state, dynamics)
            return info.increment, info.moved

    def reference():
        with torch.no_grad():
            return direct_step(torch, conv, x, scores, generator)

    generator.set_state(rng.generator.get_state())
    increment, moved = kernel()
    _, direct_moved, direct_increment = reference()
    assert bool((moved == direct_moved).all()) and int(moved.sum()) > WALKERS
    torch.testing.assert_close(increment, direct_increment, rtol=0, atol=1e-9)
    return kernel, reference


@pytest.fixture(scope="module")
def step_pair():
    return _setup()


def test_leaps_ctmc_step_torch(ratio_gate, step_pair):
    kernel, reference = step_pair
    ratio_gate(
        "leaps_ctmc_step_torch",
        kernel,
        reference,
        THRESHOLD,
        repeats=REPEATS,
        min_seconds=MIN_SECONDS,
        clock=CLOCK,
    )


def test_leaps_ctmc_step_torch_fires_on_2x_slowdown(ratio_gate, step_pair):
    kernel, reference = step_pair
    ratio_gate(
        "leaps_ctmc_step_torch[2x]",
        slowed(kernel, 2),
        reference,
        THRESHOLD,
        repeats=TWIN_REPEATS,
        expect="fire",
        min_seconds=MIN_SECONDS,
        clock=CLOCK,
    )
