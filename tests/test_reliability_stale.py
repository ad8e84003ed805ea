"""Issue 30, stale results: rows and cached trained models are keyed by the code's identity
too; a row computed by other code is recomputed (or reused on purpose, --reuse-stale), and
the run says which."""

from __future__ import annotations

import json

from leapsbench.cli import main
from leapsbench.harness import code_identity, runner
from leapsbench.harness.methods import make_method
from leapsbench.harness.store import ResultStore

BENCH = "ising-L4-b0.4407"


def _run(tmp_path, *extra):
    argv = ["run", "--benchmark", BENCH, "--method", "fake-is", "--set", "n=300"]
    argv += ["--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    return main([*argv, "--no-progress", "--format", "json", *extra])


def _edit_stored(tmp_path, **changes):
    (path,) = (tmp_path / "runs" / "rows").glob("*.json")
    row = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    path.write_text(json.dumps(row))
    return row


def test_rows_carry_the_code_identity_and_a_rerun_says_it_reuses_them(fakes, tmp_path, capsys):
    assert _run(tmp_path) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["code_hash"] == code_identity.code_identity("fake-is")["code_hash"]
    assert row["schema_version"] == 2
    assert _run(tmp_path) == 0
    err = capsys.readouterr().err
    assert f"reusing 1 row computed by version unknown (code {row['code_hash']})" in err
    assert fakes.CALLS["sample"] == 1


def test_a_row_from_other_code_is_recomputed_and_replaced(fakes, tmp_path, capsys):
    assert _run(tmp_path) == 0
    old = _edit_stored(tmp_path, code_version="0.0.9", code_hash="0123456789ab", mag=0.123)
    capsys.readouterr()
    assert _run(tmp_path) == 0
    captured = capsys.readouterr()
    assert "recomputing 1 row computed by version 0.0.9 (code 0123456789ab)" in captured.err
    new = json.loads(captured.out)
    assert fakes.CALLS["sample"] == 2 and new["mag"] != old["mag"]
    assert [r["code_hash"] for r in ResultStore(tmp_path / "runs").rows()] == [new["code_hash"]]


def test_reuse_stale_keeps_the_old_row_and_says_so(fakes, tmp_path, capsys):
    assert _run(tmp_path) == 0
    _edit_stored(tmp_path, code_version="0.0.9", code_hash="0123456789ab", mag=0.123)
    capsys.readouterr()
    assert _run(tmp_path, "--reuse-stale") == 0
    captured = capsys.readouterr()
    assert "reusing 1 row computed by version 0.0.9 (code 0123456789ab)" in captured.err
    assert json.loads(captured.out)["mag"] == 0.123 and fakes.CALLS["sample"] == 1


def test_a_row_from_before_code_identities_is_recomputed(fakes, tmp_path, capsys):
    assert _run(tmp_path) == 0
    _edit_stored(tmp_path, code_version=None, code_hash=None, schema_version=None)
    capsys.readouterr()
    assert _run(tmp_path) == 0
    assert "recomputing 1 row computed by version unknown" in capsys.readouterr().err
    assert fakes.CALLS["sample"] == 2


def test_cached_training_by_other_code_is_not_loaded_unless_asked(fakes, tmp_path, monkeypatch):
    method = make_method("fake-is", "quick", {"n": 300})
    entry = runner.cache_entry(tmp_path, method, BENCH, {}, 0)
    entry.mkdir(parents=True)
    (entry / "fit.json").write_text(json.dumps({"code": code_identity.code_identity("fake-is")}))
    assert runner.cache_entry(tmp_path, method, BENCH, {}, 0) == entry
    changed = {"code_version": "9.9", "code_hash": "feedfacefeed"}
    monkeypatch.setattr(runner, "code_identity", lambda name: changed)
    fresh = runner.cache_entry(tmp_path, method, BENCH, {}, 0)
    assert fresh == entry.with_name(f"{entry.name}-feedfacefeed")
    assert runner.cache_entry(tmp_path, method, BENCH, {}, 0, stale_ok=True) == entry
    (entry / "fit.json").write_text(json.dumps({"fit_info": {}}))  # from before code identities
    assert runner.cache_entry(tmp_path, method, BENCH, {}, 0) == fresh
