"""LEAPS CTMC: the log-Z error bar with resampling (islands), walker chunks, diagnostics."""

import numpy as np
import pytest
from leapsbench.backends import get_backend
from scipy.stats import chi2

from leapsbench.estimators import kish_ess, log_z_estimate
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.leaps.ctmc import CTMCConfig, leaps_sample
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising, potts
from leapsbench.params import params_to

ALPHA = 1e-3  # two-sided level of the χ² bounds on a spread ratio


def _sd_ratio_bounds(n_runs: int) -> tuple[float, float]:
    """If log Ẑ ~ Normal(·, σ²) then (S − 1) s² / σ² ~ χ²_{S−1}: bounds on s/σ at level ALPHA."""
    df = n_runs - 1
    return tuple(np.sqrt(chi2.ppf([ALPHA / 2, 1 - ALPHA / 2], df) / df))


def _runs(model, config, n_runs, scale=1.0):
    network = make_network("mlp", model)
    params = {k: scale * v for k, v in network.init_params(1).items()}
    backend = get_backend("numpy")
    return [
        leaps_sample(network, params, model, backend, backend.rng(seed), config)
        for seed in range(n_runs)
    ]


def _unbiased(log_z, exact_log_z):
    """(|mean r − 1|, its standard error) for r = exp(log Ẑ − log Z) over independent runs."""
    ratio = np.exp(np.asarray(log_z) - exact_log_z)
    return abs(ratio.mean() - 1.0), ratio.std(ddof=1) / np.sqrt(ratio.size)


def test_resampling_error_bar_matches_the_spread_over_seeds():
    """Ising 2×2, untrained MLP, resampling at ESS < 0.9 in 16 islands of 32 (~74 island
    resamplings a run): the SD of log Ẑ over 24 seeds over the mean reported error lies within
    the χ² bounds [0.55, 1.50] (measured 1.14), and the walker-level i.i.d. formula on the same
    weights does not (measured 5.6: resampled walkers are correlated), so the check has power."""
    model = ising(2, 2, beta=0.6)
    config = CTMCConfig(n_steps=12, n_walkers=512, resample_threshold=0.9, n_islands=16)
    runs = _runs(model, config, n_runs=24)
    assert min(r.diagnostics["n_resamplings"] for r in runs) > 20
    log_z = np.array([r.log_z for r in runs])
    low, high = _sd_ratio_bounds(len(runs))
    spread = log_z.std(ddof=1)
    assert low < spread / np.mean([r.log_z_err for r in runs]) < high
    iid = np.mean([log_z_estimate(r.log_weights, model.log_z0)[1] for r in runs])
    assert not low < spread / iid < high
    bias, err = _unbiased(log_z, enumerate_model(model).log_z)
    assert bias < 4 * err


def test_one_resampled_population_reports_no_error_bar():
    """G = 1 with resampling: no honest error bar from one correlated population (as SMC)."""
    model = ising(2, 2, beta=0.6)
    runs = _runs(model, CTMCConfig(n_steps=6, n_walkers=64, resample_threshold=0.9), 1)
    assert runs[0].diagnostics["n_resamplings"] > 0 and runs[0].log_z_err is None


def test_resampling_that_never_triggers_keeps_the_walker_level_error():
    model = ising(2, 2, beta=0.6)
    threshold = 1e-9  # the ESS fraction never gets this low
    (run,) = _runs(model, CTMCConfig(n_steps=4, n_walkers=64, resample_threshold=threshold), 1)
    assert run.diagnostics["n_resamplings"] == 0
    assert run.log_z_err == log_z_estimate(run.log_weights, model.log_z0)[1]


def _sequential_runs(network, params, model, backend, seed, config, sizes):
    """Independent runs of ``sizes`` walkers one after the other on one generator."""
    rng = backend.rng(seed)
    return [
        leaps_sample(network, params, model, backend, rng, CTMCConfig(
            **{**config.config(), "n_walkers": size, "chunk_walkers": None}
        ))
        for size in sizes
    ]  # fmt: skip


def test_chunks_are_independent_ctmcs_concatenated(backend):
    """chunk_walkers=3 on 8 walkers (chunks 3, 3, 2) gives exactly the three runs of 3, 3 and 2
    walkers made one after the other with the same generator, concatenated; the diagnostics are
    those of the whole population (ESS after the last step = Kish ESS of the final weights)."""
    model = potts(3, 2, 3, beta=1.0)
    network = make_network("conv", model)
    params = params_to(backend, network.init_params(0))
    config = CTMCConfig(n_steps=5, n_walkers=8, mcmc_sweeps=1, chunk_walkers=3)
    chunked = leaps_sample(network, params, model, backend, backend.rng(4), config)
    parts = _sequential_runs(network, params, model, backend, 4, config, (3, 3, 2))
    np.testing.assert_allclose(
        chunked.log_weights, np.concatenate([p.log_weights for p in parts]), rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(
        backend.to_numpy(chunked.x), np.concatenate([backend.to_numpy(p.x) for p in parts])
    )
    for name in ("m", "E"):
        assert chunked.observables[name].shape == (8,)
    jumps = sum(p.n_samples * p.diagnostics["mean_jumps"] for p in parts) / 8
    np.testing.assert_allclose(chunked.diagnostics["mean_jumps"], jumps, rtol=1e-12)
    assert chunked.diagnostics["ess_fraction"].shape == (5,)
    assert chunked.diagnostics["ess_fraction"][-1] == pytest.approx(
        kish_ess(chunked.log_weights) / 8, rel=1e-12
    )
    assert chunked.diagnostics["n_chunks"] == 3 and chunked.n_evaluations == 8 * (1 + 5 + 4 + 5)
    assert chunked.log_z_err == log_z_estimate(chunked.log_weights, model.log_z0)[1]


def test_one_chunk_is_the_unchunked_sampler():
    model = ising(2, 3, beta=0.6)
    backend = get_backend("numpy")
    network = make_network("mlp", model)
    params = network.init_params(0)
    runs = [
        leaps_sample(network, params, model, backend, backend.rng(1),
                     CTMCConfig(n_steps=4, n_walkers=50, chunk_walkers=chunk))
        for chunk in (None, 50, 80)
    ]  # fmt: skip
    for run in runs[1:]:
        np.testing.assert_array_equal(run.log_weights, runs[0].log_weights)


def test_chunked_sampler_is_unbiased_in_z():
    """Ising 2×3 at β = 0.3 (untrained MLP), 400 walkers in chunks of 150 (150, 150, 100),
    40 seeds: mean exp(log Ẑ − log Z) = 1 within 4 standard errors (measured 1.6)."""
    model = ising(2, 3, beta=0.3)
    config = CTMCConfig(n_steps=6, n_walkers=400, chunk_walkers=150)
    runs = _runs(model, config, n_runs=40)
    assert all(r.diagnostics["n_chunks"] == 3 for r in runs)
    bias, err = _unbiased([r.log_z for r in runs], enumerate_model(model).log_z)
    assert bias < 4 * err


def test_chunks_of_whole_islands_resample_and_stay_unbiased(backend):
    """Resampling with 4 islands of 16 in chunks of 32 (two islands each), on every backend:
    resampling happens, the islands' error bar is reported, and over 12 seeds (numpy) or one
    run elsewhere log Ẑ is consistent with the exact value."""
    model = ising(2, 2, beta=0.6)
    network = make_network("mlp", model)
    params = params_to(backend, network.init_params(1))
    config = CTMCConfig(
        n_steps=6, n_walkers=64, resample_threshold=0.9, n_islands=4, chunk_walkers=32
    )
    n_runs = 12 if backend.name == "numpy" else 1
    runs = [
        leaps_sample(network, params, model, backend, backend.rng(seed), config)
        for seed in range(n_runs)
    ]
    exact = enumerate_model(model).log_z
    for run in runs:
        assert run.diagnostics["n_chunks"] == 2 and run.diagnostics["n_resamplings"] > 0
        assert run.log_weights.shape == (64,) and run.log_z_err > 0
        assert abs(run.log_z - exact) < 5 * run.log_z_err
    if n_runs > 1:
        bias, err = _unbiased([r.log_z for r in runs], exact)
        assert bias < 4 * err


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"n_islands": 2}, "needs resample_threshold"),
        ({"n_islands": 3, "n_walkers": 10, "resample_threshold": 0.5}, "multiple of n_islands"),
        ({"chunk_walkers": 0}, "chunk_walkers must be an integer >= 1"),
        ({"chunk_walkers": 2.5}, "chunk_walkers must be an integer"),
        (
            {"chunk_walkers": 100, "n_walkers": 400, "resample_threshold": 0.5},
            "multiple of the island size n_walkers / n_islands = 400",
        ),
        (
            {"chunk_walkers": 50, "n_walkers": 400, "resample_threshold": 0.5, "n_islands": 4},
            "island size n_walkers / n_islands = 100",
        ),
    ],
)
def test_bad_island_and_chunk_settings(settings, match):
    with pytest.raises(ValueError, match=match):
        CTMCConfig(**settings)


def test_checkerboard_steps_are_unbiased_in_z():
    """Ising 2×3 at β = 0.3 (untrained MLP), exact weights with checkerboard steps (half the
    sites per step, step 2h), 200 walkers, 40 seeds: mean exp(log Ẑ − log Z) = 1 within 4
    standard errors; no two neighbours ever jump in one step."""
    model = ising(2, 3, beta=0.3)
    config = CTMCConfig(n_steps=6, n_walkers=200, sites="checkerboard")
    runs = _runs(model, config, n_runs=40, scale=3.0)
    bias, err = _unbiased([r.log_z for r in runs], enumerate_model(model).log_z)
    assert bias < 4 * err
    assert min(r.diagnostics["ess_fraction"][-1] for r in runs) < 0.99  # weights not trivial


def test_checkerboard_moves_one_sublattice_per_step():
    from leapsbench.leaps.ctmc import init, step

    model, backend = ising(4, beta=0.4), get_backend("numpy")
    network = make_network("mlp", model)
    config = CTMCConfig(n_steps=2, sites="checkerboard")
    dynamics = config.dynamics(network, params_to(backend, network.init_params(0)), model)
    state = init(backend.rng(0), dynamics, 64, backend)
    parity = (np.arange(4)[:, None] + np.arange(4)[None, :]) % 2
    for k in range(2):
        state, info = step(backend.rng(k), state, dynamics)
        assert info.moved.any() and not info.moved[:, parity == k % 2 ^ 1].any()
    with pytest.raises(ValueError, match="needs weights='exact'"):
        CTMCConfig(sites="checkerboard", weights="euler")
    assert "sites" not in CTMCConfig().config()  # older configs unchanged
