"""Reference values: TI/BAR log Z against Kaufman and enumeration, quadrature, BAR, the command."""

import json
import math
from argparse import Namespace

import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.cli import main
from leapsbench.commands.reference import run
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.exact.kaufman import ising_log_z
from leapsbench.models import ising, potts
from leapsbench.reference_runs import (
    PROBE_SWEEPS,
    bar_delta,
    simpson_weights,
    thermodynamic_integration,
)


def test_simpson_is_exact_for_cubics_and_rejects_even_grids():
    x = np.linspace(0.0, 2.0, 9)
    assert simpson_weights(9, x[1] - x[0]) @ (x**3 - x) == pytest.approx(4.0 - 2.0)
    with pytest.raises(ValueError, match="odd"):
        simpson_weights(4, 0.1)


def test_bar_recovers_log_z_ratio_of_gaussian_energies():
    """E ~ N(μ, s²) at β has E ~ N(μ − dβ s², s²) at β + dβ and Δ log Z = −dβ μ + dβ² s²/2."""
    rng = np.random.default_rng(0)
    mu, s, d_beta, n, replicas = -10.0, 3.0, 0.2, 20_000, 20
    exact = -d_beta * mu + d_beta**2 * s**2 / 2
    estimates = np.array(
        [
            bar_delta(rng.normal(mu, s, n), rng.normal(mu - d_beta * s**2, s, n), d_beta)
            for _ in range(replicas)
        ]
    )
    error = estimates.std(ddof=1) / math.sqrt(replicas)
    assert abs(estimates.mean() - exact) < 4 * error
    assert error < 0.01


@pytest.mark.parametrize(
    "model,exact",
    [
        (ising(6, 6, beta=0.44), ising_log_z(6, 6, 0.44)),
        (potts(3, 3, 4, beta=1.0), None),
    ],
    ids=["ising6x6-kaufman", "potts3-3x4-enumeration"],
)
def test_thermodynamic_integration_and_bar_match_exact_log_z(model, exact):
    exact = enumerate_model(model).log_z if exact is None else exact
    backend = get_backend("numpy")
    out = thermodynamic_integration(model, backend.rng(11), 0.0, 32, 0.05, n_steps=600)
    assert abs(out["value"] - exact) < 4 * out["error"], (out["value"], exact, out["error"])
    bar = out["bar"]
    assert abs(bar["value"] - exact) < 4 * bar["error"], (bar, exact)
    assert out["error"] < 0.05


def test_reference_command_writes_json(tmp_path, capsys):
    code = main(
        [
            "reference",
            "potts-q3-L3x4-b0.5",
            "--seconds",
            "1",
            "--seed",
            "3",
            "--chains",
            "16",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    data = json.loads((tmp_path / "potts-q3-L3x4-b0.5.json").read_text())
    for key in (
        "benchmark",
        "model",
        "mag",
        "log_z",
        "energy_per_site",
        "command",
        "seed",
        "versions",
        "wall_seconds",
    ):
        assert key in data
    exact = enumerate_model(potts(3, 3, 4, beta=0.5))
    assert abs(data["mag"]["value"] - exact.mag) < 4 * data["mag"]["error"]
    assert abs(data["log_z"]["value"] - exact.log_z) < 4 * data["log_z"]["error"]
    assert data["seed"] == 3 and data["mag"]["method"] == "swendsen-wang"


def test_reference_command_rejects_bad_seconds(tmp_path):
    with pytest.raises(ValueError, match="--seconds"):
        run(Namespace(benchmark="ising-L4-b0.4", seconds=0.0, seed=0, chains=8, out=str(tmp_path)))


def test_reference_parts_pool_independent_runs(tmp_path):
    """--part mag / log_z pool a second seed into the stored file; a reused seed is refused."""
    name, args = "potts-q3-L3x4-b0.5", ["--chains", "16", "--d-beta", "0.1", "--out", str(tmp_path)]
    path = tmp_path / f"{name}.json"
    assert main(["reference", name, "--seconds", "1", "--seed", "0", *args]) == 0
    first = json.loads(path.read_text())
    assert main(["reference", name, "--seconds", "1", "--seed", "1", "--part", "mag", *args]) == 0
    pooled = json.loads(path.read_text())
    assert pooled["mag"]["error"] < first["mag"]["error"]
    assert pooled["mag"]["n_samples"] > first["mag"]["n_samples"]
    assert pooled["log_z"] == first["log_z"]
    assert main(["reference", name, "--seconds", "2", "--seed", "2", "--part", "log_z", *args]) == 0
    pooled = json.loads(path.read_text())
    assert [run["part"] for run in pooled["runs"]] == ["all", "mag", "log_z"]
    assert pooled["log_z"]["statistical_error"] < first["log_z"]["statistical_error"]
    exact = enumerate_model(potts(3, 3, 4, beta=0.5))
    assert abs(pooled["mag"]["value"] - exact.mag) < 4 * pooled["mag"]["error"]
    assert abs(pooled["log_z"]["value"] - exact.log_z) < 4 * pooled["log_z"]["error"]
    with pytest.raises(ValueError, match="--seed 1 was already used"):
        run(
            Namespace(benchmark=name, seconds=1.0, seed=1, chains=16, out=str(tmp_path), part="mag")
        )
    with pytest.raises(ValueError, match="--part all"):
        run(
            Namespace(
                benchmark="ising-L4-b0.4",
                seconds=1.0,
                seed=0,
                chains=8,
                out=str(tmp_path),
                part="mag",
            )
        )


def test_interrupted_mag_sampling_keeps_its_sweeps(tmp_path, monkeypatch):
    """Ctrl-C after 30 sweeps of an Ising reference still writes a reference from those sweeps."""
    import leapsbench.reference_runs as reference

    calls = {"n": 0}
    real_step = reference.step

    def interrupting_step(rng, state, model, beta, kernel):
        calls["n"] += 1
        if calls["n"] > PROBE_SWEEPS + 1000 + 30:  # timing probe, 1000 warm-up sweeps, 30 kept
            raise KeyboardInterrupt
        return real_step(rng, state, model, beta, kernel)

    monkeypatch.setattr(reference, "step", interrupting_step)
    args = ["--seconds", "1000", "--chains", "8", "--out", str(tmp_path)]
    assert main(["reference", "ising-L4-b0.4", *args]) == 0
    data = json.loads((tmp_path / "ising-L4-b0.4.json").read_text())
    assert data["mag"]["n_samples"] == 8 * 30


def test_recorded_sweep_counts_reproduce_a_timed_run(tmp_path):
    """A timed run records its sweep counts; the same seed with --sweeps/--ti-sweeps repeats it
    bit for bit (in another directory), and the TI–BAR z-score is stored."""
    name, common = "potts-q3-L3x4-b0.5", ["--seed", "3", "--chains", "8", "--d-beta", "0.05"]
    first_dir, again_dir = tmp_path / "timed", tmp_path / "fixed"
    assert main(["reference", name, "--seconds", "1", *common, "--out", str(first_dir)]) == 0
    first = json.loads((first_dir / f"{name}.json").read_text())
    n_sweeps, ti_sweeps = first["n_sweeps"], first["ti_sweeps"]
    assert first["runs"][0]["n_sweeps"] == n_sweeps >= 20
    assert len(ti_sweeps) == first["log_z"]["grid"]["n_points"] == 13  # 4 ⌈0.5 / 0.2⌉ + 1
    assert first["mag"]["n_samples"] == 8 * n_sweeps
    log_z = first["log_z"]
    z = (log_z["value"] - log_z["bar"]["value"]) / math.hypot(log_z["error"], log_z["bar"]["error"])
    assert log_z["ti_bar_z"] == pytest.approx(z, rel=1e-12)
    fixed = ["--sweeps", str(n_sweeps), "--ti-sweeps", ",".join(map(str, ti_sweeps))]
    assert (
        main(["reference", name, "--seconds", "0.01", *common, *fixed, "--out", str(again_dir)])
        == 0
    )
    again = json.loads((again_dir / f"{name}.json").read_text())
    for key in ("mag", "energy_per_site", "log_z"):
        assert again[key] == first[key], key


def test_ti_bar_disagreement_warns(capsys):
    from leapsbench.reference_runs import with_ti_bar_z

    agree = with_ti_bar_z({"value": 1.0, "error": 0.3, "bar": {"value": 1.5, "error": 0.4}})
    assert agree["ti_bar_z"] == pytest.approx(-1.0)
    assert "warning" not in capsys.readouterr().err
    apart = with_ti_bar_z({"value": 3.1, "error": 0.3, "bar": {"value": 1.5, "error": 0.4}})
    assert apart["ti_bar_z"] == pytest.approx(3.2)
    assert "disagree by +3.2 sigma" in capsys.readouterr().err


def test_ti_sweeps_must_match_the_grid():
    backend = get_backend("numpy")
    with pytest.raises(ValueError, match="3 counts for 5 TI grid points"):
        thermodynamic_integration(
            potts(3, 2, 2, beta=0.1), backend.rng(0), 0.0, 4, 0.05, None, [20] * 3
        )
