"""Harness adapter for AIS and SMC (docs/CONTRACTS.md, "Method adapters").

Presets (B walkers, K steps, M sweeps per step; cost B · K · (M + 1) energy evaluations):

* quick — B = 1000, K = 100, M = 1 (small lattices on one CPU core; timing in docs/perf.md);
* paper — B = 10⁴, K = 1000, M = 1: the strong baseline "at equal cost" (for a GPU).

``budget.n_samples`` overrides B (the cost is fixed by K and M); ``budget.sample_seconds``
chooses K (and, for very short budgets, B) from a timing probe (:mod:`.timed_annealing`).
SMC resamples systematically when ESS / B < 0.5, in 10 islands (for its error bar; B must then
be a multiple of 10), unless overridden; AIS takes no resampling keys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from leapsbench.method import UntrainedMethod
from leapsbench.presets import build_method

from .annealing import KEY_TYPES, AnnealingConfig, anneal
from .timed_annealing import anneal_for

PRESETS = {
    "quick": {"n_walkers": 1000, "n_steps": 100, "n_sweeps": 1},
    "paper": {"n_walkers": 10_000, "n_steps": 1000, "n_sweeps": 1},
}
SMC_DEFAULTS = {"resampling": "systematic", "n_islands": 10}
SMC_KEYS = ("resampling", "threshold", "n_islands")


@dataclass
class AnnealingMethod(UntrainedMethod):
    """AIS (``name="ais"``) or SMC (``"smc"``); ``settings`` is an :class:`AnnealingConfig`."""

    @classmethod
    def defaults(cls, name: str, preset: str) -> dict:
        smc = SMC_DEFAULTS if name == "smc" else {}
        return AnnealingConfig(**PRESETS[preset], **smc).config()

    @classmethod
    def key_types(cls, name: str) -> dict:
        types = {k: v for k, v in KEY_TYPES.items() if name == "smc" or k not in SMC_KEYS}
        return {**types, "schedule": (dict, str)}  # a name is short for {"name": name}

    @classmethod
    def settings_from(cls, name: str, flat: dict) -> AnnealingConfig:
        return AnnealingConfig(**flat)

    def sample(self, model, backend, rng, budget, progress=None):
        settings = self.settings
        if budget is not None and budget.n_samples is not None:
            settings = replace(settings, n_walkers=budget.n_samples)
        if budget is not None and budget.sample_seconds is not None:
            return anneal_for(model, backend, rng, settings, budget.sample_seconds, progress)
        return anneal(model, backend, rng, settings, progress)


METHODS = {"ais": AnnealingMethod, "smc": AnnealingMethod}


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> AnnealingMethod:
    """AIS (``name="ais"``) or SMC (``"smc"``) at ``preset`` with ``overrides`` applied."""
    return build_method(METHODS, "annealing", name, preset, overrides)
