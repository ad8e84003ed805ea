"""Markov chains for a wall-time budget: sweeps until the time is up (:mod:`.chains` kernels).

The first ``warmup_fraction`` of the time T is warm-up (sweeps not recorded); from then on every
``thin``-th sweep's m and E (and q² of chain pairs on spin glasses,
:func:`leapsbench.overlap_pairs.pair_overlaps`) are kept until T has passed (at least two kept
sweeps, so that a chain mean has a spread).  The clock is read after every sweep with the
backend synchronised.  Cost (``n_evaluations``): n_chains · (sweeps done), as in
:func:`.chains.run_chains`.
"""

from __future__ import annotations

import numpy as np

from leapsbench.overlap_pairs import pair_overlaps
from leapsbench.samples import Samples
from leapsbench.timed import Deadline

from .chains import observables, records_overlap, start, step

WARMUP_FRACTION = 0.2
MIN_KEPT = 2


def run_chains_for(
    model,
    backend,
    rng,
    seconds: float,
    n_chains: int,
    thin: int = 1,
    rule: str = "metropolis",
    warmup_fraction: float = WARMUP_FRACTION,
    progress=None,
) -> Samples:
    """Chains run for ``seconds`` of wall time (module docstring)."""
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction}")
    deadline = Deadline(seconds, backend)
    kernel, stream, state = start(rng, model, n_chains, backend, rule)
    n_warmup = 0
    while deadline.elapsed() < warmup_fraction * seconds:
        state, _ = step(stream, state, model, model.beta, kernel)
        n_warmup += 1
    kept: dict[str, list] = {"m": [], "E": [], "m2_cluster": [], "q2": []}
    overlaps = records_overlap(model, n_chains)
    acceptance, n_sweeps = 0.0, 0
    while len(kept["m"]) < MIN_KEPT or deadline.elapsed() < seconds:
        state, info = step(stream, state, model, model.beta, kernel)
        n_sweeps += 1
        acceptance += float(info.acceptance.mean())
        if n_sweeps % thin == 0:
            m, energy = observables(model, state.x, backend)
            kept["m"].append(m)
            kept["E"].append(energy)
            if info.m2_cluster is not None:
                kept["m2_cluster"].append(info.m2_cluster)
            if overlaps:
                kept["q2"].append(pair_overlaps(model, state.x, backend))
        if progress is not None and n_sweeps % 10 == 0:
            progress(round(100 * min(deadline.elapsed() / seconds, 1.0)), 100)
    recorded = {k: np.stack(v, axis=1) for k, v in kept.items() if v}
    return Samples(
        observables=recorded,
        n_evaluations=n_chains * (n_warmup + n_sweeps),
        seconds=deadline.elapsed(),
        diagnostics={
            "acceptance": acceptance / n_sweeps,
            "rule": kernel.name,
            "n_warmup": n_warmup,
            "n_sweeps": n_warmup + n_sweeps,
        },
    )
