"""AIS and SMC per-step cost against one sweep plus one energy evaluation (issue 18's target:
within 1.3×), Ising L = 24, 1000 walkers, K = 20 steps of M = 1 Metropolis sweep, CPU time.

    OMP_NUM_THREADS=1 python tests/perf/ais_step_cost.py [backend]

The reference is K times (float64 ``Ising.energy`` + ``local.sweep``); ``ais`` and ``smc`` (10
islands) are whole runs, set-up and host copies included.  The three timings alternate, 7
repeats after one untimed round; printed: the medians per step, and each ratio's median and
range over the repeats.
"""

from __future__ import annotations

import statistics
import sys
import time

from leapsbench.backends import get_backend
from leapsbench.baselines.annealing import ais, smc
from leapsbench.baselines.local import sweep

from leapsbench.models import ising
from leapsbench.perf import pin_allocator

STEPS, WALKERS, REPEATS, BETA = 20, 1000, 7, 0.4407


def _timed(run) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def main(backend_name: str = "numpy") -> None:
    pin_allocator()
    backend = get_backend(backend_name)
    xp, model, rng = backend.xp, ising(24, beta=BETA), backend.rng(1)
    x = model.uniform_states(backend, rng, WALKERS)

    def reference():
        y = x
        for k in range(STEPS):
            model.energy(y, dtype=xp.float64)
            y, _ = sweep(model, y, BETA * (k + 1) / STEPS, rng)

    runs = {
        "sweep + energy": reference,
        "ais": lambda: ais(model, backend, 2, n_walkers=WALKERS, n_steps=STEPS),
        "smc": lambda: smc(model, backend, 2, n_walkers=WALKERS, n_steps=STEPS, n_islands=10),
    }
    for run in runs.values():  # warm-up: caches, tables, allocator
        run()
    times = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, run in runs.items():
            times[name].append(_timed(run))
    for name, seconds in times.items():
        print(f"{name}: {statistics.median(seconds) / STEPS * 1e6:.0f} µs per step")
    for name in ("ais", "smc"):
        ratios = [a / b for a, b in zip(times[name], times["sweep + energy"], strict=True)]
        print(
            f"{name} / (sweep + energy): {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}–{max(ratios):.2f})"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
