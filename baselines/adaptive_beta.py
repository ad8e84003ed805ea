"""Adaptive annealing: the next β chosen so that the conditional ESS hits a target fraction.

For walkers with normalised weights W_i and energies H_i at inverse temperature β, the step
β → β + δ has incremental weights v_i = exp(−δ H_i) and conditional ESS (Zhou, Johansen & Aston
2016)

    CESS(δ) = (Σ_i W_i v_i)² / Σ_i W_i v_i²  ∈ (0, 1],   CESS(0) = 1.

The next β is β_max if CESS(β_max − β) ≥ target, else the root of CESS(δ) = target on
(0, β_max − β) found by Brent's method (host numpy, O(n) per evaluation).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp


def check_target(target) -> float:
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise ValueError(f"adaptive CESS target must be in (0, 1), got {target!r}") from None
    if not 0.0 < value < 1.0:
        raise ValueError(f"adaptive CESS target must lie in (0, 1), got {target!r}")
    return value


def conditional_ess(delta: float, energies: np.ndarray, log_weights: np.ndarray) -> float:
    """CESS(δ) of the module docstring, in log space."""
    log_w = log_weights - logsumexp(log_weights)
    log_v = -delta * energies
    return float(np.exp(2 * logsumexp(log_w + log_v) - logsumexp(log_w + 2 * log_v)))


def next_beta(
    beta: float, beta_max: float, energies: np.ndarray, log_weights: np.ndarray, target: float
) -> float:
    """The β' in (β, β_max] with CESS(β' − β) = ``target`` (β_max when even that step is mild)."""
    energies = np.asarray(energies, dtype=np.float64)
    log_weights = np.asarray(log_weights, dtype=np.float64)
    span = beta_max - beta
    if conditional_ess(span, energies, log_weights) >= target:
        return beta_max
    delta = brentq(
        lambda d: conditional_ess(d, energies, log_weights) - target,
        0.0,
        span,
        xtol=1e-12 * max(span, 1.0),
    )
    return beta + delta
