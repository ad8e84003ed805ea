"""The spin-glass model, its benchmark names, local sweeps and parallel tempering.

Statistical checks: fixed seeds, tolerances of 4.5 of the estimator's own error bars.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from leapsbench.baselines import local, tempering
from leapsbench.baselines.bar import bar_delta_f
from leapsbench.baselines.tempering_method import make as make_tempering
from local_chains import energy_per_site_mean

from leapsbench.exact import enumerate_model, exact_reference
from leapsbench.harness.benchmarks import canonical_name, get_benchmark, suite_benchmarks
from leapsbench.harness.rows import ROW_KEYS
from leapsbench.harness.tables import benchmark_table, summarise
from leapsbench.models import Couplings, ea, ising, model_from_config, spin_glass

Z_MAX = 4.5


def _states(shape, batch=6, seed=0):
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), (batch, *shape))


@pytest.mark.parametrize("periodic", [True, False])
def test_energy_and_flips_against_brute_force(backend, periodic):
    model = ea(3, 4, beta=1.0, seed=2, gauss=True, periodic=periodic, h=0.3)
    x = _states(model.shape)
    right, down = model.couplings.j_right, model.couplings.j_down
    s = x.astype(float)
    brute = -(right * s * np.roll(s, -1, 2) + down * s * np.roll(s, -1, 1)).sum((1, 2))
    brute -= 0.3 * s.sum((1, 2))
    energy = backend.to_numpy(model.energy(backend.asarray(x)))
    assert np.allclose(energy, brute)
    delta = backend.to_numpy(model.flip_delta_energy(backend.asarray(x)))
    for i, j in ((0, 0), (2, 3), (1, 2)):
        y = x.copy()
        y[:, i, j] *= -1
        assert np.allclose(model.energy(y) - model.energy(x), delta[:, i, j])


@pytest.mark.parametrize("periodic", [True, False])
def test_uniform_couplings_are_the_ising_model(periodic):
    reference = ising(3, 4, beta=0.4, periodic=periodic)
    right, down = np.ones((3, 4)), np.ones((3, 4))
    if not periodic:
        right[:, -1], down[-1, :] = 0, 0
    model = spin_glass(Couplings(right, down, periodic), beta=0.4)
    x = _states(model.shape)
    assert np.allclose(model.energy(x), reference.energy(x))
    assert np.allclose(model.local_field(x), reference.local_field(x))
    assert np.isclose(enumerate_model(model).log_z, enumerate_model(reference).log_z)


def test_config_round_trip_couplings_and_instances():
    model = ea(4, 5, beta=2.0, seed=7, periodic=False)
    again = model_from_config(model.config())
    assert again == model and hash(again) == hash(model)
    same = ea(4, 5, seed=7, periodic=False).couplings.content_hash()
    assert same == model.couplings_hash != ea(4, 5, seed=8, periodic=False).couplings_hash
    loose = spin_glass(model.couplings, beta=0.5)
    assert model_from_config(loose.config()) == loose
    assert model.with_beta(0.5).couplings is model.couplings
    sparse = model.couplings.to_sparse()
    back = Couplings.from_sparse(sparse, 4, 5, periodic=False)
    assert back.content_hash() == model.couplings_hash
    sparse = sparse.tolil()
    sparse[0, 7] = 1.0
    with pytest.raises(ValueError, match=r"sites 0 \(0, 0\) and 7 \(1, 2\).*not neighbours"):
        Couplings.from_sparse(sparse.tocsr(), 4, 5, periodic=False)
    with pytest.raises(ValueError, match="J = 1"):
        type(model)(model.lattice, beta=1.0, J=2.0, couplings=model.couplings)


def test_benchmark_names_and_suite():
    spec = get_benchmark("ea-gauss-L016x5-b2-i03-open")
    assert spec.name == "ea-gauss-L16x5-b2.0-i3-open" and spec.model.instance == (3, True)
    assert get_benchmark("ea-L16-b1.0-i3").model.lattice.periodic
    loose = spin_glass(spec.model.couplings, beta=1.0)
    assert canonical_name(loose) == f"ea-file-{loose.couplings.content_hash()}-L16x5-b1.0-open"
    with pytest.raises(ValueError, match="give the file with --couplings"):
        get_benchmark("ea-file-L16-b1.0")
    assert "ea-L32-b2.0-i2" in suite_benchmarks("spin-glass")


def test_overlap_reference_and_tempering_estimate(tmp_path):
    from leapsbench.harness.runner import make_spec, run_task

    spec = make_spec("ea-L4-b1.0-i0", "parallel-tempering", seed=2, cache_dir=tmp_path)
    row = run_task(spec)
    assert row["status"] == "ok" and 0 < row["overlap_q2_ref"] < 1
    assert abs(row["overlap_q2"] - row["overlap_q2_ref"]) < Z_MAX * row["overlap_q2_err"]


def test_kaufman_never_applies_to_a_spin_glass():
    model = spin_glass(Couplings(np.ones((4, 4)), np.ones((4, 4))), beta=0.4)
    assert exact_reference(model).method == "enumeration"


@pytest.mark.parametrize("rule", local.RULES)
def test_local_sweeps_sample_the_spin_glass(rule, numpy_backend):
    model = ea(3, 4, beta=1.0, seed=1, gauss=True, periodic=False)
    exact = enumerate_model(model)
    mean, error = energy_per_site_mean(model, numpy_backend, rule, sweeps=600)
    assert abs(mean - exact.energy_per_site) < Z_MAX * error


def test_per_walker_beta_sweep(backend):
    model = ea(4, 4, seed=0, gauss=True)  # no ties ΔE = 0 (Metropolis accepts those with ½)
    rng = backend.rng(0)
    x = model.uniform_states(backend, rng, 4)
    frozen, _ = local.field_sweep(model, x, backend.asarray(np.zeros(4) + 50.0), rng, "heatbath")
    hot, acceptance = local.field_sweep(model, x, backend.asarray(np.zeros(4)), rng, "metropolis")
    assert np.all(backend.to_numpy(acceptance) == 1.0)  # β = 0: every flip accepted
    assert np.all(backend.to_numpy(hot) == -backend.to_numpy(x))
    energies = backend.to_numpy(model.energy(frozen))
    assert np.all(energies <= backend.to_numpy(model.energy(x)))


def test_swap_order_and_bar():
    energies = np.array([[0.0, 5.0], [-10.0, 3.0], [-20.0, -20.0]])
    betas = np.array([0.0, 0.5, 1.0])
    u = np.array([[0.5, 0.3], [0.5, 0.5], [0.5, 0.5]])
    order, accepted = tempering.swap_order(energies, betas, 0, u)
    # pair (0, 1): log ratio 0.5 (E_1 − E_0) = (−5, −1); log u = (−0.69, −1.2): chain 1 swaps
    assert order.tolist() == [0, 3, 2, 1, 4, 5] and accepted.tolist() == [1, 0]
    rng = np.random.default_rng(0)
    energy = rng.normal(0.0, 1.0, 40_000)  # Gaussian density of states: Δf = −Δβ² σ²/2 exactly
    w_f, w_r = 0.5 * energy, -0.5 * (energy - 0.5)
    assert abs(bar_delta_f(w_f, w_r) + 0.125) < 0.01


@pytest.mark.parametrize("bench", ["ea-L4-b1.0-i0", "ising-L4x3-b0.6-open", "potts-q3-L3-b1.0"])
def test_parallel_tempering_against_enumeration(bench, numpy_backend):
    model = get_benchmark(bench).model
    method = make_tempering("parallel-tempering", overrides={"n_temps": 8, "n_samples": 400})
    samples = method.sample(model, numpy_backend, numpy_backend.rng(4), None)
    exact = enumerate_model(model)
    assert abs(samples.log_z - exact.log_z) < Z_MAX * samples.log_z_err
    chain_means = samples.observables["E"].mean(axis=1) / model.n_sites
    error = chain_means.std(ddof=1) / np.sqrt(chain_means.size)
    assert abs(chain_means.mean() - exact.energy_per_site) < Z_MAX * error
    q2 = samples.observables["q2"]  # 8 pairs of the 16 chains
    assert q2.shape == (8, samples.observables["E"].shape[1]) and np.all((q2 >= 0) & (q2 <= 1))
    rates = samples.diagnostics["swap_rates"]
    assert len(rates) == 7 and all(0 < r <= 1 for r in rates)
    assert samples.n_evaluations == 8 * 16 * samples.diagnostics["n_sweeps"]


def test_spin_glass_table_shows_energy_error():
    row = {
        **dict.fromkeys(ROW_KEYS),
        "run_key": "k",
        "benchmark": "ea-L16-b1.0-i0",
        "method": "heatbath",
        "seed": 0,
        "status": "ok",
        "delta_energy": 0.01,
        "energy_err": 0.002,
        "delta_mag": 0.3,
    }
    table = benchmark_table(summarise([row]), "ea-L16-b1.0-i0")
    assert "ΔE" in table.columns and "ΔMag" not in table.columns


def test_couplings_file_benchmark(tmp_path, monkeypatch, capsys):
    from leapsbench import cli
    from leapsbench.harness import instances

    monkeypatch.setattr(instances, "INSTANCE_DIR", tmp_path / "instances")
    couplings = ea(4, 3, seed=9, gauss=True, periodic=False).couplings
    couplings.save(tmp_path / "j.npz")
    args = ["run", "--benchmark", "ea-file-L4x3-b0.3-open", "--couplings", str(tmp_path / "j.npz")]
    args += ["--method", "heatbath", "--results", str(tmp_path / "runs"), "--format", "json"]
    assert cli.main(args) == 0
    row = json.loads(capsys.readouterr().out)
    name = f"ea-file-{couplings.content_hash()}-L4x3-b0.3-open"
    assert row["benchmark"] == name and row["status"] == "ok" and row["delta_energy"] is not None
    assert get_benchmark(name).model.couplings_hash == couplings.content_hash()
    monkeypatch.setattr(instances, "INSTANCE_DIR", tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="give its file once with --couplings"):
        get_benchmark(name)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: get_benchmark("ea-L4-b-1.0-i0"), "beta must be >= 0"),
        (lambda: get_benchmark("ea-L1-b1.0-i0"), "must be an integer >= 2"),
        (lambda: make_tempering("parallel-tempering", overrides={"n_temps": 1}), "n_temps"),
        (lambda: make_tempering("parallel-tempering", overrides={"beta_min": 0}), "beta_min"),
        (lambda: make_tempering("parallel-tempering", overrides={"rule": "gibbs"}), "rule"),
        (lambda: tempering.ladder(0.0, 4, 0.1), "beta > 0"),
    ],
)
def test_bad_input_is_refused_with_the_value_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_spin_glass_curves_rank_by_energy_error():
    from leapsbench.harness.curves import best_per_budget, curve_points, render_best

    rows = [
        {
            **dict.fromkeys(ROW_KEYS),
            "run_key": f"{bench}-{method}-{seed}",
            "benchmark": bench,
            "method": method,
            "seed": seed,
            "status": "ok",
            "budget": '{"seconds": 1.0}',
            "budget_seconds": 1.0,
            "delta_energy": 0.01 * (1 + (method == "smc")) + 1e-4 * seed,
            "delta_mag": 0.01 * (1 + (method == "heatbath")) + 1e-4 * seed,
        }
        for bench in ("ea-L16-b1.0-i0", "ising-L4-b0.4407")
        for method in ("heatbath", "smc")
        for seed in range(3)
    ]
    best = best_per_budget(curve_points(rows)).set_index("benchmark")
    assert best.loc["ea-L16-b1.0-i0", "best ΔE"].startswith("heatbath")
    assert best.loc["ising-L4-b0.4407", "best ΔMag"].startswith("smc")
    assert "| — |" in render_best(curve_points(rows))
