"""Issue 30: files written with the mode the umask allows (not the temp file's 0600), and
repeated flags run once with a note naming the repeat."""

from __future__ import annotations

import json
import os
import stat

import pytest

from leapsbench.atomic import atomic_write_text
from leapsbench.cli import main

BENCH = "ising-L4-b0.4407"


def _argv(tmp_path, *extra):
    argv = ["run", "--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    return [*argv, "--no-progress", "--format", "json", "--set", "n=200", *extra]


@pytest.fixture
def umask():
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask):
        os.umask(mask)

    yield set_mask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664)])
def test_atomic_writes_respect_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    atomic_write_text(tmp_path / "a.json", "{}")
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == mode


def test_a_group_store_is_readable_by_the_group(fakes, tmp_path, umask, capsys):
    umask(0o002)
    assert main(_argv(tmp_path, "--benchmark", BENCH, "--method", "fake-is")) == 0
    files = [*(tmp_path / "runs" / "rows").glob("*.json"), tmp_path / "runs" / "results.csv"]
    assert len(files) == 2
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o664}


@pytest.mark.parametrize(
    ("extra", "note", "n_rows"),
    [
        (["--method", "fake-is", "--method", "fake-is"], "--method fake-is given 2 times", 1),
        (["--method", "fake-is", "--seed", "1", "--seed", "2", "--seed", "1"], "--seed 1", 2),
        (["--method", "fake-is", "--backend", "numpy", "--backend", "numpy"], "--backend numpy", 1),
    ],
)
def test_repeated_flags_run_once_with_a_note(fakes, tmp_path, capsys, extra, note, n_rows):
    assert main(_argv(tmp_path, "--benchmark", BENCH, *extra)) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    rows = rows if isinstance(rows, list) else [rows]
    assert len(rows) == n_rows and fakes.CALLS["sample"] == n_rows
    assert note in captured.err and "running it once" in captured.err


def test_one_benchmark_spelled_twice_runs_once_with_a_note(fakes, tmp_path, capsys):
    argv = _argv(tmp_path, "--benchmark", BENCH, "--benchmark", "ising-L04-b0.44070")
    assert main([*argv, "--method", "fake-is"]) == 0
    captured = capsys.readouterr()
    assert isinstance(json.loads(captured.out), dict) and fakes.CALLS["sample"] == 1
    assert f"--benchmark {BENCH} given 2 times" in captured.err
