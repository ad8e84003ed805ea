"""AIS and SMC on the test-only clock model (tests/clock_model.py) against enumeration: the
annealing and the SMC engine run it from the model's own methods (issue 27: no sampler file
knows it).  Tolerances: 4σ of each run's own error bar (log Ẑ: the walkers' delta method for
AIS, the islands' spread for SMC; ⟨E⟩, ⟨m⟩: the weighted means' delta method, per island for
SMC)."""

import pytest
from clock_model import clock
from leapsbench.baselines.annealing import ais, smc

from leapsbench.estimators import island_weighted_mean, weighted_mean
from leapsbench.exact.enumerate import enumerate_model

MODEL = clock(5, 3, 3, beta=0.9)
EXACT = enumerate_model(MODEL)
SETTINGS = {"n_walkers": 2000, "n_steps": 20, "n_sweeps": 2}


def _check(samples, islands: int | None):
    assert samples.log_z_err is not None and samples.log_z_err > 0
    gap = abs(samples.log_z - EXACT.log_z)
    assert gap < 4 * samples.log_z_err, (samples.log_z, EXACT.log_z, samples.log_z_err)
    for key, value in (("E", EXACT.energy), ("m", EXACT.mag)):
        values = samples.observables[key]
        if islands:
            mean, err = island_weighted_mean(values, samples.log_weights, islands)
        else:
            mean, err = weighted_mean(values, samples.log_weights)
        assert abs(mean - value) < 4 * err, (key, mean, value, err)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_ais_on_the_clock_model_matches_enumeration(backend, rule):
    samples = ais(MODEL, backend, 5, rule=rule, **SETTINGS)
    assert samples.diagnostics["n_resamplings"] == 0
    _check(samples, None)


@pytest.mark.parametrize("scheme", ["systematic", "multinomial"])
def test_smc_on_the_clock_model_matches_enumeration(backend, scheme):
    samples = smc(MODEL, backend, 6, resampling=scheme, threshold=0.8, n_islands=20, **SETTINGS)
    assert samples.diagnostics["n_resamplings"] > 0 and samples.islands == 20
    _check(samples, 20)
