"""Estimators for weighted samples, shared by every importance-weighted method.

With unnormalised log weights ``a_i`` (so that ``w_i = exp(a_i)`` and E[w] = Z / Z_0):

* Kish ESS  = (Σ w)² / Σ w²;
* log Ẑ     = log Z_0 + log( (1/n) Σ w_i ), error from the delta method σ(w̄)/w̄ = std(w)/(√n w̄);
* ⟨f⟩       = Σ w_i f_i / Σ w_i (self-normalised), error² ≈ Σ w_i² (f_i − ⟨f⟩)² / (Σ w)².

After resampling (SMC) walkers are correlated through their ancestry and the per-walker errors
above are too small.  With G independent islands of equal size (contiguous in the arrays) the
islands are the independent units instead: with W_g = Σ_{i∈g} w_i and f̄_g = Σ_{i∈g} w_i f_i / W_g,

* log Ẑ error = std_g(W_g) / (√G · mean_g W_g);
* ⟨f⟩ error² = G / (G − 1) · Σ_g W_g² (f̄_g − ⟨f⟩)² / (Σ_g W_g)²  (ratio estimator over islands);

with a single island there is no honest error and both are None.  Likewise every error here is
None, never 0 or NaN, when it rests on fewer than two samples; and the Kish ESS never exceeds n.

All inputs are host numpy arrays (convert with ``Backend.to_numpy``); weights stay in log space.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

MIN_ESS_FOR_ERROR = 2.0
"""A weighted mean gets no error bar below this Kish ESS (:func:`weighted_mean`)."""


def normalised_weights(log_weights: np.ndarray) -> np.ndarray:
    """w_i / Σ w, computed in log space."""
    log_weights = np.asarray(log_weights, dtype=np.float64)
    return np.exp(log_weights - logsumexp(log_weights))


def ess_from_log_sums(xp, log_sum, log_sum_squares):
    """Kish ESS (Σ w)² / Σ w² = exp(2 log Σ w − log Σ w²) from the two log-sums, in any array
    namespace ``xp``: the one ESS formula (:func:`kish_ess`, ``resampling.ess_fraction`` and the
    SMC engine, ``leapsbench.smc``, use it; host sums come from scipy, device sums from
    ``backends.numerics.logsumexp``)."""
    return xp.exp(2 * log_sum - log_sum_squares)


def kish_ess(log_weights: np.ndarray) -> float:
    """(Σ w)² / Σ w² — equals n for equal weights and 1 when one weight dominates (≤ n, also
    after rounding)."""
    log_weights = np.asarray(log_weights, dtype=np.float64)
    ess = float(ess_from_log_sums(np, logsumexp(log_weights), logsumexp(2 * log_weights)))
    return min(ess, float(log_weights.size))


def log_mean_exp(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(logsumexp(values) - np.log(values.size))


def log_z_estimate(log_weights: np.ndarray, log_z0: float = 0.0) -> tuple[float, float | None]:
    """(log Ẑ, its standard error): log Z_0 + log mean w, error std(w)/(√n · mean w) (None for
    n = 1)."""
    w = normalised_weights(log_weights) * len(log_weights)  # w_i / w̄
    err = float(np.std(w, ddof=1) / np.sqrt(len(w))) if len(w) > 1 else None
    return log_z0 + log_mean_exp(log_weights), err


def weighted_mean(
    values: np.ndarray, log_weights: np.ndarray | None = None
) -> tuple[float, float | None]:
    """Self-normalised weighted mean of ``values`` and its delta-method standard error (None for
    a single value, and where the weights' Kish ESS 1/Σw² is below MIN_ESS_FOR_ERROR: one sample
    carries the weight, its spread cannot be measured, and the delta method would say ≈ 0).

    With ``log_weights=None`` the samples are equally weighted and the error is std/√n.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 2:
        return float(values.mean()), None
    if log_weights is None:
        return float(values.mean()), float(np.std(values, ddof=1) / np.sqrt(values.size))
    log_weights = np.asarray(log_weights).ravel()
    w = normalised_weights(log_weights)
    mean = float(np.sum(w * values))
    if kish_ess(log_weights) < MIN_ESS_FOR_ERROR:
        return mean, None
    return mean, float(np.sqrt(np.sum(w**2 * (values - mean) ** 2)))


def island_log_z_error(log_weights: np.ndarray, n_islands: int) -> float | None:
    """Standard error of log Ẑ from the spread of the islands' total weights (module docstring)."""
    if n_islands < 2:
        return None
    island_log_sums = logsumexp(np.reshape(log_weights, (n_islands, -1)), axis=1)
    return log_z_estimate(island_log_sums)[1]


def island_weighted_mean(
    values: np.ndarray, log_weights: np.ndarray, n_islands: int
) -> tuple[float, float | None]:
    """Self-normalised mean of ``values`` and its error over G islands (module docstring)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    w = normalised_weights(np.asarray(log_weights).ravel())
    mean = float(np.sum(w * values))
    if n_islands < 2:
        return mean, None
    W = np.sum(np.reshape(w, (n_islands, -1)), axis=1)  # Σ_g W_g = 1
    island_means = np.sum(np.reshape(w * values, (n_islands, -1)), axis=1) / W
    err2 = n_islands / (n_islands - 1) * np.sum(W**2 * (island_means - mean) ** 2)
    return mean, float(np.sqrt(err2))
