"""Harness adapter for AIS and SMC: ``make(name, preset, overrides)`` (docs/CONTRACTS.md).

Presets (B walkers, K steps, M sweeps per step; cost B · K · (M + 1) energy evaluations):

* quick — B = 1000, K = 100, M = 1: about a second on a 4×4 lattice on one CPU core;
* paper — B = 10⁴, K = 1000, M = 1: the strong baseline "at equal cost" (for a GPU).

``budget.n_samples`` overrides B; ``budget.sample_seconds`` chooses K (and, for very short
budgets, B) from a timing probe (:mod:`.timed_annealing`).
SMC resamples systematically when ESS / B < 0.5, in 10 islands (for its error
bar; B must then be a multiple of 10), unless overridden.
"""

from __future__ import annotations

from dataclasses import dataclass

from leapsbench.presets import checked_overrides, preset_settings

from .annealing import AnnealingConfig, anneal
from .timed_annealing import anneal_for

NAMES = ("ais", "smc")
PRESETS = {
    "quick": {"n_walkers": 1000, "n_steps": 100, "n_sweeps": 1},
    "paper": {"n_walkers": 10_000, "n_steps": 1000, "n_sweeps": 1},
}
COMMON_KEYS = ("n_walkers", "n_steps", "n_sweeps", "rule", "schedule", "adaptive_cess")
SMC_KEYS = ("resampling", "threshold", "n_islands")


@dataclass
class AnnealingMethod:
    """An AIS or SMC sampler with fixed hyperparameters (``config``); nothing to train."""

    name: str
    config: dict
    param_count: int | None = None

    def fit(self, model, backend, rng, budget, progress=None) -> dict:
        return {}

    def sample(self, model, backend, rng, budget, progress=None):
        config = dict(self.config)
        if budget is not None and budget.n_samples is not None:
            config["n_walkers"] = budget.n_samples
        if budget is not None and budget.sample_seconds is not None:
            seconds = budget.sample_seconds
            return anneal_for(model, backend, rng, AnnealingConfig(**config), seconds, progress)
        return anneal(model, backend, rng, AnnealingConfig(**config), progress)


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> AnnealingMethod:
    """AIS (``name="ais"``) or SMC (``"smc"``) at ``preset`` with ``overrides`` applied."""
    if name not in NAMES:
        raise ValueError(f"unknown annealing method {name!r}; known: {', '.join(NAMES)}")
    settings = preset_settings(name, preset, PRESETS)
    overrides = checked_overrides(
        name, overrides, COMMON_KEYS + (SMC_KEYS if name == "smc" else ())
    )
    smc_defaults = {"resampling": "systematic", "n_islands": 10} if name == "smc" else {}
    settings.update(smc_defaults)
    config = AnnealingConfig(**{**settings, **overrides}).config()
    return AnnealingMethod(name=name, config=config)
