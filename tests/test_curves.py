"""Budgets in tables, the unreliable flag, and the ``curve`` command on the fake methods."""

from __future__ import annotations

import json

import numpy as np
import pytest

from leapsbench.cli import main
from leapsbench.harness.curve_plots import authors_marks
from leapsbench.harness.curves import best_per_budget, curve_points
from leapsbench.harness.reliability import unreliable_reason
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.harness.tables import benchmark_table, budget_label, render, summarise

BENCH = "ising-L4-b0.1"


def _rows(method="fake-is", seeds=(0, 1, 2), **spec):
    return [run_task(make_spec(BENCH, method, seed=s, overrides={"n": 800}, **spec)) for s in seeds]


def test_budgets_are_separate_cells_never_merged_as_seeds(fakes):
    rows = _rows(budget={"seconds": 1.0}) + _rows(budget={"seconds": 3.0}) + _rows()
    summary = summarise(rows)
    assert sorted(zip(summary["budget_label"], summary["n_seeds"], strict=True)) == [
        ("T=1 s", 3),
        ("T=3 s", 3),
        ("preset", 3),
    ]
    table = benchmark_table(summary, BENCH)
    assert list(table.index) == ["fake-is (preset)", "fake-is (T=1 s)", "fake-is (T=3 s)"]


def test_rows_stored_before_budgets_were_recorded_are_labelled_by_their_run_key(fakes):
    plain, budgeted = _rows(seeds=(0,))[0], _rows(seeds=(0,), budget={"n_samples": 80})[0]
    assert budget_label(plain) == "preset" and budget_label(budgeted) == "n_samples=80"
    assert budget_label(dict(plain, budget=None)) == "preset"
    assert budget_label(dict(budgeted, budget=None)) == "budget?"


def test_unreliable_below_ten_effective_samples_or_five_islands():
    assert unreliable_reason({"status": "ok", "ess": 9.9}) == "ESS 9.9 < 10"
    assert unreliable_reason({"status": "ok", "ess": 10.0}) is None
    islands = {"status": "ok", "ess": 500.0, "n_islands": 10}
    assert unreliable_reason({**islands, "n_islands_effective": 4}).startswith("4 of 10 islands")
    assert unreliable_reason({**islands, "n_islands_effective": 5}) is None
    assert unreliable_reason({"status": "error", "ess": 1.0}) is None
    timed = {"status": "ok", "ess": 500.0, "budget_seconds": 30.0}
    assert unreliable_reason({**timed, "total_seconds": 35.0}) is None  # within 10 % + 2 s
    over = unreliable_reason({**timed, "total_seconds": 55.8})
    assert over == "over budget: 55.8 s spent of T = 30 s"


def test_every_reason_is_named_over_budget_first_and_rereading_keeps_them():
    """One training step longer than the budget and an ESS of 1: both reasons, the budget
    first; a stored row's combined reason read again gives the same string."""
    row = {"status": "ok", "ess": 1.0, "budget_seconds": 10.0, "total_seconds": 575.0}
    both = unreliable_reason(row)
    assert both == "over budget: 575 s spent of T = 10 s; ESS 1 < 10"
    short = "chains too short for an autocorrelation window (40 steps)"
    chains = {**row, "ess": 500.0, "unreliable": short}
    assert unreliable_reason(chains) == f"over budget: 575 s spent of T = 10 s; {short}"
    for stored in (row, chains):
        again = {**stored, "unreliable": unreliable_reason(stored)}
        assert unreliable_reason(again) == unreliable_reason(stored)


def test_unreliable_cells_lose_their_error_bar_and_are_never_best(fakes):
    good = _rows(seeds=(0,)) + _rows("fake-chain", seeds=(0,))  # ΔMag 0.009 and 0.05
    bad = [dict(r, method="fake-broken", ess=4.0, delta_mag=1e-6) for r in _rows(seeds=(0,))]
    table = benchmark_table(summarise(good + bad), BENCH)
    cell = table.loc["fake-broken", "ΔMag"]
    assert cell == "1e-06 (unreliable)" and "±" not in cell and "**" not in cell
    assert table.loc["fake-is", "ΔMag"].startswith("**")
    assert table.loc["fake-broken", "unreliable"] == "unreliable in 1/1 seeds (ESS 4 < 10)"
    assert table.loc["fake-is", "unreliable"] == "" and table.loc["fake-is", "status"] == "ok"
    assert "(unreliable)" in render(good + bad)


def test_best_method_per_budget_ranks_reliable_cells_with_three_seeds(fakes):
    rows = _rows(budget={"seconds": 1.0}) + _rows("fake-chain", budget={"seconds": 1.0})
    rows += [dict(r, ess=3.0) for r in _rows("fake-broken", budget={"seconds": 1.0})]
    best = best_per_budget(curve_points(rows))
    assert list(best["budget"]) == ["1 s"]
    assert best["best ΔMag"].iloc[0].startswith("fake-is ")  # ΔMag 0.01 vs 0.06
    assert best["not ranked"].iloc[0] == "" and "fake-broken" not in best["best ΔMag"].iloc[0]


def test_curve_command_writes_figures_and_tables_from_the_store(fakes, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    args = ["curve", "--benchmark", BENCH, "--method", "fake-is", "--method", "fake-chain"]
    args += ["--seconds", "1,3", "--seed", "0", "--seed", "1", "--seed", "2", "--no-progress"]
    args += ["--results", str(tmp_path / "runs"), "--output", str(tmp_path / "out")]
    assert main(args) == 0
    assert fakes.CALLS["sample"] == 12  # 2 methods × 2 budgets × 3 seeds
    out = tmp_path / "out"
    assert (out / f"curve_{BENCH}.png").stat().st_size > 1000
    best = (out / "best.md").read_text()
    assert "| 1 s |" in best and "| 3 s |" in best
    table = (out / "table.md").read_text()
    assert "fake-is (T=1 s)" in table and "fake-chain (T=3 s)" in table
    capsys.readouterr()
    assert main([*args, "--no-run", "--x", "cpu", "--x", "evaluations"]) == 0
    assert fakes.CALLS["sample"] == 12  # nothing run again
    assert (out / f"curve_evaluations_{BENCH}.png").is_file()
    assert (out / f"curve_cpu_{BENCH}.png").is_file()
    rows = [json.loads(p.read_text()) for p in (tmp_path / "runs" / "rows").glob("*.json")]
    assert {r["budget_seconds"] for r in rows} == {1.0, 3.0}


def test_curve_needs_time_budgets(fakes, tmp_path, capsys):
    assert main(["curve", "--benchmark", BENCH, "--method", "fake-is"]) == 2
    assert "curve needs time budgets: --seconds" in capsys.readouterr().err


def test_authors_checkpoint_runs_are_marks_labelled_with_their_training_steps(fakes):
    provenance = json.dumps({"source": "authors", "global_step": 400_000})
    euler = [dict(r, source="authors", fit_info=provenance) for r in _rows(seeds=(0,))]
    noisy = [dict(r, method="fake-chain", ess=3.0) for r in euler]
    marks = authors_marks(euler + noisy + _rows(seeds=(0,)))
    assert list(marks) == [BENCH] and len(marks[BENCH]) == 1  # the unreliable one is left out
    label, values = marks[BENCH][0]
    assert label.startswith("authors' checkpoint (400,000 training steps, GPU)")
    assert values["delta_mag"] == pytest.approx(euler[0]["delta_mag"])
    on_torch = [dict(r, backend="torch") for r in euler]
    labels = [label for label, _ in authors_marks(euler + on_torch)[BENCH]]
    assert len(labels) == 2 and sum(", torch " in label for label in labels) == 1


def test_curve_marks_must_be_a_results_store(fakes, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    args = ["curve", "--benchmark", BENCH, "--method", "fake-is", "--seconds", "1"]
    args += ["--results", str(tmp_path / "runs"), "--output", str(tmp_path / "out")]
    assert main([*args, "--no-progress", "--marks", str(tmp_path)]) == 2
    assert f"--marks {tmp_path}: not a results store" in capsys.readouterr().err


def test_total_evaluations_count_training_and_are_unknown_when_it_was_not_counted(fakes):
    row = dict(_rows(seeds=(0,))[0], param_count=None, n_train_evaluations=0)  # untrained
    trained = dict(row, method="fake-trained", param_count=10, n_train_evaluations=500)
    unknown = dict(row, method="fake-unknown", param_count=10, n_train_evaluations=None)
    summary = summarise([row, trained, unknown]).set_index("method")["n_total_evaluations"]
    assert summary["fake-is"] == row["n_evaluations"]
    assert summary["fake-trained"] == row["n_evaluations"] + 500
    assert np.isnan(summary["fake-unknown"])
