"""A q-state clock model written only in the test suite: every sampler must run it from the
model's own methods (issue 27: no sampler file names a model kind).

H(a) = −J Σ_<ij> cos(θ_i − θ_j), θ_i = 2π a_i / q, a_i ∈ {0, …, q−1} (stored as int8);
ΔE_{i,b} = −J Σ_{j∼i} (cos(θ_b − θ_j) − cos(θ_{a_i} − θ_j));
m = |Σ_i e^{iθ_i}| / N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import array_api_compat

from leapsbench.models import Lattice
from leapsbench.models.base import LatticeModel


@dataclass(frozen=True)
class Clock(LatticeModel):
    """Clock spins with q values on a lattice."""

    q: int = 5
    kind = "clock"

    def _angles(self, x, dtype):
        xp = array_api_compat.array_namespace(x)
        return xp.astype(x, dtype or xp.float64) * (2.0 * math.pi / self.q)

    def _unit_vectors(self, x, dtype):
        xp = array_api_compat.array_namespace(x)
        theta = self._angles(x, dtype)
        return xp.stack([xp.cos(theta), xp.sin(theta)], axis=-1)

    def energy(self, x, dtype=None):
        """H per configuration, (B,): −J Σ_<ij> u_i · u_j with u = (cos θ, sin θ)."""
        return -self.J * self.lattice.bond_products(self._unit_vectors(x, dtype))

    def delta_energy(self, x, dtype=None):
        """ΔE_{i,b} for every site and value, (B, Lx, Ly, q): −J (u_b − u_{a_i}) · Σ_{j∼i} u_j."""
        xp = array_api_compat.array_namespace(x)
        field = self.lattice.neighbour_sum(self._unit_vectors(x, dtype))  # (B, Lx, Ly, 2)
        values = xp.arange(self.q, dtype=field.dtype, device=array_api_compat.device(x))
        theta = values * (2.0 * math.pi / self.q)
        candidates = field[..., 0:1] * xp.cos(theta) + field[..., 1:2] * xp.sin(theta)
        own = xp.sum(field * self._unit_vectors(x, field.dtype), axis=-1, keepdims=True)
        return -self.J * (candidates - own)

    def magnetization(self, x, dtype=None):
        """m = |Σ_i u_i| / N, (B,)."""
        xp = array_api_compat.array_namespace(x)
        total = xp.sum(self._unit_vectors(x, dtype), axis=(1, 2))
        return xp.sqrt(xp.sum(total * total, axis=-1)) / self.n_sites

    def to_values(self, x):
        return x

    def from_values(self, a):
        return a

    def config(self) -> dict:
        return {"model": self.kind, **self.lattice.config(), "beta": self.beta, "q": self.q}


def clock(q: int, Lx: int, Ly: int, beta: float, periodic: bool = True) -> Clock:
    return Clock(Lattice(Lx, Ly, periodic), beta=beta, q=q)
