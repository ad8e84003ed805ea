"""Scoring stored rows again against today's references (leapsbench.harness.rescore, ``leapsbench
rescore``) and the spin-glass tables' Δq² column."""

from __future__ import annotations

import pytest

from leapsbench.cli import main
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.harness.store import ResultStore
from leapsbench.harness.tables import benchmark_table, summarise

BENCH = "rrg-N12-d3-b1.0-i0"


@pytest.fixture(scope="module")
def heatbath_row(tmp_path_factory):
    spec = make_spec(BENCH, "heatbath", seed=0, cache_dir=tmp_path_factory.mktemp("cache"))
    row = run_task(spec)
    assert row["status"] == "ok", row["error"]
    return row


def test_a_row_scored_against_an_old_reference_is_corrected(heatbath_row, tmp_path, capsys):
    """A row stored when the reference said otherwise gets today's reference columns, its
    estimates untouched; rescoring again changes nothing; a failed row is left alone."""
    old = {
        **heatbath_row,
        "energy_ref": heatbath_row["energy_ref"] + 0.01,
        "delta_energy": abs(heatbath_row["energy"] - heatbath_row["energy_ref"] - 0.01),
        "overlap_q2_ref": None,
        "delta_overlap_q2": None,
    }
    failed = {**heatbath_row, "run_key": "failed", "status": "error", "error": "x"}
    store = ResultStore(tmp_path)
    store.add(old)
    store.add(failed)
    assert main(["rescore", str(tmp_path)]) == 0
    assert "1 of 2 rows" in capsys.readouterr().out
    new = {r["run_key"]: r for r in store.rows()}
    fixed = new[heatbath_row["run_key"]]
    for key in ("energy_ref", "delta_energy", "overlap_q2_ref", "delta_overlap_q2", "log_z_ref"):
        assert fixed[key] == heatbath_row[key], key
    assert fixed["energy"] == old["energy"] and fixed["rescored_at"]
    assert new["failed"]["rescored_at"] is None
    assert main(["rescore", str(tmp_path)]) == 0
    assert "0 of 2 rows" in capsys.readouterr().out
    assert "rescored_at" in (tmp_path / "results.csv").read_text().splitlines()[0]


def test_spin_glass_tables_show_the_overlap_error(heatbath_row):
    assert heatbath_row["overlap_q2_ref"] is not None and heatbath_row["overlap_q2"] is not None
    assert heatbath_row["delta_overlap_q2"] == pytest.approx(
        abs(heatbath_row["overlap_q2"] - heatbath_row["overlap_q2_ref"]), rel=1e-12
    )
    table = benchmark_table(summarise([heatbath_row]), BENCH)
    assert "Δq²" in table.columns and "ΔE" in table.columns and "ΔMag" not in table.columns
    no_reference = {**heatbath_row, "overlap_q2_ref": None, "delta_overlap_q2": None}
    assert "Δq²" not in benchmark_table(summarise([no_reference]), BENCH).columns


def test_rounding_in_the_last_digits_is_no_change(heatbath_row):
    from leapsbench.harness.rescore import rescore_rows

    nudged = {**heatbath_row, "energy_ref": heatbath_row["energy_ref"] * (1 + 1e-14)}
    rows, changed = rescore_rows([nudged])
    assert changed == 0 and rows[0] == nudged
    moved = {**heatbath_row, "energy_ref": heatbath_row["energy_ref"] * (1 + 1e-6)}
    assert rescore_rows([moved])[1] == 1
