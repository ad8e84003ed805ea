"""Guards on the shipped reference values, leapsbench/references/<benchmark>.json.

Each file must carry its provenance and error bars, the six paper benchmarks must be as precise
as the paper comparison needs (σ(⟨m⟩) ≤ 2e-4, Potts σ(log Z) ≤ 0.05), and every internal
cross-check the file allows must hold within 4 combined standard errors:

* Ising: the sampled ⟨E⟩/N against Kaufman's exact value (stored, and recomputed here), and
  log Z equal to Kaufman's;
* Potts: thermodynamic integration against every Bennett acceptance-ratio run stored
  (z = (TI − BAR) / sqrt(σ_TI² + σ_BAR²); the two use the same TI samples when a run was pooled
  in, so the quadrature sum is conservative), and the stored TI value reproduced from the
  stored energy grid.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from leapsbench.exact.kaufman import ising_thermodynamics
from leapsbench.harness.benchmarks import PAPER_BENCHMARKS, parse_benchmark
from leapsbench.reference_runs import integrate_energy_grid

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "leapsbench" / "references"
FILES = sorted(REFERENCE_DIR.glob("*.json"))
MAX_MAG_ERROR = 2e-4
MAX_POTTS_LOG_Z_ERROR = 0.05
N_SIGMA = 4.0


def _load(name):
    return json.loads((REFERENCE_DIR / f"{name}.json").read_text())


def test_every_paper_benchmark_has_a_reference():
    assert {path.stem for path in FILES} >= set(PAPER_BENCHMARKS)


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_reference_file_has_provenance_and_error_bars(path):
    data = json.loads(path.read_text())
    assert data["benchmark"] == path.stem
    assert data["model"] == parse_benchmark(path.stem).model.config()
    for key in ("command", "seed", "versions", "wall_seconds"):
        assert key in data, f"{path.name}: no {key!r}"
    assert data["command"].startswith("leapsbench reference ")
    assert isinstance(data["seed"], int)
    assert {"python", "numpy", "leapsbench"} <= set(data["versions"])
    assert data["wall_seconds"] > 0
    for quantity, keys in (
        ("mag", ("value", "error", "method")),
        ("energy_per_site", ("value", "error")),
        ("log_z", ("value", "error", "method")),
    ):
        for key in keys:
            assert key in data[quantity], f"{path.name}: no {quantity}.{key}"
        assert math.isfinite(data[quantity]["value"])
        assert data[quantity]["error"] >= 0
    assert data["mag"]["error"] > 0 and data["energy_per_site"]["error"] > 0


@pytest.mark.parametrize("name", PAPER_BENCHMARKS)
def test_paper_references_are_precise_enough(name):
    data = _load(name)
    assert data["mag"]["error"] <= MAX_MAG_ERROR, data["mag"]
    if name.startswith("potts"):
        assert data["log_z"]["error"] <= MAX_POTTS_LOG_Z_ERROR, data["log_z"]["error"]


ISING = [path.stem for path in FILES if path.stem.startswith("ising")]
POTTS = [path.stem for path in FILES if path.stem.startswith("potts")]


@pytest.mark.parametrize("name", ISING)
def test_ising_reference_energy_and_log_z_match_kaufman(name):
    data, model = _load(name), parse_benchmark(name).model
    exact = ising_thermodynamics(model.lattice.Lx, model.lattice.Ly, model.beta, model.J)
    energy = data["energy_per_site"]
    assert energy["exact"] == pytest.approx(exact["energy_per_site"], rel=1e-12)
    z = (energy["value"] - energy["exact"]) / energy["error"]
    assert abs(z) < N_SIGMA, (energy, z)
    assert data["log_z"]["method"] == "kaufman"
    assert data["log_z"]["value"] == pytest.approx(exact["log_z"], rel=1e-12)


@pytest.mark.parametrize("name", POTTS)
def test_potts_thermodynamic_integration_agrees_with_bar(name):
    log_z = _load(name)["log_z"]
    bar_runs = log_z.get("bar_runs", [log_z["bar"]])
    assert log_z["bar"] in bar_runs
    for bar in bar_runs:
        z = (log_z["value"] - bar["value"]) / math.hypot(log_z["error"], bar["error"])
        assert abs(z) < N_SIGMA, (log_z["value"], log_z["error"], bar, z)


@pytest.mark.parametrize("name", POTTS)
def test_potts_log_z_is_reproduced_from_its_energy_grid(name):
    """The stored TI value and its errors are the quadrature of the stored grid of ⟨E⟩."""
    log_z, model = _load(name)["log_z"], parse_benchmark(name).model
    grid = log_z["energy_grid"]
    assert grid["beta"][0] == 0.0 and grid["beta"][-1] == pytest.approx(model.beta, abs=1e-12)
    again = integrate_energy_grid(
        model, np.asarray(grid["beta"]), np.asarray(grid["mean"]), np.asarray(grid["error"])
    )
    for key in ("value", "error", "statistical_error", "discretisation_error"):
        assert again[key] == pytest.approx(log_z[key], rel=1e-12, abs=1e-12), key
    assert log_z["error"] == pytest.approx(
        math.hypot(log_z["statistical_error"], log_z["discretisation_error"]), rel=1e-12
    )
