"""Kaufman's torus formula against exact enumeration, large-lattice limits, float64 vs mpmath
(Enumeration itself: test_exact_enumerate.py)."""

from __future__ import annotations

import math

import mpmath
import pytest

from leapsbench.exact.enumerate import enumerate_model
from leapsbench.exact.kaufman import ising_log_z, ising_log_z_mpmath, ising_thermodynamics
from leapsbench.models import ising, potts

BETA_C = math.log(1.0 + math.sqrt(2.0)) / 2.0
BETAS = [0.05, 0.2, BETA_C, 0.6, 1.5]
SIZES = [(2, 2), (2, 3), (3, 2), (3, 3), (3, 4), (4, 4), (4, 5), (2, 7)]


def onsager_log_z_per_site() -> float:
    """−βf of the infinite square lattice at β_c: log √2 + 2G/π (G Catalan's constant)."""
    return 0.5 * math.log(2.0) + 2.0 * float(mpmath.catalan) / math.pi


def ising_cft_log_z() -> float:
    """log of the critical Ising CFT torus partition function at τ = i:
    Z = (θ2 + θ3 + θ4) / (2 η), nome e^{−π}; the O(1) term of log Z on an L × L torus."""
    nome = mpmath.exp(-mpmath.pi)
    eta = mpmath.exp(-mpmath.pi / 12) * mpmath.nprod(
        lambda k: 1 - mpmath.exp(-2 * mpmath.pi * k), [1, mpmath.inf]
    )
    thetas = sum(mpmath.jtheta(j, 0, nome) for j in (2, 3, 4))
    return float(mpmath.log(thetas / (2 * eta)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_kaufman_matches_enumeration(size):
    for beta in BETAS:
        exact = enumerate_model(ising(*size, beta=beta))
        thermo = ising_thermodynamics(*size, beta)
        assert ising_log_z(*size, beta) == pytest.approx(exact.log_z, rel=1e-10, abs=0)
        assert thermo["log_z"] == pytest.approx(exact.log_z, rel=1e-10, abs=0)
        assert thermo["energy_per_site"] == pytest.approx(exact.energy_per_site, abs=1e-10)
        assert thermo["specific_heat_per_site"] == pytest.approx(
            exact.specific_heat_per_site, rel=1e-9, abs=1e-12
        )


@pytest.mark.parametrize(
    ("size", "beta", "J"),
    [((4, 4), 0.3, 0.5), ((2, 4), 0.7, -1.0), ((4, 4), BETA_C, -1.0), ((3, 3), 0.4, 2.5)],
)
def test_kaufman_coupling_and_antiferromagnet(size, beta, J):
    exact = enumerate_model(ising(*size, beta=beta, J=J))
    thermo = ising_thermodynamics(*size, beta, J)
    assert thermo["log_z"] == pytest.approx(exact.log_z, rel=1e-10, abs=0)
    assert thermo["energy_per_site"] == pytest.approx(exact.energy_per_site, abs=1e-10)
    assert thermo["specific_heat_per_site"] == pytest.approx(exact.specific_heat_per_site, rel=1e-9)


def test_kaufman_beta_zero():
    assert ising_log_z(5, 7, 0.0) == pytest.approx(35 * math.log(2.0), rel=1e-15)
    thermo = ising_thermodynamics(3, 4, 0.0, J=-2.0)
    assert thermo["energy_per_site"] == 0.0
    assert thermo["specific_heat_per_site"] == 0.0
    assert ising_log_z(3, 3, 0.7, J=0.0) == pytest.approx(9 * math.log(2.0), rel=1e-15)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((3, 4, 0.4, -1.0), "antiferromagnet"),
        ((1, 4, 0.4), "Lx"),
        ((4, 2.5, 0.4), "Ly"),
        ((4, 4, -0.1), "beta"),
        ((4, 4, float("nan")), "beta"),
        ((4, 4, 0.4, float("inf")), "J"),
    ],
)
def test_kaufman_refuses_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        ising_log_z(*args)


def test_kaufman_onsager_limit_at_critical_point():
    """At β_c on an L × L torus, log Z = N f_∞ + log Z_CFT + O(L^−2) (conformal finite-size
    scaling), f_∞ = −βf of Onsager.  Per site the O(1) term is 0.64/65536 ≈ 1e-5 at L = 256, so
    |log Z/N − f_∞| < 2e-5 is the brief's check; the sharper check subtracts log Z_CFT and allows
    1e-5 for the O(L^−2) remainder (its coefficient, from L = 16: ~0.08, gives ~1.2e-6)."""
    L = 256
    log_z = ising_log_z(L, L, BETA_C)
    assert math.isfinite(log_z)
    assert abs(log_z / L**2 - onsager_log_z_per_site()) < 2e-5
    assert abs(log_z - L**2 * onsager_log_z_per_site() - ising_cft_log_z()) < 1e-5


@pytest.mark.parametrize("size", [(256, 256), (2, 1000), (1000, 2), (16, 600)])
@pytest.mark.parametrize("beta", [0.01, 0.1, BETA_C, 0.5, 3.0])
def test_kaufman_float64_matches_mpmath(size, beta):
    """Float64 log space against 181-bit mpmath, on both sides of β_c; long lattices at high T
    are where the two even products cancel to e^{−m|γ_0|} relative."""
    value = ising_log_z(*size, beta)
    assert math.isfinite(value)
    assert value == pytest.approx(float(ising_log_z_mpmath(*size, beta)), rel=1e-14, abs=0)


def test_kaufman_extreme_coupling_uses_mpmath_and_ground_state():
    """K > 300 (sinh 2K overflows float64): log Z → 2NK + log 2 (two ground states)."""
    for size in [(4, 4), (64, 64), (3, 5)]:
        N = size[0] * size[1]
        assert ising_log_z(*size, 400.0) == pytest.approx(2 * N * 400.0 + math.log(2), rel=1e-15)
    thermo = ising_thermodynamics(64, 64, 400.0)
    assert thermo["energy_per_site"] == pytest.approx(-2.0, rel=1e-14)


def test_kaufman_energy_is_derivative_of_log_z():
    """⟨E⟩/N = −∂_β log Z / N against a central difference of the float64 log Z at 64 × 64
    (truncation h²/6 · ∂³ ~ 1e-8 · O(10), rounding ε log Z / h ~ 1e-12 per site)."""
    L, h = 64, 1e-4
    for beta in [0.3, BETA_C, 0.6]:
        slope = (ising_log_z(L, L, beta + h) - ising_log_z(L, L, beta - h)) / (2 * h)
        thermo = ising_thermodynamics(L, L, beta)
        assert thermo["energy_per_site"] == pytest.approx(-slope / L**2, abs=1e-6)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (ising(4, beta=0.3, J=0.7), (0.7, 0.0)),
        (ising(4, beta=0.3, h=0.1), None),
        (potts(2, 4, beta=0.3, J=0.8), (0.4, -0.8)),
        (potts(3, 4, beta=0.3), None),
    ],
)
def test_ising_equivalent_is_the_models_own(model, expected):
    """Models name their zero-field Ising equivalent; exact references read it, not the kind."""
    assert model.ising_equivalent() == expected
