"""Exact log Z and ⟨e⟩ of the 2D Edwards–Anderson model at zero field, open or periodic.

H = −Σ_bonds J_b s_i s_j (:mod:`leapsbench.models.couplings`).  High-temperature expansion, with
t_b = tanh(βJ_b):

    Z = 2^N Π_b cosh(βJ_b) · Σ_{even subgraphs G} Π_{b∈G} t_b.

The sum over even subgraphs is a signed dimer sum: each site becomes four terminals
(R, D, L, U; matrix index 4·site + k) joined by the six edges of a K4 gadget, oriented from the
lower to the higher index with weight 1 (its three internal matchings count +1 +1 −1 = 1 in the
Pfaffian, the crossing one negative), and each bond b joins R of a site to L of its right
neighbour, or D to U of its lower neighbour, with weight t_b, oriented from R (D).  With open
boundaries this orientation is Kasteleyn (checked against enumeration), so the sum is Pf(A).
On the torus, with the wrap bonds' weights multiplied by twists σ_h, σ_v = ±1 (Galluccio–Loebl;
Thomas & Middleton, PRE 80, 046708, 2009), Pf(A_σ) = S₀₀ − σ_h S₁₀ − σ_v S₀₁ − σ_h σ_v S₁₁, where
S_ab sums the even subgraphs crossing the horizontal (vertical) seam a (b) times mod 2, so

    Σ_G Π t_b = Σ_ab S_ab = ½ (−Pf A₊₊ + Pf A₊₋ + Pf A₋₊ + Pf A₋₋),

which needs the Pfaffians' signs.  A is block-cyclic over lattice rows (blocks of 4·Ly, the
shorter side; the lattice is transposed if need be), so :func:`.pfaffian.block_cyclic_pfaffian`
gives Pf(A_σ) and dPf(A_σ)/dβ exactly in O(Lx Ly³), each as a value times e^{log_scale}; the
four terms are added at a common exponent.  With dA/dβ = J_b (1 − t_b²) on bond entries,

    log Z = N log 2 + Σ_b log cosh βJ_b + log Σ_G Π t_b,
    ⟨e⟩ = −(1/N) d log Z/dβ = −(1/N) [Σ_b J_b t_b + d log(Σ_G Π t_b)/dβ].

β = 0 and J_b = 0 give t_b = 0 (the gadgets alone, Pf = 1).

Precision.  On frustrated loops the expansion in t_b cancels internally (the sum is of order
e^{−2β·frustration energy} while its terms are O(1)), and the float64 LU of the Schur blocks loses
digits as β grows: on 2D ±J instances about 1e-13 relative in log Z at β = 2, 1e-8 at β = 3, and
total loss near β = 5 (docs/perf.md).  So each result carries error estimates: the computation is
repeated on the lattice rotated by 180° (another elimination order, the same Z), and
``log_z_error`` / ``energy_error`` are the differences (at least a few float64 ulps);
``reliable`` says whether both are within RELIABLE_RELATIVE_ERROR.  A sum that comes out ≤ 0
(total loss) raises FloatingPointError.  The low-temperature (dual lattice, frustrated
plaquettes) expansion was measured to lose digits as fast on these instances (docs/perf.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..models.base import check_beta
from ..models.couplings import Couplings
from .pfaffian import block_cyclic_pfaffian

_TWIST_COEFFICIENTS = {(1.0, 1.0): -0.5, (1.0, -1.0): 0.5, (-1.0, 1.0): 0.5, (-1.0, -1.0): 0.5}
"""½(−Pf A₊₊ + Pf A₊₋ + Pf A₋₊ + Pf A₋₋), keyed by (σ_h, σ_v) (module docstring)."""


RELIABLE_RELATIVE_ERROR = 1e-9
"""An :class:`EAResult` whose error estimates exceed this (relative) is flagged unreliable."""

_ULPS = 8 * np.finfo(np.float64).eps
"""Floor of the error estimates: a few units of float64 rounding of the result."""


@dataclass(frozen=True)
class EAResult:
    """Exact log Z and ⟨E⟩/N of one 2D EA instance at one β, with rounding-error estimates."""

    log_z: float
    energy_per_site: float
    n_sites: int
    log_z_error: float
    energy_error: float

    @property
    def log_z_per_site(self) -> float:
        return self.log_z / self.n_sites

    @property
    def reliable(self) -> bool:
        """Whether both rounding-error estimates are within RELIABLE_RELATIVE_ERROR."""
        return bool(
            self.log_z_error <= RELIABLE_RELATIVE_ERROR * max(abs(self.log_z), 1.0)
            and self.energy_error <= RELIABLE_RELATIVE_ERROR * max(abs(self.energy_per_site), 1.0)
        )


def _log_cosh(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0)


def _sech2(x: np.ndarray) -> np.ndarray:
    """1 − tanh² x = 4 e^{−2|x|} / (1 + e^{−2|x|})², without overflow."""
    u = np.exp(-2.0 * np.abs(x))
    return 4.0 * u / (1.0 + u) ** 2


def _blocks(t_right, t_down):
    """Row blocks (diag (Lx, m, m), up (Lx, m, m)) of A, m = 4 Ly (module docstring)."""
    Lx, Ly = t_right.shape
    m = 4 * Ly
    j = np.arange(Ly)
    diag = np.zeros((Lx, m, m))
    diag[:, 4 * j, 4 * ((j + 1) % Ly) + 2] = t_right
    diag -= diag.transpose(0, 2, 1)
    up = np.zeros((Lx, m, m))
    up[:, 4 * j + 1, 4 * j + 3] = t_down
    return diag, up


def _gadgets(Lx: int, Ly: int) -> np.ndarray:
    k4 = np.triu(np.ones((4, 4)), 1)
    return np.broadcast_to(np.kron(np.eye(Ly), k4 - k4.T), (Lx, 4 * Ly, 4 * Ly))


def _twisted_pfaffian(t_right, t_down, dt_right, dt_down, twist):
    """Pf(A_σ) and dPf(A_σ)/dβ (scaled), the wrap bonds multiplied by σ = (σ_h, σ_v)."""
    factors = []
    for array in (t_right, dt_right):
        array = array.copy()
        array[:, -1] *= twist[0]
        factors.append(array)
    for array in (t_down, dt_down):
        array = array.copy()
        array[-1, :] *= twist[1]
        factors.append(array)
    diag, up = _blocks(factors[0], factors[2])
    d_diag, d_up = _blocks(factors[1], factors[3])
    return block_cyclic_pfaffian(diag + _gadgets(*t_right.shape), d_diag, up, d_up)


def _combine(terms: dict, coefficients: dict) -> tuple[float, float]:
    """log Σ_σ c_σ Pf(A_σ) and its β-derivative, the terms rescaled to a common exponent."""
    keys = list(terms)
    top = max(terms[k].log_scale for k in keys)
    scales = np.array([coefficients[k] * math.exp(terms[k].log_scale - top) for k in keys])
    total = float(np.dot(scales, [terms[k].value for k in keys]))
    if not total > 0:
        raise FloatingPointError(
            f"the even-subgraph sum came out {'negative' if total < 0 else 'zero'} (Pfaffian "
            f"terms {list(terms.values())}): float64 cancellation of the high-temperature "
            f"expansion at too low a temperature for this instance (module docstring)"
        )
    d_total = float(np.dot(scales, [terms[k].d_value for k in keys]))
    return top + math.log(total), d_total / total


def _solve(j_right: np.ndarray, j_down: np.ndarray, periodic: bool, beta: float):
    """(log Z, d log Z/dβ) of the couplings (module docstring), rows as Pfaffian blocks."""
    if j_right.shape[1] > j_right.shape[0]:  # blocks along the shorter side
        j_right, j_down = j_down.T, j_right.T
    x_right, x_down = beta * j_right, beta * j_down
    t_right, t_down = np.tanh(x_right), np.tanh(x_down)
    dt_right, dt_down = j_right * _sech2(x_right), j_down * _sech2(x_down)
    twists = _TWIST_COEFFICIENTS if periodic else {(1.0, 1.0): 1.0}
    terms = {s: _twisted_pfaffian(t_right, t_down, dt_right, dt_down, s) for s in twists}
    log_sum, d_log_sum = _combine(terms, twists)
    log_z = j_right.size * math.log(2.0) + float(
        np.sum(_log_cosh(x_right)) + np.sum(_log_cosh(x_down))
    )
    d_log_z = float(np.sum(j_right * t_right) + np.sum(j_down * t_down)) + d_log_sum
    return log_z + log_sum, d_log_z


def ea_log_z(couplings: Couplings, beta: float) -> EAResult:
    """Exact log Z and ⟨E⟩/N of the zero-field 2D EA instance ``couplings`` at ``beta``, with
    rounding-error estimates from a second elimination order (module docstring)."""
    beta = check_beta(beta)
    if not isinstance(couplings, Couplings):
        raise TypeError(f"couplings must be a Couplings, got {type(couplings).__name__}")
    j_right, j_down, periodic = couplings.j_right, couplings.j_down, couplings.periodic
    log_z, d_log_z = _solve(j_right, j_down, periodic, beta)
    rotated = (np.roll(j_right[::-1, ::-1], -1, axis=1), np.roll(j_down[::-1, ::-1], -1, axis=0))
    log_z_2, d_log_z_2 = _solve(*rotated, periodic, beta)
    n = couplings.n_sites
    scale = float(np.sum(np.abs(j_right)) + np.sum(np.abs(j_down)))
    return EAResult(
        log_z=log_z,
        energy_per_site=-d_log_z / n,
        n_sites=n,
        log_z_error=float(max(abs(log_z - log_z_2), _ULPS * max(abs(log_z), 1.0))),
        energy_error=float(max(abs(d_log_z - d_log_z_2), _ULPS * max(scale, abs(d_log_z))) / n),
    )
