"""LEAPS CTMC sampler: exact propagation of the discrete-time weights, closed forms, statistics."""

import itertools
from dataclasses import dataclass

import array_api_extra as xpx
import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.estimators import kish_ess
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.leaps.ctmc import (
    CTMCConfig,
    _euler_increment,
    backward_rates,
    jump_rates,
    leaps_sample,
    log_kernel,
)
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising, potts
from leapsbench.params import params_to


def _all_states(model):
    values = itertools.product(range(model.q), repeat=model.n_sites)
    return model.from_values(np.array(list(values), dtype=np.int8).reshape(-1, *model.shape))


def _expected_weight_mass(model, network, params, n_steps, floor, weights="exact"):
    """V_N(y) = E[exp(A_N) 1{X_N = y}] by exact propagation over all states, with the sampler's
    own kernel code: V_{k+1}(y) = Σ_x V_k(x) F(x→y) exp(ΔA(x, y)), V_0 uniform.  Unbiased weights
    give V_N(y) = e^{−βH(y)} / Z_0 for every y.
    """
    states = _all_states(model)
    S, h = len(states), 1.0 / n_steps
    onehot = xpx.one_hot(model.to_values(states).astype(np.int64), model.q, xp=np)
    energy = model.energy(states)
    V = np.full(S, 1.0 / S)
    for k in range(n_steps):
        t, t_next = k * h, (k + 1) * h
        forward, _ = jump_rates(network.apply(params, states, t), onehot, floor)
        G_next = network.apply(params, states, t_next)
        reverse_next = backward_rates(model, G_next, states, onehot, model.beta * t_next, floor)
        moved = np.any(onehot[:, None] != onehot[None, :], axis=-1)  # (x, y, Lx, Ly)
        with np.errstate(divide="ignore"):
            log_f = np.array(
                [log_kernel(forward[[x]].repeat(S, 0), moved[x], onehot, h) for x in range(S)]
            )
            log_b = np.array(
                [
                    log_kernel(reverse_next[[y]].repeat(S, 0), moved[:, y], onehot, h)
                    for y in range(S)
                ]
            ).T  # log_b[x, y] = log B(x | y)
        np.testing.assert_allclose(np.exp(log_f).sum(axis=1), 1.0, atol=1e-12)  # normalised
        log_rho = -model.beta * t * energy
        log_rho_next = -model.beta * t_next * energy
        # the sampler's increment log B − log F enters only where the forward move is possible
        with np.errstate(invalid="ignore"):
            step = log_f + (log_b - log_f) + log_rho_next[None, :] - log_rho[:, None]
        if weights == "euler":  # ΔA depends on x only
            G = network.apply(params, states, t)
            increment = _euler_increment(
                model, model.beta * t, model.beta, states, G, onehot, floor, h
            )
            step = log_f + increment[:, None]
        V = (V[:, None] * np.where(np.isfinite(log_f), np.exp(step), 0.0)).sum(0)
    return V


def _expected_z_ratio(model, network, params, n_steps, floor, weights="exact"):
    """E[Ẑ]/Z = Z_0 Σ_y V_N(y) / Z (:func:`_expected_weight_mass`)."""
    V = _expected_weight_mass(model, network, params, n_steps, floor, weights)
    return np.exp(model.log_z0) * V.sum() / np.exp(enumerate_model(model).log_z)


@pytest.mark.parametrize(
    "model", [ising(2, 3, beta=0.6), potts(3, 2, 2, beta=1.2)], ids=["ising-2x3", "potts3-2x2"]
)
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_exact_weights_are_unbiased_in_z(model, architecture):
    network = make_network(architecture, model)
    params = {k: 4 * v for k, v in network.init_params(3).items()}  # strong, far from trivial
    ratio = _expected_z_ratio(model, network, params, n_steps=4, floor=1e-3)
    assert ratio == pytest.approx(1.0, abs=1e-10)


def test_exact_weights_reweight_the_t1_marginal_to_boltzmann_state_by_state():
    """E[w 1{X_1 = y}] = e^{−βH(y)} / Z_0 for every state y, exactly (not only its sum)."""
    model = potts(3, 2, 2, beta=1.2)
    network = make_network("conv", model)
    params = {k: 4 * v for k, v in network.init_params(3).items()}
    V = _expected_weight_mass(model, network, params, n_steps=4, floor=1e-3)
    target = np.exp(-model.beta * model.energy(_all_states(model)) - model.log_z0)
    np.testing.assert_allclose(V, target, rtol=1e-10)


def test_without_rate_floor_the_exact_weights_are_biased():
    """Several sites jump in one step: the backward kernel proposes moves F gives zero mass."""
    model = ising(2, 3, beta=0.6)
    network = make_network("conv", model)
    params = {k: 4 * v for k, v in network.init_params(3).items()}
    ratio = _expected_z_ratio(model, network, params, n_steps=4, floor=0.0)
    assert abs(ratio - 1.0) > 1e-3


@dataclass(frozen=True)
class ZeroNetwork:
    q: int

    def apply(self, params, x, t, xp=None):
        return np.zeros((*x.shape, self.q))


def test_zero_network_euler_weights_are_plain_importance_sampling():
    """G ≡ 0 and no floor: nothing moves and A_1 = −∫ ∂_tβ_t H(x_0) dt = −β H(x_0)."""
    model = ising(3, 4, beta=0.5, h=0.2)
    backend = get_backend("numpy")
    config = CTMCConfig(n_steps=7, n_walkers=50, weights="euler", rate_floor=0.0)
    samples = leaps_sample(ZeroNetwork(2), {}, model, backend, backend.rng(0), config)
    x0 = model.uniform_states(backend, backend.rng(0), 50)
    np.testing.assert_array_equal(samples.x, x0)
    np.testing.assert_allclose(samples.log_weights, -model.beta * model.energy(x0), atol=1e-12)


def test_monte_carlo_log_z_and_magnetization(backend):
    model = potts(3, 2, 3, beta=1.0)
    exact = enumerate_model(model)
    network = make_network("conv", model)
    params = params_to(backend, network.init_params(0))
    config = CTMCConfig(n_steps=8, n_walkers=4000, mcmc_sweeps=1)
    samples = leaps_sample(network, params, model, backend, backend.rng(5), config)
    assert abs(samples.log_z - exact.log_z) < 4 * samples.log_z_err
    w = np.exp(samples.log_weights - samples.log_weights.max())
    mag = np.sum(w * samples.observables["m"]) / w.sum()
    err = np.sqrt(np.sum(w**2 * (samples.observables["m"] - mag) ** 2)) / w.sum()
    assert abs(mag - exact.mag) < 4 * err
    # total over 4000 walkers: G at t=0, after each step and after each sweep but the last; sweeps
    assert samples.n_evaluations == 4000 * (1 + 8 + 7 + 8)
    assert len(samples.diagnostics["ess_fraction"]) == 8


def test_resampling_keeps_log_z_unbiased():
    model = ising(2, 4, beta=0.7)
    exact = enumerate_model(model)
    network = make_network("mlp", model)
    backend = get_backend("numpy")
    estimates = []
    for seed in range(20):
        config = CTMCConfig(n_steps=10, n_walkers=500, resample_threshold=0.5)
        s = leaps_sample(network, network.init_params(1), model, backend, backend.rng(seed), config)
        estimates.append(np.exp(s.log_z - exact.log_z))
    mean, err = np.mean(estimates), np.std(estimates, ddof=1) / np.sqrt(len(estimates))
    assert abs(mean - 1.0) < 4 * err + 1e-12


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"n_steps": 0}, "n_steps must be an integer >= 1"),
        ({"weights": "midpoint"}, "unknown weight mode 'midpoint'"),
        ({"resample_threshold": 1.5}, r"lie in \(0, 1\]"),
        ({"rate_floor": 0.0}, "rate_floor > 0"),
        ({"mcmc_rule": "gibbs"}, "unknown mcmc_rule"),
    ],
)
def test_bad_settings(settings, match):
    with pytest.raises(ValueError, match=match):
        CTMCConfig(**settings)


def test_euler_weights_have_a_first_order_bias_the_exact_ones_do_not():
    """Exact E[Ẑ]/Z − 1 on ising 2×3 (β 0.6, conv at its init scale): measured euler bias
    0.186, 0.141, 0.077, 0.037, 0.017, 0.0083 at N = 2..64 (halving with h), exact ≤ 4e-15."""
    model = ising(2, 3, beta=0.6)
    network = make_network("conv", model)
    params = network.init_params(3)
    bias = {n: _expected_z_ratio(model, network, params, n, 1e-3, "euler") - 1 for n in (16, 32)}
    assert bias[16] > 1e-3 and 1.6 < bias[16] / bias[32] < 2.4
    assert _expected_z_ratio(model, network, params, 16, 1e-3) == pytest.approx(1.0, abs=1e-10)


def test_rates_are_nonnegative_and_zero_at_the_current_value():
    model = potts(3, 3, 3, beta=1.0)
    network = make_network("mlp", model)
    params = {k: 4 * v for k, v in network.init_params(0).items()}
    backend = get_backend("numpy")
    x = model.uniform_states(backend, backend.rng(0), 32)
    G = network.apply(params, x, 0.4)
    onehot = xpx.one_hot(model.to_values(x).astype(np.int64), model.q, xp=np)
    forward, reverse = jump_rates(G, onehot, 1e-3)
    for rates in (forward, reverse):
        assert np.all(rates[onehot == 0] >= 1e-3) and np.all(rates[onehot == 1] == 0)
    np.testing.assert_allclose(forward - reverse, G * (1 - onehot), atol=1e-12)


def _flip_energy_changes(model, x):
    """ΔE of flipping each site of Ising states ``x`` (B, Lx, Ly), by brute force."""
    changes = np.empty(x.shape)
    for i, j in itertools.product(range(x.shape[1]), range(x.shape[2])):
        flipped = x.copy()
        flipped[:, i, j] = -flipped[:, i, j]
        changes[:, i, j] = model.energy(flipped) - model.energy(x)
    return changes


def test_zero_network_exact_weights_match_their_closed_form():
    """G ≡ 0, floor ε, one step (h = 1) on Ising: every site jumps with probability 1 − e^{−ε};
    the backward kernel at x₁ has per-site rate Λ_i = ε e^{−β ΔE_i(x₁)}, so

        log w = −β H(x₁) + Σ_{i moved} log[(1 − e^{−Λ_i}) / (1 − e^{−ε})] − Σ_{i stayed} (Λ_i − ε).
    """
    model = ising(3, 4, beta=0.5, h=0.2)
    backend = get_backend("numpy")
    floor, walkers = 0.7, 200
    config = CTMCConfig(n_steps=1, n_walkers=walkers, rate_floor=floor)
    samples = leaps_sample(ZeroNetwork(2), {}, model, backend, backend.rng(4), config)
    x0 = model.uniform_states(backend, backend.rng(4), walkers)
    x1 = samples.x
    moved = x0 != x1
    assert 0.3 < moved.mean() < 0.7  # the floor moves about half the sites
    rate = floor * np.exp(-model.beta * _flip_energy_changes(model, x1))
    per_site = np.where(moved, np.log(-np.expm1(-rate)) - np.log(-np.expm1(-floor)), floor - rate)
    expected = -model.beta * model.energy(x1) + per_site.sum(axis=(1, 2))
    np.testing.assert_allclose(samples.log_weights, expected, rtol=0, atol=1e-12)


def test_zero_network_with_a_vanishing_floor_is_ais_without_moves():
    """G ≡ 0, ε → 0: nothing moves, and the exact weights become −β H(x₀) (AIS without moves)."""
    model = potts(3, 3, 3, beta=0.8)
    backend = get_backend("numpy")
    config = CTMCConfig(n_steps=5, n_walkers=100, rate_floor=1e-12)
    samples = leaps_sample(ZeroNetwork(3), {}, model, backend, backend.rng(2), config)
    x0 = model.uniform_states(backend, backend.rng(2), 100)
    np.testing.assert_array_equal(samples.x, x0)
    np.testing.assert_allclose(samples.log_weights, -model.beta * model.energy(x0), atol=1e-9)
    exact_is = np.logaddexp.reduce(-model.beta * model.energy(x0)) - np.log(100) + model.log_z0
    assert samples.log_z == pytest.approx(exact_is, abs=1e-9)


def _reweighted_chi2(states_index, log_w, target, min_mass=0.05):
    """p-value of a χ² test of the self-normalised histogram against ``target`` π.

    States are lumped into bins of π-mass ≥ ``min_mass`` (most probable first) so that every bin
    holds many effective samples.  With p̂_b = Σ_{x_i∈b} w_i / Σ w_i, d = p̂ − π_bins and the
    delta-method covariance C = Σ_i w_i² (e_{b_i} − p̂)(e_{b_i} − p̂)ᵀ / (Σ w_i)² (rank K − 1),
    dᵀ C⁺ d ~ χ²_{K−1} for K bins.
    """
    from scipy.stats import chi2

    bins, n_bins, mass = np.empty(target.size, dtype=np.int64), 0, 0.0
    for state in np.argsort(-target, kind="stable"):
        bins[state], mass = n_bins, mass + target[state]
        if mass >= min_mass:
            n_bins, mass = n_bins + 1, 0.0
    if mass > 0:  # a light last bin joins the one before
        bins[bins == n_bins] = n_bins - 1
    w = np.exp(log_w - log_w.max())
    indicator = np.eye(n_bins)[bins[states_index]]  # (B, K)
    p_hat = w @ indicator / w.sum()
    centred = (indicator - p_hat) * w[:, None]
    cov = centred.T @ centred / w.sum() ** 2
    d = p_hat - np.bincount(bins, weights=target, minlength=n_bins)
    stat = d @ np.linalg.pinv(cov, rcond=1e-10, hermitian=True) @ d
    return chi2.sf(stat, n_bins - 1)


@pytest.mark.parametrize(
    "model", [ising(2, 3, beta=0.6), potts(3, 2, 2, beta=1.2)], ids=["ising-2x3", "potts3-2x2"]
)
def test_reweighted_marginal_at_t1_is_the_boltzmann_distribution(model):
    """Monte Carlo: the weighted t = 1 states of an untrained network pass a χ² test against
    exact π; the unweighted ones (the CTMC's own marginal) fail it, so the test has power.  The
    χ² asymptotics need many effective samples per bin (ESS ≈ 450–750 of 20 000 here); far
    heavier-tailed weights are covered exactly by the state-by-state propagation test above."""
    backend = get_backend("numpy")
    network = make_network("conv", model)
    config = CTMCConfig(n_steps=6, n_walkers=20_000)
    samples = leaps_sample(network, network.init_params(3), model, backend, backend.rng(7), config)
    assert kish_ess(samples.log_weights) > 300
    exact = np.exp(-model.beta * model.energy(_all_states(model)) - enumerate_model(model).log_z)
    digits = model.to_values(samples.x).reshape(config.n_walkers, -1).astype(np.int64)
    index = digits @ model.q ** np.arange(model.n_sites - 1, -1, -1)  # _all_states' order
    assert _reweighted_chi2(index, samples.log_weights, exact) > 1e-3
    assert _reweighted_chi2(index, np.zeros(config.n_walkers), exact) < 1e-6
