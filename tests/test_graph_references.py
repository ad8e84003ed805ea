"""Guards on the shipped parallel-tempering references of the spin glasses on graphs (the 3D
cube L = 8, the random 3-regular graph N = 256; leapsbench/references/<benchmark>.json): the
file names its run and instance, its precision is what the README states, and its internal
cross-checks hold within 4 combined standard errors — TI against BAR, the two halves of the
kept sweeps, and the stored log Z reproduced from the stored energy grid."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from leapsbench.harness.benchmarks import parse_benchmark
from leapsbench.reference_tempering import ti_integral

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "leapsbench" / "references"
GRAPH_REFERENCES = ("ea3d-L8-b0.8-i0", "rrg-N256-d3-b1.0-i0")
N_SIGMA = 4.0
MAX_ENERGY_ERROR = 1e-3
MAX_LOG_Z_ERROR_PER_SITE = 2e-4


def _load(name):
    return json.loads((REFERENCE_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", GRAPH_REFERENCES)
def test_graph_reference_is_a_tempering_run_of_the_instance(name):
    data, model = _load(name), parse_benchmark(name).model
    assert data["model"] == model.config()  # the generator's instance, by content hash
    assert data["command"].startswith(f"leapsbench reference {name} ")
    assert data["energy_per_site"]["method"] == "parallel-tempering"
    assert data["energy_per_site"]["error"] <= MAX_ENERGY_ERROR
    assert data["log_z"]["error"] <= MAX_LOG_Z_ERROR_PER_SITE * model.n_sites
    assert 0 < data["overlap_q2"]["value"] < 1 and data["overlap_q2"]["error"] > 0
    assert min(data["tempering"]["swap_rates"]) > 0.1


@pytest.mark.parametrize("name", GRAPH_REFERENCES)
def test_graph_reference_cross_checks(name):
    data = _load(name)
    log_z, bar = data["log_z"], data["log_z"]["bar"]
    z = (log_z["value"] - bar["value"]) / math.hypot(log_z["error"], bar["error"])
    assert abs(z) < N_SIGMA and log_z["ti_bar_z"] == pytest.approx(z, rel=1e-9)
    assert abs(data["energy_per_site"]["halves_z"]) < N_SIGMA


@pytest.mark.parametrize("name", GRAPH_REFERENCES)
def test_graph_log_z_is_reproduced_from_its_energy_grid(name):
    log_z, model = _load(name)["log_z"], parse_benchmark(name).model
    grid = log_z["energy_grid"]
    betas, means = np.asarray(grid["beta"]), np.asarray(grid["mean"])
    assert betas[0] == 0.0 and betas[-1] == pytest.approx(model.beta, rel=1e-12)
    integral, disc = ti_integral(betas, means)
    assert model.log_z0 - integral == pytest.approx(log_z["value"], rel=1e-12)
    assert disc == pytest.approx(log_z["discretisation_error"], rel=1e-9)
    stat = max(log_z["statistical_error"], log_z["statistical_error_tau"])
    assert log_z["error"] == pytest.approx(math.hypot(stat, disc), rel=1e-12)
