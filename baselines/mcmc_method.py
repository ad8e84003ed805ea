"""Harness adapter for MCMC chains (docs/CONTRACTS.md, "Method adapters").

Names: "metropolis", "heatbath" (checkerboard sweeps on the sampling backend), "swendsen-wang",
"wolff" (cluster updates, numpy on the CPU).  Presets (C chains, W warm-up sweeps, S kept sweeps,
thinning T):

* quick — C = 64, W = 200, S = 500, T = 1 (a quick run on one CPU core);
* paper — C = 1000, W = 1000, S = 10⁴, T = 1 (for a GPU).

``budget.n_samples`` (chains × kept sweeps) sets S = ⌈n_samples / C⌉ (at least 2 kept sweeps
per chain, so a budget below 2·C samples is refused); ``budget.sample_seconds`` runs sweeps until
that time is up instead (:mod:`.timed_chains`: the first fifth of it warm-up).  Cost:
``n_evaluations`` = C · (W + S · T) sweeps in total (see :mod:`.chains`).  Nothing is trained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from leapsbench.method import UntrainedMethod
from leapsbench.presets import build_method, field_types

from .chains import run_chains
from .timed_chains import run_chains_for

PRESETS = {
    "quick": {"n_chains": 64, "n_warmup": 200, "n_samples": 500, "thin": 1},
    "paper": {"n_chains": 1000, "n_warmup": 1000, "n_samples": 10_000, "thin": 1},
}


MIN_ONE_CHAIN_STEPS = 6
"""Sokal's window needs W >= 5 lags, so one chain needs at least 6 steps (leapsbench.autocorr)."""


@dataclass(frozen=True)
class ChainSettings:
    """C chains, W warm-up sweeps, S kept sweeps, every T-th kept (W >= 0, the others >= 1)."""

    n_chains: int
    n_warmup: int
    n_samples: int
    thin: int

    def __post_init__(self):
        for key, value in self.config().items():
            low = 0 if key == "n_warmup" else 1
            if value < low:
                raise ValueError(f"{key} must be >= {low}, got {value}")
        if self.n_chains == 1 and self.n_samples < MIN_ONE_CHAIN_STEPS:
            raise ValueError(
                f"one chain of n_samples={self.n_samples} kept sweeps is too short for an "
                f"autocorrelation window (at least {MIN_ONE_CHAIN_STEPS}); ask for more, or for "
                "several chains (--set n_chains=...: the spread of their means gives the error bar)"
            )

    def config(self) -> dict:
        return asdict(self)


@dataclass
class MCMCMethod(UntrainedMethod):
    """A chain sampler with the rule ``name``; nothing to train."""

    @classmethod
    def defaults(cls, name: str, preset: str) -> dict:
        return PRESETS[preset]

    @classmethod
    def key_types(cls, name: str) -> dict:
        return field_types(ChainSettings)

    @classmethod
    def settings_from(cls, name: str, flat: dict) -> ChainSettings:
        return ChainSettings(**flat)

    def sample(self, model, backend, rng, budget, progress=None):
        settings = self.settings
        if budget is not None and budget.sample_seconds is not None:
            return run_chains_for(
                model,
                backend,
                rng,
                budget.sample_seconds,
                settings.n_chains,
                settings.thin,
                rule=self.name,
                progress=progress,
            )
        if budget is not None and budget.n_samples is not None:
            kept = _kept_sweeps(budget.n_samples, settings.n_chains)
            settings = replace(settings, n_samples=kept)
        return run_chains(
            model, backend, rng, rule=self.name, progress=progress, **settings.config()
        )


def _kept_sweeps(n_samples: int, n_chains: int) -> int:
    """⌈n_samples / C⌉ kept sweeps; refused below 2 per chain (no error bar from one sweep)."""
    if n_samples < 2 * n_chains:
        raise ValueError(
            f"n_samples={n_samples} is fewer than 2 kept sweeps of n_chains={n_chains} chains "
            f"(at least {2 * n_chains}); lower n_chains with --set n_chains=... or ask for more"
        )
    return -(-n_samples // n_chains)


METHODS = {name: MCMCMethod for name in ("metropolis", "heatbath", "swendsen-wang", "wolff")}


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> MCMCMethod:
    """The MCMC sampler ``name`` at ``preset`` with ``overrides`` (keys of the preset) applied."""
    return build_method(METHODS, "MCMC", name, preset, overrides)
