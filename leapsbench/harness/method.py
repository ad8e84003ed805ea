"""The uniform interface every method (LEAPS, MCMC, AIS/SMC, VAN, TwoBo) offers the harness.

A method is built by a factory ``make(preset: str, overrides: dict) -> Method``; the harness calls
``fit`` once (training; a no-op for MCMC/AIS) and then ``sample``.  Methods never format output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from leapsbench.samples import Samples


class NotApplicable(ValueError):
    """Raised by a method that does not apply to a benchmark (e.g. cluster updates with a field);
    the run is recorded with status "n/a" rather than as a failure."""


@dataclass(frozen=True)
class Budget:
    """How much a run may spend; ``None`` means the preset's default.

    ``train_steps``/``train_seconds`` bound training, ``n_samples`` the number of samples (or
    chains × kept sweeps for MCMC), ``sample_seconds`` the sampling wall time.
    """

    train_steps: int | None = None
    train_seconds: float | None = None
    n_samples: int | None = None
    sample_seconds: float | None = None


class Method(Protocol):
    name: str
    config: dict[str, Any]

    def fit(self, model, backend, rng, budget: Budget, progress=None) -> dict[str, Any]:
        """Train (or do nothing); returns a dict of training diagnostics (seconds, steps, ...)."""

    def sample(self, model, backend, rng, budget: Budget, progress=None) -> Samples:
        """Draw samples on ``backend`` (weighted or chains)."""

    @property
    def param_count(self) -> int | None:
        """Number of trained parameters (None for samplers without any)."""
