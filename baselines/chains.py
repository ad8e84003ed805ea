"""Markov chains with BlackJAX-style kernels and a driver that records observables per sweep.

``init(model, backend, rng, batch, rule)`` → :class:`State` (B uniform random configurations);
``step(state, beta=None)`` → (State, :class:`Info`) applies one step of the state's kernel at β
(default: the model's).  ``rule`` is a kernel object (:mod:`leapsbench.kernels`) or the name of
one (:func:`.kernels.kernel_for`): "metropolis", "heatbath" (checkerboard sweep on the state's
backend) and "swendsen-wang", "wolff" (numpy on the CPU, from a host stream seeded once from
``rng``).  The chain State keeps the generators, the model and the kernel so that a chain is
driven by ``step(state)`` alone; the kernel itself is pure (generator first).

:func:`run_chains` runs n_warmup sweeps, then n_samples · thin sweeps keeping every thin-th, and
records m and E of each kept sweep (observables shaped (n_chains, n_samples); Swendsen–Wang on
Ising also "m2_cluster", the improved estimator of m² of that sweep's clusters); configurations
are not kept.  Cost (``n_evaluations``, the total for the whole sample, docs/CONTRACTS.md):
n_chains · (n_warmup + n_samples · thin) sweeps, one sweep of one chain being one evaluation of
all its local energy changes (O(N), counted as one energy evaluation).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from leapsbench.kernels import WalkerState
from leapsbench.samples import Samples

from .kernels import RULES, HostRng, kernel_for

__all__ = ["RULES", "Info", "State", "init", "run_chains", "step"]


@dataclass(frozen=True)
class State:
    """B chains: states ``x`` (int8, backend), their ``model``, ``kernel`` and random streams
    (``rng`` the backend Rng of local sweeps, ``host_rng`` the numpy stream of cluster updates)."""

    x: Any
    model: Any
    kernel: Any
    rng: Any
    host_rng: HostRng

    @property
    def rule(self) -> str:
        return self.kernel.name


@dataclass(frozen=True)
class Info:
    """Per-chain fraction of changed sites in the last sweep ((B,) numpy array) and, for
    Swendsen–Wang on Ising, the cluster estimator of m² (:func:`.cluster.cluster_m2`)."""

    acceptance: np.ndarray
    m2_cluster: np.ndarray | None = None


def init(model, backend, rng, batch: int, rule="metropolis") -> State:
    """``batch`` chains started from uniform random configurations."""
    kernel = kernel_for(rule)
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    seed = int(backend.to_numpy(rng.integers(0, 2**31 - 1, (1,)))[0])
    x = kernel.init(rng, model, batch, backend).x
    host = HostRng(np.random.default_rng(seed), backend)
    return State(x=x, model=model, kernel=kernel, rng=rng, host_rng=host)


def step(state: State, beta: float | None = None) -> tuple[State, Info]:
    """One step of ``state.kernel`` at ``beta`` (default ``state.model.beta``)."""
    beta = state.model.beta if beta is None else float(beta)
    rng = state.host_rng if getattr(state.kernel, "on_host", False) else state.rng
    walkers, info = state.kernel.step(rng, WalkerState(state.x), state.model, beta)
    acceptance = np.asarray(state.rng.backend.to_numpy(info.acceptance), dtype=np.float64)
    return replace(state, x=walkers.x), Info(acceptance=acceptance, m2_cluster=info.m2_cluster)


def _observables(state: State) -> tuple[np.ndarray, np.ndarray]:
    backend = state.rng.backend
    model = state.model
    return backend.to_numpy(model.magnetization(state.x)), backend.to_numpy(model.energy(state.x))


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
    start = time.perf_counter()
    state = init(model, backend, rng, n_chains, rule)
    total = n_warmup + n_samples * thin
    m = np.empty((n_chains, n_samples))
    energy = np.empty((n_chains, n_samples))
    m2_cluster = np.empty((n_chains, n_samples))
    acceptance = 0.0
    for t in range(total):
        state, info = step(state)
        acceptance += float(info.acceptance.mean())
        kept = t - n_warmup
        if kept >= 0 and (kept + 1) % thin == 0:
            m[:, kept // thin], energy[:, kept // thin] = _observables(state)
            if info.m2_cluster is not None:
                m2_cluster[:, kept // thin] = info.m2_cluster
        if progress is not None and ((t + 1) % max(1, total // 100) == 0 or t + 1 == total):
            progress(t + 1, total)
    backend.synchronize()
    observables = {"m": m, "E": energy}
    if state.rule == "swendsen-wang" and model.kind == "ising":
        observables["m2_cluster"] = m2_cluster
    return Samples(
        observables=observables,
        n_evaluations=n_chains * total,
        seconds=time.perf_counter() - start,
        diagnostics={"acceptance": acceptance / total, "rule": state.rule},
    )
