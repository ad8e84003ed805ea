"""The one interface every method (LEAPS, MCMC, AIS/SMC, VAN, TwoBo) offers the harness.

A family module exports ``METHODS`` (name → adapter class) and ``make(name, preset, overrides)``,
which builds the adapter through :func:`leapsbench.presets.build_method`: the preset and the
overrides are validated once, into the adapter's typed ``settings`` (frozen dataclasses); the
flat ``config`` dict is derived from them (it names the run's hyperparameters in rows; its
``training_config`` part is hashed for the checkpoint cache).  The harness calls ``fit`` once
and then ``sample``; a method that ``trains`` is cached with ``save``/``load`` and keeps its
training state in ``training_checkpoint``.  Methods never format output.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from leapsbench.samples import Samples


class NotApplicable(ValueError):
    """Raised by a method that does not apply to a benchmark (e.g. cluster updates with a field);
    the run is recorded with status "n/a" rather than as a failure."""


@dataclass(frozen=True)
class Budget:
    """How much a run may spend; ``None`` means the preset's default.  A budget replaces the
    preset's value, for every method alike (it wins).

    ``train_steps``/``train_seconds`` bound training, ``n_samples`` the number of samples (or
    chains × kept sweeps for MCMC), ``sample_seconds`` the sampling wall time.  ``seconds`` is
    the total wall time of a run, training included (the runner splits it: training gets at most
    ``train_share`` · T, sampling the rest, :func:`leapsbench.harness.runner.split_seconds`); it
    replaces the other budgets, so it cannot be combined with them.  Every value is checked here:
    a budget that cannot be honoured is refused with the bad value named.
    """

    train_steps: int | None = None
    train_seconds: float | None = None
    n_samples: int | None = None
    sample_seconds: float | None = None
    seconds: float | None = None
    train_share: float | None = None

    def __post_init__(self):
        for key, low in (("train_steps", 1), ("n_samples", 1)):
            value = getattr(self, key)
            if value is not None and (not _is_int(value) or value < low):
                raise ValueError(f"budget {key} must be an integer >= {low}, got {value!r}")
        for key in ("train_seconds", "sample_seconds", "seconds"):
            value = getattr(self, key)
            if value is not None and not (_is_real(value) and 0 < value < math.inf):
                raise ValueError(f"budget {key} must be a finite number > 0, got {value!r}")
        share = self.train_share
        if share is not None and not (_is_real(share) and 0 < share < 1):
            raise ValueError(f"budget train_share must be in (0, 1), got {share!r}")
        if self.seconds is not None:
            others = [k for k in OTHER_BUDGETS if getattr(self, k) is not None]
            if others:
                raise ValueError(
                    f"budget seconds (the total wall time) cannot be combined with "
                    f"{', '.join(others)}: give either the total time or the other budgets"
                )
        elif share is not None:
            raise ValueError("budget train_share splits --seconds; give seconds too")


OTHER_BUDGETS = ("train_steps", "train_seconds", "n_samples", "sample_seconds")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Method(Protocol):
    name: str
    preset: str
    settings: Any
    """The typed configuration (a frozen dataclass), validated when the method was built."""
    trains: ClassVar[bool]
    """Whether ``fit`` trains anything; the harness caches only methods that train."""
    training_checkpoint: str | None
    """A file for the training state, set by the harness before ``fit`` (resumed from)."""

    @property
    def config(self) -> dict[str, Any]:
        """Every hyperparameter as one flat JSON-serialisable dict, derived from ``settings``."""

    @property
    def training_config(self) -> dict[str, Any]:
        """The part of ``config`` that determines the training (hashed for the checkpoint cache;
        the rest, e.g. sampler settings, may differ between runs sharing a checkpoint)."""

    @property
    def param_count(self) -> int | None:
        """Number of trained parameters (None for samplers without any)."""

    def fit(self, model, backend, rng, budget: Budget, progress=None) -> dict[str, Any]:
        """Train (or do nothing); returns a dict of training diagnostics (seconds, steps, ...)."""

    def sample(self, model, backend, rng, budget: Budget, progress=None) -> Samples:
        """Draw samples on ``backend`` (weighted or chains)."""

    def save(self, path) -> None:
        """Write the trained state to the directory ``path`` (nothing for untrained methods)."""

    def load(self, path, model) -> None:
        """Read the trained state saved at ``path`` for ``model`` (nothing for untrained ones)."""


@dataclass
class Adapter:
    """The skeleton every family's adapter class extends: ``name``, ``preset``, the typed
    ``settings`` and the flat ``config`` derived from them.  The class methods ``defaults``,
    ``key_types`` and ``settings_from`` (:mod:`leapsbench.presets`) say how it is built;
    ``KEY_HINTS`` maps keys that are deliberately not hyperparameters to a hint for the error."""

    name: str
    preset: str
    settings: Any
    training_checkpoint: str | None = None
    KEY_HINTS: ClassVar[dict[str, str]] = {}

    @property
    def config(self) -> dict[str, Any]:
        return self.settings.config()

    @property
    def training_config(self) -> dict[str, Any]:
        """All of ``config`` unless the family says which keys only concern sampling."""
        return self.config


@dataclass
class UntrainedMethod(Adapter):
    """The adapter of a sampler with nothing to train (MCMC, AIS/SMC): ``fit`` does nothing and
    returns {}, ``save``/``load`` have nothing to write or read.  Subclasses define ``sample``."""

    trains: ClassVar[bool] = False
    param_count: ClassVar[None] = None

    def fit(self, model, backend, rng, budget: Budget | None, progress=None) -> dict[str, Any]:
        return {}

    def save(self, path) -> None:
        """Nothing was trained: nothing to save."""

    def load(self, path, model) -> None:
        """Nothing was trained: nothing to load."""
