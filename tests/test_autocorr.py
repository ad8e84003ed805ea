"""Autocorrelation time, ESS and chain-mean errors against AR(1) chains with known τ_int."""

import numpy as np
import pytest

from leapsbench import autocorr


def ar1(phi, n_chains, n_steps, seed):
    """x_t = φ x_{t−1} + ε_t started in equilibrium; τ_int = (1 + φ)/(1 − φ)."""
    rng = np.random.default_rng(seed)
    eps = rng.normal(size=(n_chains, n_steps))
    x = np.empty_like(eps)
    x[:, 0] = eps[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, n_steps):
        x[:, t] = phi * x[:, t - 1] + eps[:, t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_integrated_time_of_ar1(phi):
    n_chains, n_steps = 100, 2000
    x = ar1(phi, n_chains, n_steps, seed=1)
    tau = autocorr.integrated_time(x)
    exact = (1 + phi) / (1 - phi)
    # Sokal: var(τ̂)/τ² ≈ 2(2W + 1)/N with W ≈ 5τ
    rel_sigma = np.sqrt(2 * (10 * exact + 1) / x.size)
    assert abs(tau / exact - 1) < 4 * rel_sigma
    assert autocorr.chain_ess(x) == pytest.approx(x.size / tau)


def test_chain_mean_error_matches_scatter_of_independent_chains():
    phi, n_chains = 0.8, 400
    x = ar1(phi, n_chains, 2000, seed=2)
    per_chain = np.array([autocorr.chain_mean_error(c) for c in x])
    scatter = x.mean(axis=1).std(ddof=1)
    # std of the scatter estimate: 1/sqrt(2(C−1)); per-chain τ̂ error ~ sqrt(2(2W+1)/n)/2
    rel_sigma = np.hypot(1 / np.sqrt(2 * (n_chains - 1)), 0.5 * np.sqrt(2 * 91 / 2000))
    assert abs(np.sqrt(np.mean(per_chain**2)) / scatter - 1) < 4 * rel_sigma
    pooled = autocorr.chain_mean_error(x)
    assert abs(pooled * np.sqrt(n_chains) / scatter - 1) < 4 * rel_sigma


def test_constant_chain_and_bad_shape():
    assert autocorr.integrated_time(np.ones((3, 10))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_chains, n_steps"):
        autocorr.integrated_time(np.ones((2, 3, 4)))
