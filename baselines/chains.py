"""Markov chains of an MCMC kernel (:mod:`leapsbench.kernels`) and a driver that records
observables per sweep.

``start(rng, model, n_chains, backend, rule)`` → ``(kernel, stream, state)``: the kernel object
of ``rule`` (a kernel object, or a name for :func:`.kernels.kernel_for`: "metropolis",
"heatbath" — checkerboard sweeps on the backend — and "swendsen-wang", "wolff" — numpy on the
CPU), the generator its steps take (``stream``: the backend Rng ``rng`` itself, or for a kernel
on the host a :class:`.kernels.HostRng` seeded once from one draw of ``rng``) and the
immutable :class:`leapsbench.kernels.WalkerState` of B chains started from uniform random
configurations.  ``step(stream, state, model, beta, kernel)`` → ``(state, info)`` is one step of
the kernel at β, the generator first, with the acceptance brought to the host (numpy).

:func:`run_chains` runs n_warmup sweeps, then n_samples · thin sweeps keeping every thin-th, and
records m and E of each kept sweep (observables shaped (n_chains, n_samples); plus
"m2_cluster" where the kernel gives an improved estimator of m² per sweep, Swendsen–Wang on
Ising; plus, on models whose order parameter is the replica overlap (spin glasses), "q2" =
q²_{2c, 2c+1} of the independent chains paired (2c, 2c + 1), shaped (⌊C/2⌋, n_samples):
:func:`leapsbench.overlap_pairs.pair_overlaps`); configurations are not kept.  Cost
(``n_evaluations``, the total for the whole sample, docs/CONTRACTS.md): n_chains · (n_warmup +
n_samples · thin) sweeps, one sweep of one chain being one evaluation of all its local energy
changes (O(N), counted as one energy evaluation).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from leapsbench.kernels import MoveInfo, WalkerState
from leapsbench.overlap_pairs import pair_overlaps
from leapsbench.samples import Samples

from .kernels import RULES, host_rng, kernel_for

__all__ = [
    "RULES",
    "observables",
    "records_overlap",
    "run_chains",
    "start",
    "step",
]


def start(rng, model, n_chains: int, backend, rule="metropolis") -> tuple[Any, Any, WalkerState]:
    """``(kernel, stream, state)`` of ``n_chains`` chains of ``rule`` (module docstring); one
    seed is drawn from ``rng`` for the host stream whatever the kernel, then the states."""
    kernel = kernel_for(rule)
    if n_chains < 1:
        raise ValueError(f"batch must be >= 1, got {n_chains}")
    seeded = host_rng(rng)
    stream = seeded if getattr(kernel, "on_host", False) else rng
    return kernel, stream, kernel.init(rng, model, n_chains, backend)


def step(rng, state: WalkerState, model, beta: float, kernel) -> tuple[WalkerState, MoveInfo]:
    """One step of ``kernel`` at ``beta`` with the generator ``rng``; the info's ``acceptance``
    (B,) is float64 numpy (``m2_cluster`` as the kernel gives it)."""
    state, info = kernel.step(rng, state, model, float(beta))
    acceptance = np.asarray(rng.backend.to_numpy(info.acceptance), dtype=np.float64)
    return state, info._replace(acceptance=acceptance)


def observables(model, x, backend) -> tuple[np.ndarray, np.ndarray]:
    """(m, E) of the chains' states ``x`` as numpy arrays."""
    return backend.to_numpy(model.magnetization(x)), backend.to_numpy(model.energy(x))


def records_overlap(model, n_chains: int) -> bool:
    """Chains record q² where the overlap is the model's order parameter and can be paired."""
    return model.order_parameter == "q2" and n_chains >= 2


def run_chains(
    model,
    backend,
    rng,
    n_chains: int,
    n_warmup: int,
    n_samples: int,
    thin: int = 1,
    rule: str = "metropolis",
    progress=None,
) -> Samples:
    """Warm-up, then ``n_samples`` kept sweeps (every ``thin``-th); m and E per kept sweep."""
    for key, value, low in (
        ("n_warmup", n_warmup, 0),
        ("n_samples", n_samples, 2),
        ("thin", thin, 1),
    ):
        if value < low:
            raise ValueError(f"{key} must be >= {low}, got {value}")
    start_time = time.perf_counter()
    kernel, stream, state = start(rng, model, n_chains, backend, rule)
    total = n_warmup + n_samples * thin
    kept = {key: np.empty((n_chains, n_samples)) for key in ("m", "E", "m2_cluster")}
    if records_overlap(model, n_chains):
        kept["q2"] = np.empty((n_chains // 2, n_samples))
    acceptance = 0.0
    for t in range(total):
        state, info = step(stream, state, model, model.beta, kernel)
        acceptance += float(info.acceptance.mean())
        k, due = divmod(t - n_warmup + 1, thin)
        if t >= n_warmup and due == 0:
            kept["m"][:, k - 1], kept["E"][:, k - 1] = observables(model, state.x, backend)
            if info.m2_cluster is not None:
                kept["m2_cluster"][:, k - 1] = info.m2_cluster
            if "q2" in kept:
                kept["q2"][:, k - 1] = pair_overlaps(model, state.x, backend)
        if progress is not None and ((t + 1) % max(1, total // 100) == 0 or t + 1 == total):
            progress(t + 1, total)
    if info.m2_cluster is None:  # the kernel has no cluster estimator of m²
        del kept["m2_cluster"]
    backend.synchronize()
    return Samples(
        observables=kept,
        n_evaluations=n_chains * total,
        seconds=time.perf_counter() - start_time,
        diagnostics={"acceptance": acceptance / total, "rule": kernel.name},
    )
