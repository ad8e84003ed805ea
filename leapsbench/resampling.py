"""Resampling of weighted walkers (SMC, LEAPS), array-API on every backend.

With unnormalised log weights ``a_i`` (w_i = exp(a_i), W_i = w_i / Σ w) of ``n`` walkers:

* ESS fraction   = (Σ w)² / (n Σ w²) = exp(2 logsumexp(a) − logsumexp(2a)) / n
  (``estimators.ess_from_log_sums``);
* systematic     : one uniform u, ancestor k = first i with C_i > (k + u)/n (C the normalised
  cumulative sum of w), so walker i is copied ⌊n W_i⌋ or ⌈n W_i⌉ times;
* multinomial    : n uniforms u_k, ancestor k = first i with C_i > u_k (i.i.d. draws).

Both are unbiased: E[#copies of i] = n W_i.  After resampling every walker gets the log weight
``log mean exp(a)``, so the weights' mean — hence ``log Z_0 + log mean exp(a)``, the estimator
of log Z — is unchanged, and SMC's product of incremental means is carried in the weights.

Ancestor functions take one population (n,) or G populations ("islands") as rows (G, n) and
return indices into each row.  Rows are handled at once: row g's cumulative weights are shifted
by g, so one 1-D ``searchsorted`` serves all rows.  :func:`resample_islands` resamples the
islands whose ESS fraction is below the threshold, without a host round trip; independent
islands give SMC an honest error bar from their spread.  Callers reorder per-walker arrays with
``xp.take(array, ancestors, axis=0)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import array_api_compat

from leapsbench.backends.numerics import log_mean_exp, logsumexp
from leapsbench.estimators import ess_from_log_sums

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
    """Kish ESS / n along the last axis: a 0-d array for (n,), shape (G,) for (G, n)."""
    xp = array_api_compat.array_namespace(log_weights)
    n = log_weights.shape[-1]
    lse = logsumexp(xp, log_weights, axis=-1)
    return ess_from_log_sums(xp, lse, logsumexp(xp, 2 * log_weights, axis=-1)) / n


def _ancestors(log_weights, positions):
    """Per row, the first index i with C_i > position (C normalised to end at 1)."""
    xp = array_api_compat.array_namespace(log_weights)
    rows = xp.reshape(log_weights, (-1, log_weights.shape[-1]))
    G, n = rows.shape
    w = xp.exp(rows - xp.max(rows, axis=-1, keepdims=True))
    cdf = xp.cumulative_sum(w, axis=-1)
    shift = xp.arange(G, dtype=cdf.dtype, device=array_api_compat.device(cdf))[:, None]
    flat_cdf = xp.reshape(cdf / cdf[:, -1:] + shift, (-1,))
    flat_pos = xp.reshape(xp.reshape(positions, (G, -1)) + shift, (-1,))
    index = xp.astype(xp.searchsorted(flat_cdf, flat_pos, side="right"), xp.int64)
    index = xp.reshape(index, (G, -1)) - xp.astype(shift, xp.int64) * n
    return xp.reshape(xp.clip(index, 0, n - 1), log_weights.shape)


def systematic_ancestors(log_weights, u):
    """Ancestor indices per row from one uniform per row, ``u`` of shape (..., 1) in [0, 1)."""
    xp = array_api_compat.array_namespace(log_weights)
    n = log_weights.shape[-1]
    grid = xp.arange(n, dtype=log_weights.dtype, device=array_api_compat.device(log_weights))
    return _ancestors(log_weights, (grid + xp.astype(u, log_weights.dtype)) / n)


def multinomial_ancestors(log_weights, u):
    """Ancestor indices from independent uniforms ``u`` in [0, 1), one per walker."""
    xp = array_api_compat.array_namespace(log_weights)
    return _ancestors(log_weights, xp.astype(u, log_weights.dtype))


def resample_ancestors(log_weights, rng, scheme: str = "systematic"):
    """Draw ancestor indices (int64, on the device, per row) with ``rng`` by ``scheme``."""
    scheme = check_scheme(scheme)
    xp = array_api_compat.array_namespace(log_weights)
    if scheme == "systematic":
        u = rng.uniform(log_weights.shape[:-1] + (1,), dtype=xp.float64)
        return systematic_ancestors(log_weights, u)
    return multinomial_ancestors(log_weights, rng.uniform(log_weights.shape, dtype=xp.float64))


def reset_weights(log_weights):
    """Every walker's log weight set to its row's log mean exp(a): the weights' mean is kept."""
    xp = array_api_compat.array_namespace(log_weights)
    return xp.zeros_like(log_weights) + log_mean_exp(xp, log_weights, axis=-1, keepdims=True)


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
    """Resample one population (n,) when ESS / n < ``threshold`` (in (0, 1]); reset weights."""
    threshold = check_threshold(threshold)
    scheme = check_scheme(scheme)
    fraction = float(ess_fraction(log_weights))
    if fraction >= threshold:
        return ResampleStep(log_weights, None, fraction)
    ancestors = resample_ancestors(log_weights, rng, scheme)
    return ResampleStep(reset_weights(log_weights), ancestors, fraction)


@dataclass(frozen=True)
class IslandStep:
    """Outcome of :func:`resample_islands`, all arrays on the device.

    ``ancestors`` (B,) are global walker indices (the identity on islands left alone),
    ``ess_fraction`` and ``resampled`` are per island (G,), before resampling.
    """

    log_weights: Any
    ancestors: Any
    ess_fraction: Any
    resampled: Any


def resample_islands(
    log_weights, rng, n_islands: int, threshold: float = 0.5, scheme: str = "systematic"
) -> IslandStep:
    """Split B walkers into ``n_islands`` consecutive blocks; resample those below threshold."""
    threshold = check_threshold(threshold)
    scheme = check_scheme(scheme)
    xp = array_api_compat.array_namespace(log_weights)
    B = log_weights.shape[0]
    if n_islands < 1 or B % n_islands:
        raise ValueError(f"{B} walkers cannot form {n_islands!r} equal islands")
    rows = xp.reshape(log_weights, (n_islands, B // n_islands))
    fraction = ess_fraction(rows)
    resampled = fraction < threshold
    local = resample_ancestors(rows, rng, scheme)
    own = xp.arange(B // n_islands, dtype=xp.int64, device=array_api_compat.device(rows))
    local = xp.where(resampled[:, None], local, own[None, :])
    start = xp.arange(n_islands, dtype=xp.int64, device=array_api_compat.device(rows))
    ancestors = xp.reshape(local + start[:, None] * (B // n_islands), (B,))
    rows = xp.where(resampled[:, None], reset_weights(rows), rows)
    return IslandStep(xp.reshape(rows, (B,)), ancestors, fraction, resampled)
