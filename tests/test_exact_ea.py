"""Exact 2D Edwards–Anderson solver (leapsbench.exact.ea) and the Couplings / instance generator:
Pfaffian log Z and ⟨e⟩ against brute-force enumeration and Kaufman's formula, the TwoBo sparse
file format, the pinned generator, and ``leapsbench exact ea``."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import scipy.sparse
from scipy.special import logsumexp

from leapsbench.cli import main
from leapsbench.exact.ea import ea_log_z
from leapsbench.exact.kaufman import ising_thermodynamics
from leapsbench.models.couplings import Couplings, ea_energy, ea_instance

BETA_C = 0.5 * math.log(1 + math.sqrt(2))


def brute_force(couplings: Couplings, beta: float) -> tuple[float, float]:
    """(log Z, ⟨E⟩/N) by enumerating all 2^N states, bond by bond on the state's bits."""
    Lx, Ly = couplings.shape
    n = Lx * Ly
    states = np.arange(2**n, dtype=np.int64)
    energy = np.zeros(2**n)
    sites = np.arange(n).reshape(Lx, Ly)
    neighbours = (np.roll(sites, -1, axis=1), np.roll(sites, -1, axis=0))
    for J, other in zip((couplings.j_right, couplings.j_down), neighbours, strict=True):
        for u, v, j in zip(sites.ravel(), other.ravel(), J.ravel(), strict=True):
            energy -= j * (1 - 2 * (((states >> u) ^ (states >> v)) & 1))
    log_z = logsumexp(-beta * energy)
    return float(log_z), float(np.sum(np.exp(-beta * energy - log_z) * energy) / n)


def with_zero_bonds(couplings: Couplings) -> Couplings:
    j_right, j_down = couplings.j_right.copy(), couplings.j_down.copy()
    j_right[0, 0] = j_down[1, 1] = 0.0
    return Couplings(j_right, j_down, couplings.periodic)


# (Lx, Ly, periodic, gauss, seed, beta)
CASES = [
    (3, 3, True, False, 0, 1.0),
    (3, 3, False, False, 1, 2.0),
    (3, 4, True, True, 2, 1.5),
    (4, 3, False, True, 3, 0.7),
    (4, 4, True, False, 4, 2.0),
    (4, 4, False, True, 5, 2.5),
    (4, 5, True, True, 6, 1.0),
    (4, 5, False, False, 7, 1.3),
    (5, 4, True, False, 8, 0.44),
    (3, 5, True, True, 9, 0.0),
    (2, 3, True, False, 10, 1.0),
    (2, 2, True, True, 11, 2.0),
]


@pytest.mark.parametrize(("Lx", "Ly", "periodic", "gauss", "seed", "beta"), CASES)
def test_pfaffian_matches_enumeration(Lx, Ly, periodic, gauss, seed, beta):
    couplings = ea_instance(Lx, Ly, seed, gauss=gauss, periodic=periodic)
    if seed % 3 == 0:
        couplings = with_zero_bonds(couplings)
    log_z, energy = brute_force(couplings, beta)
    result = ea_log_z(couplings, beta)
    assert result.log_z == pytest.approx(log_z, rel=1e-10)
    assert result.energy_per_site == pytest.approx(energy, rel=1e-10, abs=1e-12)
    assert result.reliable and 0 < result.log_z_error < 1e-10 * log_z


@pytest.mark.parametrize(("Lx", "Ly"), [(4, 4), (6, 6), (5, 8), (16, 16)])
@pytest.mark.parametrize("beta", [0.2, BETA_C, 0.7])
def test_uniform_torus_matches_kaufman(Lx, Ly, beta):
    couplings = Couplings(np.ones((Lx, Ly)), np.ones((Lx, Ly)), periodic=True)
    thermo = ising_thermodynamics(Lx, Ly, beta)
    result = ea_log_z(couplings, beta)
    assert result.log_z == pytest.approx(thermo["log_z"], rel=1e-10)
    assert result.energy_per_site == pytest.approx(thermo["energy_per_site"], rel=1e-10)


def test_beta_zero_and_low_temperature_flag():
    result = ea_log_z(ea_instance(6, 5, 0), 0.0)
    assert result.log_z == pytest.approx(30 * math.log(2), rel=1e-15)
    assert result.energy_per_site == 0.0
    # far below T_c the high-temperature expansion cancels in float64: flagged, not hidden,
    # and the error estimates (second elimination order) are of the size of the true errors
    couplings = ea_instance(4, 5, 9)
    low, (log_z, energy) = ea_log_z(couplings, 5.0), brute_force(couplings, 5.0)
    assert not low.reliable and low.log_z_error > 1e-9 * low.log_z
    assert abs(low.log_z - log_z) < 10 * low.log_z_error
    assert abs(low.energy_per_site - energy) < 10 * low.energy_error


def test_generator_is_pinned():
    assert ea_instance(4, 5, 3).content_hash() == "22e5790bcc70"
    assert ea_instance(4, 5, 3, gauss=True, periodic=False).content_hash() == "b488f9b35fb6"
    assert ea_instance(16, 16, 3).content_hash() == "e5a57142c86a"
    words = np.random.PCG64(3).random_raw(4)
    u1 = ((int(words[0]) >> 11) + 1) * 2.0**-53
    u2 = (int(words[1]) >> 11) * 2.0**-53
    first = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
    gauss = ea_instance(4, 5, 3, gauss=True)
    assert gauss.j_right[0, 0] == pytest.approx(first, abs=2.0**-24)
    assert ea_instance(4, 5, 3).j_right[0, 0] == (1.0 if int(words[0]) >> 63 == 0 else -1.0)
    opened = ea_instance(4, 5, 3, periodic=False)
    assert np.array_equal(opened.j_right[:, :-1], ea_instance(4, 5, 3).j_right[:, :-1])


def test_ea_energy_counts_every_bond():
    couplings = ea_instance(3, 4, 1, gauss=True)
    spins = 1 - 2 * np.random.default_rng(0).integers(0, 2, (5, 3, 4))
    expected = np.zeros(5)
    for i in range(3):
        for j in range(4):
            expected -= couplings.j_right[i, j] * spins[:, i, j] * spins[:, i, (j + 1) % 4]
            expected -= couplings.j_down[i, j] * spins[:, i, j] * spins[:, (i + 1) % 3, j]
    assert np.allclose(ea_energy(couplings, spins), expected, rtol=1e-14)
    assert np.allclose(ea_energy(couplings, spins.reshape(5, 12)), expected, rtol=1e-14)


@pytest.mark.parametrize(("Lx", "Ly", "periodic"), [(4, 5, True), (3, 4, False), (2, 3, True)])
def test_sparse_file_round_trip(tmp_path, Lx, Ly, periodic):
    couplings = ea_instance(Lx, Ly, 5, gauss=True, periodic=periodic)
    matrix = couplings.to_sparse()
    assert matrix.shape == (Lx * Ly, Lx * Ly)
    assert scipy.sparse.tril(matrix).nnz == 0
    path = tmp_path / "j.npz"
    couplings.save(path)
    back = Couplings.load(path, Lx, Ly, periodic=periodic)
    spins = 1 - 2 * np.random.default_rng(1).integers(0, 2, (8, Lx, Ly))
    assert np.allclose(ea_energy(back, spins), ea_energy(couplings, spins), rtol=1e-14)
    if min(Lx, Ly) > 2:  # a 2-wide periodic side sums its two bonds into one pair
        assert back == couplings and back.content_hash() == couplings.content_hash()
        assert Couplings.load(path, Lx, Ly) == couplings  # periodic inferred from wrap pairs


def test_square_file_shape_inferred(tmp_path):
    couplings = ea_instance(5, 5, 2, periodic=False)
    couplings.save(tmp_path / "j.npz")
    assert Couplings.load(tmp_path / "j.npz") == couplings


def coo(n, pairs):
    rows, cols, values = zip(*pairs, strict=True)
    return scipy.sparse.coo_matrix((values, (rows, cols)), shape=(n, n))


@pytest.mark.parametrize(
    ("matrix", "periodic", "match"),
    [
        (coo(20, [(0, 1, 1.0), (0, 6, 1.0)]), True, r"sites 0 \(0, 0\) and 6 \(1, 1\) are not"),
        (coo(20, [(0, 4, -1.0)]), False, r"sites 0 \(0, 0\) and 4 \(0, 4\) .* open lattice"),
        (coo(20, [(5, 0, 1.0)]), True, "strictly upper-triangular"),
        (coo(20, [(3, 3, 1.0)]), True, "strictly upper-triangular"),
        (coo(16, [(0, 1, 1.0)]), True, r"N × N = 20 × 20 .* got 16 × 16"),
        (coo(20, [(0, 1, np.nan)]), True, "must be finite"),
    ],
)
def test_from_sparse_refuses(matrix, periodic, match):
    with pytest.raises(ValueError, match=match):
        Couplings.from_sparse(matrix, 4, 5, periodic)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"j_right": np.ones((3, 3)), "j_down": np.ones((3, 4))}, "same shape"),
        ({"j_right": np.ones((1, 3)), "j_down": np.ones((1, 3))}, "each side must be >= 2"),
        ({"j_right": np.ones(3), "j_down": np.ones(3)}, r"2D \(Lx, Ly\)"),
        ({"j_right": np.full((3, 3), np.inf), "j_down": np.ones((3, 3))}, "must be finite"),
        (
            {"j_right": np.ones((3, 3)), "j_down": np.zeros((3, 3)), "periodic": False},
            "last column of j_right are wrap bonds",
        ),
    ],
)
def test_couplings_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Couplings(**kwargs)


def test_instance_and_beta_validation():
    with pytest.raises(ValueError, match="Ly must be an integer >= 2"):
        ea_instance(4, 1, 0)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        ea_instance(4, 4, -1)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        ea_log_z(ea_instance(3, 3, 0), -1.0)


def run_json(capsys, *argv):
    assert main(["exact", "ea", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_json(capsys, tmp_path):
    out = run_json(capsys, "--size", "6x5", "--instance", "4", "--gauss", "--beta", "1.2")
    couplings = ea_instance(6, 5, 4, gauss=True)
    result = ea_log_z(couplings, 1.2)
    assert out["log_z"] == result.log_z and out["energy_per_site"] == result.energy_per_site
    assert out["hash"] == couplings.content_hash() and out["size"] == "6x5"
    assert out["periodic"] is True and out["beta"] == 1.2 and out["reliable"] is True
    opened = ea_instance(6, 5, 4, periodic=False)
    opened.save(tmp_path / "j.npz")
    path = str(tmp_path / "j.npz")
    out = run_json(capsys, "--size", "6x5", "--open", "--couplings", path, "--beta", "0.9")
    assert out["hash"] == opened.content_hash() and out["periodic"] is False
    assert out["log_z"] == ea_log_z(opened, 0.9).log_z and out["couplings"] == path


def test_cli_errors(capsys, tmp_path):
    ea_instance(3, 3, 0).save(tmp_path / "j.npz")
    cases = [
        (["ea", "--size", "4", "--beta", "1"], "exactly one of --couplings FILE and --instance"),
        (["ea", "--size", "4", "--beta", "1", "--instance", "1", "--J", "2"], "--J applies to"),
        (["ising", "--size", "4", "--beta", "1", "--instance", "1"], "--instance applies to ea"),
        (
            ["ea", "--size", "3", "--beta", "1", "--couplings", str(tmp_path / "j.npz"), "--gauss"],
            "--gauss applies to --instance only",
        ),
        (
            ["ea", "--size", "3", "--beta", "1", "--open", "--couplings", str(tmp_path / "j.npz")],
            "are not neighbours on the 3x3 open lattice",
        ),
    ]
    for argv, match in cases:
        assert main(["exact", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and re.search(match, captured.err), captured.err


@pytest.mark.parametrize(("beta", "why"), [(3.0, "lost precision"), (4.0, "came out negative")])
def test_imprecise_pfaffian_gives_no_reference(beta, why):
    """A benchmark's exact reference is the Pfaffian only where float64 kept its precision: at
    β = 3 the rotated lattice disagrees beyond 1e-9, at β = 4 the sum cancels below zero."""
    from leapsbench.exact import exact_reference
    from leapsbench.harness.benchmarks import parse_benchmark

    assert exact_reference(parse_benchmark("ea-L8-b2.0-i0").model).method == "pfaffian"
    with pytest.warns(UserWarning, match=why):
        assert exact_reference(parse_benchmark(f"ea-L8-b{beta}-i0").model) is None
