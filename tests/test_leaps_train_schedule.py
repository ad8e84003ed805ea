"""LEAPS training follows the sampler's annealing schedule β_t = β λ(t), not only λ(t) = t."""

import array_api_compat
import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.leaps import train
from leapsbench.leaps.ctmc import CTMCConfig, _euler_increment, leaps_sample
from leapsbench.leaps.fnet import dfdt, init_fnet
from leapsbench.leaps.losses import path_log_weights, pinn_residual, rollout
from leapsbench.leaps.method import make
from leapsbench.leaps.networks import make_network
from leapsbench.leaps.train import TrainConfig
from leapsbench.models import get_schedule, ising, potts
from leapsbench.params import params_to


@pytest.mark.parametrize("schedule", ["linear", "power"])
@pytest.mark.parametrize(
    "model", [ising(2, 3, beta=0.7), potts(3, 2, 2, beta=1.1)], ids=["ising", "potts"]
)
def test_pinn_residual_is_the_euler_weight_increment_per_unit_time(model, schedule):
    """h · (r_t(x) − ∂_tF_t) = the sampler's Euler increment at (x, t) with β_t = β λ(t) and
    ∂_tβ_t = β λ'(t) of the same schedule (float rounding only)."""
    torch = pytest.importorskip("torch")
    backend = get_backend("torch", device="cpu")
    network = make_network("mlp", model)
    params = params_to(backend, {k: 3 * v for k, v in network.init_params(1).items()})
    fnet = params_to(backend, init_fnet(8, 0))
    x = model.uniform_states(backend, backend.rng(2), 32)
    floor, h, chosen = 1e-3, 0.05, get_schedule(schedule)
    for t in (0.1, 0.5, 0.9):
        times = torch.full((32,), t, dtype=torch.float64)
        residual = pinn_residual(network, params, fnet, model, x, times, floor, chosen)
        G = network.apply(params, x, t)
        beta, dbeta = model.beta * chosen.fraction(t), model.beta * chosen.dfraction(t)
        euler = _euler_increment(model, beta, dbeta, x, G, model.one_hot(x, G.dtype), floor, h)
        per_time = (residual - dfdt(array_api_compat.array_namespace(times), fnet, times)) * h
        np.testing.assert_allclose(per_time.detach().numpy(), euler.numpy(), rtol=1e-12)
    linear = pinn_residual(network, params, fnet, model, x, times, floor, get_schedule())
    if schedule == "power":  # the check can tell the schedules apart
        assert not np.allclose(residual.detach().numpy(), linear.detach().numpy(), rtol=1e-3)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_rollout_log_weights_are_the_samplers_under_the_power_schedule(rule):
    """A training rollout makes the sampler's random draws in the same order (tau-leap moves,
    then sweeps of ``rule`` at β_{t+h}); its exact log weights equal leaps_sample's for the power
    schedule, and differ from the linear-schedule weights of the same path."""
    pytest.importorskip("torch")
    backend = get_backend("torch", device="cpu")
    model = ising(2, 3, beta=0.8)
    network = make_network("mlp", model)
    params = params_to(backend, {k: 3 * v for k, v in network.init_params(4).items()})
    config = TrainConfig(walkers=16, horizon=5, mcmc_sweeps=1, schedule="power", mcmc_rule=rule)
    path = rollout(network, params, model, backend, backend.rng(7), config, config.horizon)
    power = get_schedule("power")
    log_w = path_log_weights(network, params, model, path, 1 / 5, config.rate_floor, power)
    sampler = CTMCConfig(n_steps=5, n_walkers=16, mcmc_sweeps=1, schedule="power", mcmc_rule=rule)
    samples = leaps_sample(network, params, model, backend, backend.rng(7), sampler)
    np.testing.assert_allclose(log_w.numpy(), samples.log_weights, rtol=1e-12, atol=1e-12)
    linear = path_log_weights(
        network, params, model, path, 1 / 5, config.rate_floor, get_schedule()
    )
    assert np.max(np.abs(linear.numpy() - samples.log_weights)) > 1e-3


def test_the_adapter_trains_with_the_samplers_schedule_and_floor(monkeypatch):
    """``schedule``/``rate_floor`` are sampler keys that training takes over; the PINN residual
    inside ``fit`` is evaluated with that schedule."""
    method = make("leaps-mlp", "quick", {"schedule": "power", "rate_floor": 0.01})
    training = method.settings.training
    assert (training.schedule, training.rate_floor) == ("power", 0.01)
    seen = []

    def spy(*args):
        seen.append((args[-1].name, args[-2]))
        return pinn_residual(*args)

    monkeypatch.setattr(train, "pinn_residual", spy)
    small = {"train_steps": 2, "train_walkers": 4, "train_horizon": 3, "schedule": "power"}
    numpy = get_backend("numpy")
    make("leaps-mlp", "quick", small).fit(ising(2, 2, beta=0.5), numpy, numpy.rng(0), None)
    assert seen == [("power", 1e-3)] * 2
    for key in ("train_schedule", "train_rate_floor"):
        with pytest.raises(ValueError, match=f"{key} is not a key: training uses the sampler"):
            make("leaps-mlp", "quick", {key: "x"})


def test_log_variance_loss_without_rate_floor_is_refused():
    with pytest.raises(ValueError, match="log_variance loss uses the exact weights, which need"):
        TrainConfig(loss="log_variance", rate_floor=0.0)
    with pytest.raises(ValueError, match="unknown schedule 'cosine'"):
        TrainConfig(schedule="cosine")
    assert TrainConfig(rate_floor=0.0).rate_floor == 0.0  # PINN rates need no floor
