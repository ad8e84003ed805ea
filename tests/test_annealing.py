"""AIS and SMC against exact enumeration on tiny lattices, plus exact reductions and errors.

Statistical checks use fixed seeds and 4σ tolerances from the estimators' own error bars
(σ over independent runs where the per-run error bar is not the quantity under test).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from leapsbench.baselines.adaptive_beta import conditional_ess, next_beta
from leapsbench.baselines.annealing import AnnealingConfig, ais, anneal, smc
from leapsbench.baselines.annealing_method import make

from leapsbench.estimators import island_weighted_mean, log_mean_exp, weighted_mean
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.method import Budget
from leapsbench.models import ising, potts
from leapsbench.samples import Samples

pytest.importorskip("leapsbench.baselines.local", reason="MCMC kernels not committed yet")

# Even side lengths: checkerboard sweeps need a bipartite lattice.
ISING = ising(4, 2, beta=0.5, h=0.3)
POTTS = potts(3, 2, 4, beta=0.8)
VARIANTS = {
    "ais": {},
    "smc-systematic": {"resampling": "systematic", "threshold": 0.8},
    "smc-multinomial": {"resampling": "multinomial", "threshold": 0.8},
    "smc-islands": {"resampling": "systematic", "threshold": 0.8, "n_islands": 4},
}


def _runs(model, backend, variant, n_runs, **settings):
    config = AnnealingConfig(**{**settings, **VARIANTS[variant]})
    return [anneal(model, backend, seed, config) for seed in range(n_runs)]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("model", [ISING, POTTS], ids=["ising4x2-h", "potts3-2x4"])
def test_unbiased_in_z(numpy_backend, model, variant):
    """mean over runs of Ẑ / Z = 1 within 4 standard errors; few walkers and steps on purpose."""
    log_z = enumerate_model(model).log_z
    runs = _runs(model, numpy_backend, variant, 300, n_walkers=16, n_steps=4, n_sweeps=1)
    ratio = np.exp(np.array([s.log_z for s in runs]) - log_z)
    err = ratio.std(ddof=1) / math.sqrt(ratio.size)
    assert abs(ratio.mean() - 1.0) < 4 * err
    if variant != "ais":
        assert sum(s.diagnostics["n_resamplings"] for s in runs) > len(runs)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
@pytest.mark.parametrize("variant", ["ais", "smc-systematic", "smc-multinomial"])
@pytest.mark.parametrize("model", [ISING, POTTS], ids=["ising4x2-h", "potts3-2x4"])
def test_weighted_observables_match_enumeration(numpy_backend, model, variant, rule):
    """Weighted ⟨m⟩ and ⟨E⟩ averaged over 20 independent runs, within 4 standard errors."""
    exact = enumerate_model(model)
    runs = _runs(model, numpy_backend, variant, 20, n_walkers=200, n_steps=10, rule=rule)
    mags = np.array([weighted_mean(s.observables["m"], s.log_weights)[0] for s in runs])
    energies = np.array([weighted_mean(s.observables["E"], s.log_weights)[0] for s in runs])
    assert abs(mags.mean() - exact.mag) < 4 * mags.std(ddof=1) / math.sqrt(mags.size)
    assert abs(energies.mean() - exact.energy) < 4 * energies.std(ddof=1) / math.sqrt(energies.size)


def test_k1_m0_is_plain_importance_sampling(backend):
    """One step, no sweeps: x = x_0 ~ uniform and log w = −β H(x_0) exactly, on every backend."""
    x0 = ISING.uniform_states(backend, backend.rng(5), 64)
    expected = -ISING.beta * backend.to_numpy(ISING.energy(x0, dtype=backend.xp.float64))
    out = ais(ISING, backend, 5, n_walkers=64, n_steps=1, n_sweeps=0)
    np.testing.assert_array_equal(backend.to_numpy(out.x), backend.to_numpy(x0))
    np.testing.assert_array_equal(out.log_weights, expected)
    assert out.log_weights.dtype == np.float64
    assert out.log_z == pytest.approx(ISING.log_z0 + log_mean_exp(expected), abs=1e-12)
    assert out.n_evaluations == 64  # total: 64 walkers × 1 step × (0 sweeps + 1)
    # SMC that resamples at its one step keeps the weights' mean: the same log Ẑ.
    resampled = smc(ISING, backend, 5, n_walkers=64, n_steps=1, n_sweeps=0, threshold=1.0)
    assert resampled.diagnostics["n_resamplings"] == 1
    assert resampled.log_z == pytest.approx(out.log_z, abs=1e-12)


RUN = {"n_walkers": 200, "n_steps": 6, "n_sweeps": 2, "threshold": 0.9, "n_islands": 10}


def test_runs_on_every_backend(backend, numpy_backend):
    """Shapes, dtypes and cost on each backend; array-api-strict shares numpy's random stream."""
    out = smc(ISING, backend, 3, **RUN)
    assert isinstance(out, Samples) and out.is_weighted
    assert out.log_weights.shape == (200,) and out.log_weights.dtype == np.float64
    assert out.observables["m"].shape == (200,) and out.observables["E"].shape == (200,)
    assert backend.to_numpy(out.x).shape == (200, 4, 2)
    assert out.n_evaluations == 200 * 6 * 3  # total: B · K · (M + 1)
    assert np.all(np.isfinite(out.log_weights)) and math.isfinite(out.log_z)
    np.testing.assert_allclose(out.diagnostics["beta"], np.linspace(0, ISING.beta, 7), atol=1e-15)
    assert out.diagnostics["ess_fraction"].shape == (6,) and out.diagnostics["n_resamplings"] > 0
    assert np.all((out.diagnostics["acceptance"] > 0) & (out.diagnostics["acceptance"] <= 1))
    assert abs(out.log_z - enumerate_model(ISING).log_z) < 4 * out.log_z_err + 1e-3
    if backend.name == "array-api-strict":
        reference = smc(ISING, numpy_backend, 3, **RUN)
        np.testing.assert_allclose(out.log_weights, reference.log_weights, rtol=0, atol=1e-12)


def test_smc_error_bar_is_calibrated(numpy_backend):
    """Over independent runs, log Ẑ − log Z has the spread the islands' error bar claims:
    the mean squared z-score is 1 within 4 of its standard errors."""
    log_z = enumerate_model(POTTS).log_z
    runs = _runs(POTTS, numpy_backend, "smc-islands", 100, n_walkers=200, n_steps=8)
    z = np.array([(s.log_z - log_z) / s.log_z_err for s in runs])
    assert abs(np.mean(z**2) - 1) < 4 * np.std(z**2, ddof=1) / math.sqrt(z.size)
    assert smc(POTTS, numpy_backend, 0, n_walkers=20, n_steps=2).log_z_err is None


def test_smc_magnetization_error_bar_is_calibrated(numpy_backend):
    """Resampled walkers are correlated: ⟨m⟩'s error comes from the spread between islands
    (Samples.islands), and over independent runs its mean squared z-score is 1 within 4 of its
    standard errors."""
    exact = enumerate_model(POTTS)
    config = AnnealingConfig(
        n_walkers=400, n_steps=8, resampling="systematic", threshold=0.8, n_islands=20
    )
    runs = [anneal(POTTS, numpy_backend, seed, config) for seed in range(100)]
    assert all(s.islands == 20 for s in runs)
    island = [island_weighted_mean(s.observables["m"], s.log_weights, s.islands) for s in runs]
    z = np.array([(mag - exact.mag) / err for mag, err in island])
    assert abs(np.mean(z**2) - 1) < 4 * np.std(z**2, ddof=1) / math.sqrt(z.size)
    assert smc(POTTS, numpy_backend, 0, n_walkers=20, n_steps=2).islands == 1
    assert ais(POTTS, numpy_backend, 0, n_walkers=20, n_steps=2).islands is None


def test_next_beta_hits_the_cess_target():
    rng = np.random.default_rng(0)
    energies, log_w = rng.normal(size=500) * 10, rng.normal(size=500)
    beta = next_beta(0.1, 2.0, energies, log_w, 0.9)
    assert 0.1 < beta < 2.0
    assert conditional_ess(beta - 0.1, energies, log_w) == pytest.approx(0.9, abs=1e-8)
    assert next_beta(0.1, 0.1001, energies, log_w, 0.9) == 0.1001


def test_adaptive_smc(numpy_backend):
    exact = enumerate_model(ISING)
    settings = {"n_walkers": 2000, "n_steps": 200, "adaptive_cess": 0.8, "n_islands": 10}
    out = smc(ISING, numpy_backend, 0, **settings)
    betas = out.diagnostics["beta"]
    assert betas[-1] == ISING.beta and np.all(np.diff(betas) > 0)
    assert 2 < out.diagnostics["n_steps"] < 200 and out.n_evaluations == 2000 * 2 * (betas.size - 1)
    assert abs(out.log_z - exact.log_z) < 4 * out.log_z_err


def test_progress_reports(numpy_backend):
    calls = []
    ais(
        POTTS,
        numpy_backend,
        0,
        lambda d, t, **m: calls.append((d, t, m)),
        n_walkers=10,
        n_steps=250,
        n_sweeps=0,
    )
    assert calls[-1][:2] == (250, 250) and 50 <= len(calls) <= 130
    assert set(calls[-1][2]) == {"beta"} and calls[-1][2]["beta"] == POTTS.beta
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"n_steps": 0}, "n_steps"),
        ({"n_steps": 2.5}, "n_steps"),
        ({"n_sweeps": -1}, "n_sweeps"),
        ({"n_walkers": 0}, "n_walkers"),
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.01}, "threshold"),
        ({"resampling": "residual"}, "residual.*systematic, multinomial"),
        ({"rule": "gibbs"}, "gibbs.*metropolis, heatbath"),
        ({"adaptive_cess": 1.0}, "adaptive CESS"),
        ({"schedule": {"name": "cosine"}}, "cosine"),
        ({"n_islands": 2}, "n_islands=2 needs resampling"),
        ({"resampling": "systematic", "n_walkers": 10, "n_islands": 3}, "multiple of n_islands"),
    ],
)
def test_bad_parameters(settings, match):
    with pytest.raises(ValueError, match=match):
        AnnealingConfig(**settings)


def test_adapter(numpy_backend):
    method = make("smc", "quick", {"n_steps": 5, "threshold": 0.7})
    assert method.name == "smc" and method.param_count is None
    assert method.config["n_walkers"] == 1000 and method.config["resampling"] == "systematic"
    assert method.config["n_islands"] == 10
    assert make("ais", "paper").config["n_steps"] == 1000
    assert method.fit(ISING, numpy_backend, 0, Budget()) == {}
    out = method.sample(ISING, numpy_backend, 0, Budget(n_samples=40))
    assert out.log_weights.shape == (40,) and out.diagnostics["n_steps"] == 5
    with pytest.raises(ValueError, match="threshold.*valid keys: n_walkers"):
        make("ais", "quick", {"threshold": 0.5})
    with pytest.raises(ValueError, match="unknown annealing method 'van'"):
        make("van")
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        make("ais", "huge")
    with pytest.raises(ValueError, match="needs resampling"):
        make("smc", "quick", {"resampling": None})
