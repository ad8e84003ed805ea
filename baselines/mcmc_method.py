"""Harness adapter for MCMC chains: ``make(name, preset, overrides)`` (docs/CONTRACTS.md).

Names: "metropolis", "heatbath" (checkerboard sweeps on the sampling backend), "swendsen-wang",
"wolff" (cluster updates, numpy on the CPU).  Presets (C chains, W warm-up sweeps, S kept sweeps,
thinning T):

* quick — C = 64, W = 200, S = 500, T = 1: about a second on an 8×8 lattice on one CPU core;
* paper — C = 1000, W = 1000, S = 10⁴, T = 1 (for a GPU).

``budget.n_samples`` (chains × kept sweeps) sets S = ⌈n_samples / C⌉ (at least 2 kept sweeps
per chain, so a budget below 2·C samples is refused); ``budget.sample_seconds`` runs sweeps until
that time is up instead (:mod:`.timed_chains`: the first fifth of it warm-up).
Cost: ``n_evaluations`` = C · (W + S · T) sweeps in total (see :mod:`.chains`).
Nothing is trained; ``fit`` is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

from leapsbench.presets import checked_overrides, preset_settings

from .chains import run_chains
from .timed_chains import run_chains_for

NAMES = ("metropolis", "heatbath", "swendsen-wang", "wolff")
PRESETS = {
    "quick": {"n_chains": 64, "n_warmup": 200, "n_samples": 500, "thin": 1},
    "paper": {"n_chains": 1000, "n_warmup": 1000, "n_samples": 10_000, "thin": 1},
}


@dataclass
class MCMCMethod:
    """A chain sampler with fixed hyperparameters (``config``); nothing to train."""

    name: str
    config: dict
    param_count: int | None = None

    def fit(self, model, backend, rng, budget, progress=None) -> dict:
        return {}

    def sample(self, model, backend, rng, budget, progress=None):
        config = dict(self.config)
        if budget is not None and budget.sample_seconds is not None:
            settings = {k: config[k] for k in ("n_chains", "thin")}
            return run_chains_for(
                model,
                backend,
                rng,
                budget.sample_seconds,
                rule=self.name,
                progress=progress,
                **settings,
            )
        if budget is not None and budget.n_samples is not None:
            config["n_samples"] = _kept_sweeps(budget.n_samples, config["n_chains"])
        return run_chains(model, backend, rng, rule=self.name, progress=progress, **config)


def _kept_sweeps(n_samples: int, n_chains: int) -> int:
    """⌈n_samples / C⌉ kept sweeps; refused below 2 per chain (no error bar from one sweep)."""
    if n_samples < 2 * n_chains:
        raise ValueError(
            f"n_samples={n_samples} is fewer than 2 kept sweeps of n_chains={n_chains} chains "
            f"(at least {2 * n_chains}); lower n_chains with --set n_chains=... or ask for more"
        )
    return -(-n_samples // n_chains)


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> MCMCMethod:
    """The MCMC sampler ``name`` at ``preset`` with ``overrides`` (keys of the preset) applied."""
    if name not in NAMES:
        raise ValueError(f"unknown MCMC method {name!r}; known: {', '.join(NAMES)}")
    settings = preset_settings(name, preset, PRESETS)
    overrides = checked_overrides(name, overrides, settings)
    config = {**settings, **{k: int(v) for k, v in overrides.items()}}
    for key, value in config.items():
        if value < (0 if key == "n_warmup" else 1):
            raise ValueError(f"{key} must be positive, got {value}")
    return MCMCMethod(name=name, config=config)
