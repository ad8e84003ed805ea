"""MCMC chains against exact enumeration: stationarity of one sweep and chain averages.

Statistical tolerances are 4σ of each estimator's own error bar (autocorrelation-corrected for
chain means, multinomial for histograms); seeds are fixed.
"""

from dataclasses import dataclass

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines import cluster
from leapsbench.baselines.chains import run_chains, start, step
from leapsbench.baselines.local import sweep
from leapsbench.baselines.mcmc_method import make
from scipy.stats import chi2

from leapsbench import autocorr
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.method import Budget, NotApplicable
from leapsbench.models import Ising, Lattice, ea, ising, potts

LOCAL_MODELS = {
    "ising4x4-h": ising(4, 4, beta=0.4, h=0.1),
    "potts3-3x4": potts(3, 3, 4, beta=0.8),
}
CLUSTER_CASES = [
    ("swendsen-wang", ising(4, 4, beta=0.4)),
    ("swendsen-wang", potts(3, 3, 4, beta=0.8)),
    ("wolff", ising(4, 4, beta=0.4)),
    ("wolff", potts(3, 3, 4, beta=0.8)),
]


def assert_matches_exact(samples, model):
    exact = enumerate_model(model)
    for key, value in (("m", exact.mag), ("E", exact.energy)):
        chains = samples.observables[key]
        error = autocorr.chain_mean_error(chains)
        assert abs(chains.mean() - value) < 4 * error, (key, chains.mean(), value, error)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name", list(LOCAL_MODELS))
def test_local_chains_match_enumeration(backend, rule, name):
    model = LOCAL_MODELS[name]
    samples = run_chains(model, backend, backend.rng(3), 32, 100, 1000, rule=rule)
    assert samples.observables["m"].shape == (32, 1000)
    assert samples.n_evaluations == 32 * 1100
    assert_matches_exact(samples, model)


@pytest.mark.parametrize(
    "rule,model", CLUSTER_CASES, ids=["sw-ising", "sw-potts", "wolff-ising", "wolff-potts"]
)
def test_cluster_chains_match_enumeration(backend, rule, model):
    """Cluster chains on every backend (the labelling itself runs on the host, scipy)."""
    samples = run_chains(model, backend, backend.rng(4), 32, 100, 1000, rule=rule)
    assert_matches_exact(samples, model)


def _one_step_histogram(model, kernel, n, seed):
    """Start n chains exactly in π, apply one update; chi-square statistic of the result vs π."""
    exact = enumerate_model(model)
    rng = np.random.default_rng(seed)
    index = rng.choice(exact.probabilities.size, size=n, p=exact.probabilities)
    x = kernel(exact.states()[index].astype(np.int8))
    values = model.to_values(np.asarray(x)).reshape(n, -1).astype(np.int64)
    code = values @ (model.q ** np.arange(model.n_sites)[::-1])
    counts = np.bincount(code, minlength=exact.probabilities.size)
    expected = n * exact.probabilities
    stat = float(np.sum((counts - expected) ** 2 / expected))
    return stat, exact.probabilities.size - 1


STATIONARITY_MODELS = {
    "ising2x2-h": ising(2, 2, beta=0.5, h=0.3),
    "ising3x3": ising(3, 3, beta=0.4),
    "potts3-2x2": potts(3, 2, 2, beta=0.9),
}


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name", list(STATIONARITY_MODELS))
def test_one_sweep_leaves_boltzmann_invariant(backend, rule, name):
    """π P = π exactly ⇒ one local sweep of exact π samples is π-distributed (chi-square,
    p > 1e-4), on every backend."""
    model = STATIONARITY_MODELS[name]
    brng = backend.rng(5)

    def kernel(x):
        return backend.to_numpy(sweep(model, backend.from_numpy(x), model.beta, brng, rule)[0])

    stat, dof = _one_step_histogram(model, kernel, 200_000, seed=7)
    assert stat < chi2.isf(1e-4, dof), (stat, dof)


@pytest.mark.parametrize("rule", list(cluster.RULES))
@pytest.mark.parametrize("name", list(STATIONARITY_MODELS))
def test_one_cluster_update_leaves_boltzmann_invariant(rule, name):
    """The same for the cluster updates (numpy on the host whatever the backend)."""
    model = STATIONARITY_MODELS[name]
    try:
        cluster.check_model(model, rule)
    except ValueError as err:
        pytest.skip(str(err))
    host = np.random.default_rng(6)
    stat, dof = _one_step_histogram(
        model, lambda x: cluster.update(model, x, model.beta, host, rule), 200_000, seed=7
    )
    assert stat < chi2.isf(1e-4, dof), (stat, dof)


def test_stationarity_check_detects_a_wrong_kernel():
    """The chi-square check above fails for a kernel at the wrong β (it has power)."""
    model = STATIONARITY_MODELS["ising2x2-h"]
    backend = get_backend("numpy")
    brng = backend.rng(5)
    stat, dof = _one_step_histogram(
        model, lambda x: sweep(model, backend.from_numpy(x), 0.3, brng, "heatbath")[0], 200_000, 7
    )
    assert stat > chi2.isf(1e-4, dof)


def test_step_acceptance_and_beta_override(numpy_backend):
    model = ising(4, 4, beta=0.4)
    kernel, stream, state = start(numpy_backend.rng(0), model, 8, numpy_backend, "heatbath")
    state, info = step(stream, state, model, 0.0, kernel)
    assert info.acceptance.shape == (8,)
    assert np.all((info.acceptance >= 0) & (info.acceptance <= 1))
    assert 0.3 < info.acceptance.mean() < 0.7  # heat-bath at β = 0 flips each site w.p. 1/2


def test_adapter_presets_budget_and_errors(numpy_backend):
    method = make("swendsen-wang", "quick", {"n_chains": 4, "n_warmup": 5})
    assert method.fit(None, None, None, None) == {}
    samples = method.sample(
        ising(4, 4, beta=0.4), numpy_backend, numpy_backend.rng(0), Budget(n_samples=40)
    )
    assert samples.observables["E"].shape == (4, 10)
    assert samples.log_weights is None
    with pytest.raises(ValueError, match="valid keys"):
        make("metropolis", "quick", {"n_walkers": 3})
    with pytest.raises(ValueError, match="known"):
        make("gibbs")
    with pytest.raises(ValueError, match="J > 0"):
        start(numpy_backend.rng(0), potts(3, 4, 4, beta=0.5, J=-1.0), 2, numpy_backend, "wolff")
    with pytest.raises(ValueError, match="h = 0"):
        start(numpy_backend.rng(0), ising(4, 4, beta=0.5, h=0.1), 2, numpy_backend, "wolff")


@dataclass(frozen=True)
class _IsingSubclass(Ising):
    """A subclass may change the energy: the cluster updates must not take it for Ising."""


def test_cluster_updates_apply_to_registered_fk_classes_only(numpy_backend):
    """check_model returns the class's FK representation (cluster.FK_MODELS) and refuses other
    classes with the reason; the cluster estimator of m² comes with Swendsen–Wang on Ising only
    (for Potts it estimates another quantity), never with Wolff."""
    assert cluster.check_model(ising(4, beta=0.4), "wolff").bond_gap == 2.0
    assert cluster.check_model(potts(3, 4, beta=0.4), "wolff").bond_gap == 1.0
    with pytest.raises(NotApplicable, match="spin glass.*frustrated"):
        cluster.check_model(ea(4, beta=1.0, seed=0), "swendsen-wang")
    with pytest.raises(NotApplicable, match="_IsingSubclass has no registered Fortuin"):
        cluster.check_model(_IsingSubclass(Lattice(4, 4), beta=0.4), "wolff")
    rng = np.random.default_rng(0)
    for model, rule, has_m2 in (
        (ising(4, beta=0.4), "swendsen-wang", True),
        (potts(3, 4, beta=0.9), "swendsen-wang", False),
        (ising(4, beta=0.4), "wolff", False),
    ):
        x = model.uniform_states(numpy_backend, numpy_backend.rng(1), 3)
        new, m2 = cluster.update_with_m2(model, x, model.beta, rng, rule)
        assert new.shape == x.shape and (m2 is not None) == has_m2
        if has_m2:
            assert m2.shape == (3,) and np.all((m2 >= 1 / model.n_sites) & (m2 <= 1))


def test_cluster_estimator_of_m2_matches_enumeration(numpy_backend):
    model = ising(4, 4, beta=0.4)
    samples = run_chains(
        model, numpy_backend, numpy_backend.rng(8), 32, 100, 1000, rule="swendsen-wang"
    )
    exact = enumerate_model(model)
    m2 = samples.observables["m2_cluster"]
    target = exact.mag_variance + exact.mag**2
    assert abs(m2.mean() - target) < 4 * autocorr.chain_mean_error(m2)
    plain = samples.observables["m"] ** 2
    assert m2.var() < plain.var()  # the point of the improved estimator


DETAILED_BALANCE_MODELS = {
    "ising2x2": ising(2, 2, beta=0.7),
    "ising3x3-h": ising(3, 3, beta=0.5, h=0.3),
    "potts3-2x2": potts(3, 2, 2, beta=0.9),
    "potts3-2x3": potts(3, 2, 3, beta=1.1),
}


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name", list(DETAILED_BALANCE_MODELS))
def test_colour_class_updates_satisfy_detailed_balance_exactly(backend, rule, name):
    """The exact transition matrix of each colour-class update (:func:`_colour_class_matrices`)
    satisfies π_x P_c(x→y) = π_y P_c(y→x) to 1e-12, and the whole sweep Π_c P_c leaves π
    invariant.  The 3×3 and 2×3 tori use the 3-colouring.  The fast kernels draw from the same
    site kernel (tests/test_local_fast.py)."""
    from leapsbench.baselines.local import checkerboard_masks

    model = DETAILED_BALANCE_MODELS[name]
    pi, matrices = _colour_class_matrices(model, backend, rule, checkerboard_masks(model, backend))
    assert len(matrices) == (2 if name in ("ising2x2", "potts3-2x2") else 3)
    sweep_matrix = np.eye(pi.size)
    for P in matrices:
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
        flux = pi[:, None] * P
        np.testing.assert_allclose(flux, flux.T, rtol=0, atol=1e-12 * pi.max())
        sweep_matrix = sweep_matrix @ P
    np.testing.assert_allclose(pi @ sweep_matrix, pi, rtol=0, atol=1e-12)


def test_detailed_balance_check_detects_updating_neighbours_together(numpy_backend):
    """Updating every site at once (neighbours together) is the classic wrong kernel."""
    model = DETAILED_BALANCE_MODELS["ising3x3-h"]
    everything = (numpy_backend.asarray(np.ones(model.shape, dtype=bool)),)
    pi, (P,) = _colour_class_matrices(model, numpy_backend, "heatbath", everything)
    flux = pi[:, None] * P
    assert np.abs(flux - flux.T).max() > 1e-3 * pi.max()
    assert np.abs(pi @ P - pi).max() > 1e-3 * pi.max()


def _colour_class_matrices(model, backend, rule, masks):
    """π and the exact transition matrix of the update of each mask's sites, built from the
    sweep's own site kernel: P(x→y) = Π_{i∈mask} K_i(x)[y_i] · Π_{i∉mask} 1{y_i = x_i}."""
    from leapsbench.baselines.local import site_kernel

    exact = enumerate_model(model)
    states = exact.states()
    n_states, n_sites = states.shape[0], model.n_sites
    values = model.to_values(states).reshape(n_states, n_sites).astype(np.int64)
    kernel = backend.to_numpy(site_kernel(model, backend.from_numpy(states), model.beta, rule))
    kernel = kernel.reshape(n_states, n_sites, model.q)
    np.testing.assert_allclose(kernel.sum(-1), 1.0, atol=1e-13)
    to_y = kernel[:, np.arange(n_sites)[None, :], values]  # (x, y, site): K_site(x)[y_site]
    same = values[:, None, :] == values[None, :, :]
    matrices = []
    for mask in masks:
        active = backend.to_numpy(mask).reshape(n_sites)
        matrices.append(np.prod(np.where(active, to_y, same), axis=-1))
    return exact.probabilities, matrices


@pytest.mark.parametrize("rule", ["heatbath", "swendsen-wang"])
def test_run_chains_with_thin_keeps_every_thin_th_sweep(numpy_backend, rule):
    """thin = 3: n_samples kept sweeps, n_evaluations = C (n_warmup + n_samples · thin), and the
    kept m, E (and SW m2_cluster) are those of sweeps n_warmup + thin·k (k = 1 … n_samples) of
    the same seeded chains replayed step by step."""
    model, n_chains, n_warmup, n_samples, thin = ising(4, 4, beta=0.4), 4, 5, 6, 3
    samples = run_chains(
        model, numpy_backend, numpy_backend.rng(12), n_chains, n_warmup, n_samples, thin, rule
    )
    assert samples.observables["m"].shape == (n_chains, n_samples)
    assert samples.n_evaluations == n_chains * (n_warmup + n_samples * thin)
    kernel, stream, state = start(numpy_backend.rng(12), model, n_chains, numpy_backend, rule)
    every = {"m": [], "E": [], "m2_cluster": []}  # after sweep t = 1 … total
    for _ in range(n_warmup + n_samples * thin):
        state, info = step(stream, state, model, model.beta, kernel)
        every["m"].append(model.magnetization(state.x))
        every["E"].append(model.energy(state.x))
        every["m2_cluster"].append(info.m2_cluster)
    expected_keys = {"m", "E"} if rule == "heatbath" else {"m", "E", "m2_cluster"}
    assert set(samples.observables) == expected_keys
    kept = n_warmup + thin * np.arange(1, n_samples + 1) - 1
    for key, chains in samples.observables.items():
        replay = np.stack(every[key], axis=1)
        np.testing.assert_array_equal(chains, replay[:, kept], err_msg=key)
        assert not np.array_equal(chains, replay[:, kept - 1])  # an off-by-one would show


def test_cluster_m2_estimates_potts_simplex_order_parameter(numpy_backend):
    """For Potts, Σ_C |C|² / N² of the SW clusters estimates ⟨|M|²⟩ / N² with M the simplex order
    parameter, |M|² = (q Σ_a n_a² − N²)/(q − 1) (baselines/cluster.py): against enumeration,
    within 4σ (autocorrelation-corrected), with a smaller variance than the plain |M|²/N²."""
    model = potts(3, 3, 4, beta=0.8)
    q, n = model.q, model.n_sites
    exact = enumerate_model(model)
    counts = np.stack([(exact.states_values() == a).sum(axis=(1, 2)) for a in range(q)], -1)
    target = exact.probabilities @ ((q * (counts**2).sum(-1) - n**2) / ((q - 1) * n**2))
    rng = np.random.default_rng(13)
    x = rng.integers(0, q, (32, *model.shape)).astype(np.int8)
    improved, plain = [], []
    for t in range(1100):
        x, m2 = cluster.swendsen_wang_with_m2(model, x, model.beta, rng)
        if t >= 100:
            n_a = np.stack([(x == a).sum(axis=(1, 2)) for a in range(q)], -1)
            improved.append(m2)
            plain.append((q * (n_a**2).sum(-1) - n**2) / ((q - 1) * n**2))
    improved, plain = np.stack(improved, axis=1), np.stack(plain, axis=1)
    for chains in (improved, plain):
        assert abs(chains.mean() - target) < 4 * autocorr.chain_mean_error(chains)
    assert improved.var() < plain.var()
    # Power: ⟨m²⟩ of the models' m = (q max_a n_a / N − 1)/(q − 1) is a different number.
    m2_of_m = exact.mag_variance + exact.mag**2
    assert abs(m2_of_m - target) > 4 * autocorr.chain_mean_error(improved), (m2_of_m, target)
