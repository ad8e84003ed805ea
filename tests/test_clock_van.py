"""VAN (MADE, PixelCNN) on the test-only clock model (tests/clock_model.py) against enumeration:
the autoregressive baselines run it from the model's own methods, no sampler file knows it
(issue 27).  A short training gives an importance-sampling proposal; log Ẑ, ⟨E⟩ and ⟨m⟩ from its
weights must lie within 4σ of their own error bars of the enumerated values (fixed seeds)."""

import numpy as np
import pytest
from clock_model import clock
from leapsbench.baselines.autoregressive.method import make

from leapsbench.estimators import weighted_mean
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.method import Budget, NotApplicable

MODEL = clock(4, 3, 3, beta=0.7)
TRAINING = {"steps": 60, "batch": 128, "n_samples": 4000}
NETWORKS = {
    "van-made": {"width": 16, "depth": 1},
    "van-pixelcnn": {"width": 8, "depth": 2, "kernel": 3, "periodic": 1},
}


@pytest.fixture(scope="module")
def exact():
    return enumerate_model(MODEL)


@pytest.mark.parametrize("name", NETWORKS)
def test_van_on_the_clock_model_matches_enumeration(numpy_backend, exact, name):
    method = make(name, "quick", {**NETWORKS[name], **TRAINING})
    method.fit(MODEL, numpy_backend, numpy_backend.rng(7), Budget())
    samples = method.sample(MODEL, numpy_backend, numpy_backend.rng(8), Budget())
    assert samples.log_z_err > 0
    assert abs(samples.log_z - exact.log_z) < 4 * samples.log_z_err, (samples.log_z, exact.log_z)
    for key, value in (("E", exact.energy), ("m", exact.mag)):
        mean, error = weighted_mean(samples.observables[key], samples.log_weights)
        assert abs(mean - value) < 4 * error, (key, mean, value, error)
    assert np.all(np.isin(samples.x, np.arange(MODEL.q)))  # clock values, as the model stores


def test_twobo_refuses_the_clock_model(numpy_backend):
    """TwoBo needs a pair form (model.pair_interaction), which the clock model does not give."""
    with pytest.raises(NotApplicable, match="pair Hamiltonian"):
        make("twobo").fit(MODEL, numpy_backend, numpy_backend.rng(0), Budget())
