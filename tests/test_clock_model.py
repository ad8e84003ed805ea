"""The test-only clock model (tests/clock_model.py) through the samplers, against enumeration:
no sampler file knows it (issue 27).  Tolerances: 4σ of each estimator's own error bar."""

import functools

import numpy as np
import pytest
from clock_model import clock
from leapsbench.baselines import cluster, local
from leapsbench.baselines.chains import run_chains
from leapsbench.baselines.kernels import kernel_for
from leapsbench.baselines.tempering_method import make as make_tempering

from leapsbench import autocorr
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.kernels import WalkerState
from leapsbench.method import NotApplicable
from leapsbench.models import ising

MODEL = clock(5, 3, 3, beta=0.9)


@functools.cache
def _exact():
    """The enumeration of MODEL's 5⁹ states, once per test session (seconds each)."""
    return enumerate_model(MODEL)


def test_clock_delta_energy_is_the_energy_difference(numpy_backend):
    x = MODEL.uniform_states(numpy_backend, numpy_backend.rng(1), batch=4)
    delta = MODEL.delta_energy(x)
    for i, j, b in ((0, 0, 3), (1, 2, 0), (2, 1, 4)):
        y = x.copy()
        y[:, i, j] = b
        np.testing.assert_allclose(delta[:, i, j, b], MODEL.energy(y) - MODEL.energy(x), atol=1e-12)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_local_chains_on_the_clock_model_match_enumeration(backend, rule):
    samples = run_chains(MODEL, backend, backend.rng(3), 32, 100, 1000, rule=rule)
    exact = _exact()
    for key, value in (("m", exact.mag), ("E", exact.energy)):
        chains = samples.observables[key]
        error = autocorr.chain_mean_error(chains)
        assert abs(chains.mean() - value) < 4 * error, (key, chains.mean(), value, error)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_parallel_tempering_on_the_clock_model_matches_enumeration(backend, rule):
    """Replica exchange over 6 temperatures sweeps the clock model with the specification kernel
    (one β per walker): log Ẑ by BAR, ⟨E⟩ and ⟨m⟩ of the target temperature within 4σ of
    enumeration; the squared overlap of chain pairs is a number in [0, 1]."""
    overrides = {"n_chains": 16, "n_temps": 6, "n_warmup": 100, "n_samples": 600, "rule": rule}
    method = make_tempering("parallel-tempering", overrides=overrides)
    samples = method.sample(MODEL, backend, backend.rng(5), None)
    exact = _exact()
    assert abs(samples.log_z - exact.log_z) < 4 * samples.log_z_err, (samples.log_z, exact.log_z)
    for key, value in (("m", exact.mag), ("E", exact.energy)):
        chains = samples.observables[key]
        error = autocorr.chain_mean_error(chains)
        assert abs(chains.mean() - value) < 4 * error, (key, chains.mean(), value, error)
    q2 = samples.observables["q2"]
    assert q2.shape == (8, 600) and np.all((q2 >= 0) & (q2 <= 1))
    assert all(0 < r <= 1 for r in samples.diagnostics["swap_rates"])


def test_clock_overlap_is_one_for_equal_states_and_the_spin_overlap_at_q_2(numpy_backend):
    """The base model's overlap (1/N) Σ_i (q δ − 1)/(q − 1): 1 for x = y, and for q = 2 the
    ±1 spin overlap (1/N) Σ_i s^x_i s^y_i of the same configurations."""
    x = MODEL.uniform_states(numpy_backend, numpy_backend.rng(1), batch=6)
    np.testing.assert_allclose(MODEL.overlap(x, x), 1.0)
    two = clock(2, 3, 3, beta=0.5)
    a, b = (two.uniform_states(numpy_backend, numpy_backend.rng(seed), 6) for seed in (2, 3))
    spins = ising(3, 3, beta=0.5)
    np.testing.assert_allclose(two.overlap(a, b), spins.overlap(1 - 2 * a, 1 - 2 * b))


@pytest.mark.parametrize("rule", ["swendsen-wang", "wolff"])
def test_cluster_updates_do_not_apply_to_the_clock_model(numpy_backend, rule):
    """Fortuin–Kasteleyn clusters are defined for Ising and Potts bonds only: the clock model is
    refused with the reason, by the kernel object and by the cluster module alike."""
    x = MODEL.uniform_states(numpy_backend, numpy_backend.rng(1), batch=2)
    with pytest.raises(NotApplicable, match="Clock has no registered Fortuin–Kasteleyn"):
        kernel_for(rule).init(numpy_backend.rng(0), MODEL, 2, numpy_backend)
    with pytest.raises(NotApplicable, match="Clock"):
        cluster.update(MODEL, x, MODEL.beta, np.random.default_rng(0), rule)


def test_local_kernel_objects_step_the_clock_model(numpy_backend):
    """The kernel objects a sampler passes around (LocalSweep) step the clock model with the
    specification sweep: the same states as local.sweep from the same stream."""
    x = MODEL.uniform_states(numpy_backend, numpy_backend.rng(1), batch=8)
    for rule in ("metropolis", "heatbath"):
        state, info = kernel_for(rule).step(numpy_backend.rng(2), WalkerState(x), MODEL, 0.7)
        expected, acceptance = local.spec_sweep(MODEL, x, 0.7, numpy_backend.rng(2), rule)
        np.testing.assert_array_equal(state.x, expected)
        np.testing.assert_allclose(info.acceptance, acceptance / MODEL.n_sites)
