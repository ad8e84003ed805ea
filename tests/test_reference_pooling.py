"""Pooling independent runs into a reference: the scale-factor pool of leapsbench.pooled_runs, and
``leapsbench reference NAME --pool`` for parallel-tempering references (a 12-site spin glass on
a random 3-regular graph, checked against enumeration)."""

from __future__ import annotations

import json
import math

import pytest

from leapsbench.cli import main
from leapsbench.exact import enumerate_model
from leapsbench.harness.benchmarks import parse_benchmark
from leapsbench.pooled_runs import pool_estimates

Z_MAX = 4.5


def test_agreeing_runs_pool_to_the_inverse_variance_mean():
    runs = [{"value": 1.0, "error": 0.1}, {"value": 1.05, "error": 0.2}]
    pooled = pool_estimates(runs)
    w = [100.0, 25.0]
    assert pooled["value"] == pytest.approx((w[0] * 1.0 + w[1] * 1.05) / 125.0, rel=1e-12)
    assert pooled["scale_factor"] == 1.0  # chi2 = 0.04 < 1 dof: no scaling down
    assert pooled["error"] == pytest.approx(125.0**-0.5, rel=1e-12)


def test_scattered_runs_scale_the_error_up():
    runs = [{"value": v, "error": 0.1} for v in (1.0, 1.5, 0.6)]
    pooled = pool_estimates(runs)
    chi2 = sum((v - pooled["value"]) ** 2 / 0.01 for v in (1.0, 1.5, 0.6))
    assert pooled["chi2"] == pytest.approx(chi2, rel=1e-12)
    assert pooled["scale_factor"] > 1
    assert pooled["scale_factor"] == pytest.approx(math.sqrt(chi2 / 2), rel=1e-12)
    assert pooled["error"] == pytest.approx(pooled["scale_factor"] * 0.1 / math.sqrt(3), rel=1e-12)


def test_pool_is_order_free_and_keeps_a_shared_systematic_error():
    runs = [{"value": v, "error": e} for v, e in ((2.0, 0.3), (2.4, 0.1), (1.9, 0.2))]
    forward, backward = pool_estimates(runs, 0.05), pool_estimates(runs[::-1], 0.05)
    assert forward["value"] == pytest.approx(backward["value"], rel=1e-12)
    assert forward["error"] == pytest.approx(backward["error"], rel=1e-12)
    statistical = forward["scale_factor"] * forward["internal_error"]
    assert forward["error"] == pytest.approx(math.hypot(statistical, 0.05), rel=1e-12)


@pytest.mark.parametrize("bad", [{"value": 1.0, "error": 0.0}, {"value": math.nan, "error": 1.0}])
def test_pool_refuses_runs_without_an_error_bar(bad):
    with pytest.raises(ValueError, match="finite value and error > 0"):
        pool_estimates([{"value": 1.0, "error": 0.1}, bad])


NAME = "rrg-N12-d3-b1.0-i0"
PT_ARGS = ["--chains", "4", "--temps", "10", "--sweeps", "600"]


def test_pooled_tempering_reference_against_enumeration(tmp_path):
    out = ["--out", str(tmp_path)]
    path = tmp_path / f"{NAME}.json"
    assert main(["reference", NAME, *PT_ARGS, "--seed", "0", *out]) == 0
    first = json.loads(path.read_text())
    for seed in (1, 2):
        assert main(["reference", NAME, *PT_ARGS, "--seed", str(seed), "--pool", *out]) == 0
    pooled = json.loads(path.read_text())
    assert [run["seed"] for run in pooled["runs"]] == [0, 1, 2]
    exact = enumerate_model(parse_benchmark(NAME).model)
    for key, want in (("energy_per_site", exact.energy_per_site), ("log_z", exact.log_z)):
        entry = pooled[key]
        assert [run["seed"] for run in entry["runs"]] == [0, 1, 2]
        assert entry["runs"][0]["value"] == first[key]["value"]
        assert entry["error"] < first[key]["error"]
        assert abs(entry["value"] - want) < Z_MAX * entry["error"], key
    log_z = pooled["log_z"]
    assert log_z["error"] >= log_z["discretisation_error"]
    assert [run["seed"] for run in log_z["bar"]["runs"]] == [0, 1, 2]
    assert pooled["energy_per_site"]["n_samples"] == 3 * first["energy_per_site"]["n_samples"]


def _refused(argv, capsys) -> str:
    assert main(argv) != 0
    return capsys.readouterr().err


def test_pool_refusals(tmp_path, capsys):
    out = ["--out", str(tmp_path)]
    assert "does not exist" in _refused(
        ["reference", NAME, *PT_ARGS, "--seed", "1", "--pool", *out], capsys
    )
    assert main(["reference", NAME, *PT_ARGS, "--seed", "0", *out]) == 0
    used = _refused(["reference", NAME, *PT_ARGS, "--seed", "0", "--pool", *out], capsys)
    assert "--seed 0 was already used" in used
    other_ladder = ["--chains", "4", "--temps", "14", "--sweeps", "600"]
    other = _refused(["reference", NAME, *other_ladder, "--seed", "3", "--pool", *out], capsys)
    assert "different ladders" in other
    ising = ["reference", "ising-L4-b0.4", "--seconds", "1", "--pool", *out]
    assert "--part mag or --part log_z" in _refused(ising, capsys)
