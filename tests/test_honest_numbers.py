"""No silent wrong result: one benchmark per model, integer seeds, ESS <= n, no "± 0" or NaN error
bar, references never replaced by worse ones, malformed rows skipped, no computed row lost."""

from __future__ import annotations

import json

import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench import autocorr
from leapsbench.cli import main
from leapsbench.estimators import kish_ess, log_z_estimate, weighted_mean
from leapsbench.harness import store as store_module
from leapsbench.harness.benchmarks import parse_benchmark
from leapsbench.harness.compare import compare_results
from leapsbench.harness.reference_lookup import find_reference
from leapsbench.harness.rows import ROW_KEYS
from leapsbench.harness.runner import cache_entry, make_spec, run_task
from leapsbench.harness.store import ResultStore, load_rows

BENCH = "ising-L4-b0.4407"


# --- one benchmark per model ---


def test_every_spelling_of_a_model_is_one_benchmark_with_one_reference():
    spellings = ("ising-L24-b0.4407", "ising-L24x24-b0.4407", "ising-L024-b0.44070")
    specs = [parse_benchmark(name) for name in spellings]
    assert {spec.name for spec in specs} == {"ising-L24-b0.4407"}
    references = [find_reference(spec.name, spec.model) for spec in specs]
    assert references[0].mag is not None and len(set(references)) == 1
    assert parse_benchmark("potts-q3-L3x5-b1").name == "potts-q3-L3x5-b1.0"
    assert parse_benchmark("ising-L4-b0.3-h0").name == "ising-L4-b0.3"
    assert parse_benchmark("ising-L4-b0.3-h-0.10-open").name == "ising-L4-b0.3-h-0.1-open"


def test_run_stores_the_canonical_name(fakes, tmp_path, capsys):
    argv = ["run", "--method", "fake-is", "--no-progress", "--format", "json"]
    argv += ["--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--benchmark", "ising-L04x4-b0.44070"]) == 0
    assert json.loads(capsys.readouterr().out)["benchmark"] == BENCH
    assert main([*argv, "--benchmark", BENCH]) == 0  # the same run: resumed, not run again
    assert fakes.CALLS["sample"] == 1


# --- seeds are integers ---


@pytest.mark.parametrize("seed", [1.5, 1.0, True, "1", -1, None])
def test_rng_seed_must_be_a_non_negative_integer(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        get_backend("numpy").rng(seed)


def test_numpy_integer_seeds_are_seeds():
    numpy = get_backend("numpy")
    assert numpy.rng(np.int64(3)).uniform((4,)).tolist() == numpy.rng(3).uniform((4,)).tolist()


# --- ESS <= n and error bars that exist ---


def test_chain_ess_never_exceeds_the_sample_count():
    alternating = np.tile([1.0, -1.0], (4, 500))  # perfectly anticorrelated: tau_int estimate < 1
    assert autocorr.chain_ess(alternating) <= alternating.size
    two_steps = np.array([[0.1, 0.9]])
    assert autocorr.chain_ess(two_steps) <= 2
    with pytest.raises(ValueError, match="chains of 2 steps are too short"):
        autocorr.chain_ess(two_steps, strict=True)


def test_kish_ess_is_at_most_n_and_errors_of_one_sample_are_none():
    assert kish_ess(np.full(7, 0.3)) <= 7
    assert weighted_mean(np.array([0.4]), np.array([0.0])) == (0.4, None)
    assert weighted_mean(np.array([0.4]))[1] is None
    assert log_z_estimate(np.array([1.0]), 2.0) == (3.0, None)


def test_a_weighted_mean_that_one_sample_carries_has_no_error_bar():
    """Kish ESS ≈ 1 (the rest weighs e^-60): the delta method would say ± 1e-27, a ± 0 in
    disguise; from ESS 2 on the error bar is measured (ESS 3 here)."""
    values = np.array([0.3, 0.5, 0.7])
    assert weighted_mean(values, np.array([0.0, -60.0, -70.0])) == (0.3, None)
    mean, error = weighted_mean(values, np.zeros(3))
    assert mean == pytest.approx(0.5) and error == pytest.approx(np.sqrt(0.08 / 9))


def test_too_short_chains_are_an_error_row_not_an_ess_above_n():
    row = run_task(make_spec(BENCH, "metropolis", overrides={"n_chains": 1, "n_samples": 2}))
    assert row["status"] == "error" and "too short" in row["error"], row["error"]
    assert row["ess"] is None


def test_one_walker_has_no_error_bar():
    row = run_task(make_spec(BENCH, "ais", overrides={"n_walkers": 1, "n_steps": 4}))
    assert row["status"] == "ok", row["error"]
    assert row["mag_err"] is None and row["log_z_err"] is None
    assert row["ess"] <= row["n_samples"] == 1


def test_summary_never_prints_plus_minus_zero_or_nan(fakes, tmp_path, capsys):
    from rich.console import Console

    from leapsbench.harness.report import summary_table

    rows = [dict(dict.fromkeys(ROW_KEYS), delta_mag=0.1, mag_err=0.0, log_z_error=float("nan"))]
    console = Console(width=200, record=True)
    console.print(summary_table(rows))
    text = console.export_text()
    assert "± 0" not in text and "nan" not in text and "0.1000" in text


@pytest.mark.parametrize("limits", [{"threshold": np.nan}, {"n_sigma": np.inf}])
def test_compare_refuses_non_finite_thresholds(limits):
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        compare_results([], [], **limits)


# --- references are never replaced by worse ones ---


def _stored_reference(path, error):
    data = {"benchmark": "ising-L4-b0.4", "mag": {"value": 0.5, "error": error}}
    data["log_z"] = {"value": 1.0, "error": 0.0, "method": "kaufman"}
    path.write_text(json.dumps(data))
    return path.read_text()


def test_reference_is_replaced_only_with_force_and_only_by_a_more_precise_one(tmp_path, capsys):
    path = tmp_path / "ising-L4-b0.4.json"
    before = _stored_reference(path, 1e-9)
    argv = ["reference", "ising-L4-b0.4", "--seconds", "0.2", "--chains", "4"]
    argv += ["--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--force" in capsys.readouterr().err and path.read_text() == before
    assert main([*argv, "--force"]) == 2
    err = capsys.readouterr().err
    assert "less precise" in err and "ising-L4-b0.4.json.less-precise" in err
    assert path.read_text() == before
    assert json.loads((tmp_path / "ising-L4-b0.4.json.less-precise").read_text())["mag"]
    _stored_reference(path, 1.0)
    assert main([*argv, "--force"]) == 0
    assert json.loads(path.read_text())["mag"]["error"] < 1.0


# --- malformed rows and unwritable places ---


def test_malformed_rows_are_skipped_with_a_warning_naming_the_file(fakes, tmp_path, capsys):
    good = run_task(make_spec(BENCH, "fake-is"))
    source = tmp_path / "rows.json"
    no_status = {k: v for k, v in good.items() if k != "status"}
    text_value = dict(good, run_key="other", seed=1, delta_mag="abc")
    source.write_text(json.dumps([good, no_status, text_value]))
    with pytest.warns(UserWarning) as caught:
        assert main(["table", str(source)]) == 0
    messages = [str(w.message) for w in caught]
    assert any(f"{source} (entry 1): not a result row (no status)" in m for m in messages)
    assert any(f"{source} (entry 2): non-numeric delta_mag='abc'" in m for m in messages)
    out = capsys.readouterr().out
    assert "| fake-is |" in out and "failed" not in out and "| 1 | ok |" in out


def test_an_unwritable_store_keeps_the_row_elsewhere(fakes, tmp_path, monkeypatch):
    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(store_module, "atomic_write_text", refuse)
    row = run_task(make_spec(BENCH, "fake-is"))
    with pytest.raises(RuntimeError, match="it was saved to") as caught:
        ResultStore(tmp_path / "runs").add(row)
    fallback = str(caught.value).split("saved to ")[1].split(" instead")[0]
    assert json.loads(open(fallback).read())["run_key"] == row["run_key"]


def test_a_cache_that_cannot_be_written_keeps_the_run(fakes, tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache directory should be")
    with pytest.warns(UserWarning, match="could not cache the trained fake-is"):
        row = run_task(make_spec(BENCH, "fake-is", cache_dir=blocked))
    assert row["status"] == "ok", row["error"]


def test_a_truncated_fit_marker_names_the_file_and_the_way_out(fakes, tmp_path):
    spec = make_spec(BENCH, "fake-is", cache_dir=tmp_path)
    assert run_task(spec)["status"] == "ok"
    marker = next(tmp_path.rglob("fit.json"))
    marker.write_text(marker.read_text()[:10])
    row = run_task(spec)
    assert row["status"] == "error"
    assert f"{marker} is truncated or corrupt" in row["error"] and "delete it" in row["error"]


def test_table_output_into_a_missing_directory(fakes, tmp_path):
    source = tmp_path / "rows.json"
    source.write_text(json.dumps([run_task(make_spec(BENCH, "fake-is"))]))
    target = tmp_path / "new" / "dir" / "table.md"
    assert main(["table", str(source), "--output", str(target)]) == 0
    assert "fake-is" in target.read_text()
    assert len(load_rows(source)) == 1


def test_cache_entry_uses_the_canonical_name(fakes):
    from leapsbench.harness.methods import make_method

    method = make_method("fake-is")
    entry = cache_entry("c", method, parse_benchmark("ising-L04-b0.44070").name, {}, 0)
    assert entry.parts[2] == BENCH


# --- time budgets that cannot be honoured are refused before the work ---


def test_reference_time_budget_counts_the_fixed_sweeps_and_refuses_the_impossible():
    from leapsbench.models import ising, potts
    from leapsbench.reference_runs import MAG_WARMUP, TI_WARMUP, check_time_budget, minimum_sweeps

    model = potts(3, 4, 4, beta=1.0)
    assert minimum_sweeps(model, "all", 0.25, True, True) == MAG_WARMUP + 20 + 5 * (TI_WARMUP + 20)
    assert minimum_sweeps(model, "log_z", 0.25, True, False) == 0
    assert minimum_sweeps(ising(4, 4, beta=0.4), "all", 0.25, True, True) == MAG_WARMUP + 20
    rng = get_backend("numpy").rng(0)
    check_time_budget(model, rng, 4, 1.0, 0)  # nothing fixed: nothing to refuse
    with pytest.raises(ValueError, match="--seconds 1 cannot be honoured"):
        check_time_budget(model, rng, 4, 1.0, 10**9)


def test_a_name_of_any_length_is_one_short_canonical_name():
    long = "ising-L0004-b0." + "4" * 300
    assert parse_benchmark(long).name == "ising-L4-b0.4444444444444444"
