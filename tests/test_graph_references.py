"""Guards on the shipped parallel-tempering references of the spin glasses on graphs (the 3D
cube L = 8, the random 3-regular graph N = 256; leapsbench/references/<benchmark>.json): the
file names its runs and instance, pools three independent runs, its precision is what the README
states, and its internal cross-checks hold within 4 combined standard errors — TI against BAR,
the two halves of each run's kept sweeps, each run's log Z reproduced from its energy grid, and
the pool reproduced from the runs."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from leapsbench.harness.benchmarks import parse_benchmark
from leapsbench.pooled_runs import pool_estimates
from leapsbench.reference_tempering import MEANS, ti_integral

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "leapsbench" / "references"
GRAPH_REFERENCES = ("ea3d-L8-b0.8-i0", "rrg-N256-d3-b1.0-i0")
N_SIGMA = 4.0
N_RUNS = 3
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
    for run in data["energy_per_site"]["runs"]:
        assert abs(run["halves_z"]) < N_SIGMA, run["seed"]


@pytest.mark.parametrize("name", GRAPH_REFERENCES)
def test_graph_reference_pools_independent_runs(name):
    data = _load(name)
    seeds = [run["seed"] for run in data["runs"]]
    assert len(set(seeds)) == len(seeds) == N_RUNS
    for key in MEANS:
        entry = data[key]
        assert [run["seed"] for run in entry["runs"]] == seeds, key
        pooled = pool_estimates(entry["runs"])
        assert entry["value"] == pytest.approx(pooled["value"], rel=1e-12), key
        assert entry["error"] == pytest.approx(pooled["error"], rel=1e-12), key
    log_z = data["log_z"]
    pooled = pool_estimates(log_z["runs"], log_z["discretisation_error"])
    assert log_z["value"] == pytest.approx(pooled["value"], rel=1e-12)
    assert log_z["error"] == pytest.approx(pooled["error"], rel=1e-12)


@pytest.mark.parametrize("name", GRAPH_REFERENCES)
def test_graph_log_z_is_reproduced_from_its_energy_grids(name):
    log_z, model = _load(name)["log_z"], parse_benchmark(name).model
    for run in log_z["runs"]:
        grid = run["energy_grid"]
        betas, means = np.asarray(grid["beta"]), np.asarray(grid["mean"])
        assert betas[0] == 0.0 and betas[-1] == pytest.approx(model.beta, rel=1e-12)
        integral, disc = ti_integral(betas, means)
        assert model.log_z0 - integral == pytest.approx(run["value"], rel=1e-12)
        assert disc == pytest.approx(run["discretisation_error"], rel=1e-9)
        stat = max(run["statistical_error"], run["statistical_error_tau"])
        assert run["error"] == pytest.approx(stat, rel=1e-12)
