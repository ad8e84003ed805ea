"""CLI: leapsbench run / table / compare / plot end to end (fake methods, then real adapters)."""

from __future__ import annotations

import json

import harness_fakes
import pytest

from leapsbench.cli import main
from leapsbench.harness import methods
from leapsbench.harness.rows import ROW_KEYS
from leapsbench.harness.store import load_rows


@pytest.fixture
def fakes(monkeypatch):
    for name in harness_fakes.NAMES:
        monkeypatch.setitem(methods.METHOD_MODULES, name, "harness_fakes")
    harness_fakes.CALLS.update(fit=0, sample=0)


def _run(tmp_path, *extra):
    return main(
        [
            "run",
            "--results",
            str(tmp_path / "runs"),
            "--cache",
            str(tmp_path / "cache"),
            "--no-progress",
            *extra,
        ]
    )


def test_run_json_has_every_key(fakes, tmp_path, capsys):
    code = _run(
        tmp_path,
        "--benchmark",
        "ising-L4-b0.4407",
        "--method",
        "fake-is",
        "--set",
        "n=1000",
        "--format",
        "json",
        "--seed",
        "5",
    )
    assert code == 0
    row = json.loads(capsys.readouterr().out)
    assert set(row) == set(ROW_KEYS)
    assert row["seed"] == 5 and row["n_samples"] == 1000 and json.loads(row["config"])["n"] == 1000
    assert (tmp_path / "runs" / "results.csv").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--benchmark", "ising-L4", "--method", "fake-is"], "registered benchmarks"),
        (["--benchmark", "ising-L4-b0.3", "--method", "hmc"], "choose from leaps-mlp"),
        (
            ["--benchmark", "ising-L4-b0.3", "--method", "fake-is", "--backend", "jax"],
            "choose from numpy, torch",
        ),
        (["--suite", "tiny"], "choose from quick, exact, paper"),
        (["--benchmark", "ising-L4-b0.3", "--method", "fake-is", "--set", "n"], "KEY=VALUE"),
    ],
)
def test_run_bad_names_list_valid_choices(fakes, tmp_path, capsys, args, message):
    assert _run(tmp_path, *args) == 2
    assert message in capsys.readouterr().err


def test_run_failures_are_reported_not_crashed(fakes, tmp_path, capsys):
    code = _run(
        tmp_path, "--benchmark", "ising-L4-b0.28", "--method", "fake-is", "--method", "fake-broken"
    )
    out = capsys.readouterr().out
    assert code == 1 and "always fails" in out and "error" in out


def test_table_compare_plot_roundtrip(fakes, tmp_path, capsys):
    assert (
        _run(
            tmp_path,
            "--benchmark",
            "ising-L4-b0.4407",
            "--method",
            "fake-is",
            "--seed",
            "0",
            "--seed",
            "1",
            "--jobs",
            "2",
        )
        == 0
    )
    capsys.readouterr()
    runs = str(tmp_path / "runs")
    assert main(["table", runs]) == 0
    assert "| fake-is |" in capsys.readouterr().out
    assert main(["compare", runs, runs]) == 0
    assert "OK" in capsys.readouterr().out
    worse = [dict(r, delta_mag=r["delta_mag"] + 0.5) for r in load_rows(runs)]
    (tmp_path / "worse.json").write_text(json.dumps(worse))
    assert main(["compare", runs, str(tmp_path / "worse.json")]) == 1
    assert "REGRESSION" in capsys.readouterr().out
    pytest.importorskip("matplotlib")
    assert main(["plot", runs, "--output", str(tmp_path / "plots"), "--format", "svg"]) == 0
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == [
        "delta_mag_ess_ising-L4-b0.4407.svg",
        "ess_trace_ising-L4-b0.4407.svg",
        "mag_hist_ising-L4-b0.4407.svg",
    ]


def test_suite_help_names_every_suite(capsys):
    from leapsbench.harness.benchmarks import SUITES

    assert main(["run", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(name in help_text for name in SUITES), help_text
