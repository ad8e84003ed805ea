"""AIS/SMC for a wall-time budget: the step count (and if need be the walkers) from a probe.

A probe anneals B_p = PROBE_WALKERS walkers (whole islands) for k_p = 5, 10, 20, … steps until
one probe lasts PROBE_SHARE of the budget (or the probes together twice that: a short probe on a
busy machine may fall into one time slice), its samples discarded, its time counted against the
budget; it gives the time of one walker-step c = t_p / (k_p B_p) (an over-estimate for B > B_p,
since a step has a fixed part).  The run then takes

    K = ⌊SAFETY · t_left / (c B)⌋ steps with the configured B walkers, if K ≥ MIN_STEPS;
    else K = MIN_STEPS and B' = ⌊SAFETY · t_left / (c · MIN_STEPS)⌋ walkers (whole islands),

since an anneal of fewer than MIN_STEPS steps is no anneal.  The walkers then run as independent
anneals of K steps in chunks (:func:`leapsbench.timed.sample_for`; AIS walkers are independent,
SMC chunks are whole islands of B/G): the first chunk has a quarter of the walkers chosen, the
next ones are sized from the measured rate until the time is up (so a wrong probe costs at most
about a quarter of the run), merged into one weighted sample.
``n_evaluations`` includes the probe's.  A budget too small for MIN_STEPS steps of one walker per
island is refused (ValueError naming the time of one walker-step).  With an
adaptive schedule (``adaptive_cess``) K is the cap of the steps taken.
"""

from __future__ import annotations

import time
from dataclasses import replace

from leapsbench.smc import island_chunks
from leapsbench.timed import Deadline, sample_for, units_that_fit

from .annealing import AnnealingConfig, anneal

PROBE_STEPS = 5
PROBE_WALKERS = 100
PROBE_SHARE = 0.1
MIN_STEPS = 10


def anneal_for(model, backend, rng, config: AnnealingConfig, seconds: float, progress=None):
    """AIS or SMC (``config``) sized to end within ``seconds`` (module docstring)."""
    deadline = Deadline(seconds, backend)
    probe_rng, run_rng = backend.rng(rng).spawn(2)
    walker_step, probe_evaluations = _probe(model, backend, probe_rng, config, seconds)
    G = config.n_islands
    steps = units_that_fit(deadline.remaining(), 1, walker_step * config.n_walkers)
    walkers = config.n_walkers
    if steps < MIN_STEPS:
        steps = MIN_STEPS
        walkers = units_that_fit(deadline.remaining(), 1, walker_step * MIN_STEPS) // G * G
        if walkers < max(G, 2):
            raise ValueError(
                f"a budget of {seconds:g} s is too short for {MIN_STEPS} annealing steps of "
                f"{max(G, 2)} walkers: one walker-step took {walker_step:.3g} s"
            )
    island, islands = island_chunks(config.smc, walkers)

    def draw(n):
        chunk = replace(config, n_steps=steps, n_walkers=n, n_islands=islands(n))
        return anneal(model, backend, run_rng, chunk, progress)

    first = max(island, walkers // 4 // island * island)  # the rest sized from its measured rate
    samples = sample_for(deadline.remaining(), draw, first, model.log_z0, island, backend)
    samples.n_evaluations += probe_evaluations
    samples.diagnostics.update(
        probe_walker_step_seconds=walker_step, budget_walkers=walkers, budget_steps=steps
    )
    return samples


def _probe(model, backend, rng, config: AnnealingConfig, seconds: float) -> tuple[float, int]:
    """(seconds per walker-step, evaluations): anneals of PROBE_WALKERS walkers for k = 5, 10,
    20, … steps until one lasts PROBE_SHARE of ``seconds`` (a short probe on a busy machine may
    fall into one time slice and see a fraction of the real cost)."""
    G = config.n_islands
    walkers = min(config.n_walkers, -(-PROBE_WALKERS // G) * G)
    steps, evaluations, spent = PROBE_STEPS, 0, 0.0
    while True:
        probe = replace(config, n_steps=steps, n_walkers=walkers, adaptive_cess=None)
        backend.synchronize()
        start = time.perf_counter()
        evaluations += anneal(model, backend, rng, probe).n_evaluations
        backend.synchronize()
        took = time.perf_counter() - start
        spent += took
        if took >= PROBE_SHARE * seconds or spent >= 2 * PROBE_SHARE * seconds:
            return took / steps / walkers, evaluations
        steps *= 2
