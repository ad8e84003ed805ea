"""Issue 30, silent wrong numbers: edge-case physics against enumeration and Kaufman, and
hand-edited rows and reference files validated on read (skipped with a warning naming the file
and the field, never averaged into a table)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from leapsbench.cli import main
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.exact.kaufman import ising_log_z, ising_thermodynamics
from leapsbench.harness.reference_lookup import find_reference
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.harness.store import ResultStore
from leapsbench.models import ising

BENCH = "ising-L4-b0.4407"


# --- Metropolis on tiny tori: ties at ½ keep the sweep irreducible ---


@pytest.mark.parametrize("bench", ["ising-L2-b0.4", "ising-L2-b0.2"])
def test_metropolis_on_tiny_tori_agrees_with_enumeration(bench):
    row = run_task(make_spec(bench, "metropolis", overrides={"n_samples": 2000}))
    exact = enumerate_model(ising(2, beta=float(bench.split("-b")[1])))
    assert row["status"] == "ok" and row["mag_err"] > 0
    assert abs(row["mag"] - exact.mag) < 5 * row["mag_err"], (row["mag"], exact.mag, row["mag_err"])


# --- Kaufman at extreme β: finite and equal to the high-temperature limit ---


@pytest.mark.parametrize("beta", [1e-200, 1e-310, 5e-324])
def test_kaufman_at_tiny_beta_is_n_log_2(beta):
    for lx, ly in ((2, 2), (4, 4), (16, 16)):
        assert ising_log_z(lx, ly, beta) == pytest.approx(lx * ly * math.log(2), rel=1e-15)


def test_kaufman_energy_at_tiny_beta_follows_the_series():
    thermo = ising_thermodynamics(4, 4, 1e-200)
    assert thermo["log_z"] == pytest.approx(16 * math.log(2), rel=1e-15)
    assert thermo["energy_per_site"] == pytest.approx(-2e-200)
    # on a 2-periodic axis the parallel bonds add one t per site: 2 × 5 has c1 = 3
    assert ising_thermodynamics(2, 5, 1e-200)["energy_per_site"] == pytest.approx(-3e-200)


def test_exact_command_at_tiny_beta_prints_a_finite_log_z(capsys):
    assert main(["exact", "ising", "--size", "4", "--beta", "1e-200", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["log_z"] == pytest.approx(16 * math.log(2), rel=1e-15)


# --- reference files from outside ---


def _reference(tmp_path, name, text):
    (tmp_path / f"{name}.json").write_text(text)
    return tmp_path / f"{name}.json"


BIG = "ising-L16-b0.3"  # Kaufman gives log Z only: ⟨m⟩ comes from the file


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('{"value": NaN, "error": 0.01}', "mag.value=nan"),
        ('{"value": Infinity, "error": 0.01}', "mag.value=inf"),
        ('{"value": 0.5, "error": -0.01}', "mag.error=-0.01"),
        ('{"value": 0.5, "error": NaN}', "mag.error=nan"),
        ('{"value": "half", "error": 0.01}', "mag.value='half'"),
    ],
)
def test_invalid_reference_entry_is_skipped_naming_file_and_field(tmp_path, entry, field):
    path = _reference(tmp_path, BIG, f'{{"mag": {entry}}}')
    model = ising(16, beta=0.3)
    with pytest.warns(UserWarning, match=field) as caught:
        ref = find_reference(BIG, model, tmp_path)
    assert str(path) in str(caught[0].message)
    assert ref.mag is None and ref.mag_err is None and math.isfinite(ref.log_z)


@pytest.mark.parametrize(
    ("text", "says"), [('{"mag": {"value": 0.5,', "unreadable"), ("[1, 2]", "a JSON list")]
)
def test_malformed_reference_json_is_a_warning_not_a_traceback(tmp_path, text, says):
    path = _reference(tmp_path, BIG, text)
    with pytest.warns(UserWarning, match=says) as caught:
        ref = find_reference(BIG, ising(16, beta=0.3), tmp_path)
    assert str(path) in str(caught[0].message) and ref.mag is None


def test_run_with_a_nan_reference_reports_no_delta_mag(fakes, tmp_path, capsys):
    _reference(tmp_path, "ising-L5-b0.3", '{"mag": {"value": NaN, "error": 0.0}}')
    spec = make_spec("ising-L5-b0.3", "fake-is", reference_dir=str(tmp_path))
    with pytest.warns(UserWarning, match="mag.value=nan"):
        row = run_task(spec)
    assert row["status"] == "ok" and row["delta_mag"] is None and row["mag_ref"] is None


# --- rows from outside: validated, skipped naming file and field, never averaged in ---


def _store_with(fakes, tmp_path, **bad):
    """A store with two good seeds and one row edited to ``bad``; its path and good rows."""
    store = ResultStore(tmp_path / "runs")
    rows = [run_task(make_spec(BENCH, "fake-is", seed=s, overrides={"n": 400})) for s in (0, 1)]
    edited = run_task(make_spec(BENCH, "fake-is", seed=2, overrides={"n": 400}))
    for row in rows:
        store.add(row)
    path = store.add(dict(edited, **bad))
    return store, path, rows


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"ess": -3.0}, "negative ess=-3.0"),
        ({"ess": 1e6}, "ess=1000000.0 exceeds n_samples=400"),
        ({"ess_fraction": 1.5}, "ess_fraction=1.5 exceeds 1"),
        ({"delta_mag": float("nan")}, "non-finite delta_mag=nan"),
        ({"log_z_err": float("inf")}, "non-finite log_z_err=inf"),
        ({"mag_err": -0.1}, "negative mag_err=-0.1"),
        ({"status": "done"}, "status='done' is not one of ok, n/a, error"),
        ({"schema_version": 99}, "schema_version=99 is newer than this leapsbench reads"),
    ],
)
def test_invalid_row_is_skipped_naming_file_and_field(fakes, tmp_path, capsys, bad, field):
    store, path, good = _store_with(fakes, tmp_path, **bad)
    with pytest.warns(UserWarning, match=field) as caught:
        rows = store.rows()
    assert any(str(path) in str(w.message) for w in caught)
    assert sorted(r["seed"] for r in rows) == [0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["table", str(tmp_path / "runs"), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower().replace("n/a", "")
    expected = np.mean([r["ess"] for r in good])
    assert f"{expected:.6g}"[:5] in out  # the mean over the two valid seeds only


def test_version_1_row_missing_columns_is_read_and_tabulated(fakes, tmp_path, capsys):
    row = run_task(make_spec(BENCH, "fake-is", overrides={"n": 400}))
    old = {k: v for k, v in row.items() if k not in ("schema_version", "cpu_seconds", "variant")}
    del old["code_version"], old["code_hash"], old["overrides"]
    (tmp_path / "old.json").write_text(json.dumps([old]))
    assert main(["table", str(tmp_path / "old.json")]) == 0
    out = capsys.readouterr().out
    assert "| fake-is |" in out and "| 1 | ok |" in out
