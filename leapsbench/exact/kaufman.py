"""Exact partition function of the zero-field Ising model on an Lx × Ly torus (Kaufman 1949).

With K = βJ > 0, n = Ly, m = Lx, N = nm and the Kaufman angles γ_k (k = 0 … 2n−1),

    cosh γ_k = cosh 2K coth 2K − cos(πk/n)          (γ_k > 0 for k ≥ 1),
    γ_0 = 2K + log tanh K                            (signed: < 0 above T_c, > 0 below),

the partition function is

    Z = ½ (2 sinh 2K)^{N/2} [ Π_{k odd} 2cosh(mγ_k/2) + Π_{k odd} 2sinh(mγ_k/2)
                             + Π_{k even} 2cosh(mγ_k/2) + Π_{k even} 2sinh(mγ_k/2) ].

The fourth product carries the sign of γ_0 (the classic trap: taking γ_0 = arccosh(…) ≥ 0
gives a wrong Z above T_c).  Each pair of products is evaluated as

    Π 2cosh a_k + Π 2sinh a_k = Π 2cosh a_k · (1 + Π tanh a_k),    a_k = mγ_k/2,

in log space: Σ log 2cosh a_k + log1p(exp(Σ log tanh|a_k|)), or with −expm1 in place of
log1p∘exp when γ_0 < 0.  The cancellation of the two even products above T_c (relative size
down to e^{−m|γ_0|}, far below float64 resolution on long lattices) is thus done exactly, and
the two positive pair terms are added by logaddexp: float64 is accurate to a few ulps for every
lattice size and β.  Only sinh 2K would overflow (K > 355): above K = 300, and on request
(:func:`ising_log_z_mpmath`), the same formulas run in mpmath.

Lattice convention: that of :mod:`leapsbench.models` — H = −J Σ_<ij> s_i s_j with one bond to
the +1 neighbour of every site along each axis of the torus, so on a size-2 axis the pair is
joined by two bonds.  Kaufman's transfer-matrix derivation uses the same periodic bonds, and the
formula matches exact enumeration for every size ≥ 2, 2 × m included (tests/test_exact.py).

Antiferromagnets (J < 0): on a torus with both sides even, flipping one sublattice maps K to
−K, so Z(K) = Z(|K|); odd sides frustrate the antiferromagnet and the formula does not apply
(a ValueError says so; use exact enumeration for tiny lattices).

Thermodynamics (:func:`ising_thermodynamics`) come from derivatives of log Z in K, taken by
mpmath numerical differentiation (forward steps h = 2^−(p+10)) of the mpmath evaluation of the
formula at 3(p+20) bits of working precision (p ≈ 117 bits), so the float64 results are exact to
rounding: ⟨E⟩/N = −J ∂_K log Z / N, c = β² Var(E)/N = K² ∂²_K log Z / N.
"""

from __future__ import annotations

import math

import numpy as np

from ..models.base import check_beta, check_finite
from ..models.lattice import Lattice

K_FLOAT64_MAX = 300.0
"""Above this |K|, sinh 2K would overflow float64 and the mpmath path is used."""

MP_PRECISION_BITS = 117

K_TINY = 1e-30
"""Below this |K| log Z and its derivatives come from the high-temperature series
(:func:`_tiny_coupling`): the formula cancels terms of size N log(1/K) there (inf below 1e-308)."""


def _coupling(Lx, Ly, beta, J) -> tuple[int, int, float]:
    """Validated (Lx, Ly, |K|); refuses J < 0 on a torus with an odd side."""
    lattice = Lattice(Lx, Ly)
    beta, J = check_beta(beta), check_finite("J", J)
    K = beta * J
    if K < 0 and (lattice.Lx % 2 or lattice.Ly % 2):
        raise ValueError(
            f"Kaufman's formula needs J >= 0 or an even × even torus (J < 0 is an "
            f"antiferromagnet, frustrated on odd sides); got J={J!r} on {Lx}x{Ly}"
        )
    return lattice.Lx, lattice.Ly, abs(K)


def _log_2cosh(a):
    a = np.abs(a)
    return a + np.log1p(np.exp(-2.0 * a))


def _log_neg_log_tanh(a):
    """log(−log tanh|a|) = log(2 artanh u), u = e^{−2|a|}, without underflow for large |a|."""
    a = np.abs(a)
    u = np.exp(-2.0 * a)
    small = u < 1e-8
    with np.errstate(divide="ignore"):
        ratio = np.where(small, 1.0 + u * u / 3.0, np.arctanh(u) / np.where(small, 1.0, u))
    return math.log(2.0) - 2.0 * a + np.log(ratio)


def _gammas(n: int, K: float) -> np.ndarray:
    """γ_k for k = 0 … 2n−1 in float64 (γ_0 signed), without cancellation near K_c."""
    x = 2.0 * K
    s = math.sinh(x)
    theta = np.pi * np.arange(2 * n, dtype=np.float64) / n
    # cosh γ_k − 1 = (sinh 2K − 1)² / sinh 2K + 2 sin²(θ_k / 2): both terms ≥ 0
    d = (s - 1.0) ** 2 / s + 2.0 * np.sin(theta / 2.0) ** 2
    gamma = np.log1p(d + np.sqrt(d) * np.sqrt(d + 2.0))  # d (d + 2) overflows at K < 1e-154
    gamma[0] = x + math.log(-math.expm1(-x)) - math.log1p(math.exp(-x))
    return gamma


def _log_pair(a: np.ndarray, sign: float) -> float:
    """log(Π 2cosh a_k + sign · Π 2|sinh a_k|) = Σ log 2cosh a_k + log(1 + sign · e^{−y}),

    y = −Σ log tanh|a_k| ≥ 0, carried as log y (y underflows when all |a_k| are large).
    """
    ell = _log_neg_log_tanh(a)
    top = float(np.max(ell))
    log_y = top if math.isinf(top) else top + math.log(float(np.sum(np.exp(ell - top))))
    y = math.exp(log_y)
    if sign >= 0:
        correction = math.log1p(math.exp(-y))
    elif y > 1.0:
        correction = math.log(-math.expm1(-y))
    else:  # log(1 − e^{−y}) = log y + log((1 − e^{−y}) / y)
        correction = log_y + (math.log(-math.expm1(-y) / y) if y > 0.0 else 0.0)
    return float(np.sum(_log_2cosh(a))) + correction


def _log_z_float64(Lx: int, Ly: int, K: float) -> float:
    n, m = Ly, Lx
    x = 2.0 * K
    a = 0.5 * m * _gammas(n, K)
    log_bracket = np.logaddexp(_log_pair(a[1::2], 1.0), _log_pair(a[0::2], np.sign(a[0])))
    log_2sinh_2k = x + math.log(-math.expm1(-2.0 * x))
    return -math.log(2.0) + 0.5 * Lx * Ly * log_2sinh_2k + float(log_bracket)


def _log_pair_mp(a: list, sign):
    """mpmath twin of :func:`_log_pair`: −log tanh|a| = 2 artanh e^{−2|a|} keeps full relative
    precision where tanh|a| rounds to 1."""
    import mpmath as mp

    y = mp.fsum(2 * mp.atanh(mp.exp(-2 * abs(x))) for x in a)
    log_cosh = mp.fsum(abs(x) + mp.log1p(mp.exp(-2 * abs(x))) for x in a)
    correction = mp.log1p(mp.exp(-y)) if sign >= 0 else mp.log(-mp.expm1(-y))
    return log_cosh + correction


def _log_z_mp(Lx: int, Ly: int, K):
    """log Z at K > 0 in the current mpmath precision (same formulas as the float64 path)."""
    import mpmath as mp

    n, m = Ly, Lx
    x = 2 * K
    c0 = mp.cosh(x) * mp.coth(x)
    gamma = [x + mp.log(mp.tanh(K))]
    gamma += [mp.acosh(c0 - mp.cos(mp.pi * k / n)) for k in range(1, 2 * n)]
    a = [m * g / 2 for g in gamma]
    pairs = [_log_pair_mp(a[1::2], 1), _log_pair_mp(a[0::2], mp.sign(a[0]))]
    log_bracket = max(pairs) + mp.log1p(mp.exp(min(pairs) - max(pairs)))
    return -mp.log(2) + mp.mpf(Lx * Ly) / 2 * mp.log(2 * mp.sinh(x)) + log_bracket


def _tiny_coupling(Lx: int, Ly: int, K: float) -> tuple[float, float, float]:
    """(log Z, −∂_K log Z / N, K² ∂²_K log Z / N) at 0 <= K < K_TINY from the high-temperature
    series Z = 2^N cosh^{2N}K (1 + n₂ t² + O(t⁴)), t = tanh K, n₂ = N/2 pairs of parallel bonds
    per axis of length 2: log Z = N log 2 + 2N log cosh K + n₂ t², so ⟨E⟩/(JN) = −c₁ t and
    c = c₁ K² with c₁ = 2 + 2n₂/N; the terms left out are below (2NK)² relative, far under
    float64 rounding for every lattice up to MAX_SIDE².
    """
    N = Lx * Ly
    c1 = 2 + (Lx == 2) + (Ly == 2)
    t = math.tanh(K)
    log_z = N * math.log(2.0) + 2 * N * math.log(math.cosh(K)) + (c1 - 2) * N / 2 * t * t
    return log_z, -c1 * t, c1 * K * K


def ising_log_z(Lx: int, Ly: int, beta: float, J: float = 1.0) -> float:
    """Exact log Z of the zero-field Ising model on an Lx × Ly torus (float64; see module)."""
    Lx, Ly, K = _coupling(Lx, Ly, beta, J)
    if K < K_TINY:
        return _tiny_coupling(Lx, Ly, K)[0]
    if K > K_FLOAT64_MAX:
        return float(ising_log_z_mpmath(Lx, Ly, beta, abs(J)))
    return _log_z_float64(Lx, Ly, K)


def ising_log_z_mpmath(Lx: int, Ly: int, beta: float, J: float = 1.0, bits: int = 0):
    """log Z as an ``mpmath.mpf``, computed at ``bits`` of precision (default 117 + 64)."""
    import mpmath as mp

    Lx, Ly, K = _coupling(Lx, Ly, beta, J)
    with mp.workprec(bits or MP_PRECISION_BITS + 64):
        if K == 0.0:
            return Lx * Ly * mp.log(2)
        return +_log_z_mp(Lx, Ly, mp.mpf(K))


def ising_thermodynamics(Lx: int, Ly: int, beta: float, J: float = 1.0) -> dict:
    """log Z, log Z / N, ⟨E⟩/N and the specific heat per site c = β² Var(E)/N on the torus.

    Derivatives of the mpmath log Z(K) by mpmath numerical differentiation at high working
    precision (see module docstring); exact to float64 rounding.  Below K_TINY (β = 0 and J = 0
    included) from the high-temperature series (:func:`_tiny_coupling`).
    """
    import mpmath as mp

    Lx, Ly, K = _coupling(Lx, Ly, beta, J)
    N = Lx * Ly
    log_z = ising_log_z(Lx, Ly, beta, J)
    if K < K_TINY:
        _, energy, heat = _tiny_coupling(Lx, Ly, K)
        energy *= abs(J)
    else:
        with mp.workprec(MP_PRECISION_BITS):
            k = mp.mpf(K)
            d1, d2 = (mp.diff(lambda t: _log_z_mp(Lx, Ly, t), k, n, direction=1) for n in (1, 2))
            # log Z(β) = g(β|J|): ⟨E⟩ = −|J| g'(|K|), Var(E) = J² g''(|K|)
            energy = float(-abs(J) * d1 / N)
            heat = float(k**2 * d2 / N)
    return {
        "log_z": log_z,
        "log_z_per_site": log_z / N,
        "energy_per_site": energy,
        "specific_heat_per_site": heat,
    }
