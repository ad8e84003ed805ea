"""LEAPS training runs on the device of its torch backend (CPU here, CUDA where there is one).

``torch:cuda`` skips without a GPU (tests/conftest.py; LEAPSBENCH_REQUIRE_BACKENDS=torch:cuda makes
it fail instead).  On CUDA any tensor made on the CPU by the training code (times, indices,
generators, a reloaded training state) raises a device-mismatch error, so one short run of each
loss, with MCMC sweeps, evaluation and a resume from the training state, covers every path.
"""

import numpy as np
import pytest

from leapsbench.leaps.losses import path_states_and_times, rollout
from leapsbench.leaps.networks import make_network
from leapsbench.leaps.train import TrainConfig, train_leaps
from leapsbench.models import ising
from leapsbench.params import params_to


@pytest.mark.parametrize("backend", ["torch", "torch:cuda"], indirect=True)
@pytest.mark.parametrize("loss", ["pinn", "log_variance"])
def test_five_training_steps_on_the_backend_device(backend, loss, tmp_path):
    model = ising(2, 2, beta=0.5)
    network = make_network("mlp", model, width=8)
    config = TrainConfig(
        steps=5,
        walkers=8,
        horizon=4,
        pairs=16,
        mcmc_sweeps=1,
        eval_every=5,
        eval_walkers=16,
        checkpoint_every=2,
        loss=loss,
        schedule="power",
    )
    device = str(backend.device)
    state = tmp_path / "state.pt"
    first = train_leaps(
        network, network.init_params(0), model, config, 1, device, max_steps=4, checkpoint=state
    )
    params, fnet, history = train_leaps(
        network, network.init_params(0), model, config, 1, device, checkpoint=state
    )
    assert history["steps_done"] == 5 and len(first[2]["loss"]) == 4
    assert len(history["loss"]) == 5 and np.all(np.isfinite(history["loss"]))
    assert history["eval"][:, 0].tolist() == [5] and 0 < history["eval"][0, 1] <= 1
    for value in (*params.values(), *fnet.values()):
        assert isinstance(value, np.ndarray) and np.all(np.isfinite(value))
    weights = params_to(backend, params)
    path = rollout(network, weights, model, backend, backend.rng(0), config, 3)
    states, times = path_states_and_times(path, 0.25, backend.dtype)
    assert states.device == times.device and times.device.type == backend.device.type
    assert times.dtype == backend.dtype
