"""LEAPS checkpoints: full metadata, the F-net under the hash, clear config mismatches, resume at
the saved step; ``leapsbench train`` writes the cache entry that ``leapsbench run`` samples."""

import json
from dataclasses import fields

import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.checkpoint import checkpoint_paths
from leapsbench.leaps import train
from leapsbench.leaps.ctmc import CTMCConfig
from leapsbench.leaps.method import make
from leapsbench.leaps.train import TrainConfig, learning_rate
from leapsbench.method import Budget
from leapsbench.models import ising

SMALL = {"train_steps": 8, "train_walkers": 4, "train_horizon": 8, "train_curriculum_steps": 8}


def _fit(overrides, steps, model=None):
    method = make("leaps-mlp", "quick", {**SMALL, **overrides})
    numpy = get_backend("numpy")
    method.fit(model or ising(2, 2, beta=0.5), numpy, numpy.rng(0), Budget(train_steps=steps))
    return method


def test_quick_checkpoint_records_the_full_configuration(tmp_path):
    method = _fit({}, 2)
    method.benchmark = "ising-L2-b0.5"
    method.save(tmp_path)
    extra = json.loads(checkpoint_paths(tmp_path)[1].read_text())["extra"]
    assert extra["benchmark"] == "ising-L2-b0.5" and extra["preset"] == "quick"
    assert extra["sampler"] == CTMCConfig(n_steps=50, n_walkers=1000).config()
    assert set(extra["training"]) == {f.name for f in fields(TrainConfig)}
    assert extra["training"]["steps"] == 8 and extra["training"]["rate_floor"] == 1e-3
    assert extra["schedule"] == {"name": "linear"} and extra["steps_done"] == 2
    assert extra["config"] == method.config and "weights" in method.config
    assert "fnet" not in extra  # the F-net lives in the npz, under the hash


def test_fnet_round_trips_through_the_npz_under_the_hash(tmp_path):
    method = _fit({}, 2)
    method.save(tmp_path)
    again = make("leaps-mlp", "quick", SMALL)
    again.load(tmp_path, method.model)
    assert set(again.fnet) == set(method.fnet) and again.steps_done == 2
    assert all(np.array_equal(again.fnet[k], method.fnet[k]) for k in method.fnet)
    npz = checkpoint_paths(tmp_path)[0]
    with np.load(npz) as data:
        stored = {k: data[k] for k in data.files}
    stored["fnet/f_wout"] = stored["fnet/f_wout"] + 1e-12
    np.savez(npz, **stored)
    with pytest.raises(ValueError, match="corrupt or was replaced"):
        again.load(tmp_path, method.model)


def test_config_mismatch_names_each_differing_key_with_both_values(tmp_path):
    _fit({}, 1).save(tmp_path)
    other = make("leaps-mlp", "quick", {**SMALL, "rate_floor": 0.01, "train_lr": 0.01})
    with pytest.raises(
        ValueError,
        match=r"another leaps-mlp config: rate_floor: checkpoint 0.001, this method 0.01; "
        r"train_lr: checkpoint 0.003, this method 0.01$",
    ):
        other.load(tmp_path, ising(2, 2, beta=0.5))
    sampling_only = make("leaps-mlp", "quick", {**SMALL, "n_steps": 20, "weights": "euler"})
    sampling_only.load(tmp_path, ising(2, 2, beta=0.5))  # sampled with its own sampler settings
    assert sampling_only.steps_done == 1 and sampling_only.config["n_steps"] == 20


def test_resumed_checkpoint_continues_the_lr_schedule_and_curriculum(tmp_path, monkeypatch):
    """4 steps, save, load without a training state, train to step 8: the resumed run reports
    steps 5..8 and rolls out the curriculum's horizons of steps 4..7, not of steps 0..3."""
    _fit({}, 4).save(tmp_path)
    horizons, steps = [], []
    rollout = train.rollout

    def spy(*args):
        horizons.append(args[-1])
        return rollout(*args)

    monkeypatch.setattr(train, "rollout", spy)
    again = make("leaps-mlp", "quick", SMALL)
    again.load(tmp_path, ising(2, 2, beta=0.5))
    numpy = get_backend("numpy")
    info = again.fit(again.model, numpy, numpy.rng(1), Budget(), lambda s, t, **m: steps.append(s))
    assert steps == [5, 6, 7, 8] and info["train_steps"] == 4 and info["steps_done"] == 8
    training = again.settings.training
    assert horizons == [train.horizon_at(s, training) for s in range(4, 8)] == [4, 5, 6, 7]
    config = TrainConfig(lr=1.0, decay=0.5, decay_every=3)
    assert [learning_rate(s, config) for s in (0, 2, 3, 7)] == [1.0, 1.0, 0.5, 0.25]


def test_train_command_writes_the_cache_entry_that_run_samples(tmp_path, capsys):
    from leapsbench.cli import main

    common = ["--benchmark", "ising-L2-b0.5", "--method", "leaps-mlp", "--seed", "3"]
    sets = ["--set", "train_walkers=4", "--set", "train_horizon=4", "--set", "n_walkers=64"]
    cache = str(tmp_path / "cache")
    assert main(["train", *common, *sets, "--steps", "2", "--cache", cache]) == 0
    capsys.readouterr()
    run = ["run", *common, *sets, "--train-steps", "2", "--cache", cache]
    results = ["--results", str(tmp_path / "runs"), "--no-progress", "--format", "json"]
    assert main([*run, *results]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["status"] == "ok" and row["checkpoint_reused"] is True
    assert json.loads(row["fit_info"])["steps_done"] == 2
    more = ["--n-samples", "32", "--backend", "array-api-strict"]  # the key ignores both
    assert (
        main(
            [*run, *more, "--results", str(tmp_path / "more"), "--no-progress", "--format", "json"]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)
    assert row["status"] == "ok" and row["checkpoint_reused"] is True and row["n_samples"] == 32


def test_sampling_only_settings_reuse_the_checkpoint_and_no_train_never_trains(tmp_path, capsys):
    from leapsbench.cli import main

    common = ["--benchmark", "ising-L2-b0.5", "--method", "leaps-mlp", "--seed", "3"]
    sets = ["--set", "train_walkers=4", "--set", "train_horizon=4"]
    cache = str(tmp_path / "cache")
    assert main(["train", *common, *sets, "--steps", "2", "--cache", cache]) == 0
    capsys.readouterr()
    run = ["run", *common, *sets, "--train-steps", "2", "--cache", cache, "--no-train"]
    out = ["--no-progress", "--format", "json"]
    sampling = ["--set", "weights=euler", "--set", "n_steps=7", "--set", "n_walkers=40"]
    islands = ["--set", "resample_threshold=0.5", "--set", "n_islands=4"]
    assert main([*run, *sampling, *islands, "--results", str(tmp_path / "a"), *out]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["status"] == "ok" and row["checkpoint_reused"] is True
    assert row["n_samples"] == 40 and json.loads(row["config"])["weights"] == "euler"
    # a training key or another training budget is another training: --no-train refuses it
    for extra in (["--set", "train_lr=0.01"], ["--train-steps", "3"]):
        assert main([*run, *extra, "--results", str(tmp_path / "b"), *out]) == 1
        row = json.loads(capsys.readouterr().out)
        assert row["status"] == "error" and "--no-train" in row["error"]
        assert "fit.json does not exist" in row["error"]
