"""The one result type every sampler returns: weighted (IS, AIS, SMC, LEAPS, VAN) or chains."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Samples:
    """What a sampler produced, on the host, ready for the estimators.

    Weighted samplers set ``log_weights`` (B,) — log of the unnormalised importance weight of each
    sample, such that ``log_z0 + log mean exp(log_weights)`` estimates log Z (or set ``log_z``
    directly, e.g. SMC's product of incremental means).  Chain samplers leave ``log_weights``
    ``None`` and give observables of shape (n_chains, n_steps).

    ``observables`` maps a name (at least ``"m"`` and ``"E"``) to a numpy array.
    ``x`` holds final configurations when the sampler was asked to keep them (backend array).
    ``n_evaluations`` counts energy or network evaluations (one per configuration evaluated, the
    total over the whole sample, sampling only), a machine-independent cost;
    ``n_network_evaluations`` is the part of it that are network passes (the rest are energy
    evaluations or sweeps).  ``diagnostics``
    holds per-step traces (ESS over t, jump counts...).  ``islands`` is set by samplers whose
    resampling correlated the walkers: they form that many independent, equal, contiguous islands,
    and error bars come from the spread between islands (:mod:`leapsbench.estimators`).
    """

    observables: dict[str, np.ndarray]
    log_weights: np.ndarray | None = None
    log_z: float | None = None
    log_z_err: float | None = None
    x: Any = None
    n_evaluations: int = 0
    n_network_evaluations: int = 0
    seconds: float = 0.0
    diagnostics: dict[str, Any] = field(default_factory=dict)
    islands: int | None = None

    @property
    def is_weighted(self) -> bool:
        return self.log_weights is not None

    @property
    def n_samples(self) -> int:
        m = self.observables["m"]
        return int(m.size)
