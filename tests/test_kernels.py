"""The kernel protocol and the SMC engine (issue #27): kernels as objects, one engine."""

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines import local
from leapsbench.baselines.annealing import AnnealingConfig, anneal
from leapsbench.baselines.chains import run_chains
from leapsbench.baselines.kernels import ClusterUpdate, LocalSweep, SwendsenWang, Wolff, kernel_for

from leapsbench import smc
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.kernels import Kernel, MCMCKernel, WalkerState
from leapsbench.leaps.ctmc import CTMCConfig, TauLeap, leaps_sample
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising, potts

DOC = Path(__file__).resolve().parents[1] / "docs" / "kernels.md"


@pytest.fixture
def numpy_backend():
    return get_backend("numpy")


def test_check_int_takes_numpy_integers_and_refuses_bool():
    assert smc.check_int("n", np.int64(3), 1) == 3
    for bad in (True, 2.0, "3", 0):
        with pytest.raises(ValueError, match="n must be an integer >= 1"):
            smc.check_int("n", bad, 1)
    # the two families now agree (LEAPS refused np.int64 before)
    assert CTMCConfig(n_walkers=np.int64(10)).n_walkers == 10
    assert AnnealingConfig(n_walkers=np.int64(10)).n_walkers == 10


def test_kernel_objects_follow_the_protocol(numpy_backend):
    model = ising(3, beta=0.4)
    network = make_network("mlp", model)
    dynamics = CTMCConfig(n_steps=4, n_walkers=8).dynamics(network, network.init_params(0), model)
    for kernel in (LocalSweep("heatbath"), SwendsenWang(), Wolff(), TauLeap(dynamics)):
        assert isinstance(kernel, Kernel)
    assert isinstance(LocalSweep(), MCMCKernel)
    assert kernel_for("wolff") == Wolff()
    assert kernel_for(Wolff()) == Wolff()
    with pytest.raises(ValueError, match="unknown MCMC rule 'gibbs'"):
        kernel_for("gibbs")
    rng = numpy_backend.rng(0)
    state = TauLeap(dynamics).init(rng, model, 8, numpy_backend)
    state, info = TauLeap(dynamics).step(rng, state)
    assert state.k == 1 and info.increment.shape == (8,)


def test_local_kernel_is_the_sweep(numpy_backend):
    model = potts(3, 4, beta=0.8)
    x = model.uniform_states(numpy_backend, numpy_backend.rng(1), 16)
    new, info = LocalSweep("heatbath").step(numpy_backend.rng(2), WalkerState(x), model, 0.8)
    expected, acceptance = local.sweep(model, x, 0.8, numpy_backend.rng(2), "heatbath")
    np.testing.assert_array_equal(new.x, expected)
    np.testing.assert_array_equal(info.acceptance, acceptance)


def test_chains_take_a_kernel_object(numpy_backend):
    model = ising(4, beta=0.3)
    runs = [
        run_chains(model, numpy_backend, numpy_backend.rng(3), 4, 5, 10, rule=rule)
        for rule in ("swendsen-wang", ClusterUpdate("swendsen-wang"))
    ]
    for key in ("m", "E", "m2_cluster"):
        np.testing.assert_array_equal(runs[0].observables[key], runs[1].observables[key])


def test_select_takes_walker_fields_only():
    state = smc.SMCState(np.arange(4)[:, None] * np.ones((4, 2)), np.zeros(4), 0.5, 3)
    chosen = smc.select(state, np.array([3, 3, 0, 1]), np.full(4, -1.0))
    np.testing.assert_array_equal(chosen.x[:, 0], [3, 3, 0, 1])
    assert chosen.beta == 0.5 and chosen.k == 3 and chosen.log_w[0] == -1.0


def _within(log_z, err, exact, sigmas=5.0):
    assert err is not None and err > 0
    assert abs(log_z - exact) < sigmas * err, (log_z, err, exact)


def test_docs_example_against_enumeration():
    """docs/kernels.md's "my proposal + leapsbench's SMC" block, run as written."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    scope = {}
    exec(compile(code, str(DOC), "exec"), scope)  # noqa: S102 - our own docs
    _within(scope["log_z"], scope["err"], enumerate_model(scope["model"]).log_z)


def test_ais_mutates_with_any_kernel(numpy_backend):
    model = potts(3, 3, beta=0.9)
    config = AnnealingConfig(
        n_walkers=400, n_steps=20, rule=Wolff(), resampling="systematic", n_islands=10
    )
    samples = anneal(model, numpy_backend, 4, config)
    _within(samples.log_z, samples.log_z_err, enumerate_model(model).log_z)


def test_leaps_refines_with_any_kernel(numpy_backend):
    """LEAPS refinement by Swendsen–Wang, as an object and by name, with no LEAPS edit."""
    model = ising(2, 3, beta=0.5)
    network = make_network("mlp", model)
    params = network.init_params(0)
    config = CTMCConfig(
        n_steps=8, n_walkers=400, mcmc_sweeps=1, resample_threshold=0.5, n_islands=10
    )
    exact = enumerate_model(model).log_z
    by_object = leaps_sample(
        network, params, model, numpy_backend, numpy_backend.rng(5), config, kernel=SwendsenWang()
    )
    _within(by_object.log_z, by_object.log_z_err, exact)
    named = CTMCConfig(**{**config.config(), "mcmc_rule": "swendsen-wang"})
    by_name = leaps_sample(network, params, model, numpy_backend, numpy_backend.rng(5), named)
    assert by_name.log_z == by_object.log_z


def test_smc_keys_spelled_either_way(capsys, monkeypatch):
    """AIS/SMC and LEAPS take each other's spelling of an SMC key (a note, once), so one set of
    --set keys works for both; stored configs keep the family's own spelling."""
    from leapsbench.harness.methods import make_method

    monkeypatch.setattr(smc, "_NOTED", set())
    leaps_way = {"mcmc_sweeps": 2, "mcmc_rule": "heatbath", "resample_threshold": 0.7}
    ais_way = {"n_sweeps": 2, "rule": "heatbath", "threshold": 0.7}
    assert (
        make_method("smc", overrides=leaps_way).settings
        == make_method("smc", overrides=ais_way).settings
    )
    sampler = make_method("leaps-mlp", overrides={**ais_way, "rule": "metropolis"}).settings.sampler
    assert (sampler.mcmc_sweeps, sampler.resample_threshold) == (2, 0.7)
    make_method("smc", overrides=leaps_way)
    assert capsys.readouterr().err.count("smc reads mcmc_sweeps as n_sweeps") == 1
    with pytest.raises(ValueError, match="resample_threshold and threshold are one setting"):
        make_method("smc", overrides={"threshold": 0.5, "resample_threshold": 0.4})
    with pytest.raises(ValueError, match="unknown ais override"):
        make_method("ais", overrides={"resample_threshold": 0.5})


def test_training_and_sampling_accept_the_same_kernel_names():
    from leapsbench.leaps.train import TrainConfig

    for rule in ("metropolis", "heatbath", "swendsen-wang", "wolff"):
        assert TrainConfig(mcmc_rule=rule).mcmc_rule == CTMCConfig(mcmc_rule=rule).mcmc_rule
    with pytest.raises(ValueError, match="unknown mcmc_rule 'gibbs'"):
        TrainConfig(mcmc_rule="gibbs")


def test_both_families_embed_one_smc_config():
    """AIS/SMC and LEAPS settings hold the same SMCConfig record; their flat keys (either
    family's spelling through --set) read it back, and a stored flat config rebuilds the same
    settings."""
    from leapsbench.harness.methods import make_method

    keys = {"n_walkers": 40, "n_islands": 4, "threshold": 0.7, "n_sweeps": 2, "rule": "heatbath"}
    annealing = make_method("smc", overrides=keys).settings
    leaps = make_method("leaps-mlp", overrides=keys).settings.sampler
    population = smc.SMCConfig(40, 4, 0.7, "systematic", 2, "heatbath")
    assert annealing.smc == population and leaps.smc == population
    assert (leaps.n_walkers, leaps.mcmc_sweeps, leaps.resample_threshold) == (40, 2, 0.7)
    assert (annealing.n_sweeps, annealing.resampling, annealing.n_islands) == (2, "systematic", 4)
    for settings in (annealing, leaps):
        assert type(settings)(**settings.config()) == settings
        assert type(settings)(smc=population).smc == population
    chunked = replace(leaps, n_walkers=80, n_islands=8)
    assert chunked.smc == smc.SMCConfig(80, 8, 0.7, "systematic", 2, "heatbath")
    ais = AnnealingConfig(n_walkers=10)
    assert ais.smc.threshold is None and (ais.resampling, ais.threshold) == (None, 0.5)
    with pytest.raises(TypeError, match="unexpected keyword argument.*mcmc_sweeps"):
        AnnealingConfig(mcmc_sweeps=2)
    with pytest.raises(TypeError, match="unexpected keyword argument.*scheme"):
        CTMCConfig(scheme="multinomial")


def test_timed_chunks_are_whole_islands_for_both_families():
    """smc.island_chunks, the one sizing of timed AIS/SMC and LEAPS chunks: B/G walkers per
    island and n/(B/G) islands in a chunk of n with resampling; 1 and 1 without."""
    island, islands = smc.island_chunks(smc.SMCConfig(40, 4, 0.7), 40)
    assert (island, islands(20), islands(80)) == (10, 2, 8)
    assert smc.island_chunks(smc.SMCConfig(40, 4, 0.7), 80)[0] == 20  # a budget-sized B'
    island, islands = smc.island_chunks(smc.SMCConfig(40), 40)
    assert (island, islands(7), islands(80)) == (1, 1, 1)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath", "swendsen-wang", "wolff"])
def test_chain_steps_take_the_generator_first_and_leave_the_state_alone(numpy_backend, rule):
    """chains.start/step: the kernel's immutable WalkerState, the generator passed in; a step
    from the same state with an equally seeded stream is the same step (replayable)."""
    from leapsbench.baselines import chains

    model = ising(4, beta=0.4)
    kernel, stream, state = chains.start(numpy_backend.rng(0), model, 8, numpy_backend, rule)
    assert isinstance(state, WalkerState) and kernel.name == rule
    before = state.x.copy()
    moved, info = chains.step(stream, state, model, model.beta, kernel)
    np.testing.assert_array_equal(state.x, before)
    assert info.acceptance.shape == (8,) and np.any(moved.x != before)
    _, replay, again = chains.start(numpy_backend.rng(0), model, 8, numpy_backend, rule)
    np.testing.assert_array_equal(again.x, before)
    np.testing.assert_array_equal(
        chains.step(replay, again, model, model.beta, kernel)[0].x, moved.x
    )
