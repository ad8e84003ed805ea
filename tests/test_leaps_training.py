"""LEAPS training and adapter: training raises the ESS; checkpoints serve every backend."""

import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.exact.enumerate import enumerate_model
from leapsbench.leaps.ctmc import CTMCConfig, leaps_sample, tau_leap_step
from leapsbench.leaps.losses import path_log_weights
from leapsbench.leaps.method import make
from leapsbench.leaps.networks import make_network
from leapsbench.leaps.train import TrainConfig
from leapsbench.method import Budget
from leapsbench.models import get_schedule, ising, potts
from leapsbench.params import params_to


@pytest.fixture(scope="module")
def trained():
    model = ising(3, 4, beta=0.5)
    method = make("leaps-mlp", "quick", {"train_steps": 120, "n_walkers": 2000})
    numpy = get_backend("numpy")
    info = method.fit(model, numpy, numpy.rng(0), Budget())
    return model, method, info


def _final_ess_untrained_and_trained(method, model, n_steps: int, n_walkers: int):
    """Final ESS fractions of the sampler with the untrained (seed-0) network and after
    ``method.fit`` on numpy, both sampled with seed 1."""
    numpy = get_backend("numpy")
    method.fit(model, numpy, numpy.rng(0), Budget())
    config = CTMCConfig(n_steps=n_steps, n_walkers=n_walkers)
    untrained = method.network.init_params(0)
    before = leaps_sample(method.network, untrained, model, numpy, numpy.rng(1), config)
    after = method.sample(model, numpy, numpy.rng(1), Budget())
    return before.diagnostics["ess_fraction"][-1], after.diagnostics["ess_fraction"][-1]


def test_training_clearly_raises_the_ess(trained):
    model, method, info = trained
    numpy = get_backend("numpy")
    assert info["train_steps"] == 120
    untrained_params = method.network.init_params(0)
    config = CTMCConfig(n_steps=50, n_walkers=2000)
    before = leaps_sample(method.network, untrained_params, model, numpy, numpy.rng(1), config)
    after = method.sample(model, numpy, numpy.rng(1), Budget())
    ess_before = before.diagnostics["ess_fraction"][-1]
    ess_after = after.diagnostics["ess_fraction"][-1]
    assert ess_after > 5 * ess_before and ess_after > 0.2


def test_conv_training_clearly_raises_the_ess():
    """LE-conv on Ising 3×3 (β = 0.6, 20 sampler steps), 80 PINN steps.  Measured: final ESS
    fraction 0.005 / 0.017 untrained, 0.26 / 0.22 trained (sampler seeds 1 / 2)."""
    model = ising(3, 3, beta=0.6)
    overrides = {"train_steps": 80, "train_walkers": 32, "train_horizon": 10, "n_steps": 20}
    method = make("leaps-conv", "quick", overrides)
    ess_before, ess_after = _final_ess_untrained_and_trained(method, model, 20, 1000)
    assert ess_after > 5 * ess_before and ess_after > 0.1, (ess_before, ess_after)


def test_trained_sampler_is_unbiased_in_z(trained):
    """The exact weights make Ẑ = Z_0 mean_i e^{A_i} unbiased, E[Ẑ/Z] = 1, for any walker count:
    the mean of Ẑ/Z over 20 independent runs is 1 within 4 of its standard errors."""
    model, method, _ = trained
    exact = enumerate_model(model)
    numpy = get_backend("numpy")
    ratios = np.array(
        [
            np.exp(
                method.sample(model, numpy, numpy.rng(100 + s), Budget(n_samples=200)).log_z
                - exact.log_z
            )
            for s in range(20)
        ]
    )
    standard_error = ratios.std(ddof=1) / np.sqrt(len(ratios))
    assert abs(ratios.mean() - 1) < 4 * standard_error, (ratios.mean(), standard_error)


def _numpy_rollout(network, params, model, n_steps, walkers, seed):
    """A fixed path of the sampler on numpy: [(x_k, x_{k+1}, moved)] (no MCMC)."""
    numpy = get_backend("numpy")
    rng, h, path = numpy.rng(seed), 1 / n_steps, []
    x = model.uniform_states(numpy, rng, walkers)
    for k in range(n_steps):
        G = network.apply(params, x, k * h)
        x_next, moved, *_ = tau_leap_step(model, G, x, rng, h, 1e-3)
        path.append((x, x_next, moved))
        x = x_next
    return path


def test_checkpoint_samples_identically_on_every_backend(trained, backend, tmp_path):
    """A checkpoint loaded on any backend gives (1) the scores and the exact log weights of a
    fixed path that numpy gives, to float64 rounding, and (2) a log Ẑ within 4 combined
    standard errors of numpy's (the random draws differ per backend)."""
    model, method, _ = trained
    method.save(tmp_path / "leaps")
    again = make("leaps-mlp", "quick", {"train_steps": 120, "n_walkers": 2000})
    again.load(tmp_path / "leaps", model)
    numpy = get_backend("numpy")
    x = model.uniform_states(numpy, numpy.rng(0), 16)
    reference = method.network.apply(method.params, x, 0.3)
    params = params_to(backend, again.params)
    got = again.network.apply(params, backend.asarray(x), 0.3)
    np.testing.assert_allclose(backend.to_numpy(got), reference, atol=1e-12)
    path = _numpy_rollout(method.network, method.params, model, 50, 64, seed=5)
    schedule = get_schedule()
    expected = path_log_weights(method.network, method.params, model, path, 1 / 50, 1e-3, schedule)
    on_backend = [tuple(backend.asarray(a) for a in step) for step in path]
    log_w = path_log_weights(again.network, params, model, on_backend, 1 / 50, 1e-3, schedule)
    np.testing.assert_allclose(backend.to_numpy(log_w), expected, rtol=1e-10, atol=1e-10)
    here = again.sample(model, backend, backend.rng(3), Budget(n_samples=500))
    there = again.sample(model, numpy, numpy.rng(4), Budget(n_samples=500))
    combined = np.hypot(here.log_z_err, there.log_z_err)
    assert abs(here.log_z - there.log_z) < 4 * combined, (here.log_z, there.log_z, combined)


def test_checkpoint_for_another_model_is_refused(trained, tmp_path):
    model, method, _ = trained
    method.save(tmp_path / "leaps")
    other = make("leaps-mlp", "quick", {"train_steps": 120, "n_walkers": 2000})
    with pytest.raises(ValueError, match="checkpoint is for ising"):
        other.load(tmp_path / "leaps", potts(3, 3, 4, beta=1.0))


def test_bad_overrides():
    with pytest.raises(ValueError, match="valid keys"):
        make("leaps-conv", "quick", {"n_stepz": 3})
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        make("leaps-conv", "quick", {"n_steps": 0})
    with pytest.raises(ValueError, match="training steps must be an integer >= 1"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="unknown LEAPS method"):
        make("leaps-gnn")


def test_horizon_curriculum_grows_from_one_to_the_full_horizon():
    from leapsbench.leaps.train import horizon_at

    config = TrainConfig(horizon=125, curriculum_steps=20_000)
    got = [horizon_at(s, config) for s in (0, 10_000, 20_000, 50_000)]
    assert got == [1, 63, 125, 125]
    assert horizon_at(0, TrainConfig(horizon=20)) == 20
    with pytest.raises(ValueError, match="curriculum_steps must be an integer >= 0"):
        TrainConfig(curriculum_steps=-1)
    assert make("leaps-conv", "paper").config["train_curriculum_steps"] == 20_000


def test_periodic_evaluation_reports_ess_and_log_z():
    model = ising(2, 3, beta=0.4)
    method = make("leaps-mlp", "quick", {"train_steps": 4, "train_eval_every": 2})
    seen = []
    numpy = get_backend("numpy")
    info = method.fit(model, numpy, numpy.rng(0), Budget(), lambda *a, **m: seen.append(m))
    steps = [row[0] for row in info["eval"]]
    assert steps == [2, 4] and all(0 < row[1] <= 1 and np.isfinite(row[2]) for row in info["eval"])
    assert "ess_fraction" in seen[1] and "ess_fraction" not in seen[0]


@pytest.mark.parametrize(
    ("loss", "expected"),
    # PINN: rollouts at steps 0, 2, 4 (16 walkers × 4 steps) + 10 pairs per step; log-variance:
    # every step a rollout (64) and its exact weights (G at x_k and x'_{k+1}: 128)
    [("pinn", 3 * 16 * 4 + 5 * 10), ("log_variance", 5 * (16 * 4 + 2 * 16 * 4))],
)
def test_training_counts_its_network_passes(loss, expected):
    from leapsbench.leaps.train import train_leaps

    model = ising(2, 3, beta=0.4)
    network = make_network("mlp", model)
    config = TrainConfig(steps=5, walkers=16, horizon=4, refresh_every=2, pairs=10, loss=loss)
    history = train_leaps(network, network.init_params(0), model, config, 3)[2]
    assert history["network_evaluations"] == expected


def test_adapter_accumulates_training_passes_over_continued_fits(tmp_path):
    model = ising(2, 3, beta=0.4)
    numpy = get_backend("numpy")
    overrides = {"train_steps": 2, "train_walkers": 8, "train_pairs": 10, "train_refresh_every": 2}
    method = make("leaps-mlp", "quick", overrides)
    first = method.fit(model, numpy, numpy.rng(0), Budget())["train_network_evaluations"]
    assert first == 8 * method.settings.training.horizon + 2 * 10  # one rollout, 2 × 10 pairs
    method.save(tmp_path / "ckpt")
    loaded = make("leaps-mlp", "quick", overrides)
    loaded.load(tmp_path / "ckpt", model)
    assert loaded.network_evaluations == first
    more = loaded.fit(model, numpy, numpy.rng(0), Budget(train_steps=4))
    assert more["steps_done"] == 4 and more["train_network_evaluations"] > first


def test_curriculum_under_a_time_budget_follows_the_clock():
    from leapsbench.leaps.train import curriculum_step, horizon_at

    config = TrainConfig(steps=1000, horizon=101, curriculum_steps=200)
    assert curriculum_step(10, config, elapsed=5.0, max_seconds=None) == 10
    reached = curriculum_step(10, config, elapsed=10.0, max_seconds=100.0)  # 10 % of the time
    assert reached == 100 and horizon_at(reached, config) == 51
    assert curriculum_step(300, config, elapsed=10.0, max_seconds=100.0) == 300


def test_bad_training_loss_is_refused():
    with pytest.raises(ValueError, match="unknown training loss 'kl'; choose from pinn"):
        TrainConfig(loss="kl")


def test_log_variance_training_raises_the_ess():
    """Measured: final ESS fraction 0.020 untrained, 0.17 after 60 log-variance steps."""
    model = ising(3, 4, beta=0.5)
    overrides = {"train_steps": 60, "train_loss": "log_variance", "n_walkers": 2000}
    method = make("leaps-mlp", "quick", overrides)
    ess_before, ess_after = _final_ess_untrained_and_trained(method, model, 50, 2000)
    assert ess_after > 3 * ess_before, (ess_before, ess_after)


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("loss", ["log_variance", "pinn"])
def test_interrupted_training_resumes_from_its_checkpoint(tmp_path, loss):
    """Ctrl-C at step 5 with checkpoints every 2 steps: the rerun continues at step 4 with the
    saved optimiser and RNG.  Without a replay buffer (log-variance) it then matches an
    uninterrupted run exactly; PINN restarts its buffer, so only the first 4 losses match."""
    from leapsbench.leaps.train import train_leaps

    model = ising(2, 3, beta=0.4)
    network = make_network("mlp", model)
    params = network.init_params(0)
    config = TrainConfig(steps=8, walkers=16, horizon=4, checkpoint_every=2, loss=loss)
    path = tmp_path / "state.pt"

    def interrupt_at_5(step, total, **metrics):
        if step == 5:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_leaps(network, params, model, config, 3, checkpoint=path, progress=interrupt_at_5)
    seen = []
    resumed = train_leaps(
        network,
        params,
        model,
        config,
        3,
        checkpoint=path,
        progress=lambda s, t, **m: seen.append(s),
    )
    straight = train_leaps(network, params, model, config, 3)
    assert seen == [5, 6, 7, 8] and len(resumed[2]["loss"]) == 8
    assert resumed[2]["network_evaluations"] == straight[2]["network_evaluations"] > 0
    np.testing.assert_array_equal(resumed[2]["loss"][:4], straight[2]["loss"][:4])
    if loss == "log_variance":
        np.testing.assert_array_equal(resumed[2]["loss"], straight[2]["loss"])
        for k in straight[0]:
            np.testing.assert_array_equal(resumed[0][k], straight[0][k])
    other = TrainConfig(steps=8, walkers=32, horizon=4, checkpoint_every=2, loss=loss)
    with pytest.raises(ValueError, match="belongs to another run"):
        train_leaps(network, params, model, other, 3, checkpoint=path)


def test_paper_preset_has_the_listed_parameter_count():
    """LE-conv (kernels 3, 5, 7, 9, 15; 20 channels) + F-net 1→200→200→200→200→1 on the 24×24
    Ising benchmark: 207 212 + 121 201 = 328 413 ≈ 3.30e5, the figure of the benchmark listing."""
    from leapsbench.leaps.fnet import dfdt, init_fnet
    from leapsbench.leaps.networks import default_hyper
    from leapsbench.params import param_count

    method = make("leaps-conv", "paper")
    model = ising(24, 24, beta=0.4407)
    network = make_network("conv", model, **default_hyper("conv", "paper"))
    train = method.settings.training
    fnet = init_fnet(train.fnet_width, 0, train.fnet_depth)
    total = param_count(network.init_params(0)) + param_count(fnet)
    assert total == pytest.approx(3.30e5, rel=0.01)
    assert dfdt(np, fnet, np.linspace(0, 1, 7)).shape == (7,)
