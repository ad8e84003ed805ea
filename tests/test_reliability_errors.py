"""Issue 30, vague errors made precise: short chains (the spread of chain means when there are
several), a store whose rows/ is not a directory, a lattice side past MAX_SIDE, an authors'
checkpoint given to ``train --resume``, a pickle holding a refused class."""

from __future__ import annotations

import datetime
import os

import numpy as np
import pytest

from leapsbench import autocorr
from leapsbench.cli import main
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.models import ising

BENCH = "ising-L4-b0.4407"


def test_chains_too_short_at_beta_0_use_the_spread_of_chain_means():
    """At β = 0 Metropolis flips every spin each sweep: m is constant along a chain, so no
    autocorrelation window exists, but the 64 independent chain means give an honest error."""
    row = run_task(make_spec("ising-L4-b0.0", "metropolis", overrides={"n_samples": 100}))
    exact = enumerate_model(ising(4, beta=0.0)).mag
    assert row["status"] == "ok", row["error"]
    assert row["unreliable"].startswith("chains too short for an autocorrelation window")
    assert 1 <= row["ess"] <= row["n_samples"]
    assert abs(row["mag"] - exact) < 5 * row["mag_err"]


def test_spread_ess_is_the_chain_count_for_constant_independent_chains():
    means = np.random.default_rng(0).normal(size=(50, 1))
    assert autocorr.spread_ess(np.repeat(means, 10, axis=1)) == pytest.approx(50, rel=0.05)


def test_chains_too_short_say_how_many_steps_would_do():
    noise = 0.01 * np.random.default_rng(1).normal(size=(2, 40))
    x = noise + np.array([[0.0], [1.0]])  # two chains stuck at different levels
    with pytest.raises(ValueError, match=r"about \d+ steps per chain would do"):
        autocorr.integrated_time(x, strict=True)


def _run(tmp_path, *extra):
    argv = ["run", "--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    return main([*argv, "--no-progress", *extra])


def test_one_chain_too_short_is_refused_before_sampling(tmp_path, capsys):
    argv = ["--benchmark", BENCH, "--method", "metropolis", "--set", "n_chains=1"]
    assert _run(tmp_path, *argv, "--set", "n_samples=5") == 2
    err = capsys.readouterr().err
    assert "n_samples=5" in err and "at least 6" in err and "Traceback" not in err
    assert not (tmp_path / "runs" / "rows").exists()


def _bad_rows(tmp_path, kind):
    rows = tmp_path / "runs" / "rows"
    rows.parent.mkdir()
    if kind == "file":
        rows.write_text("not a directory")
        return "(a file)"
    os.symlink(rows, rows)  # rows -> rows
    return "Too many levels of symbolic links"


@pytest.mark.parametrize("kind", ["file", "loop"])
def test_a_store_whose_rows_is_not_a_directory_is_named(fakes, tmp_path, capsys, kind):
    says = _bad_rows(tmp_path, kind)
    assert main(["table", str(tmp_path / "runs")]) == 2
    assert _run(tmp_path, "--benchmark", BENCH, "--method", "fake-is", "--set", "n=100") == 2
    err = capsys.readouterr().err
    assert err.count(f"{tmp_path / 'runs' / 'rows'} is not a directory") == 2 and says in err
    assert fakes.CALLS["sample"] == 0 and "Traceback" not in err


def test_a_5000_digit_lattice_side_names_the_limit(tmp_path, capsys):
    side = "9" * 5000
    assert _run(tmp_path, "--benchmark", f"ising-L{side}-b0.4", "--method", "heatbath") == 2
    assert main(["exact", "ising", "--size", side, "--beta", "0.4"]) == 2
    err = capsys.readouterr().err
    assert err.count("(5000 digits) is too large: at most 4096 per side (MAX_SIDE)") == 2
    assert "set_int_max_str_digits" not in err


def test_train_resume_given_an_authors_checkpoint_says_use_run_checkpoint(tmp_path, capsys):
    ckpt = tmp_path / "ising_final.ckpt"
    ckpt.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an (empty) zip, as Lightning writes
    argv = ["train", "--benchmark", BENCH, "--method", "leaps-conv", "--resume", str(ckpt)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{ckpt} is a LEAPS authors' checkpoint" in err and "use `run --checkpoint`" in err


def test_a_training_state_holding_a_refused_class_names_it(tmp_path):
    torch = pytest.importorskip("torch")
    from leapsbench.leaps.train_state import load_training_state

    path = tmp_path / "training-state.pt"
    torch.save({"signature": {}, "when": datetime.datetime(2020, 1, 1)}, path)
    with pytest.raises(ValueError, match="holds a datetime.datetime object") as caught:
        load_training_state(path, {})
    assert "weights_only=False" not in str(caught.value)
