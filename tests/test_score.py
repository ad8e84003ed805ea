"""``leapsbench score`` and ``leapsbench.score``: samples drawn elsewhere, scored like a run.

Good samples are drawn exactly (from enumeration) on tiny lattices, so every estimate must agree
with the exact value within 4 of its own error bars (fixed seeds); every bad file is refused with
exit 2, a message naming the file and what was expected, and no row in the store.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import leapsbench
from leapsbench.cli import main
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.harness.rows import ROW_KEYS
from leapsbench.harness.store import ResultStore, load_rows
from leapsbench.harness.tables import render

ISING = "ising-L3x4-b0.4-h0.1"
POTTS = "potts-q3-L3-b1.0"
N_SIGMA = 4.0


def _exact(name):
    model = leapsbench.benchmark(name)
    return model, enumerate_model(model)


def _draw(name, n, seed, power=1.0):
    """n exact draws from q ∝ p^power (p the Boltzmann distribution): states and log q."""
    model, exact = _exact(name)
    log_q = power * np.log(exact.probabilities)
    log_q -= np.logaddexp.reduce(log_q)
    index = np.random.default_rng(seed).choice(log_q.size, size=n, p=np.exp(log_q))
    return model.from_values(exact.states_values()[index]), log_q[index], exact


def _score(tmp_path, *args):
    return main(["score", "--results", str(tmp_path / "runs"), *args])


@pytest.mark.parametrize("name", [ISING, POTTS])
def test_log_q_samples_match_enumeration(name):
    """Draws from a known q ≠ p with their exact log q: ⟨m⟩ and log Ẑ unbiased (self-normalised
    and importance-sampling estimates within 4σ of the exact values)."""
    x, log_q, exact = _draw(name, 4000, seed=1, power=0.7)
    row = leapsbench.score(name, x, log_q=log_q)
    assert set(row) == set(ROW_KEYS) and row["status"] == "ok"
    assert row["source"] == "external" and row["unreliable"] is None
    assert abs(row["mag"] - exact.mag) < N_SIGMA * row["mag_err"]
    assert abs(row["log_z"] - exact.log_z) < N_SIGMA * row["log_z_err"]
    assert row["log_z_ref"] == pytest.approx(exact.log_z) and row["mag_ref"] == exact.mag
    assert 0 < row["ess"] < 4000 and row["ess_fraction"] == pytest.approx(row["ess"] / 4000)
    model = leapsbench.benchmark(name)
    log_w = -model.beta * model.energy(x) - log_q - model.log_z0
    same = leapsbench.score(name, x, log_weights=log_w)
    for key in ("mag", "mag_err", "ess", "log_z", "log_z_err"):
        assert same[key] == pytest.approx(row[key], rel=1e-12)


def test_exact_draws_have_full_ess_and_no_log_z():
    x, _, exact = _draw(POTTS, 3000, seed=2)
    row = leapsbench.score(POTTS, x.astype(np.int64))
    assert row["ess"] == 3000 and row["ess_fraction"] == 1.0
    assert row["delta_mag"] < N_SIGMA * row["mag_err"]
    assert row["log_z"] is None and row["log_z_error"] is None and row["log_z_err"] is None
    assert json.loads(row["config"]) == {"weights": "exact"}


def test_chains_use_the_autocorrelation_time():
    """C chains that keep their state with probability 1/2 and else draw afresh from p: the
    stationary law is p and τ_int = (1 + ρ)/(1 − ρ) = 3 (ρ = 1/2), so ESS ≈ n/3."""
    rng = np.random.default_rng(3)
    n_chains, n_steps = 16, 600
    x, _, exact = _draw(ISING, n_chains * n_steps, seed=4)
    fresh = rng.random((n_chains, n_steps)) < 0.5
    fresh[:, 0] = True
    steps = np.maximum.accumulate(np.where(fresh, np.arange(n_steps), 0), axis=1)
    chains = x.reshape(n_chains, n_steps, 3, 4)[np.arange(n_chains)[:, None], steps]
    row = leapsbench.score(ISING, chains, chains=True)
    n = n_chains * n_steps
    assert row["n_samples"] == n and n / 5 < row["ess"] < n / 2
    assert row["delta_mag"] < N_SIGMA * row["mag_err"]
    assert row["log_z"] is None


def test_score_command_stores_a_row_beside_a_builtin_method(tmp_path, capsys):
    x, log_q, _ = _draw(ISING, 2000, seed=5, power=0.8)
    path = tmp_path / "my-sampler.npz"
    np.savez(path, x=x, log_q=log_q)
    args = ["--benchmark", ISING, "--samples", str(path), "--format", "json"]
    assert (
        _score(tmp_path, *args, "--seconds", "3", "--train-seconds", "1", "--hardware", "A100") == 0
    )
    row = json.loads(capsys.readouterr().out)
    assert row["method"] == "my-sampler" and row["source"] == "external"
    assert row["samples_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert row["cost_declared"] is True and row["hardware"] == "A100"
    assert (row["train_seconds"], row["sample_seconds"], row["total_seconds"]) == (1.0, 2.0, 3.0)
    assert row["ess_per_second"] == pytest.approx(row["ess"] / 3)
    assert _score(tmp_path, "--benchmark", ISING, "--samples", str(path), "--name", "bare") == 0
    stdout = capsys.readouterr().out
    assert "bare" in stdout and "ΔMag" in stdout
    runs = ["--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    common = ["--benchmark", ISING, "--no-progress", "--format", "json"]
    assert main(["run", *runs, *common, "--method", "heatbath", "--seconds", "1"]) == 0
    rows = load_rows(tmp_path / "runs")
    bare = next(r for r in rows if r["method"] == "bare")
    assert bare["cost_declared"] is False and bare["total_seconds"] is None
    table = render(rows)
    lines = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    assert "| heatbath (quick) (T=1 s)" in lines
    assert "**" not in lines["| my-sampler (external) (T=3 s)"]  # a declared cost is not ranked
    assert "2 (declared)" in lines["| my-sampler (external) (T=3 s)"]
    assert "| bare (external) (cost unknown)" in lines
    frame = leapsbench.load_results(tmp_path / "runs")
    assert set(frame["method"]) == {"my-sampler", "bare", "heatbath"}


def test_pt_and_npy_files(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    x, log_q, _ = _draw(POTTS, 500, seed=6, power=0.9)
    torch.save({"x": torch.as_tensor(x), "log_q": torch.as_tensor(log_q)}, tmp_path / "a.pt")
    np.save(tmp_path / "b.npy", x)
    for name in ("a.pt", "b.npy"):
        assert _score(tmp_path, "--benchmark", POTTS, "--samples", str(tmp_path / name)) == 0
    rows = {r["method"]: r for r in load_rows(tmp_path / "runs")}
    assert rows["a"]["log_z"] is not None and rows["b"]["log_z"] is None


SPINS = np.ones((10, 3, 4), np.int8)
BAD_FILES = {
    "garbage": ("g.npz", lambda p: p.write_bytes(b"not a zip"), "cannot read it as a numpy .npz"),
    "garbage pt": ("g.pt", lambda p: p.write_bytes(b"not torch"), "cannot read it as a torch .pt"),
    "objects": (
        "o.npy",
        lambda p: np.save(p, np.array([{}], object), allow_pickle=True),
        "Object arrays cannot be loaded",
    ),
    "missing": ("absent.npz", lambda p: None, "no such file"),
    "not numpy": ("s.txt", lambda p: p.write_text("1 2"), "unknown sample file type '.txt'"),
    "no x": ("n.npz", lambda p: np.savez(p, log_q=np.zeros(3)), "no array x"),
    "misspelt": ("m.npz", lambda p: np.savez(p, x=SPINS, logw=np.zeros(10)), "unexpected arrays"),
    "ising 0/1": ("i.npy", lambda p: np.save(p, SPINS * 0), "0/1 values, but Ising states are"),
    "ising 3": ("j.npy", lambda p: np.save(p, SPINS * 3), "expected spins -1 and +1"),
    "floats": ("f.npy", lambda p: np.save(p, SPINS * 0.5), "non-integer values"),
    "lattice": ("l.npy", lambda p: np.save(p, np.ones((10, 4, 4), np.int8)), "expected (B, 3, 4)"),
    "lengths": (
        "w.npz",
        lambda p: np.savez(p, x=SPINS, log_weights=np.zeros(9)),
        "log_weights has shape (9,); expected (10,)",
    ),
    "nan": (
        "v.npz",
        lambda p: np.savez(p, x=SPINS, log_weights=np.r_[np.zeros(9), np.nan]),
        "non-finite values (NaN or infinity), first at index 9",
    ),
    "both": (
        "b.npz",
        lambda p: np.savez(p, x=SPINS, log_weights=np.zeros(10), log_q=np.zeros(10)),
        "both log_weights and log_q",
    ),
    "log q > 0": (
        "q.npz",
        lambda p: np.savez(p, x=SPINS, log_q=np.ones(10)),
        "log_q[0] = 1 > 0",
    ),
    "chain file": ("c.npy", lambda p: np.save(p, np.ones((2, 5, 3, 4), np.int8)), "pass --chains"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_no_row(tmp_path, capsys, case):
    name, write, message = BAD_FILES[case]
    path = tmp_path / name
    write(path)
    assert _score(tmp_path, "--benchmark", ISING, "--samples", str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"leapsbench score: error: {path}") and message in err, err
    assert ResultStore(tmp_path / "runs").rows() == []


def test_chains_flag_needs_chains_and_potts_values(tmp_path, capsys):
    np.save(tmp_path / "x.npy", SPINS)
    assert (
        _score(tmp_path, "--benchmark", ISING, "--samples", str(tmp_path / "x.npy"), "--chains")
        == 2
    )
    assert (
        "independent samples, but chains (--chains) expect (C, T, 3, 4)" in capsys.readouterr().err
    )
    with pytest.raises(ValueError, match=r"x has values 0, 3; expected Potts values 0..2"):
        leapsbench.score(POTTS, np.r_[np.zeros((1, 3, 3)), np.full((1, 3, 3), 3)].astype(int))
    with pytest.raises(ValueError, match="chains are unweighted"):
        leapsbench.score(ISING, np.ones((2, 5, 3, 4)), log_q=np.zeros(10), chains=True)
    with pytest.raises(ValueError, match="train_seconds 2.0 needs a total seconds >= it"):
        leapsbench.score(ISING, SPINS, seconds=1, train_seconds=2)


def test_reference_and_benchmark_api():
    ref = leapsbench.reference("potts-q4-L16-b0.9")  # packaged file, any folder
    assert ref.mag is not None and ref.mag_err > 0 and ref.log_z_err > 0
    assert ref.source.startswith("mag:swendsen-wang")
    tiny = leapsbench.reference(ISING)
    assert tiny.source == "enumeration" and tiny.mag_err == 0
    model = leapsbench.benchmark("potts-q4-L16-b0.9")
    assert (model.q, model.shape, model.beta) == (4, (16, 16), 0.9)


def test_declared_cost_rows_on_curves_are_named_so():
    """A declared --seconds puts the row on the curves at T = those seconds, ranked by quality
    and named "(declared cost)"; without a declared time it is no curve point."""
    from leapsbench.harness.curves import best_per_budget, curve_points

    rows = []
    for seed in range(3):
        x, log_q, _ = _draw(ISING, 300, seed=10 + seed, power=0.9)
        rows.append(leapsbench.score(ISING, x, log_q=log_q, name="mine", seed=seed, seconds=5))
        rows.append(leapsbench.score(ISING, x, name="bare", seed=seed))
    points = curve_points(rows)
    assert list(points["method"]) == ["mine"] and points["budget_seconds"].tolist() == [5.0]
    best = best_per_budget(points).iloc[0]
    assert best["best ΔMag"].startswith("mine (declared cost) ")


def test_spin_glass_states_are_checked_as_spins():
    """A spin glass's states are ±1 (its encoding), not values 0..1."""
    from leapsbench.harness.scoring import make_samples
    from leapsbench.models import ea

    model = ea(3, beta=1.0)
    x = model.from_values(np.random.default_rng(0).integers(0, 2, (5, 3, 3)).astype(np.int8))
    assert make_samples(model, x).observables["E"].shape == (5,)
    with pytest.raises(ValueError, match="0/1 values, but Ising states are spins"):
        make_samples(model, np.zeros((5, 3, 3), dtype=np.int8))
