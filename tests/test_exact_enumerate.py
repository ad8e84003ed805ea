"""Exact enumeration against independent brute-force sums, and exact_reference's choices."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from leapsbench.exact import exact_reference
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.exact.kaufman import ising_log_z
from leapsbench.models import ising, potts


def bonds(Lx, Ly, periodic):
    """Bonds to the +1 neighbour along each axis (a size-2 periodic axis gives two bonds)."""
    out = []
    for i, j in itertools.product(range(Lx), range(Ly)):
        if periodic or i + 1 < Lx:
            out.append(((i, j), ((i + 1) % Lx, j)))
        if periodic or j + 1 < Ly:
            out.append(((i, j), (i, (j + 1) % Ly)))
    return out


def brute_force(kind, Lx, Ly, beta, J=1.0, h=0.0, q=2, periodic=True):
    """log Z, ⟨m⟩, ⟨E⟩ by an explicit loop over states and bonds (independent of the models)."""
    weights, mags, energies = [], [], []
    for values in itertools.product(range(q), repeat=Lx * Ly):
        grid = np.array(values).reshape(Lx, Ly)
        if kind == "ising":
            s = 1 - 2 * grid
            energy = -J * sum(s[a] * s[b] for a, b in bonds(Lx, Ly, periodic)) - h * s.sum()
            mag = abs(s.sum()) / (Lx * Ly)
        else:
            energy = -J * sum(grid[a] == grid[b] for a, b in bonds(Lx, Ly, periodic))
            counts = np.bincount(grid.ravel(), minlength=q)
            mag = (q * counts.max() / (Lx * Ly) - 1) / (q - 1)
        weights.append(math.exp(-beta * energy))
        mags.append(mag)
        energies.append(energy)
    w = np.array(weights)
    z = w.sum()
    return math.log(z), float(w @ mags / z), float(w @ energies / z)


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        (ising(3, 3, beta=0.3, h=0.2, periodic=False), "ising"),
        (ising(2, 3, beta=0.5, J=-0.7, h=-0.4), "ising"),
        (ising(3, 3, beta=0.9, h=0.1), "ising"),
        (potts(3, 2, 3, beta=0.8), "potts"),
        (potts(4, 2, 3, beta=1.1, J=-0.5, periodic=False), "potts"),
    ],
    ids=lambda v: v if isinstance(v, str) else repr(v.config()),
)
def test_enumeration_matches_brute_force(model, kind):
    cfg = model.config()
    log_z, mag, energy = brute_force(
        kind,
        cfg["Lx"],
        cfg["Ly"],
        cfg["beta"],
        cfg["J"],
        cfg.get("h", 0.0),
        model.q,
        cfg["periodic"],
    )
    result = enumerate_model(model)
    assert result.log_z == pytest.approx(log_z, rel=1e-12)
    assert result.mag == pytest.approx(mag, rel=1e-12)
    assert result.energy == pytest.approx(energy, rel=1e-12, abs=1e-12)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.probabilities.shape == (model.q**model.n_sites,)


def test_probability_table_order_and_moments():
    model = potts(3, 2, 3, beta=0.6)
    result = enumerate_model(model)
    values = result.states_values()
    assert values.shape == (3**6, 2, 3) and values.dtype == np.int8
    # state t has digits of t in base q, first site (row-major) most significant
    t = 3**5 * 2 + 3**2 * 1 + 2
    assert values[t].ravel().tolist() == [2, 0, 0, 1, 0, 2]
    np.testing.assert_array_equal(result.states(100, 110), values[100:110])
    p = np.exp(-model.beta * np.asarray(model.energy(values)) - result.log_z)
    np.testing.assert_allclose(result.probabilities, p, rtol=1e-12)
    m = np.asarray(model.magnetization(values))
    assert result.mag == pytest.approx(p @ m, rel=1e-12)
    assert result.mag_variance == pytest.approx(p @ m**2 - (p @ m) ** 2, rel=1e-10)
    spins = enumerate_model(ising(2, 2, beta=0.5)).states(0, 2)
    assert spins.tolist() == [[[1, 1], [1, 1]], [[1, 1], [1, -1]]]
    with pytest.raises(ValueError, match="stop"):
        result.states_values(5, 3**6 + 1)


def test_potts_q2_is_ising_with_half_coupling():
    """δ(a, b) = (1 + s s')/2: log Z_Potts(β, J) = log Z_Ising(β, J/2) + β J n_bonds / 2."""
    for periodic in (True, False):
        p = enumerate_model(potts(2, 3, 4, beta=0.7, J=1.3, periodic=periodic))
        i = enumerate_model(ising(3, 4, beta=0.7, J=0.65, periodic=periodic))
        n_bonds = i.model.lattice.n_bonds
        assert p.log_z == pytest.approx(i.log_z + 0.7 * 1.3 * n_bonds / 2, rel=1e-13)
        assert p.mag == pytest.approx(i.mag, rel=1e-13)


def test_enumeration_refuses_large_lattices():
    with pytest.raises(ValueError, match=r"2\^25 = 33,554,432 states"):
        enumerate_model(ising(5, 5))
    with pytest.raises(ValueError, match=r"3\^12 = 531,441 states, over max_states=1,000"):
        enumerate_model(potts(3, 3, 4), max_states=1000)
    with pytest.raises(ValueError, match="max_states"):
        enumerate_model(ising(2, 2), max_states=0)


def test_exact_reference_choices():
    small = exact_reference(ising(4, 4, beta=0.44))
    assert small.method == "enumeration" and small.mag is not None
    assert small.log_z == pytest.approx(ising_log_z(4, 4, 0.44), rel=1e-12)
    big = exact_reference(ising(16, 12, beta=0.44, J=-1.0))
    assert big.method == "kaufman" and big.mag is None
    assert big.log_z == pytest.approx(ising_log_z(16, 12, 0.44), rel=1e-14)
    assert big.log_z_per_site == pytest.approx(big.log_z / 192)
    assert exact_reference(potts(3, 3, 4, beta=0.8)).method == "enumeration"
    assert exact_reference(ising(8, 8, beta=0.4, h=0.1)) is None
    assert exact_reference(ising(8, 8, beta=0.4, periodic=False)) is None
    assert exact_reference(ising(9, 9, beta=0.4, J=-1.0)) is None
    assert exact_reference(potts(3, 6, 6)) is None
    assert exact_reference(potts(2, 3, 9, J=-1.0)) is None


@pytest.mark.parametrize(
    "model",
    [potts(2, 4, 4, beta=0.7, J=1.3), potts(2, 4, 2, beta=0.9, J=-1.0), potts(2, 3, 5, beta=0.4)],
    ids=lambda m: f"{m.shape}-J{m.J}",
)
def test_exact_reference_potts_q2_through_kaufman(model):
    """max_states=1 forces Kaufman (via Ising J/2) for a model small enough to enumerate."""
    kaufman = exact_reference(model, max_states=1)
    exact = enumerate_model(model)
    assert kaufman.method == "kaufman"
    assert kaufman.log_z == pytest.approx(exact.log_z, rel=1e-12)
    assert kaufman.energy_per_site == pytest.approx(exact.energy_per_site, abs=1e-12)
    assert kaufman.specific_heat_per_site == pytest.approx(exact.specific_heat_per_site, rel=1e-10)
    assert exact_reference(model).method == "enumeration"
