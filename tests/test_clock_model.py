"""The test-only clock model (tests/clock_model.py) through the samplers, against enumeration:
no sampler file knows it (issue 27).  Tolerances: 4σ of each estimator's own error bar."""

import numpy as np
import pytest
from clock_model import clock
from leapsbench.baselines.chains import run_chains

from leapsbench import autocorr
from leapsbench.exact.enumerate import enumerate_model

MODEL = clock(5, 3, 3, beta=0.9)


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
    exact = enumerate_model(MODEL)
    for key, value in (("m", exact.mag), ("E", exact.energy)):
        chains = samples.observables[key]
        error = autocorr.chain_mean_error(chains)
        assert abs(chains.mean() - value) < 4 * error, (key, chains.mean(), value, error)
