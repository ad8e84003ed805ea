"""A killed LEAPS training resumed from its training state ends bitwise equal to an
uninterrupted one (replay buffer, RNG and optimiser are saved); unreadable or unsafe state files
are refused with the file's name and the way out."""

import numpy as np
import pytest

from leapsbench.leaps.networks import make_network
from leapsbench.leaps.train import TrainConfig, train_leaps
from leapsbench.leaps.train_state import load_training_state
from leapsbench.models import ising

pytest.importorskip("torch")
MODEL = ising(2, 3, beta=0.6)
NETWORK = make_network("mlp", MODEL)
BASE = {
    "steps": 9,
    "walkers": 8,
    "horizon": 4,
    "pairs": 16,
    "buffer_rollouts": 3,
    "refresh_every": 2,
    "checkpoint_every": 3,
    "eval_every": 4,
    "eval_walkers": 16,
    "curriculum_steps": 6,
}


class Killed(Exception):
    pass


def _train(config, path, progress=None):
    return train_leaps(
        NETWORK, NETWORK.init_params(0), MODEL, config, 5, checkpoint=path, progress=progress
    )


def _assert_identical(a, b):
    for group in (0, 1):
        assert set(a[group]) == set(b[group])
        for name in a[group]:
            np.testing.assert_array_equal(a[group][name], b[group][name])
    np.testing.assert_array_equal(a[2]["loss"], b[2]["loss"])
    np.testing.assert_array_equal(a[2]["eval"], b[2]["eval"])
    assert a[2]["steps_done"] == b[2]["steps_done"] == 9


@pytest.mark.parametrize(
    "overrides",
    [{}, {"mcmc_sweeps": 1, "mcmc_rule": "heatbath"}, {"loss": "log_variance"}],
    ids=["pinn-buffer", "pinn-sweeps", "log-variance"],
)
def test_killed_and_resumed_training_equals_an_uninterrupted_one(tmp_path, overrides):
    config = TrainConfig(**{**BASE, **overrides})
    whole = _train(config, tmp_path / "whole.pt")

    def kill(step, total, **metrics):
        if step == 5:  # the state was written at step 3: steps 4 and 5 are lost
            raise Killed

    with pytest.raises(Killed):
        _train(config, tmp_path / "killed.pt", kill)
    steps = []
    resumed = _train(config, tmp_path / "killed.pt", lambda s, t, **m: steps.append(s))
    assert steps == [4, 5, 6, 7, 8, 9]  # it did resume from step 3
    _assert_identical(whole, resumed)


def test_unreadable_or_unsafe_training_state_is_refused_with_the_way_out(tmp_path):
    import torch

    config = TrainConfig(**{**BASE, "steps": 3})
    path = tmp_path / "entry" / "training-state.pt"
    _train(config, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"training state {path} is truncated.*delete it"):
        _train(config, path)
    torch.save({"signature": {}, "payload": Killed()}, path)  # an arbitrary pickled object
    refused = f"training state {path} holds a .*Killed object, which the safe loader refuses"
    with pytest.raises(ValueError, match=refused):
        load_training_state(path, {})


def test_a_state_without_replay_buffer_restarts_training_with_a_warning(tmp_path):
    import torch

    config = TrainConfig(**BASE)
    fresh = _train(config, None)
    path = tmp_path / "old.pt"

    def kill(step, total, **metrics):
        if step == 4:
            raise Killed

    with pytest.raises(Killed):
        _train(config, path, kill)
    state = torch.load(path, weights_only=True)
    del state["format_version"], state["buffer"]  # as written before the buffer was saved
    torch.save(state, path)
    with pytest.warns(UserWarning, match="no replay buffer .* so training restarts"):
        again = _train(config, path)
    _assert_identical(fresh, again)
