"""Markov chains with BlackJAX-style kernels and a driver that records observables per sweep.

``init(model, backend, rng, batch, rule)`` → :class:`State` (B uniform random configurations);
``step(state, beta=None)`` → (State, :class:`Info`) applies one sweep of ``rule`` at β
(default: the model's).  Rules: "metropolis", "heatbath" (checkerboard sweep,
:func:`leapsbench.baselines.local.sweep`, on the state's backend) and "swendsen-wang", "wolff"
(:mod:`leapsbench.baselines.cluster`, numpy on the CPU; states are moved to and from the host).

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

from leapsbench.samples import Samples

from . import cluster, local

RULES = local.RULES + cluster.RULES


@dataclass(frozen=True)
class State:
    """B chains: states ``x`` (int8, backend), their ``model``, ``rule`` and random streams."""

    x: Any
    model: Any
    rule: str
    rng: Any
    host_rng: np.random.Generator


@dataclass(frozen=True)
class Info:
    """Per-chain fraction of changed sites in the last sweep ((B,) numpy array) and, for
    Swendsen–Wang on Ising, the cluster estimator of m² (:func:`.cluster.cluster_m2`)."""

    acceptance: np.ndarray
    m2_cluster: np.ndarray | None = None


def init(model, backend, rng, batch: int, rule: str = "metropolis") -> State:
    """``batch`` chains started from uniform random configurations."""
    if rule not in RULES:
        raise ValueError(f"unknown MCMC rule {rule!r}; known: {', '.join(RULES)}")
    if rule in cluster.RULES:
        cluster.check_model(model, rule)
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    seed = int(backend.to_numpy(rng.integers(0, 2**31 - 1, (1,)))[0])
    x = model.uniform_states(backend, rng, batch)
    return State(x=x, model=model, rule=rule, rng=rng, host_rng=np.random.default_rng(seed))


def step(state: State, beta: float | None = None) -> tuple[State, Info]:
    """One sweep of ``state.rule`` at ``beta`` (default ``state.model.beta``)."""
    beta = state.model.beta if beta is None else float(beta)
    backend = state.rng.backend
    m2_cluster = None
    if state.rule in cluster.RULES:
        old = backend.to_numpy(state.x)
        if state.rule == "swendsen-wang" and state.model.kind == "ising":
            cluster.check_model(state.model, state.rule)
            new, m2_cluster = cluster.swendsen_wang_with_m2(state.model, old, beta, state.host_rng)
        else:
            new = cluster.update(state.model, old, beta, state.host_rng, state.rule)
        acceptance = (new != old).mean(axis=(1, 2))
        x = backend.from_numpy(new)
    else:
        x, acc = local.sweep(state.model, state.x, beta, state.rng, state.rule)
        acceptance = backend.to_numpy(acc)
    info = Info(acceptance=np.asarray(acceptance, dtype=np.float64), m2_cluster=m2_cluster)
    return replace(state, x=x), info


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
    if rule == "swendsen-wang" and model.kind == "ising":
        observables["m2_cluster"] = m2_cluster
    return Samples(
        observables=observables,
        n_evaluations=n_chains * total,
        seconds=time.perf_counter() - start,
        diagnostics={"acceptance": acceptance / total, "rule": rule},
    )
