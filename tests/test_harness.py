"""Harness: registry, metrics, store/resume, checkpoint cache, grids, tables, compare."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from leapsbench.harness import methods
from leapsbench.harness.benchmarks import SUITES, get_benchmark, suite_benchmarks
from leapsbench.harness.compare import compare_results
from leapsbench.harness.grid import make_grid, run_grid
from leapsbench.harness.reference_lookup import find_reference
from leapsbench.harness.rows import ROW_KEYS, run_key
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.harness.store import ResultStore, load_rows
from leapsbench.harness.tables import benchmark_table, render, summarise


def test_registry_suites_and_errors():
    assert len(SUITES["paper"]) == 6 and "ising-L15-b0.4407" in SUITES["exact"]
    assert get_benchmark("potts-q3-L3-b1.0").model.q == 3
    with pytest.raises(ValueError, match="registered benchmarks: .*ising-L24-b0.28"):
        get_benchmark("ising-24")
    with pytest.raises(ValueError, match="choose from quick, exact, paper"):
        suite_benchmarks("huge")
    with pytest.raises(ValueError, match="choose from leaps-mlp, .*twobo"):
        methods.make_method("nuts")
    assert len(methods.SUITE_METHODS) == 12


def test_references_exact_kaufman_stored_and_none(tmp_path):
    enum = find_reference("ising-L4-b0.4407", get_benchmark("ising-L4-b0.4407").model, tmp_path)
    assert enum.source == "enumeration" and 0 < enum.mag < 1 and enum.mag_err == 0
    big = get_benchmark("ising-L15-b0.3")  # no packaged reference file
    kaufman = find_reference(big.name, big.model, tmp_path)
    assert kaufman.source == "kaufman" and kaufman.mag is None and kaufman.log_z > 225 * np.log(2)
    (tmp_path / "ising-L15-b0.3.json").write_text(
        json.dumps({"mag": {"value": 0.6, "error": 0.01, "method": "swendsen-wang"}})
    )
    filled = find_reference(big.name, big.model, tmp_path)
    assert (filled.mag, filled.mag_err, filled.log_z) == (0.6, 0.01, kaufman.log_z)
    potts = get_benchmark("potts-q4-L16-b0.5")
    assert find_reference(potts.name, potts.model, tmp_path).source == "none"


def test_user_reference_folder_first_then_packaged(tmp_path):
    """A file in the user's folder wins over the packaged one, per quantity."""
    potts = get_benchmark("potts-q4-L16-b1.0986")
    packaged = find_reference(potts.name, potts.model, tmp_path)
    assert packaged.mag is not None and packaged.log_z is not None
    assert packaged.source.startswith("mag:swendsen-wang")
    (tmp_path / f"{potts.name}.json").write_text(
        json.dumps({"mag": {"value": 0.5, "error": 0.01, "method": "mine"}})
    )
    mixed = find_reference(potts.name, potts.model, tmp_path)
    assert (mixed.mag, mixed.log_z) == (0.5, packaged.log_z)
    assert mixed.source.startswith("mag:mine+log_z:")


def test_weighted_run_matches_exact_within_error_bars(fakes, tmp_path):
    """Uniform IS is unbiased: ⟨m⟩ and log Ẑ within 4σ of enumeration (fixed seed)."""
    row = run_task(make_spec("ising-L3x4-b0.4-h0.1", "fake-is", seed=3, cache_dir=tmp_path))
    assert row["status"] == "ok", row["error"]
    assert set(row) == set(ROW_KEYS)
    assert row["delta_mag"] < 4 * row["mag_err"]
    assert row["log_z_error"] < 4 * row["log_z_err"]
    assert row["log_z_error_per_site"] == pytest.approx(row["log_z_error"] / 12)
    assert 0 < row["ess"] < row["n_samples"] == 4000
    assert row["ess_fraction"] == pytest.approx(row["ess"] / 4000)
    assert row["ess_per_second"] == pytest.approx(row["ess"] / row["total_seconds"])
    assert json.loads(row["diagnostics"])["ess_fraction"] == [1.0, 0.5]
    assert abs(sum(json.loads(row["mag_histogram"])["density"]) * 0.05 - 1) < 1e-6


def test_chain_run_reports_mag_without_log_z(fakes):
    row = run_task(make_spec("ising-L4-b0.28", "fake-chain", overrides={"n": 800}))
    assert row["status"] == "ok", row["error"]
    assert row["log_z"] is None and row["log_z_error"] is None
    assert row["delta_mag"] is not None and row["mag_err"] > 0


def test_failing_method_becomes_an_error_row(fakes):
    row = run_task(make_spec("ising-L4-b0.28", "fake-broken"))
    assert row["status"] == "error" and "always fails" in row["error"]
    assert set(row) == set(ROW_KEYS)
    bad = run_task(make_spec("ising-L4-b0.28", "fake-is", overrides={"lr": 1}))
    assert bad["status"] == "error" and "valid keys: n" in bad["error"]


def test_checkpoint_reused_across_backends(fakes, tmp_path):
    first = run_task(make_spec("ising-L4-b0.28", "fake-is", cache_dir=tmp_path))
    second = run_task(make_spec("ising-L4-b0.28", "fake-is", backend="torch", cache_dir=tmp_path))
    assert fakes.CALLS["fit"] == 1
    assert not first["checkpoint_reused"] and second["checkpoint_reused"]
    assert second["train_seconds"] == first["train_seconds"]


def test_resume_after_interrupted_grid(fakes, tmp_path):
    store = ResultStore(tmp_path / "runs")
    specs = make_grid(["ising-L4-b0.28", "potts-q3-L3-b1.0"], ["fake-interrupt"], seeds=[0, 1])
    fakes.INTERRUPT_AFTER[0] = 3
    with pytest.raises(KeyboardInterrupt):
        run_grid(specs, store)
    assert len(store.rows()) == 3 and fakes.CALLS["sample"] == 3
    fakes.INTERRUPT_AFTER[0] = 100
    rows = run_grid(specs, store)
    assert fakes.CALLS["sample"] == 4  # only the missing run was computed
    assert [r["run_key"] for r in rows] == [run_key(s) for s in specs]
    assert all(r["status"] == "ok" for r in rows)


def test_process_pool_grid_and_csv_roundtrip(fakes, tmp_path):
    store = ResultStore(tmp_path / "runs")
    specs = make_grid(["ising-L4-b0.28"], ["fake-is", "fake-broken"], seeds=[0, 1])
    with ProcessPoolExecutor(2) as pool:
        rows = run_grid(specs, store, pool)
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "error"]
    csv_rows = load_rows(store.export_csv())
    assert len(csv_rows) == 4 and set(csv_rows[0]) == set(ROW_KEYS)


def _rows(fakes, seeds, **spec):
    return [run_task(make_spec("ising-L4-b0.4407", "fake-is", seed=s, **spec)) for s in seeds]


def test_table_marks_best_and_shows_failures(fakes):
    rows = _rows(fakes, [0, 1]) + _rows(fakes, [0], overrides={"n": 500})
    rows.append(run_task(make_spec("ising-L4-b0.4407", "fake-broken")))
    text = render(rows, "markdown")
    assert text.startswith("### ising-L4-b0.4407")
    assert text.count("**") >= 2 and "1 failed: RuntimeError" in text
    assert "±" in text
    assert r"\textbf" in render(rows, "latex")
    assert "delta_mag_err" in render(rows, "csv")
    with pytest.raises(ValueError, match="choose from markdown, csv, latex"):
        render(rows, "html")


def test_table_rows_follow_registry_and_train_time_needs_parameters(fakes):
    """Rows come in the method registry's order, whatever order the runs finished in; training
    time is shown only for methods with parameters (fakes have 3; a None count shows '—')."""
    rows = _rows(fakes, [0])
    mcmc, leaps = dict(rows[0], method="metropolis"), dict(rows[0], method="leaps-mlp")
    mcmc["param_count"], mcmc["train_seconds"] = None, 1e-6
    leaps["train_seconds"] = 5.0
    summary = summarise([mcmc, leaps])
    assert list(summary["method"]) == ["leaps-mlp", "metropolis"]
    assert np.isnan(summary["train_seconds"].iloc[1]) and summary["train_seconds"].iloc[0] == 5.0
    table = benchmark_table(summary, "ising-L4-b0.4407")
    assert list(table["train s"]) == ["5", "—"]


def test_paper_delta_mag_shown_for_paper_benchmarks(fakes):
    row = run_task(make_spec("ising-L24-b0.4407", "fake-is", overrides={"n": 200}))
    assert "paper ΔMag (LEAPS)" in render([row]) and "0.059" in render([row])


def test_compare_passes_identical_and_seed_noise_flags_regression(fakes):
    base = _rows(fakes, [0, 1, 2])
    assert compare_results(base, base).ok
    other_seeds = _rows(fakes, [3, 4, 5])
    assert compare_results(base, other_seeds).ok  # seed noise is within the error bars
    worse = [
        dict(r, delta_mag=r["delta_mag"] + 0.2, ess_fraction=r["ess_fraction"] / 3) for r in base
    ]
    report = compare_results(base, worse)
    assert {e["metric"] for e in report.regressions} == {"delta_mag", "ess_fraction"}
    broken = [dict(r, status="error", error="boom") for r in base]
    assert [e["metric"] for e in compare_results(base, broken).regressions] == ["status"]
    assert compare_results(base, []).regressions[0]["reason"] == "missing in NEW"


def test_compare_judges_energy_error_and_skips_what_base_did_not_measure(fakes):
    base = _rows(fakes, [0, 1, 2])
    assert all(r["delta_energy"] is not None for r in base)
    worse = [dict(r, delta_energy=r["delta_energy"] + 0.5) for r in base]
    assert [e["metric"] for e in compare_results(base, worse).regressions] == ["delta_energy"]
    lost = [dict(r, delta_energy=None) for r in base]
    (entry,) = compare_results(base, lost).regressions
    assert entry["metric"] == "delta_energy" and "not measured in NEW" in entry["reason"]
    old_base = [dict(r, delta_energy=None) for r in base]  # rows from before ΔE existed
    report = compare_results(old_base, worse)
    assert report.ok and "delta_energy" not in {e["metric"] for e in report.entries}


def test_load_rows_from_every_layout(fakes, tmp_path):
    store = ResultStore(tmp_path / "runs")
    run_grid(make_grid(["ising-L4-b0.28"], ["fake-is"], seeds=[0, 1]), store)
    store.export_csv()
    keys = sorted(r["run_key"] for r in store.rows())
    for source in (store.directory, store.rows_dir, store.directory / "results.csv"):
        assert sorted(r["run_key"] for r in load_rows(source)) == keys
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no result rows"):
        load_rows(tmp_path / "empty")
