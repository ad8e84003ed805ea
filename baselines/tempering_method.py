"""Harness adapter for parallel tempering (docs/CONTRACTS.md, "Method adapters").

Name: "parallel-tempering" (:mod:`.tempering`; any model, swept by :func:`.local.model_sweep`).
Presets (C chains per temperature, K temperatures, β_min as a fraction of β, W warm-up sweeps,
S kept sweeps, the local rule):

* quick — C = 16, K = 16, β_min = 0.05, W = 200, S = 500, heat-bath;
* paper — C = 64, K = 32, β_min = 0.02, W = 2000, S = 10⁴, heat-bath (for a GPU).

``budget.n_samples`` (chains × kept sweeps at the target β) sets S = ⌈n_samples / C⌉;
``budget.sample_seconds`` runs sweeps until the time is up (the first fifth warm-up).  Cost:
``n_evaluations`` = K · C · (sweeps done).  Nothing is trained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from leapsbench.method import UntrainedMethod
from leapsbench.presets import build_method, field_types

from .local import RULES
from .tempering import run_tempering

PRESETS = {
    "quick": {
        "n_chains": 16,
        "n_temps": 16,
        "beta_min": 0.05,
        "n_warmup": 200,
        "n_samples": 500,
        "rule": "heatbath",
    },
    "paper": {
        "n_chains": 64,
        "n_temps": 32,
        "beta_min": 0.02,
        "n_warmup": 2000,
        "n_samples": 10_000,
        "rule": "heatbath",
    },
}


@dataclass(frozen=True)
class TemperingSettings:
    """C chains per temperature, K temperatures (0 and K − 1 geometric from β_min·β to β), W
    warm-up and S kept sweeps, the local ``rule``."""

    n_chains: int
    n_temps: int
    beta_min: float
    n_warmup: int
    n_samples: int
    rule: str

    def __post_init__(self):
        for key, low in (("n_chains", 1), ("n_temps", 2), ("n_warmup", 0), ("n_samples", 2)):
            if getattr(self, key) < low:
                raise ValueError(f"{key} must be >= {low}, got {getattr(self, key)}")
        if not 0 < self.beta_min <= 1:
            raise ValueError(
                f"beta_min (a fraction of beta) must be in (0, 1], got {self.beta_min}"
            )
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(RULES)}, got {self.rule!r}")

    def config(self) -> dict:
        return asdict(self)


@dataclass
class TemperingMethod(UntrainedMethod):
    """Parallel tempering; nothing to train."""

    @classmethod
    def defaults(cls, name: str, preset: str) -> dict:
        return PRESETS[preset]

    @classmethod
    def key_types(cls, name: str) -> dict:
        return field_types(TemperingSettings)

    @classmethod
    def settings_from(cls, name: str, flat: dict) -> TemperingSettings:
        return TemperingSettings(**flat)

    def sample(self, model, backend, rng, budget, progress=None):
        settings = self.settings
        if budget is not None and budget.sample_seconds is not None:
            return run_tempering(model, backend, rng, settings, budget.sample_seconds, progress)
        if budget is not None and budget.n_samples is not None:
            kept = max(2, -(-budget.n_samples // settings.n_chains))
            settings = replace(settings, n_samples=kept)
        return run_tempering(model, backend, rng, settings, progress=progress)


METHODS = {"parallel-tempering": TemperingMethod}


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> TemperingMethod:
    """Parallel tempering at ``preset`` with ``overrides`` (keys of the preset) applied."""
    return build_method(METHODS, "parallel tempering", name, preset, overrides)
