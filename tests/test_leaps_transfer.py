"""Carrying a trained network to another lattice size or β (leapsbench.leaps.transfer).

Transfer is what it says: with circular padding everywhere, the network on a 2L × 2L lattice that
tiles an L × L state 2 × 2 gives that state's scores tiled 2 × 2; the authors' zero-padded first
layer changes the scores of the border rows and columns only.  Refusals name the reason; rows
record the checkpoint's own model and that it was transferred.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from authors_reference import synthetic_checkpoint  # noqa: E402

from leapsbench.leaps.method import make  # noqa: E402
from leapsbench.leaps.networks import make_network  # noqa: E402
from leapsbench.leaps.transfer import TrainedNetwork, read_trained_network, transfer  # noqa: E402
from leapsbench.models import ising, potts  # noqa: E402


def _states(model, n, seed=0):
    a = np.random.default_rng(seed).integers(0, model.q, size=(n, *model.shape))
    return (1 - 2 * a if model.kind == "ising" else a).astype(np.int8)


def _trained(model, architecture="conv", seed=0, **hyper):
    network = make_network(architecture, model, **hyper)
    params = network.init_params(seed)
    params["out.w"] = params["out.w"] * 30  # scores well away from 0
    return TrainedNetwork(network, params, model, None, {"source": "test"})


def _assert_tiles(network, params, big, params_big, model, t=0.4):
    x = _states(model, 3)
    small = network.apply(params, x, t)
    tiled = big.apply(params_big, np.tile(x, (1, 2, 2)), t)
    np.testing.assert_allclose(tiled, np.tile(small, (1, 2, 2, 1)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "model", [ising(5, beta=0.4), potts(3, 5, beta=1.0)], ids=["ising", "potts"]
)
def test_leapsbench_conv_on_a_tiling_lattice_gives_the_scores_tiled(model):
    trained = _trained(model, kernel_sizes=[3, 5], channels=4, time_width=8)
    moved = transfer(trained, model.__class__(**{**_fields(model), "lattice": _double(model)}))
    assert moved.info["transferred"] and moved.info["trained_for"]["Lx"] == 5
    _assert_tiles(trained.network, trained.params, moved.network, moved.params, model)


def _fields(model):
    keys = ("beta", "J", "q") if model.kind == "potts" else ("beta", "J", "h")
    return {k: getattr(model, k) for k in keys}


def _double(model):
    from leapsbench.models import Lattice

    return Lattice(2 * model.shape[0], 2 * model.shape[1])


def _authors(tmp_path, kind="ising", L=7):
    path = tmp_path / f"{kind}.ckpt"
    torch.save(synthetic_checkpoint(kind, L=L), path)
    return path


def test_authors_network_with_circular_first_layer_tiles(tmp_path):
    trained = read_trained_network(_authors(tmp_path))
    model, big = ising(7, beta=0.4), ising(14, beta=0.4)
    same = transfer(trained, model, hyper={"first_padding": "circular"})
    moved = transfer(trained, big, hyper={"first_padding": "circular"})
    assert moved.info["changes"] == ["Lx", "Ly", "network.first_padding"]
    assert same.info["source"] == "authors" and moved.info["global_step"] == 1234
    _assert_tiles(same.network, same.params, moved.network, moved.params, model)


def test_zero_first_padding_changes_the_border_sites_only(tmp_path):
    trained = read_trained_network(_authors(tmp_path))
    big = ising(14, beta=0.4)
    zeros = transfer(trained, big)
    circular = transfer(trained, big, hyper={"first_padding": "circular"})
    x = _states(big, 2)
    differ = np.any(zeros.network.apply(zeros.params, x, 0.5) != circular.network.apply(
        circular.params, x, 0.5), axis=(0, 3))  # fmt: skip
    border = np.zeros((14, 14), dtype=bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    np.testing.assert_array_equal(differ, border)


@pytest.mark.parametrize(
    ("source", "target", "kwargs", "message"),
    [
        (ising(5, beta=0.4), potts(3, 5, beta=0.4), {}, "another model kind"),
        (potts(3, 5, beta=1.0), potts(4, 5, beta=1.0), {}, "its q = 3 does not fit"),
        (ising(5, beta=0.4), ising(8, beta=0.5), {}, "differs in beta); run --transfer-beta"),
        (ising(5, beta=0.4), ising(2, beta=0.4), {}, "5x5 kernel wraps onto a site on the 2-wide"),
        (ising(5, beta=0.4), ising(8, beta=0.4), {"hyper": {"channels": 2}}, "['channels']"),
    ],
)
def test_refusals_name_the_reason(source, target, kwargs, message):
    trained = _trained(source, kernel_sizes=[3, 5], channels=4, time_width=8)
    with pytest.raises(ValueError, match=None) as err:
        transfer(trained, target, **kwargs)
    assert message in str(err.value)


@pytest.mark.parametrize("architecture", ["mlp", "attention"])
def test_size_tied_networks_refuse_another_size(architecture):
    trained = _trained(ising(4, beta=0.4), architecture)
    with pytest.raises(ValueError, match=f"leaps-{architecture} network's parameters are tied"):
        transfer(trained, ising(6, beta=0.4))
    assert not transfer(trained, ising(4, beta=0.4)).info["transferred"]


def test_more_potts_values_keep_the_shared_layers():
    trained = _trained(potts(3, 5, beta=1.0), kernel_sizes=[3, 5], channels=4, time_width=8)
    moved = transfer(trained, potts(4, 6, beta=1.1), new_values=True, other_beta=True, seed=3)
    assert moved.params["embed"].shape == (4, 4) and moved.params["out.w"].shape == (4, 4)
    np.testing.assert_array_equal(moved.params["embed"][:3], trained.params["embed"])
    np.testing.assert_array_equal(moved.params["out.w"][:, :3], trained.params["out.w"])
    np.testing.assert_array_equal(moved.params["layer1.A"], trained.params["layer1.A"])
    assert moved.info["changes"] == ["Lx", "Ly", "beta", "q"]


def _leapsbench_checkpoint(tmp_path, model):
    method = make("leaps-conv", overrides={"kernel_sizes": [3, 5], "channels": 4})
    trained = _trained(model, kernel_sizes=[3, 5], channels=4)
    method.network, method.params, method.model = trained.network, trained.params, model
    method.save(str(tmp_path / "ckpt"))
    return tmp_path / "ckpt.json"


def _cli(tmp_path, checkpoint, benchmark, *extra):
    from leapsbench.cli import main

    argv = ["run", "--benchmark", benchmark, "--method", "leaps-conv", "--checkpoint"]
    argv += [str(checkpoint), "--results", str(tmp_path / "runs"), "--cache"]
    extra = ["--set", "n_steps=3", "--n-samples", "16", "--format", "json", *extra]
    return main([*argv, str(tmp_path / "cache"), "--no-progress", *extra])


def test_run_samples_a_transferred_leapsbench_checkpoint_with_its_provenance(tmp_path, capsys):
    from leapsbench.harness.store import ResultStore

    path = _leapsbench_checkpoint(tmp_path, ising(5, beta=0.4))
    padding = ["--set", "first_padding=zeros"]
    assert _cli(tmp_path, path, "ising-L10-b0.5", "--transfer-beta", *padding) == 0
    (row,) = ResultStore(tmp_path / "runs").rows()
    info = json.loads(row["fit_info"])
    assert row["status"] == "ok" and row["source"] == "checkpoint" == info["source"]
    assert info["changes"] == ["Lx", "Ly", "beta", "network.first_padding"]
    assert info["transferred"] and json.loads(row["config"])["first_padding"] == "zeros"
    assert (info["trained_for"]["Lx"], info["trained_for"]["beta"]) == (5, 0.4)
    assert row["train_seconds"] is None and row["n_train_evaluations"] == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("bench", "extra", "message"),
    [
        ("ising-L10-b0.5", [], "differs in beta); run --transfer-beta"),
        ("potts-q3-L10-b0.4", ["--transfer-beta"], "another model kind"),
        ("ising-L10-b0.4", ["--set", "channels=2"], "['channels'] cannot be set with a checkpoint"),
    ],
)
def test_run_refuses_a_checkpoint_it_cannot_carry(tmp_path, capsys, bench, extra, message):
    path = _leapsbench_checkpoint(tmp_path, ising(5, beta=0.4))
    assert _cli(tmp_path, path, bench, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "runs" / "rows").exists()
