"""Parallel tempering (replica exchange) of any model over a β ladder.

Ladder: β_0 = 0 and K − 1 geometric values β_min · (β/β_min)^{k/(K−2)}, β_min = ``beta_min``·β,
ending at the target β.  C independent chains each hold one configuration per temperature; the
K·C walkers are one batch, walker k·C + c at β_k, so a sweep is one call of
:func:`.local.model_sweep` with a β per walker (Metropolis or heat-bath from the model's own
ΔE: ``flip_delta_energy`` for ±1 spins, ``delta_energy`` for any other model).  After every
sweep, neighbours (k, k+1) with k ≡ t (mod 2) (even/odd alternation) swap configurations with
probability min(1, e^{(β_{k+1} − β_k)(E_{k+1} − E_k)}) (detailed balance for Π_k ρ_{β_k}); the
swap is one gather of the walkers.

Kept after the warm-up: m and E of the target temperature (observables (C, S), chain statistics
as for :mod:`.chains`), the squared replica overlap ``model.overlap`` ((1/N) Σ_i s_i^a s_i^b for
±1 spins) of the pairs of independent chains (2c, 2c + 1) there (observable "q2", (⌊C/2⌋, S);
none for one chain), and E of every temperature for log Z by BAR between neighbours
(:mod:`.bar`).  Diagnostics: the acceptance rate of swaps of each neighbour pair.  Cost
(``n_evaluations``): K · C · (sweeps done).

A timed run keeps the time BAR will take inside its budget T.  BAR's time t(S) grows with the
kept sweeps S, t(S) = a + b S: once :data:`PROBE_FRACTION` of the sampling time has passed, BAR is
timed on the S_p sweeps kept so far, and again whenever S has grown :data:`REPROBE_GROWTH`-fold
since; sampling stops when elapsed + :data:`RESERVE_MARGIN` · t(S_p) · S / S_p ≥ T.  The
prediction errs on the safe side by at most a · (S/S_p − 1) ≤ 3a, and each probe measures BAR
at a size within a factor 4 of the last one, so a noisy machine cannot mislead it for long; the
probes cost about a third of the last BAR (docs/perf.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from leapsbench.overlap_pairs import pair_overlaps
from leapsbench.samples import Samples
from leapsbench.timed import Deadline

from .bar import ladder_log_z_with_error
from .local import model_sweep

WARMUP_FRACTION = 0.2
"""A timed run spends this share of its time on warm-up sweeps (as :mod:`.timed_chains`)."""
PROBE_FRACTION = 0.1
"""Share of a timed run's sampling time after which BAR's cost is measured (module docstring)."""
REPROBE_GROWTH = 4
"""BAR is timed again when the kept sweeps have grown this many times since its last timing."""
RESERVE_MARGIN = 1.2
"""The time kept for BAR: this many times its cost t(S) predicted from the last probe."""


def ladder(beta: float, n_temps: int, beta_min: float) -> np.ndarray:
    """(K,) inverse temperatures: 0, then geometric from ``beta_min``·β to β (module docstring)."""
    if n_temps < 2 or not 0 < beta_min <= 1 or not beta > 0:
        raise ValueError(
            f"a ladder needs n_temps >= 2, 0 < beta_min <= 1 and beta > 0, got n_temps={n_temps}, "
            f"beta_min={beta_min}, beta={beta}"
        )
    return np.concatenate([[0.0], np.geomspace(beta_min * beta, beta, n_temps - 1)])


def swap_order(energies: np.ndarray, betas: np.ndarray, parity: int, u: np.ndarray):
    """Walker order after the swaps of pairs (k, k+1), k ≡ parity (mod 2): an index (K·C,) into
    the walkers (k-major) and the (K − 1,) number of accepted swaps per pair.  ``energies`` and
    ``u`` (uniforms) are (K, C)."""
    n_temps, n_chains = energies.shape
    order = np.arange(n_temps * n_chains).reshape(n_temps, n_chains)
    low = np.arange(parity, n_temps - 1, 2)
    log_ratio = (betas[low + 1] - betas[low])[:, None] * (energies[low + 1] - energies[low])
    accept = np.log(u[low]) < log_ratio
    upper, lower = order[low + 1].copy(), order[low].copy()
    order[low] = np.where(accept, upper, lower)
    order[low + 1] = np.where(accept, lower, upper)
    accepted = np.zeros(n_temps - 1)
    accepted[low] = accept.sum(axis=1)
    return order.reshape(-1), accepted


@dataclass
class _Run:
    """The walkers and what has been recorded so far."""

    x: object
    walker_betas: object
    m: list
    q2: list
    energies: list
    swaps: np.ndarray
    swap_tries: np.ndarray
    n_sweeps: int = 0


def _sweep(run: _Run, model, betas, rng, host_rng, rule: str, n_chains: int) -> np.ndarray:
    """One sweep and one round of swaps; returns the (K, C) energies after the swaps."""
    backend = rng.backend
    run.x, _ = model_sweep(model, run.x, run.walker_betas, rng, rule)
    energies = backend.to_numpy(model.energy(run.x)).reshape(len(betas), n_chains)
    parity = run.n_sweeps % 2
    order, accepted = swap_order(energies, betas, parity, host_rng.random(energies.shape))
    run.x = backend.xp.take(run.x, backend.asarray(order, dtype=backend.xp.int64), axis=0)
    run.swaps += accepted
    run.swap_tries[parity::2] += n_chains
    run.n_sweeps += 1
    return energies.reshape(-1)[order].reshape(energies.shape)


def _record(run: _Run, model, backend, energies: np.ndarray, n_chains: int) -> None:
    target = run.x[-n_chains:, ...]
    run.m.append(backend.to_numpy(model.magnetization(target)))
    run.energies.append(energies)
    q2 = pair_overlaps(model, target, backend)
    if q2 is not None:
        run.q2.append(q2)


def run_tempering(model, backend, rng, settings, seconds=None, progress=None) -> Samples:
    """Parallel tempering with ``settings`` (n_chains, n_temps, beta_min, n_warmup, n_samples,
    rule); for ``seconds`` of wall time (:data:`WARMUP_FRACTION` of it warm-up) when given."""
    deadline = Deadline(float("inf") if seconds is None else seconds, backend)
    betas = ladder(model.beta, settings.n_temps, settings.beta_min)
    n_chains, n_temps = settings.n_chains, settings.n_temps
    host_rng = np.random.default_rng(int(backend.to_numpy(rng.integers(0, 2**31 - 1, (1,)))[0]))
    walker_betas = backend.asarray(np.repeat(betas, n_chains))
    x = model.uniform_states(backend, rng, n_temps * n_chains)
    run = _Run(x, walker_betas, [], [], [], np.zeros(n_temps - 1), np.zeros(n_temps - 1))
    timed = seconds is not None
    total = None if timed else settings.n_warmup + settings.n_samples

    def warming() -> bool:
        if timed:
            return deadline.elapsed() < WARMUP_FRACTION * seconds
        return run.n_sweeps < settings.n_warmup

    probe = None  # (kept sweeps, seconds) of BAR's last timing (module docstring)

    def sampling() -> bool:
        if len(run.m) < 2:
            return True
        if not timed:
            return run.n_sweeps < total
        kept = len(run.energies)
        reserve = 0.0 if probe is None else RESERVE_MARGIN * probe[1] * kept / probe[0]
        return deadline.elapsed() + reserve < seconds

    while warming():
        _sweep(run, model, betas, rng, host_rng, settings.rule, n_chains)
    n_warmup, probe_at = run.n_sweeps, (WARMUP_FRACTION + PROBE_FRACTION) * (seconds or 0.0)
    while sampling():
        energies = _sweep(run, model, betas, rng, host_rng, settings.rule, n_chains)
        _record(run, model, backend, energies, n_chains)
        due = probe is None or len(run.energies) >= REPROBE_GROWTH * probe[0]
        if timed and due and deadline.elapsed() >= probe_at:
            probe = (len(run.energies), _bar_seconds(run.energies, betas, model.log_z0))
        if progress is not None and run.n_sweeps % 10 == 0:
            done = run.n_sweeps if total else round(100 * min(deadline.elapsed() / seconds, 1))
            progress(done, total or 100)
    return _samples(run, model, betas, n_warmup, deadline, settings)


def _bar_seconds(energies: list, betas: np.ndarray, log_z0: float) -> float:
    """Wall seconds of BAR (:func:`.bar.ladder_log_z_with_error`) on the sweeps kept so far."""
    start = time.perf_counter()
    ladder_log_z_with_error(np.stack(energies, axis=-1), betas, log_z0)
    return time.perf_counter() - start


def _samples(run: _Run, model, betas, n_warmup: int, deadline: Deadline, settings) -> Samples:
    """The target temperature's chains, log Z by BAR and the swap diagnostics; ``seconds`` is
    the time since ``deadline`` started, BAR included."""
    energies = np.stack(run.energies, axis=-1)  # (K, C, S)
    log_z, log_z_err = ladder_log_z_with_error(energies, betas, model.log_z0)
    rates = np.divide(
        run.swaps, run.swap_tries, out=np.full_like(run.swaps, np.nan), where=run.swap_tries > 0
    )
    observables = {"m": np.stack(run.m, axis=1), "E": energies[-1]}
    if run.q2:
        observables["q2"] = np.stack(run.q2, axis=1)
    return Samples(
        observables=observables,
        log_z=log_z,
        log_z_err=log_z_err,
        n_evaluations=len(betas) * settings.n_chains * run.n_sweeps,
        seconds=deadline.elapsed(),
        diagnostics={
            "rule": settings.rule,
            "betas": betas.round(6).tolist(),
            "swap_rates": [None if np.isnan(r) else round(float(r), 4) for r in rates],
            "min_swap_rate": float(np.nanmin(rates)),
            "n_warmup": n_warmup,
            "n_sweeps": run.n_sweeps,
        },
    )
