"""Import of the LEAPS authors' checkpoints, checked against their published forward pass.

``authors_reference.their_forward`` is an independent torch transcription of the authors'
network.  Synthetic checkpoints in their format (their key names and shapes, random weights,
saved with ``torch.save``) must import to a leapsbench network that reproduces it to 1e-12 in
float64.  The real files in ../shared/leaps-authors/ are tested
when present (LEAPSBENCH_REQUIRE_AUTHORS=1 makes their absence a failure).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from authors_reference import synthetic_checkpoint, their_forward  # noqa: E402

from leapsbench.leaps.authors import load_authors_checkpoint, read_authors_checkpoint  # noqa: E402
from leapsbench.params import params_to  # noqa: E402

AUTHORS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "leaps-authors"
TIMES = (0.0, 0.37, 1.0)


def _states(model, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, model.q, size=(n, *model.shape))
    return (1 - 2 * a if model.kind == "ising" else a).astype(np.int8)


def _as_theirs(model, g) -> np.ndarray:
    """leapsbench G in the authors' layout: Ising (B, L, L) (the one non-zero entry), Potts
    (B, q, L, L)."""
    return g.sum(axis=-1) if model.kind == "ising" else np.moveaxis(g, -1, 1)


def assert_matches_theirs(checkpoint: dict, network, params, model, n: int = 5, seed: int = 1):
    for t in TIMES:
        x = _states(model, n, seed)
        g = network.apply(params, x, t)
        ref = their_forward(
            checkpoint, torch.from_numpy(x), torch.full((n,), t, dtype=torch.float64)
        ).numpy()
        scale = np.abs(ref).max()
        assert scale > 1e-3  # a non-trivial output
        np.testing.assert_allclose(_as_theirs(model, g), ref, rtol=0, atol=1e-12 * scale)


@pytest.fixture(params=["ising", "potts"])
def saved(request, tmp_path):
    checkpoint = synthetic_checkpoint(request.param)
    path = tmp_path / f"{request.param}.ckpt"
    torch.save(checkpoint, path)
    return checkpoint, path


def test_synthetic_checkpoint_matches_their_forward(saved):
    checkpoint, path = saved
    network, params, model = load_authors_checkpoint(path)
    assert network.hyper["first_padding"] == "zeros" and network.hyper["feature_norm"] is False
    assert all(v.dtype == np.float64 for v in params.values())
    assert model.shape == (7, 7) and model.kind == checkpoint["hyper_parameters"]["config"].target
    assert_matches_theirs(checkpoint, network, params, model)


def test_their_first_layer_pads_with_zeros_not_circularly(saved):
    """The same weights with a circular first layer differ from theirs (the quirk matters)."""
    checkpoint, path = saved
    network, params, model = load_authors_checkpoint(path)
    circular = type(network)(
        network.architecture, {**network.hyper, "first_padding": "circular"}, *(
            network.q, network.shape, network.encoding)
    )  # fmt: skip
    x = _states(model, 4, 2)
    assert np.abs(circular.apply(params, x, 0.5) - network.apply(params, x, 0.5)).max() > 1e-3


def test_import_is_locally_equivariant(saved):
    _, path = saved
    network, params, model = load_authors_checkpoint(path)
    x = _states(model, 1, 3)
    g = network.apply(params, x, 0.6)
    i, j = 2, 0  # a border site: the zero padding is in its window
    for a in range(model.q):
        current = int(model.to_values(x)[0, i, j])
        if a == current:
            continue
        moved = np.array(model.to_values(x))
        moved[0, i, j] = a
        g_moved = network.apply(params, model.from_values(moved), 0.6)
        assert g_moved[0, i, j, current] == pytest.approx(-g[0, i, j, a], abs=1e-12)


def test_every_backend_gives_the_numpy_output(saved, backend):
    _, path = saved
    network, params, model = load_authors_checkpoint(path)
    x = _states(model, 3, 4)
    expected = network.apply(params, x, 0.25)
    got = network.apply(params_to(backend, params), backend.asarray(x), 0.25)
    np.testing.assert_allclose(backend.to_numpy(got), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("block", [1, 300, 10**9])  # one site per block, uneven blocks, whole
def test_blocked_kernel_matches_their_forward(saved, monkeypatch, block):
    """The state-dependent kernel formed in blocks of sites gives their output for any block size
    (conv.BLOCK_ELEMENTS elements of K at once; 300 splits every layer's sites unevenly)."""
    from leapsbench.leaps import conv

    monkeypatch.setattr(conv, "BLOCK_ELEMENTS", block)
    checkpoint, path = saved
    network, params, model = load_authors_checkpoint(path)
    assert_matches_theirs(checkpoint, network, params, model, n=3)


# --- bad files ----------------------------------------------------------------------------


class Exploit:
    """Unpickling this would create a file; the safe loader must refuse it first."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _save(tmp_path, obj, name="bad.ckpt") -> Path:
    path = tmp_path / name
    torch.save(obj, path)
    return path


def test_truncated_file_is_refused(tmp_path):
    good = _save(tmp_path, synthetic_checkpoint("ising"), "good.ckpt")
    bad = tmp_path / "truncated.ckpt"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"truncated\.ckpt is not a readable PyTorch checkpoint"):
        load_authors_checkpoint(bad)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"nothere\.ckpt does not exist"):
        load_authors_checkpoint(tmp_path / "nothere.ckpt")


def test_non_lightning_pickle_is_refused(tmp_path):
    path = _save(tmp_path, {"weights": torch.zeros(3)})
    with pytest.raises(
        ValueError, match=r"bad\.ckpt has no 'state_dict' entry; expected a PyTorch"
    ):
        load_authors_checkpoint(path)


def test_class_outside_the_allow_list_is_never_unpickled(tmp_path):
    marker = tmp_path / "exploited"
    checkpoint = synthetic_checkpoint("ising")
    checkpoint["callbacks"] = {"x": Exploit(marker)}
    path = _save(tmp_path, checkpoint)
    with pytest.raises(ValueError, match=r"bad\.ckpt was refused by the safe loader"):
        load_authors_checkpoint(path)
    assert not marker.exists()


def test_wrong_shape_and_missing_key_are_named(tmp_path):
    checkpoint = synthetic_checkpoint("potts")
    checkpoint["state_dict"]["net.network.convs.1.A"] = torch.zeros(4, 25, 4)
    del checkpoint["state_dict"]["net.network.convs.0.b2"]
    path = _save(tmp_path, checkpoint)
    with pytest.raises(ValueError) as err:
        load_authors_checkpoint(path)
    message = str(err.value)
    assert "bad.ckpt" in message and "missing net.network.convs.0.b2" in message
    assert "net.network.convs.1.A: expected shape (4, 49, 4), got (4, 25, 4)" in message


def test_unsupported_config_is_named(tmp_path):
    checkpoint = synthetic_checkpoint("ising")
    checkpoint["hyper_parameters"]["config"].arch = "attn"
    with pytest.raises(ValueError, match=r"'attn' network .* supported: arch 'conv'"):
        load_authors_checkpoint(_save(tmp_path, checkpoint))
    checkpoint = synthetic_checkpoint("ising")
    checkpoint["hyper_parameters"]["config"].J_0 = 0.5
    with pytest.raises(ValueError, match=r"unsupported annealing path"):
        load_authors_checkpoint(_save(tmp_path, checkpoint))


# --- the real files -----------------------------------------------------------------------

REAL = {
    "ising_final.ckpt": ("ising", 0.4407, 400_000),
    "potts_final.ckpt": ("potts", 1.001, 876_000),
}


def _real_path(name: str) -> Path:
    path = AUTHORS_DIR / name
    if not path.is_file():
        if os.environ.get("LEAPSBENCH_REQUIRE_AUTHORS") == "1":
            pytest.fail(f"LEAPSBENCH_REQUIRE_AUTHORS=1 but {path} is missing")
        pytest.skip(f"the authors' checkpoint {path} is absent")
    return path


def _real_checkpoint(path: Path) -> dict:
    with torch.serialization.safe_globals([argparse.Namespace]):
        return torch.load(path, map_location="cpu", weights_only=True)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_checkpoint_matches_their_forward(name):
    path = _real_path(name)
    kind, beta, step = REAL[name]
    imported = read_authors_checkpoint(path)
    assert (imported.model.kind, imported.model.beta, imported.model.shape) == (
        kind,
        beta,
        (15, 15),
    )
    assert imported.global_step == step and len(imported.sha256) == 64
    assert imported.network.hyper["kernel_sizes"] == [3, 5, 7, 9, 15]
    assert_matches_theirs(_real_checkpoint(path), imported.network, imported.params, imported.model)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_checkpoint_samples_200_walkers_on_numpy(name):
    from leapsbench.backends import get_backend

    from leapsbench.leaps.ctmc import CTMCConfig, leaps_sample

    network, params, model = load_authors_checkpoint(_real_path(name))
    backend = get_backend("numpy")
    config = CTMCConfig(n_steps=1, n_walkers=200, chunk_walkers=100)
    params = params_to(backend, params, "float32")  # the float32 network, float64 weights
    samples = leaps_sample(network, params, model, backend, backend.rng(0), config)
    assert samples.log_weights.shape == (200,) and np.isfinite(samples.log_weights).all()
    assert np.isfinite(samples.observables["m"]).all()


# --- the CLI --------------------------------------------------------------------------------


def _cli(tmp_path, checkpoint, *extra, benchmark="ising-L7-b0.4"):
    from leapsbench.cli import main

    argv = ["run", "--benchmark", benchmark, "--method", "leaps-conv", "--checkpoint"]
    argv += [str(checkpoint), "--results", str(tmp_path / "runs"), "--cache"]
    return main([*argv, str(tmp_path / "cache"), "--no-progress", *extra])


def test_cli_samples_the_checkpoint_with_authors_provenance(tmp_path, capsys):
    import hashlib
    import json

    from leapsbench.harness.store import ResultStore
    from leapsbench.harness.tables import render

    path = _save(tmp_path, synthetic_checkpoint("ising"), "ising.ckpt")
    extra = ["--set", "n_steps=3", "--set", "weights=euler", "--n-samples", "16"]
    assert _cli(tmp_path, path, *extra, "--format", "json") == 0
    (row,) = ResultStore(tmp_path / "runs").rows()
    provenance = json.loads(row["fit_info"])
    assert row["status"] == "ok" and row["source"] == provenance["source"] == "authors"
    assert provenance["checkpoint_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert provenance["global_step"] == 1234 and row["train_seconds"] is None
    assert row["n_samples"] == 16 and row["n_evaluations"] == 16 * 4
    config = json.loads(row["config"])
    assert (config["n_steps"], config["weights"], config["first_padding"]) == (3, "euler", "zeros")
    table = render([row])
    assert "| leaps-conv (authors' checkpoint) |" in table and "not ours" in table
    capsys.readouterr()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("truncated", "is not a readable PyTorch checkpoint"),
        ("not-lightning", "has no 'state_dict' entry"),
        ("exploit", "was refused by the safe loader"),
        ("wrong-shape", "net.network.linear: expected shape (4,), got (5,)"),
        ("other-benchmark", "was trained for ising 7x7 beta=0.4, not for this benchmark's"),
        ("network-key", "['channels'] cannot be set with a checkpoint"),
    ],
)
def test_cli_refuses_bad_checkpoints_without_a_traceback(tmp_path, capsys, case, message):
    checkpoint, extra, benchmark = synthetic_checkpoint("ising"), [], "ising-L7-b0.4"
    if case == "not-lightning":
        checkpoint = {"weights": torch.zeros(3)}
    elif case == "exploit":
        checkpoint["loops"] = Exploit(tmp_path / "exploited")
    elif case == "wrong-shape":
        checkpoint["state_dict"]["net.network.linear"] = torch.zeros(5)
    elif case == "other-benchmark":
        benchmark = "ising-L7-b0.5"
    elif case == "network-key":
        extra = ["--set", "channels=4"]
    path = _save(tmp_path, checkpoint)
    if case == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    assert _cli(tmp_path, path, *extra, benchmark=benchmark) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert str(path) in err or case == "network-key"
    assert not (tmp_path / "exploited").exists() and not (tmp_path / "runs" / "rows").exists()
