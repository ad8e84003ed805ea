"""Annealed importance sampling (AIS) and sequential Monte Carlo (SMC) along ρ_k ∝ exp(−β_k H).

B walkers start uniform (β_0 = 0, log Z_0 = N log q).  Step k = 1 … K:

    a_i  += −(β_k − β_{k−1}) H(x_i)            (float64 log weights)
    SMC only: resample each island whose ESS fraction < threshold; a_i ← log mean exp(a) there
    x_i  ← M steps of a β_k-invariant MCMC kernel (``rule``: a name or a kernel object,
           :mod:`.kernels`; default the local Metropolis sweep)

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

One step is :func:`leapsbench.smc.step` (the SMC engine shared with LEAPS) over a small
immutable :class:`AnnealState`: reweight by −Δβ H (:func:`reweight`), resample, mutate by the
kernel; ``init(rng, model, B, backend)``, then ``step(rng, state, model, config, schedule)``
(the generator first; returns the new state and an :class:`AnnealInfo`), driven by
:func:`anneal`; log Ẑ and its error bar are :func:`leapsbench.smc.log_z_with_error`.  The
population settings (B, G, threshold, scheme, M, kernel) are the
:class:`leapsbench.smc.SMCConfig` that :class:`AnnealingConfig` embeds, the same record as
LEAPS's.

Cost (``n_evaluations``, the total for the whole sample, docs/CONTRACTS.md): per walker one
energy evaluation per step for the weight plus one per sweep (a sweep updates N sites, O(N) like
one energy evaluation), so B · K · (M + 1) for B walkers and K steps (K the steps actually taken
when β is chosen adaptively).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from leapsbench import smc as engine
from leapsbench.models.schedule import beta_at, get_schedule
from leapsbench.overlap_pairs import pair_observables
from leapsbench.resampling import check_scheme, check_threshold
from leapsbench.samples import Samples
from leapsbench.smc import SMCConfig, SMCState, check_int, smc_field, unknown_keys

from .adaptive_beta import check_target, next_beta
from .kernels import kernel_for

DEFAULT_SMC = SMCConfig(1000, sweeps=1, threshold_key="resampling")
"""The population part of the default settings: B = 1000 walkers, M = 1 Metropolis sweep per
step, no resampling (AIS)."""
DEFAULT_THRESHOLD = 0.5
"""The ESS fraction the flat ``threshold`` key reads when nothing is resampled (no effect)."""
SMC_FIELD_OF = {
    "n_walkers": "n_walkers",
    "n_sweeps": "sweeps",
    "rule": "rule",
    "n_islands": "n_islands",
}
"""The flat keys that are :class:`leapsbench.smc.SMCConfig` fields (key → field name);
``resampling`` and ``threshold`` together give its threshold and scheme."""
KEY_TYPES = {
    "n_walkers": (int,),
    "n_steps": (int,),
    "n_sweeps": (int,),
    "rule": (str,),
    "schedule": (dict,),
    "resampling": (str, type(None)),
    "threshold": (float,),
    "adaptive_cess": (float, type(None)),
    "n_islands": (int,),
}
"""Every flat key (``--set``, a stored config) and its types, in the order of ``config()``."""


def _with_keys(smc: SMCConfig, keys: dict) -> SMCConfig:
    """``smc`` with the flat keys ``keys`` set: :data:`SMC_FIELD_OF`, and ``resampling`` (a
    scheme, or None: AIS) with ``threshold`` (checked, and dropped when nothing is resampled)."""
    keys = dict(keys)
    resampling = keys.pop("resampling", smc.scheme if smc.threshold is not None else None)
    current = DEFAULT_THRESHOLD if smc.threshold is None else smc.threshold
    threshold = check_threshold(keys.pop("threshold", current))
    if resampling is not None:
        check_scheme(resampling)
    fields = {SMC_FIELD_OF[key]: value for key, value in keys.items()}
    scheme = resampling or "systematic"
    return replace(smc, threshold=threshold if resampling else None, scheme=scheme, **fields)


@dataclass(frozen=True, init=False)
class AnnealingConfig:
    """K annealing steps along ``schedule`` (a dict for
    :func:`leapsbench.models.schedule.get_schedule`, e.g. {"name": "linear"}; a name is short for
    it), β chosen adaptively for ``adaptive_cess``, and the population ``smc``
    (:class:`leapsbench.smc.SMCConfig`: B walkers, G islands, threshold and scheme — none for
    AIS —, M sweeps per step of the mutation kernel ``rule``, a name in :data:`.kernels.RULES` or
    a kernel object).

    Built from the flat keys (:data:`KEY_TYPES`, what ``--set`` and stored configs use) as
    keyword arguments: ``AnnealingConfig(n_walkers=…, n_sweeps=…, resampling=…)`` sets the
    embedded ``smc`` (given, or :data:`DEFAULT_SMC`), and the flat keys read it back.
    """

    smc: SMCConfig
    n_steps: int
    schedule: dict
    adaptive_cess: float | None

    def __init__(self, *, smc=DEFAULT_SMC, n_steps=100, schedule=None, adaptive_cess=None, **keys):
        unknown_keys("AnnealingConfig", keys, (*SMC_FIELD_OF, "resampling", "threshold"))
        smc = _with_keys(smc, keys)
        kernel_for(smc.rule)
        schedule = {"name": "linear"} if schedule is None else schedule
        schedule = {"name": schedule} if isinstance(schedule, str) else schedule
        get_schedule(**schedule)  # validates name and parameters
        if adaptive_cess is not None:
            adaptive_cess = check_target(adaptive_cess)
        object.__setattr__(self, "smc", smc)
        object.__setattr__(self, "n_steps", check_int("n_steps (K)", n_steps, 1))
        object.__setattr__(self, "schedule", schedule)
        object.__setattr__(self, "adaptive_cess", adaptive_cess)

    n_walkers = smc_field("n_walkers")
    n_sweeps = smc_field("sweeps")
    rule = smc_field("rule")
    n_islands = smc_field("n_islands")

    @property
    def resampling(self) -> str | None:
        """The resampling scheme, None for AIS."""
        return None if self.smc.threshold is None else self.smc.scheme

    @property
    def threshold(self) -> float:
        """The ESS fraction that triggers resampling (:data:`DEFAULT_THRESHOLD` for AIS)."""
        return DEFAULT_THRESHOLD if self.smc.threshold is None else self.smc.threshold

    def config(self) -> dict:
        """The flat config (:data:`KEY_TYPES`' keys, in that order): rows and caches keep it."""
        return {key: copy.deepcopy(getattr(self, key)) for key in KEY_TYPES}


AnnealState = SMCState
"""B walkers ``x`` after k annealing steps, at inverse temperature ``beta`` = β_k, with float64
log weights ``log_w`` (B,): the SMC engine's :class:`leapsbench.smc.SMCState`."""


class AnnealInfo(NamedTuple):
    """What one step did (device scalars): ``ess`` the ESS fraction after the reweighting (before
    any resampling), ``acceptance`` the sweeps' mean acceptance (NaN without sweeps),
    ``resampled`` the number of islands resampled (None for AIS)."""

    ess: Any
    acceptance: Any
    resampled: Any


def init(rng, model, n_walkers: int, backend) -> AnnealState:
    """``n_walkers`` uniform walkers on ``backend`` at β_0 = 0 with log weights 0
    (log Z_0 = N log q)."""
    return engine.init(model.uniform_states(backend, rng, n_walkers), backend)


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


def reweight(model, config: AnnealingConfig, schedule):
    """The AIS reweighting ``(rng, state) -> (state, None)``: β_k → β_{k+1} (:func:`_next_beta`)
    and a_i += −(β_{k+1} − β_k) H(x_i) (:func:`leapsbench.smc.temper`)."""

    def apply(rng, state: AnnealState):
        energy = model.energy(state.x, dtype=rng.backend.xp.float64)
        beta = _next_beta(state, energy, model, rng.backend, config, schedule)
        return engine.temper(state, beta, energy), None

    return apply


def step(rng, state: AnnealState, model, config: AnnealingConfig, schedule, kernel=None):
    """One annealing step k → k + 1: reweight by −(β_{k+1} − β_k) H, resample (SMC), sweep
    (:func:`leapsbench.smc.step`).

    Returns ``(state, info)``; ``rng`` is the backend Rng (first, as in every kernel),
    ``schedule`` the :mod:`leapsbench.models.schedule` object of ``config.schedule``, ``kernel``
    the mutation kernel (default: ``config.rule``'s).
    """
    kernel = kernel_for(config.rule) if kernel is None else kernel
    smc = config.smc
    state, info = engine.step(
        rng,
        state,
        reweight(model, config, schedule),
        engine.mutation(kernel, model, config.n_sweeps),
        smc.resampler(),
    )
    return state, AnnealInfo(info.ess, info.mutate, info.resampled)


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
    state = init(rng, model, config.n_walkers, backend)
    kernel = kernel_for(config.rule)
    betas, infos = [0.0], []
    for k in range(1, K + 1):
        state, info = step(rng, state, model, config, schedule, kernel)
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
    resampled = backend.to_numpy(xp.stack(resampled)) if resampled else np.zeros(ess.size, int)
    log_w = backend.to_numpy(state.log_w)
    observables = {
        "m": backend.to_numpy(model.magnetization(state.x, dtype=xp.float64)),
        "E": backend.to_numpy(model.energy(state.x, dtype=xp.float64)),
    }
    if not resampled.any():  # independent walkers: pairs give ⟨q²⟩
        observables |= pair_observables(model, state.x, log_w, backend)
    return {
        "log_w": log_w,
        "observables": observables,
        "ess": ess,
        "acceptance": backend.to_numpy(xp.stack([info.acceptance for info in infos])),
        "resampled": resampled,
    }


def _samples(host: dict, state, model, config: AnnealingConfig, betas, seconds) -> Samples:
    """The weighted Samples of a finished run, log Ẑ with its error (islands for SMC)."""
    resampled = host["resampled"]
    islands = config.n_islands if resampled.sum() > 0 else None
    log_z, log_z_err = engine.log_z_with_error(
        host["log_w"], model.log_z0, config.n_islands, islands is not None
    )
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
