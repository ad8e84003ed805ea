"""Issue 30, thread-count independence: training and torch sampling run with one explicit
thread setting ($LEAPSBENCH_THREADS, default 1, recorded in rows), whatever the machine has."""

from __future__ import annotations

import json

import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.cli import main
from leapsbench.harness.methods import make_method
from leapsbench.method import Budget
from leapsbench.models import ising

torch = pytest.importorskip("torch")
SMALL = {"train_steps": 4, "train_walkers": 8, "train_horizon": 4, "train_pairs": 16}


def _fit_with(threads_before: int):
    """Params of a tiny leaps-mlp training started with torch at ``threads_before`` threads,
    and the thread counts its steps ran with."""
    torch.set_num_threads(threads_before)
    seen = []
    method = make_method("leaps-mlp", "quick", SMALL)
    backend = get_backend("numpy")
    progress = lambda step, total, **m: seen.append(torch.get_num_threads())  # noqa: E731
    method.fit(ising(3, beta=0.4), backend, backend.rng(0), Budget(), progress)
    return np.concatenate([np.ravel(v) for v in method.params.values()]), seen


def test_training_runs_with_the_fixed_setting_whatever_torch_had(monkeypatch):
    monkeypatch.delenv("LEAPSBENCH_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        two, seen_two = _fit_with(2)
        one, seen_one = _fit_with(1)
    finally:
        torch.set_num_threads(before)
    assert set(seen_two) == set(seen_one) == {1}
    np.testing.assert_array_equal(one, two)


def test_rows_record_the_thread_setting(fakes, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEAPSBENCH_THREADS", "1")
    argv = ["run", "--benchmark", "ising-L3-b0.4", "--method", "fake-is", "--set", "n=200"]
    argv += ["--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c"), "--format", "json"]
    assert main([*argv, "--no-progress"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert json.loads(row["host"])["torch_threads"] == 1


@pytest.mark.parametrize("value", ["two", "0", "-3"])
def test_a_bad_thread_setting_is_refused_naming_it(fakes, tmp_path, capsys, monkeypatch, value):
    monkeypatch.setenv("LEAPSBENCH_THREADS", value)
    argv = ["run", "--benchmark", "ising-L3-b0.4", "--method", "fake-is", "--no-progress"]
    argv += ["--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"LEAPSBENCH_THREADS={value!r}" in err and "Traceback" not in err
    assert not (tmp_path / "r" / "rows").exists()
