"""Fine-tuning (train --init-from): from a leapsbench checkpoint of another size and β, the PINN
loss goes down on a tiny lattice, a run split into sittings ends bit-identical to an
uninterrupted one, the checkpoint names the file it started from and what was spent here, and
what cannot be carried is refused with the reason."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from leapsbench.checkpoint import checkpoint_paths  # noqa: E402
from leapsbench.cli import main  # noqa: E402
from leapsbench.leaps.checkpoint import load_checkpoint  # noqa: E402
from leapsbench.leaps.method import make  # noqa: E402
from leapsbench.leaps.networks import make_network  # noqa: E402
from leapsbench.models import ising, potts  # noqa: E402

HYPER = {"kernel_sizes": [3, 3], "channels": 4, "time_width": 8}
TRAIN = {
    "train_walkers": 16,
    "train_horizon": 8,
    "train_pairs": 32,
    "train_eval_every": 10,
    "train_eval_walkers": 16,
    "train_checkpoint_every": 5,
    "train_lr": 0.01,
}


def _source(tmp_path, model, name="src"):
    method = make("leaps-conv", overrides=HYPER)
    network = make_network("conv", model, **HYPER)
    method.network, method.params, method.model = network, network.init_params(0), model
    method.save(str(tmp_path / name))
    return checkpoint_paths(tmp_path / name)[1]


def _train(tmp_path, source, out, *extra, bench="ising-L6-b0.44", steps=40):
    settings = [f"--set={k}={v}" for k, v in TRAIN.items()]
    argv = ["train", "--benchmark", bench, "--init-from", str(source), "--out", str(tmp_path / out)]
    return main([*argv, "--steps", str(steps), *settings, *extra])


def test_fine_tuning_lowers_the_loss_and_records_its_provenance(tmp_path, capsys):
    source = _source(tmp_path, ising(4, beta=0.4))
    assert _train(tmp_path, source, "A") == 0
    losses = torch.load(tmp_path / "A" / "training-state.pt", weights_only=True)["losses"]
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:5])
    out = capsys.readouterr().out
    assert "step 10/40 loss=" in out and "ess_fraction=" in out and "40 steps in all" in out
    _, network, metadata = load_checkpoint(tmp_path / "A", None)
    tuning = metadata["extra"]["fine_tuning"]
    assert network.shape == (6, 6) and metadata["extra"]["steps_done"] == 40
    assert (
        tuning["init_from"]["sha256"]
        == __import__("hashlib").sha256(source.read_bytes()).hexdigest()
    )
    assert tuning["init_from"]["trained_for"]["Lx"] == 4
    assert tuning["init_from"]["changes"] == ["Lx", "Ly", "beta"]
    assert tuning["steps_here"] == 40 and tuning["cpu_seconds_here"] > 0
    assert tuning["network_evaluations_here"] > 0 and "not counted" in tuning["not_counted"]
    assert tuning["fnet"]["states"] == 16 * 8 and tuning["fnet"]["cpu_seconds"] > 0


def test_a_fine_tuning_in_sittings_equals_an_uninterrupted_one(tmp_path, capsys):
    source = _source(tmp_path, ising(4, beta=0.4))
    assert _train(tmp_path, source, "whole", steps=20) == 0
    assert _train(tmp_path, source, "split", "--seconds", "0.05", steps=20) == 0
    first = json.loads((tmp_path / "split" / "checkpoint.json").read_text())["extra"]
    assert first["steps_done"] < 20  # the first sitting stopped early
    assert _train(tmp_path, source, "split", steps=20) == 0
    whole, _, meta_whole = load_checkpoint(tmp_path / "whole", None)
    split, _, meta_split = load_checkpoint(tmp_path / "split", None)
    assert meta_split["extra"]["steps_done"] == 20
    for name in whole:
        np.testing.assert_array_equal(whole[name], split[name])
    for name in meta_whole["arrays"]["fnet"]:
        np.testing.assert_array_equal(
            meta_whole["arrays"]["fnet"][name], meta_split["arrays"]["fnet"][name]
        )
    capsys.readouterr()


def test_the_fine_tuned_checkpoint_samples_with_its_provenance(tmp_path, capsys):
    from leapsbench.harness.store import ResultStore

    source = _source(tmp_path, ising(4, beta=0.4))
    assert _train(tmp_path, source, "A", steps=5) == 0
    argv = ["run", "--benchmark", "ising-L6-b0.44", "--method", "leaps-conv", "--checkpoint"]
    argv += [str(tmp_path / "A"), "--results", str(tmp_path / "runs"), "--no-progress"]
    assert main([*argv, "--set", "n_steps=3", "--n-samples", "8", "--format", "json"]) == 0
    (row,) = ResultStore(tmp_path / "runs").rows()
    info = json.loads(row["fit_info"])
    assert row["source"] == "checkpoint" and not info["transferred"]
    assert info["fine_tuning"]["steps_here"] == 5 and row["n_train_evaluations"] > 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("model", "bench", "extra", "message"),
    [
        (ising(4, beta=0.4), "potts-q3-L6-b1.0", [], "another model kind"),
        (potts(4, 4, beta=1.0), "potts-q3-L6-b1.0", [], "its q = 4 does not fit"),
        (ising(4, beta=0.4), "ising-L6-b0.44", ["--set", "channels=2"], "['channels'] cannot"),
        (ising(4, beta=0.4), "ising-L6-b0.44", ["--resume", "x"], "exclude each other"),
    ],
)
def test_init_from_refusals(tmp_path, capsys, model, bench, extra, message):
    source = _source(tmp_path, model)
    assert _train(tmp_path, source, "A", *extra, bench=bench) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "A").exists()


def test_potts_q4_starts_from_a_q3_network(tmp_path, capsys):
    source = _source(tmp_path, potts(3, 4, beta=1.0))
    assert _train(tmp_path, source, "A", bench="potts-q4-L5-b1.0", steps=3) == 0
    params, network, metadata = load_checkpoint(tmp_path / "A", None)
    assert network.q == 4 and params["embed"].shape == (4, 4)
    assert metadata["extra"]["fine_tuning"]["init_from"]["changes"] == ["Lx", "Ly", "q"]
    capsys.readouterr()
