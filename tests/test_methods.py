"""Every registered method against exact enumeration on a tiny lattice (NetKet's test_sampler
pattern): a new method is tested by registering it.

Each method runs through the harness (``run_task``) at a tiny budget on the 3×3 Ising model at
β = 0.2 (high temperature: easy, so that few samples and few training steps suffice), and its
⟨|m|⟩ and log Ẑ must lie within Z_MAX of its own error bars of the enumerated values.  Fixed
seeds.  A trained method gets only a few training steps: the test checks that its estimates are
honest (consistent with their error bars), not that the training is good.
"""

import json

import pytest

from leapsbench.harness.methods import ALL_METHODS, METHOD_MODULES
from leapsbench.harness.runner import make_spec, run_task

BENCHMARK = "ising-L3-b0.2"
Z_MAX = 4.0
TINY = {
    "leapsbench.baselines.mcmc_method": {"n_chains": 16, "n_warmup": 50, "n_samples": 300},
    "leapsbench.baselines.tempering_method": {
        "n_chains": 8,
        "n_temps": 6,
        "beta_min": 0.2,
        "n_warmup": 50,
        "n_samples": 300,
    },
    "leapsbench.baselines.annealing_method": {"n_walkers": 400, "n_steps": 20},
    "leapsbench.leaps.method": {
        "n_steps": 10,
        "n_walkers": 2000,  # at 400, heavy weight tails made the error bar too small (|z| ~ 3)
        "train_steps": 4,
        "train_walkers": 8,
        "train_horizon": 4,
        "train_pairs": 16,
    },
    "leapsbench.baselines.autoregressive.method": {"steps": 8, "batch": 64, "n_samples": 2000},
}
"""Overrides per family; a family not listed runs at its quick preset."""


@pytest.mark.parametrize("name", ALL_METHODS)
def test_method_matches_exact_enumeration(name, tmp_path):
    overrides = TINY.get(METHOD_MODULES[name], {})
    spec = make_spec(BENCHMARK, name, seed=11, overrides=overrides, cache_dir=tmp_path)
    row = run_task(spec)
    assert row["status"] == "ok", row["error"]
    assert row["mag_ref"] is not None and row["mag_err"] > 0
    assert row["delta_mag"] <= Z_MAX * row["mag_err"], (row["mag"], row["mag_ref"])
    assert 0 < row["n_evaluations"] and json.loads(row["config"]) is not None
    if row["log_z"] is not None:  # weighted samplers estimate log Z too
        assert row["log_z_err"] > 0
        assert row["log_z_error"] <= Z_MAX * row["log_z_err"], (row["log_z"], row["log_z_ref"])
        assert 0 < row["ess"] <= row["n_samples"]


SPIN_GLASSES = ("ea-L4-b0.3-i1", "ea-gauss-L4x3-b0.3-i2-open")
"""Small Edwards–Anderson instances (periodic ±J, open Gaussian) at high temperature."""


@pytest.mark.parametrize("bench", SPIN_GLASSES)
@pytest.mark.parametrize("name", ALL_METHODS)
def test_method_on_spin_glass_matches_enumeration(name, bench, tmp_path):
    """⟨m⟩, ⟨E⟩/N and log Ẑ against enumeration; cluster updates are not applicable."""
    overrides = TINY.get(METHOD_MODULES[name], {})
    spec = make_spec(bench, name, seed=5, overrides=overrides, cache_dir=tmp_path)
    row = run_task(spec)
    if name in ("swendsen-wang", "wolff"):
        assert row["status"] == "n/a" and "spin glass" in row["error"]
        return
    assert row["status"] == "ok", row["error"]
    assert row["reference_source"] == "enumeration" and row["energy_err"] > 0
    assert row["delta_mag"] <= Z_MAX * row["mag_err"], (row["mag"], row["mag_ref"])
    assert row["delta_energy"] <= Z_MAX * row["energy_err"], (row["energy"], row["energy_ref"])
    if row["log_z"] is not None:
        assert row["log_z_error"] <= Z_MAX * row["log_z_err"], (row["log_z"], row["log_z_ref"])
