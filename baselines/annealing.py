"""Annealed importance sampling (AIS) and sequential Monte Carlo (SMC) along ρ_k ∝ exp(−β_k H).

B walkers start uniform (β_0 = 0, log Z_0 = N log q).  Step k = 1 … K:

    a_i  += −(β_k − β_{k−1}) H(x_i)            (float64 log weights)
    SMC only: resample each island whose ESS fraction < threshold; a_i ← log mean exp(a) there
    x_i  ← M sweeps of a β_k-invariant local kernel (baselines.local.sweep)

so that E[exp(a_i)] = Z / Z_0 and log Ẑ = log Z_0 + log mean exp(a).  With resampling the reset
keeps the weights' mean, so the same expression is SMC's product of incremental means
log Z_0 + Σ_k log Σ_i W_{k−1,i} exp(−(β_k − β_{k−1}) H_i), unbiased in Z.  Observables are
self-normalised weighted means over the final walkers.

SMC splits the B walkers into G equal islands that resample only within themselves
(resampling.resample_islands); log Ẑ is the same expression (the mean of the islands' Ẑ_g), and
its error comes from the spread of the G independent Ẑ_g (delta method) — an honest error bar,
which a single resampled population does not give (G = 1: no error bar, ``log_z_err`` None).
AIS's error of log Ẑ is estimators.log_z_estimate's (independent walkers).

β_k = β λ(k/K) for the given schedule, or (``adaptive_cess``) chosen step by step so that the
conditional ESS is the target fraction (adaptive_beta.py), at most K steps (the K-th goes to β);
a schedule chosen from the walkers themselves leaves Ẑ unbiased only asymptotically.

One step is a pure function over a small immutable :class:`AnnealState` (BlackJAX style, the
shape of the LEAPS sampler's :mod:`leapsbench.leaps.ctmc`): :func:`init`, then :func:`step`
(returns the new state and an :class:`AnnealInfo`), driven by :func:`anneal`.

Cost (``n_evaluations``, the total for the whole sample, docs/CONTRACTS.md): per walker one
energy evaluation per step for the weight plus one per sweep (a sweep updates N sites, O(N) like
one energy evaluation), so B · K · (M + 1) for B walkers and K steps (K the steps actually taken
when β is chosen adaptively).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from leapsbench.estimators import island_log_z_error, log_z_estimate
from leapsbench.models.schedule import beta_at, get_schedule
from leapsbench.resampling import check_scheme, check_threshold, ess_fraction, resample_islands
from leapsbench.samples import Samples

from .adaptive_beta import check_target, next_beta

RULES = ("metropolis", "heatbath")


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class AnnealingConfig:
    """B walkers, K annealing steps, M sweeps per step; ``resampling`` None is AIS, else SMC
    with G = ``n_islands`` islands (G divides B).

    ``schedule`` is a dict for leapsbench.models.schedule.get_schedule (e.g. {"name": "linear"}).
    """

    n_walkers: int = 1000
    n_steps: int = 100
    n_sweeps: int = 1
    rule: str = "metropolis"
    schedule: dict = field(default_factory=lambda: {"name": "linear"})
    resampling: str | None = None
    threshold: float = 0.5
    adaptive_cess: float | None = None
    n_islands: int = 1

    def __post_init__(self):
        object.__setattr__(self, "n_walkers", _check_int("n_walkers (B)", self.n_walkers, 1))
        object.__setattr__(self, "n_steps", _check_int("n_steps (K)", self.n_steps, 1))
        object.__setattr__(self, "n_sweeps", _check_int("n_sweeps (M)", self.n_sweeps, 0))
        if self.rule not in RULES:
            raise ValueError(f"unknown MCMC rule {self.rule!r}; allowed: {', '.join(RULES)}")
        object.__setattr__(self, "n_islands", _check_int("n_islands", self.n_islands, 1))
        if self.resampling is not None:
            check_scheme(self.resampling)
        elif self.n_islands != 1:
            raise ValueError(f"n_islands={self.n_islands!r} needs resampling (SMC); AIS uses 1")
        if self.n_walkers % self.n_islands:
            raise ValueError(
                f"n_walkers={self.n_walkers} must be a multiple of n_islands={self.n_islands}"
            )
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        if self.adaptive_cess is not None:
            object.__setattr__(self, "adaptive_cess", check_target(self.adaptive_cess))
        if isinstance(self.schedule, str):
            object.__setattr__(self, "schedule", {"name": self.schedule})
        get_schedule(**self.schedule)  # validates name and parameters

    def config(self) -> dict:
        return asdict(self)


class AnnealState(NamedTuple):
    """B walkers ``x`` after k annealing steps, at inverse temperature ``beta`` = β_k, with
    float64 log weights ``log_w`` (B,)."""

    x: Any
    log_w: Any
    beta: float = 0.0
    k: int = 0


class AnnealInfo(NamedTuple):
    """What one step did (device scalars): ``ess`` the ESS fraction after the reweighting (before
    any resampling), ``acceptance`` the sweeps' mean acceptance (NaN without sweeps),
    ``resampled`` the number of islands resampled (None for AIS)."""

    ess: Any
    acceptance: Any
    resampled: Any


def init(model, backend, rng, n_walkers: int) -> AnnealState:
    """``n_walkers`` uniform walkers at β_0 = 0 with log weights 0 (log Z_0 = N log q)."""
    x = model.uniform_states(backend, rng, n_walkers)
    return AnnealState(x, backend.zeros((n_walkers,), dtype=backend.xp.float64))


def _next_beta(state: AnnealState, energy, model, backend, config: AnnealingConfig, schedule):
    """β_{k+1}: from the schedule, or chosen on the host for the conditional-ESS target (the
    last step goes to β)."""
    k = state.k + 1
    if config.adaptive_cess is None:
        return float(beta_at(model, schedule, k / config.n_steps))
    if k == config.n_steps:
        return model.beta
    energy, log_w = backend.to_numpy(energy), backend.to_numpy(state.log_w)
    return next_beta(state.beta, model.beta, energy, log_w, config.adaptive_cess)


def step(state: AnnealState, model, rng, config: AnnealingConfig, schedule):
    """One annealing step k → k + 1: reweight by −(β_{k+1} − β_k) H, resample (SMC), sweep.

    Returns ``(state, info)``; ``rng`` is the backend Rng, ``schedule`` the
    :mod:`leapsbench.models.schedule` object of ``config.schedule``.
    """
    from .local import sweep

    backend = rng.backend
    xp = backend.xp
    x = state.x
    energy = model.energy(x, dtype=xp.float64)
    beta = _next_beta(state, energy, model, backend, config, schedule)
    log_w = state.log_w - (beta - state.beta) * energy
    ess, resampled = ess_fraction(log_w), None
    if config.resampling is not None:
        chosen = resample_islands(log_w, rng, config.n_islands, config.threshold, config.resampling)
        log_w, x = chosen.log_weights, xp.take(x, chosen.ancestors, axis=0)
        resampled = xp.sum(xp.astype(chosen.resampled, xp.int64))
    accepted = backend.zeros((), dtype=xp.float64)
    for _ in range(config.n_sweeps):
        x, acc = sweep(model, x, beta, rng, rule=config.rule)
        accepted = accepted + xp.mean(xp.astype(acc, xp.float64))
    M = config.n_sweeps
    acceptance = accepted / M if M else backend.full((), math.nan, dtype=xp.float64)
    return AnnealState(x, log_w, beta, state.k + 1), AnnealInfo(ess, acceptance, resampled)


def anneal(model, backend, rng, config: AnnealingConfig, progress=None) -> Samples:
    """Run AIS (``config.resampling`` None) or SMC on ``backend``; see the module docstring.

    ``rng`` is a backend Rng (or a seed); ``progress(done, total, beta=…)`` is called about 100
    times over the run.  Per-step traces stay on the device until the end (no host round trip
    per step, except to choose β adaptively).
    """
    rng = backend.rng(rng)
    schedule = get_schedule(**config.schedule)
    K, every = config.n_steps, max(1, config.n_steps // 100)
    backend.synchronize()
    start = time.perf_counter()
    state = init(model, backend, rng, config.n_walkers)
    betas, infos = [0.0], []
    for k in range(1, K + 1):
        state, info = step(state, model, rng, config, schedule)
        betas.append(state.beta)
        infos.append(info)
        done = state.beta >= model.beta and config.adaptive_cess is not None
        if progress is not None and (k % every == 0 or k == K or done):
            progress(k, k if done else K, beta=state.beta)
        if done:
            break
    host = _to_host(state, infos, model, backend)
    backend.synchronize()
    return _samples(host, state, model, config, betas, time.perf_counter() - start)


def _to_host(state: AnnealState, infos, model, backend) -> dict:
    """Final log weights, observables and the per-step traces as numpy arrays."""
    xp = backend.xp
    ess = backend.to_numpy(xp.stack([info.ess for info in infos]))
    resampled = [info.resampled for info in infos if info.resampled is not None]
    return {
        "log_w": backend.to_numpy(state.log_w),
        "observables": {
            "m": backend.to_numpy(model.magnetization(state.x, dtype=xp.float64)),
            "E": backend.to_numpy(model.energy(state.x, dtype=xp.float64)),
        },
        "ess": ess,
        "acceptance": backend.to_numpy(xp.stack([info.acceptance for info in infos])),
        "resampled": backend.to_numpy(xp.stack(resampled))
        if resampled
        else np.zeros(ess.size, int),
    }


def _samples(host: dict, state, model, config: AnnealingConfig, betas, seconds) -> Samples:
    """The weighted Samples of a finished run, log Ẑ with its error (islands for SMC)."""
    log_z, log_z_err = log_z_estimate(host["log_w"], model.log_z0)
    resampled = host["resampled"]
    islands = config.n_islands if resampled.sum() > 0 else None
    if islands is not None:
        log_z_err = island_log_z_error(host["log_w"], config.n_islands)
    n_done = len(betas) - 1
    return Samples(
        observables=host["observables"],
        log_weights=host["log_w"],
        log_z=log_z,
        log_z_err=log_z_err,
        x=state.x,
        n_evaluations=config.n_walkers * n_done * (config.n_sweeps + 1),
        seconds=seconds,
        diagnostics={
            "beta": np.asarray(betas),
            "ess_fraction": host["ess"],
            "acceptance": host["acceptance"],
            "islands_resampled": resampled,
            "n_resamplings": int(resampled.sum()),
            "n_steps": n_done,
        },
        islands=islands,
    )


def ais(model, backend, rng, progress=None, **settings) -> Samples:
    """Annealed importance sampling; ``settings`` are :class:`AnnealingConfig` fields."""
    if settings.get("resampling") is not None:
        raise ValueError("ais does not resample; use smc(..., resampling=...)")
    return anneal(model, backend, rng, AnnealingConfig(**settings), progress)


def smc(model, backend, rng, progress=None, resampling="systematic", **settings) -> Samples:
    """SMC: AIS plus resampling (systematic or multinomial) when ESS / B < ``threshold``."""
    config = AnnealingConfig(resampling=check_scheme(resampling), **settings)
    return anneal(model, backend, rng, config, progress)
