"""Harness robustness: grouping by device/dtype, unreadable rows, atomic writes, rich markup,
budget validation, broken pipes, missing references, compare's speed ratio, pdflatex-safe LaTeX,
one cost convention, and resume of an interrupted process-pool grid."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from rich.console import Console

from leapsbench.atomic import atomic_write_text
from leapsbench.cli import SIGPIPE_EXIT, main
from leapsbench.commands import run as run_command
from leapsbench.harness import report
from leapsbench.harness.compare import compare_results
from leapsbench.harness.grid import make_grid, run_grid
from leapsbench.harness.rows import run_key
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.harness.store import ResultStore, load_rows
from leapsbench.harness.tables import benchmark_table, render, summarise

REPO = Path(__file__).resolve().parents[1]
BENCH = "ising-L4-b0.4407"


def _rows(seeds, **spec):
    return [
        run_task(make_spec(BENCH, "fake-is", seed=s, overrides={"n": 500}, **spec)) for s in seeds
    ]


def _cli_run(tmp_path, *extra):
    args = ["run", "--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    return main([*args, *extra])


# --- 1. grouping: dtype and device are part of a cell; seeds are counted, not rows ---


def test_dtypes_are_separate_cells_labelled_and_seeds_counted_once(fakes):
    rows = _rows([0, 1], dtype="float64") + _rows([0], dtype="float32")
    rows.append(dict(rows[0], finished_at="9999"))  # the same seed stored twice
    summary = summarise(rows)
    assert sorted(zip(summary["dtype"], summary["n_seeds"], strict=True)) == [
        ("float32", 1),
        ("float64", 2),
    ]
    table = benchmark_table(summary, BENCH)
    assert list(table.index) == ["fake-is (float64)", "fake-is (float32)"]
    assert list(table["seeds"]) == [2, 1]
    # a float32-only NEW does not stand in for the float64 BASE
    new = [r for r in rows if r["dtype"] == "float32"]
    missing = compare_results(rows, new).regressions
    assert [(e["dtype"], e["reason"]) for e in missing] == [("float64", "missing in NEW")]


def test_devices_are_separate_cells_and_a_failed_run_has_the_resolved_device(fakes):
    rows = _rows([0, 1])
    assert {r["device"] for r in rows} == {"cpu"}
    failed = run_task(make_spec(BENCH, "fake-broken", overrides={"n": 500}))
    assert failed["status"] == "error" and failed["device"] == "cpu"
    other = dict(rows[0], device="cuda:0")
    table = benchmark_table(summarise([*rows, dict(failed, method="fake-is"), other]), BENCH)
    assert list(table.index) == ["fake-is (cpu)", "fake-is (cuda:0)"]
    assert table["status"].iloc[0].startswith("1 failed") and list(table["seeds"]) == [2, 1]


def test_a_device_left_default_is_no_device_variation(fakes):
    """A row that stopped before its backend resolved keeps device "default": the others are
    not labelled "(cpu)" for it."""
    rows = _rows([0]) + [dict(_rows([0])[0], method="fake-broken", device="default")]
    table = benchmark_table(summarise(rows), BENCH)
    assert sorted(table.index) == ["fake-broken", "fake-is"]


def test_committed_rows_keep_their_run_keys():
    """Rows under results/ are still recognised as stored: their run_key is reproduced."""
    paths = sorted((REPO / "results").glob("*/runs/rows/*.json"))
    if not paths:
        pytest.skip("no committed result rows")
    for path in paths:
        row = json.loads(path.read_text())
        if row.get("source") in ("authors", "checkpoint"):  # keyed by a checkpoint file's hash
            continue
        spec = make_spec(
            row["benchmark"],
            row["method"],
            preset=row["preset"],
            backend=row["backend"],
            dtype=row["dtype"],
            seed=row["seed"],
            overrides=json.loads(row["overrides"] or "{}"),
            budget=json.loads(row.get("budget") or "{}"),
        )
        assert run_key(spec) == row["run_key"], path


# --- 2. unreadable row files and atomic writes ---


def test_unreadable_row_is_skipped_with_a_warning_and_its_run_is_redone(fakes, tmp_path):
    store = ResultStore(tmp_path / "runs")
    specs = make_grid([BENCH], ["fake-is"], seeds=[0, 1], overrides={"n": 500})
    run_grid(specs, store)
    broken = store._path(run_key(specs[0]))
    broken.write_text("")
    (store.rows_dir / "stray.json").write_text("[1, 2]")
    with pytest.warns(UserWarning) as caught:
        assert [r["seed"] for r in store.rows()] == [1]
    assert {str(w.message) for w in caught} == {
        f"skipping unreadable result row {broken}: Expecting value: line 1 column 1 (char 0)",
        f"skipping {store.rows_dir / 'stray.json'}: not a result row (a list)",
    }
    with pytest.warns(UserWarning):
        assert len(load_rows(store.directory)) == 1
        rows = run_grid(specs, store)  # the unreadable run counts as not done
    assert fakes.CALLS["sample"] == 3 and [r["seed"] for r in rows] == [0, 1]
    assert json.loads(broken.read_text())["status"] == "ok"


def test_cli_table_survives_an_empty_row_file(fakes, tmp_path, capsys):
    assert _cli_run(tmp_path, "--benchmark", BENCH, "--method", "fake-is", "--no-progress") == 0
    (tmp_path / "runs" / "rows" / "0000.json").write_text("")
    capsys.readouterr()
    with pytest.warns(UserWarning, match="0000.json"):
        assert main(["table", str(tmp_path / "runs")]) == 0
    assert "| fake-is |" in capsys.readouterr().out


def test_atomic_write_fsyncs_and_cleans_up_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "row.json"
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    atomic_write_text(path, "old")
    assert path.read_text() == "old" and len(synced) == 1

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["row.json"]


# --- 3. rich markup does not eat bracketed text ---

PIP_HINT = "ImportError: pip install 'leapsbench[cupy-cuda12x]'"


def test_bracketed_errors_are_printed_verbatim(fakes, capsys):
    row = dict(run_task(make_spec(BENCH, "fake-broken")), error=PIP_HINT)
    buffer = io.StringIO()
    reporter = report.RichReporter(Console(file=buffer, width=200))
    with reporter:
        reporter.start(1, 0)
        reporter.run_finished(row)
    assert "leapsbench[cupy-cuda12x]" in buffer.getvalue()
    run_command._print([row], "table")
    assert "pip install 'leapsbench[cupy-cuda12x]'" in capsys.readouterr().out


# --- 4. budgets, seeds and beta are validated up front ---


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--n-samples", "0"], "--n-samples: got '0'; expected an integer >= 1"),
        (["--train-steps", "-3"], "--train-steps: got '-3'; expected an integer >= 1"),
        (["--train-seconds", "-1.5"], "--train-seconds: got '-1.5'; expected a finite number > 0"),
        (["--train-seconds", "0"], "--train-seconds: got '0'; expected a finite number > 0"),
        (["--seconds", "0"], "--seconds: got '0'; expected a finite number > 0"),
        (["--seconds", "1,nan"], "--seconds: got 'nan'; expected a finite number > 0"),
        (["--seconds", "inf"], "--seconds: got 'inf'; expected a finite number > 0"),
        (
            ["--seconds", "5", "--n-samples", "9"],
            "seconds (the total wall time) cannot be combined",
        ),
        (["--train-share", "0.5"], "budget train_share splits --seconds; give seconds too"),
        (["--seconds", "5", "--train-share", "1"], "train_share must be in (0, 1), got 1.0"),
        (["--seed", "2", "--seed", "-1"], "--seed: got '-1'; expected an integer >= 0"),
    ],
)
def test_bad_budgets_and_seeds_exit_2_before_any_run(fakes, tmp_path, capsys, extra, message):
    code = _cli_run(tmp_path, "--benchmark", BENCH, "--method", "fake-is", *extra)
    assert code == 2 and message in capsys.readouterr().err
    assert fakes.CALLS["sample"] == 0


def test_negative_beta_is_named(fakes, tmp_path, capsys):
    assert _cli_run(tmp_path, "--benchmark", "ising-L4-b-0.3", "--method", "fake-is") == 2
    assert "'ising-L4-b-0.3': beta must be >= 0, got -0.3" in capsys.readouterr().err


# --- 5. a closed pipe ends the command quietly ---


def test_broken_pipe_exits_quietly(tmp_path, monkeypatch, capsys):
    """``leapsbench table ... | head``: the reader goes away while we print."""
    from leapsbench.commands import table

    def flood(args):
        for _ in range(100_000):
            print("| a long line of a table that nobody reads any more |")
        return 0

    monkeypatch.setattr(table, "run", flood)
    read_end, write_end = os.pipe()
    os.close(read_end)
    saved = os.dup(write_end)
    pipe = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", pipe)
    try:
        assert main(["table", str(tmp_path)]) == SIGPIPE_EXIT
    finally:
        pipe.close()
        os.close(saved)
    assert "Traceback" not in capsys.readouterr().err


# --- 7. a missing reference is said, not only shown as "—" ---


def test_summary_says_when_a_benchmark_has_no_reference(fakes, capsys):
    rows = [
        run_task(make_spec(b, "fake-is", overrides={"n": 500}))
        for b in ("potts-q3-L7-b0.77", "ising-L8-b0.3", BENCH)
    ]
    run_command._print(rows, "table")
    out = capsys.readouterr().out
    assert "no reference for potts-q3-L7-b0.77: ΔMag and log-Z error not reported" in out
    assert "no reference for ising-L8-b0.3: ΔMag not reported" in out  # Kaufman gives log Z
    assert f"no reference for {BENCH}" not in out


# --- 8. compare reports the speed ratio; LaTeX is pdflatex-safe ---


def test_compare_always_reports_speed_and_judges_it_only_with_a_threshold(fakes):
    base = _rows([0, 1])
    slow = [dict(r, total_seconds=10 * r["total_seconds"]) for r in base]
    report_ = compare_results(base, slow)
    assert report_.ok
    speed = [e for e in report_.entries if e["metric"] == "total_seconds"]
    assert len(speed) == 1 and speed[0]["verdict"] == "not judged"
    assert speed[0]["ratio"] == pytest.approx(10)
    assert report_.speed_ratios() == [pytest.approx(10)]
    judged = compare_results(base, slow, speed_threshold=0.5)
    assert [e["metric"] for e in judged.regressions] == ["total_seconds"]


def test_cli_compare_prints_the_speed_ratio(fakes, tmp_path, capsys):
    assert _cli_run(tmp_path, "--benchmark", BENCH, "--method", "fake-is", "--no-progress") == 0
    runs = str(tmp_path / "runs")
    capsys.readouterr()
    assert main(["compare", runs, runs]) == 0
    out = capsys.readouterr().out
    assert "speed: total time NEW/BASE median 1 over 1 group(s)" in out and "not judged" in out
    assert main(["compare", runs, runs, "--all", "--speed-threshold", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "| total_seconds |" in out and "judged at --speed-threshold 0.2" in out


def test_latex_is_ascii_with_math_and_dashes(fakes):
    rows = _rows([0, 1]) + _rows([0], dtype="float32")  # two cells: a best one is marked
    rows.append(run_task(make_spec(BENCH, "fake-broken")))  # its cells are all "—"
    rows.append(run_task(make_spec("ising-L24-b0.4407", "fake-is")))  # the paper's column
    text = render(rows, "latex")
    assert text.isascii(), [c for c in text if not c.isascii()]
    assert r"$\Delta$Mag" in text and r"$\pm$" in text and " -- " in text
    assert r"\textbf{" in text and r"paper $\Delta$Mag (LEAPS)" in text


# --- 6. one cost convention: total evaluations for the whole sample ---


def test_cost_is_the_total_over_the_whole_sample():
    pytest.importorskip("leapsbench.baselines.annealing_method")
    mcmc = {"n_chains": 8, "n_warmup": 5, "n_samples": 10, "thin": 2}
    ais = {"n_walkers": 50, "n_steps": 4, "n_sweeps": 2}
    for method, overrides, expected in (
        ("metropolis", mcmc, 8 * (5 + 10 * 2)),
        ("ais", ais, 50 * 4 * (2 + 1)),
        ("smc", {**ais, "n_islands": 5}, 50 * 4 * (2 + 1)),
    ):
        row = run_task(make_spec(BENCH, method, overrides=overrides))
        assert row["status"] == "ok", row["error"]
        assert row["n_evaluations"] == expected, method


# --- 9. resume of an interrupted process-pool grid ---


def test_resume_after_ctrl_c_with_two_jobs(fakes, tmp_path, monkeypatch, capsys):
    """Ctrl-C after the first row of a --jobs 2 grid keeps it; the rerun adds only the rest."""
    finished = report.RichReporter.run_finished

    def interrupt(self, row):
        finished(self, row)
        raise KeyboardInterrupt

    monkeypatch.setattr(report.RichReporter, "run_finished", interrupt)
    grid = ["--benchmark", BENCH, "--method", "fake-is", "--set", "n=500", "--jobs", "2"]
    grid += [arg for seed in range(4) for arg in ("--seed", str(seed))]
    assert _cli_run(tmp_path, *grid) == 130
    store = ResultStore(tmp_path / "runs")
    first = {p.name: p.read_text() for p in store.rows_dir.glob("*.json")}
    assert 1 <= len(first) < 4

    monkeypatch.setattr(report.RichReporter, "run_finished", finished)
    skipped = []
    start = report.RichReporter.start
    monkeypatch.setattr(
        report.RichReporter, "start", lambda self, n, k: skipped.append(k) or start(self, n, k)
    )
    assert _cli_run(tmp_path, *grid) == 0
    rows = store.rows()
    assert sorted(r["seed"] for r in rows) == [0, 1, 2, 3]
    assert all(r["status"] == "ok" for r in rows)
    assert skipped == [len(first)]
    assert all((store.rows_dir / name).read_text() == text for name, text in first.items())
    assert len(load_rows(tmp_path / "runs" / "results.csv")) == 4


def test_summary_table_prints_error_bars():
    from rich.console import Console

    from leapsbench.harness.report import summary_table

    row = {"benchmark": "b", "method": "m", "backend": "numpy", "seed": 0, "status": "ok"}
    row |= {"delta_mag": 0.0123, "mag_err": 0.0041, "log_z_error": 0.5, "log_z_err": None}
    console = Console(width=200, record=True)
    console.print(summary_table([row]))
    text = console.export_text()
    assert "0.0123 ± 0.0041" in text and "0.5 " in text and "0.5 ±" not in text


def test_summary_table_shows_no_training_time_for_methods_that_do_not_train():
    from rich.console import Console

    from leapsbench.harness.report import summary_table

    base = {"benchmark": "b", "backend": "numpy", "seed": 0, "status": "ok"}
    rows = [
        base | {"method": "metropolis", "param_count": None, "train_seconds": 0.0},
        base | {"method": "van-made", "param_count": 120, "train_seconds": 3.25},
    ]
    console = Console(width=200, record=True)
    console.print(summary_table(rows))
    lines = console.export_text().splitlines()
    metropolis = next(line for line in lines if "metropolis" in line)
    train_cell = metropolis.split("│")[8]  # benchmark, method, backend, seed, ΔMag, ESS/n, ΔlogZ
    assert train_cell.strip() == "—"
    assert any("van-made" in line and "3.2" in line for line in lines)


def test_missing_references_name_the_energy_for_every_spin_glass():
    from leapsbench.harness.report import missing_references

    rows = [
        {"benchmark": name, "status": "ok", "mag_ref": None, "energy_ref": None, "log_z_ref": 1.0}
        for name in ("ea-L4-b1.0-i0", "ea3d-L4-b0.8-i0", "rrg-N16-d3-b1.0-i0", "ising-L8-b0.3")
    ]
    assert missing_references(rows) == [
        "no reference for ea-L4-b1.0-i0: ΔE not reported",
        "no reference for ea3d-L4-b0.8-i0: ΔE not reported",
        "no reference for rrg-N16-d3-b1.0-i0: ΔE not reported",
        "no reference for ising-L8-b0.3: ΔMag not reported",
    ]
