"""Resampling of weighted walkers (SMC, LEAPS), array-API on every backend.

With unnormalised log weights ``a_i`` (w_i = exp(a_i), W_i = w_i / Σ w) of ``n`` walkers:

* ESS fraction   = (Σ w)² / (n Σ w²) = exp(2 logsumexp(a) − logsumexp(2a)) / n;
* systematic     : one uniform u, ancestor k = first i with C_i > (k + u)/n · C_n (C the
  cumulative sum of w), so walker i is copied ⌊n W_i⌋ or ⌈n W_i⌉ times;
* multinomial    : n uniforms u_k, ancestor k = first i with C_i > u_k · C_n (i.i.d. draws).

Both are unbiased: E[#copies of i] = n W_i.  After resampling every walker gets the log weight
``log mean exp(a)``, so the weights' mean — hence ``log Z_0 + log mean exp(a)``, the estimator
of log Z — is unchanged, and SMC's product of incremental means is carried in the weights.

Callers reorder their per-walker arrays with ``xp.take(array, ancestors, axis=0)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import array_api_compat

from leapsbench.backends.numerics import log_mean_exp, logsumexp

SCHEMES = ("systematic", "multinomial")


def check_scheme(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    return scheme


def check_threshold(threshold) -> float:
    """An ESS-fraction threshold must lie in (0, 1]."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"ESS threshold must be a number in (0, 1], got {threshold!r}") from None
    if not 0.0 < value <= 1.0:
        raise ValueError(f"ESS threshold must lie in (0, 1], got {threshold!r}")
    return value


def ess_fraction(log_weights):
    """Kish ESS / n = exp(2 logsumexp(a) − logsumexp(2a)) / n, a 0-d array on the device."""
    xp = array_api_compat.array_namespace(log_weights)
    n = log_weights.shape[0]
    return xp.exp(2 * logsumexp(xp, log_weights) - logsumexp(xp, 2 * log_weights)) / n


def _cumulative_weights(log_weights):
    xp = array_api_compat.array_namespace(log_weights)
    return xp.cumulative_sum(xp.exp(log_weights - xp.max(log_weights)))


def _ancestors_at(cdf, positions):
    """First index i with C_i > position, clipped to the last walker (float round-off)."""
    xp = array_api_compat.array_namespace(cdf)
    index = xp.astype(xp.searchsorted(cdf, positions, side="right"), xp.int64)
    return xp.clip(index, 0, cdf.shape[0] - 1)


def systematic_ancestors(log_weights, u):
    """Ancestor indices (n,) from one uniform ``u`` (a (1,) or 0-d array in [0, 1))."""
    xp = array_api_compat.array_namespace(log_weights)
    n = log_weights.shape[0]
    cdf = _cumulative_weights(log_weights)
    grid = xp.arange(n, dtype=cdf.dtype, device=array_api_compat.device(cdf))
    positions = (grid + xp.reshape(xp.astype(u, cdf.dtype), (-1,))) / n * cdf[-1]
    return _ancestors_at(cdf, positions)


def multinomial_ancestors(log_weights, u):
    """Ancestor indices (n,) from ``n`` independent uniforms ``u`` in [0, 1)."""
    xp = array_api_compat.array_namespace(log_weights)
    cdf = _cumulative_weights(log_weights)
    return _ancestors_at(cdf, xp.astype(u, cdf.dtype) * cdf[-1])


def resample_ancestors(log_weights, rng, scheme: str = "systematic"):
    """Draw ancestor indices (int64, on the device) with ``rng`` by ``scheme``."""
    scheme = check_scheme(scheme)
    xp = array_api_compat.array_namespace(log_weights)
    n = log_weights.shape[0]
    if scheme == "systematic":
        return systematic_ancestors(log_weights, rng.uniform((1,), dtype=xp.float64))
    return multinomial_ancestors(log_weights, rng.uniform((n,), dtype=xp.float64))


def reset_weights(log_weights):
    """Every walker's log weight set to log mean exp(a): the weights' mean is kept."""
    xp = array_api_compat.array_namespace(log_weights)
    return xp.zeros_like(log_weights) + log_mean_exp(xp, log_weights)


@dataclass(frozen=True)
class ResampleStep:
    """Outcome of :func:`resample_if_needed`.

    ``ancestors`` is None when the ESS fraction was at or above the threshold (nothing moved);
    ``ess_fraction`` is the fraction before resampling, as a Python float.
    """

    log_weights: Any
    ancestors: Any
    ess_fraction: float

    @property
    def resampled(self) -> bool:
        return self.ancestors is not None


def resample_if_needed(
    log_weights, rng, threshold: float = 0.5, scheme: str = "systematic"
) -> ResampleStep:
    """Resample when ESS / n < ``threshold`` (in (0, 1]); weights are then reset equal."""
    threshold = check_threshold(threshold)
    scheme = check_scheme(scheme)
    fraction = float(ess_fraction(log_weights))
    if fraction >= threshold:
        return ResampleStep(log_weights, None, fraction)
    ancestors = resample_ancestors(log_weights, rng, scheme)
    return ResampleStep(reset_weights(log_weights), ancestors, fraction)
