"""Integrated autocorrelation time, ESS and error of chain means, batched over chains.

For chains x_c(t), c = 1..C, t = 0..n−1, the autocovariance at lag t is averaged over chains
(each chain centred on the grand mean, so that between-chain scatter counts as variance):

    Γ(t) = 1/C Σ_c 1/n Σ_s (x_c(s) − x̄)(x_c(s+t) − x̄),   ρ(t) = Γ(t)/Γ(0),

computed for all lags at once by FFT.  The integrated autocorrelation time is

    τ_int(W) = 1 + 2 Σ_{t=1}^{W} ρ(t)        (τ_int = 1 for independent samples),

with Sokal's automatic window: the smallest W with W ≥ c · max(τ_int(W), 1) (c = 5).  Then

    ESS = C · n / τ_int,     σ(x̄) = sqrt(Γ(0) · τ_int / (C · n)).

τ_int is clipped to ≥ 1, so that ESS ≤ C · n (an estimate below 1 comes from anticorrelated or
too-short chains and is not trusted).  Chains too short for any window (no W ≤ n − 1 with
W ≥ c · τ_int(W)) give an unreliable τ_int; with ``strict=True`` that is a ValueError.

Several independent chains give a second estimator that needs no window (:func:`spread_ess`):
each chain mean has variance Γ(0) τ_int / n, so with s² the sample variance of the C chain means

    ESS = C · Γ(0) / s²    (clipped to ≤ C · n),

which stays honest however short the chains are, but is as noisy as a variance from C values.
"""

from __future__ import annotations

import numpy as np


def _as_chains(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"expected chains shaped (n_chains, n_steps >= 2), got shape {x.shape}")
    return x


def autocorrelation(x) -> np.ndarray:
    """ρ(t) for t = 0..n−1 of chains ``x`` (n_chains, n_steps), averaged over chains (FFT)."""
    x = _as_chains(x)
    n = x.shape[1]
    centred = x - x.mean()
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n].mean(axis=0) / n
    if acov[0] <= 0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    return acov / acov[0]


def integrated_time(x, c: float = 5.0, strict: bool = False) -> float:
    """τ_int = 1 + 2 Σ_{t≤W} ρ(t) with the smallest window W ≥ c τ_int(W), clipped to ≥ 1
    (module docstring); ``strict``: a ValueError when the chains are too short for a window."""
    if not c > 0:
        raise ValueError(f"window constant c must be > 0, got {c!r}")
    rho = autocorrelation(x)
    taus = 2.0 * np.cumsum(rho) - 1.0
    windows = np.arange(taus.size)
    ok = windows >= c * np.maximum(taus, 1.0)  # W >= c at least, whatever the noise in ρ
    if strict and not ok.any():
        raise ValueError(
            f"chains of {taus.size} steps are too short to estimate the autocorrelation time "
            f"(no window W < {taus.size} with W >= {c:g} max(τ_int(W), 1)); about "
            f"{_steps_needed(taus, c)} steps per chain would do, or run several chains (the "
            "spread of their means then gives the error bar)"
        )
    window = int(np.argmax(ok)) if ok.any() else taus.size - 1
    return float(max(taus[window], 1.0))


def _steps_needed(taus: np.ndarray, c: float) -> int:
    """A window's worth of steps: c · τ_int at the longest window tried, doubled for margin."""
    return int(np.ceil(2 * c * max(float(taus[-1]), 1.0))) + 1


def chain_ess(x, c: float = 5.0, strict: bool = False) -> float:
    """Effective sample size C · n / τ_int ≤ C · n of chains ``x`` (n_chains, n_steps)."""
    x = _as_chains(x)
    return float(x.size / integrated_time(x, c, strict))


ess = chain_ess


def spread_ess(x) -> float:
    """C · Γ(0) / s² ≤ C · n from the spread s² of the chain means (module docstring); needs
    C >= 2 chains (a ValueError otherwise).  Equal chain means give C · n."""
    x = _as_chains(x)
    if x.shape[0] < 2:
        raise ValueError(f"the spread of chain means needs >= 2 chains, got {x.shape[0]}")
    spread = x.mean(axis=1).var(ddof=1)
    if spread <= 0:
        return float(x.size)
    return float(min(x.shape[0] * x.var() / spread, x.size))


def chain_mean_error(x, c: float = 5.0) -> float:
    """Standard error of the grand mean of chains ``x``: sqrt(Γ(0) τ_int / (C n))."""
    x = _as_chains(x)
    return float(np.sqrt(x.var() * integrated_time(x, c) / x.size))
