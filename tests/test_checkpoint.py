"""Checkpoints: exact round trip from any backend, atomic files, clear mismatch errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from leapsbench.checkpoint import checkpoint_paths, params_hash, save_checkpoint
from leapsbench.leaps.checkpoint import load_checkpoint
from leapsbench.leaps.networks import make_network
from leapsbench.models import get_schedule, ising, potts
from leapsbench.params import params_to

EXTRA = {"benchmark": "ising-L4-b0.44", "schedule": None, "training": {"steps": 10, "lr": 3e-4}}


@pytest.fixture
def ising_setup():
    model = ising(4, beta=0.44)
    net = make_network("conv", model, kernel_sizes=[3, 5], channels=4)
    return model, net, net.init_params(seed=1)


def test_round_trip_from_every_backend(tmp_path, backend, ising_setup):
    model, net, params = ising_setup
    extra = dict(EXTRA, schedule=get_schedule("linear").config())
    npz, meta_path = save_checkpoint(
        tmp_path / "ckpt", params_to(backend, params), net, model, extra
    )
    assert (npz.name, meta_path.name) == ("ckpt.npz", "ckpt.json")
    loaded, net2, meta = load_checkpoint(tmp_path / "ckpt", model)
    assert net2 == net
    assert set(loaded) == set(params)
    assert all(np.array_equal(loaded[k], params[k]) for k in params)
    assert meta["extra"] == extra and meta["model"] == model.config()
    assert meta["network"]["architecture"] == "conv"
    assert meta["param_count"] == sum(v.size for v in params.values())
    assert meta["params_sha256"] == params_hash(params) and meta["leapsbench_version"]
    x = model.from_values(np.random.default_rng(0).integers(0, 2, (3, 4, 4)).astype(np.int8))
    np.testing.assert_array_equal(net2.apply(loaded, x, 0.5), net.apply(params, x, 0.5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.json", "ckpt.npz"]  # no temp


def test_paths_directory_prefix_and_suffix(tmp_path, ising_setup):
    model, net, params = ising_setup
    assert checkpoint_paths(tmp_path) == (tmp_path / "checkpoint.npz", tmp_path / "checkpoint.json")
    assert checkpoint_paths(tmp_path / "a.json")[0] == tmp_path / "a.npz"
    save_checkpoint(tmp_path, params, net, model, EXTRA)
    for path in (tmp_path, tmp_path / "checkpoint.npz", tmp_path / "checkpoint.json"):
        assert load_checkpoint(path)[1] == net  # model rebuilt from the JSON when not given


def test_float32_params_keep_their_dtype(tmp_path):
    model = potts(3, 3, beta=0.6)
    net = make_network("mlp", model, width=8)
    params = {k: v.astype(np.float32) for k, v in net.init_params(0).items()}
    save_checkpoint(tmp_path / "p", params, net, model)
    loaded, _, _ = load_checkpoint(tmp_path / "p", model)
    assert all(v.dtype == np.float32 and np.array_equal(v, params[k]) for k, v in loaded.items())


def test_model_mismatch_names_both_models(tmp_path, ising_setup):
    model, net, params = ising_setup
    save_checkpoint(tmp_path / "c", params, net, model, EXTRA)
    with pytest.raises(
        ValueError,
        match=r"checkpoint is for ising 4x4 beta=0.44, got potts q=3 "
        r"4x4 beta=0.44 \(differs in h, model, q\)",
    ):
        load_checkpoint(tmp_path / "c", potts(3, 4, beta=0.44))
    with pytest.raises(ValueError, match=r"got ising 4x4 beta=0.5 \(differs in beta\)"):
        load_checkpoint(tmp_path / "c", ising(4, beta=0.5))
    with pytest.raises(ValueError, match=r"got ising 5x4 open beta=0.44 \(differs in Lx, periodic"):
        load_checkpoint(tmp_path / "c", ising(5, 4, beta=0.44, periodic=False))


def test_corrupt_or_missing_files(tmp_path, ising_setup):
    model, net, params = ising_setup
    npz, meta_path = save_checkpoint(tmp_path / "c", params, net, model, EXTRA)
    tampered = dict(params)
    tampered["out.w"] = params["out.w"] + 1e-15
    np.savez(npz, **tampered)
    with pytest.raises(ValueError, match="corrupt or was replaced: its params hash"):
        load_checkpoint(tmp_path / "c", model)
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint(tmp_path / "nothing", model)
    meta_path.write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="is not a leapsbench-leaps-checkpoint file"):
        load_checkpoint(tmp_path / "c", model)


def test_save_rejects_bad_input(tmp_path, ising_setup):
    model, net, params = ising_setup
    with pytest.raises(ValueError, match="JSON-serialisable"):
        save_checkpoint(tmp_path / "c", params, net, model, {"bad": object()})
    with pytest.raises(ValueError, match="JSON-serialisable"):
        save_checkpoint(tmp_path / "c", params, net, model, {"loss": float("nan")})
    with pytest.raises(ValueError, match="params do not fit the network"):
        save_checkpoint(tmp_path / "c", {"w": np.zeros(3)}, net, model)
    with pytest.raises(ValueError, match="network is for ising q=2"):
        save_checkpoint(tmp_path / "c", params, net, ising(5, beta=0.44))
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_array_groups_round_trip_and_are_covered_by_the_hash(tmp_path, ising_setup):
    model, net, params = ising_setup
    fnet = {"f_w0": np.arange(3.0), "f_bout": np.zeros(())}
    npz, meta_path = save_checkpoint(tmp_path / "c", params, net, model, arrays={"fnet": fnet})
    loaded, _, meta = load_checkpoint(tmp_path / "c", model)
    assert set(loaded) == set(params)  # groups are not parameters
    assert set(meta["arrays"]) == {"fnet"} and set(meta["arrays"]["fnet"]) == set(fnet)
    assert all(np.array_equal(meta["arrays"]["fnet"][k], fnet[k]) for k in fnet)
    assert json.loads(meta_path.read_text())["arrays"] == {"fnet": ["f_bout", "f_w0"]}
    with np.load(npz) as data:
        stored = {k: data[k] for k in data.files}
    stored["fnet/f_w0"] = stored["fnet/f_w0"] + 1e-15
    np.savez(npz, **stored)
    with pytest.raises(ValueError, match="corrupt or was replaced"):
        load_checkpoint(tmp_path / "c", model)


def test_bad_array_group_names_are_refused(tmp_path, ising_setup):
    model, net, params = ising_setup
    for arrays in ({"f/net": {"a": np.zeros(1)}}, {"fnet": {"a/b": np.zeros(1)}}, {"": {}}):
        with pytest.raises(ValueError, match="must be non-empty and free of '/'"):
            save_checkpoint(tmp_path / "c", params, net, model, arrays=arrays)
    assert not any(tmp_path.iterdir())


def test_truncated_files_name_the_file_and_the_way_out(tmp_path, ising_setup):
    model, net, params = ising_setup
    npz, meta_path = save_checkpoint(tmp_path / "c", params, net, model, EXTRA)
    data = npz.read_bytes()
    npz.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"{npz} is truncated or corrupt .*delete it"):
        load_checkpoint(tmp_path / "c", model)
    save_checkpoint(tmp_path / "c", params, net, model, EXTRA)
    meta_path.write_text(meta_path.read_text()[:40])
    with pytest.raises(ValueError, match=f"{meta_path} is truncated or corrupt .*cache entry"):
        load_checkpoint(tmp_path / "c", model)
