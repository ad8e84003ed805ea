"""End to end with the real method adapters (skipped until an adapter's modules are installed).

A quick-suite subset on numpy and torch must produce a complete table, and on a 4×4 Ising
lattice at β_c (exact ⟨m⟩ by enumeration) each method's ⟨m⟩ must lie within 5 of its own error
bars of the exact value (fixed seed).
"""

from __future__ import annotations

import importlib

import pytest

from leapsbench.harness.grid import make_grid, run_grid
from leapsbench.harness.store import ResultStore
from leapsbench.harness.tables import render

REAL = {
    "metropolis": ("leapsbench.baselines.mcmc_method",),
    "ais": ("leapsbench.baselines.annealing_method", "leapsbench.baselines.local"),
}


def _importable(modules) -> bool:
    try:
        for module in modules:
            importlib.import_module(module)
    except ModuleNotFoundError:
        return False
    return True


@pytest.mark.parametrize("method", list(REAL))
def test_quick_subset_numpy_and_torch_complete_table(method, tmp_path):
    if not _importable(REAL[method]):
        pytest.skip(f"adapter for {method} not installed yet")
    pytest.importorskip("torch")
    specs = make_grid(
        ["ising-L4-b0.4407", "potts-q3-L3-b1.0"],
        [method],
        ["numpy", "torch"],
        seeds=[0],
        cache_dir=tmp_path / "cache",
    )
    rows = run_grid(specs, ResultStore(tmp_path / "runs"))
    assert [r["status"] for r in rows] == ["ok"] * 4, [r["error"] for r in rows]
    for row in rows:
        assert row["ess"] is not None and 0 < row["ess"] <= row["n_samples"]
        assert row["delta_mag"] < 5 * row["mag_err"], row
    text = render(rows)
    assert text.count(f"| {method} (numpy) |") == 2 and text.count(f"| {method} (torch) |") == 2


def test_inapplicable_method_is_recorded_as_not_applicable(tmp_path, capsys):
    """Swendsen–Wang with a field: status n/a (not a failure), shown so in the table, the run
    command exits 0, and a rerun does not repeat it."""
    from leapsbench.cli import main

    args = ["run", "--benchmark", "ising-L3x4-b0.4-h0.1", "--method", "swendsen-wang"]
    args += ["--results", str(tmp_path / "runs"), "--no-progress"]
    assert main(args) == 0
    rows = ResultStore(tmp_path / "runs").rows()
    assert [r["status"] for r in rows] == ["n/a"] and "field h = 0" in rows[0]["error"]
    assert "n/a: cluster updates need field h = 0" in render(rows)
    assert main(args) == 0 and len(ResultStore(tmp_path / "runs").rows()) == 1
