"""The Ising model H(s) = −J Σ_<ij> s_i s_j − h Σ_i s_i with spins s_i = ±1 (stored as int8)."""

from __future__ import annotations

from dataclasses import dataclass

import array_api_compat

from .base import LatticeModel, check_finite, float_view
from .spins import SpinStates


@dataclass(frozen=True)
class Ising(SpinStates, LatticeModel):
    """Ising spins on a lattice; ``q = 2`` values, value index a ↔ spin s = 1 − 2a."""

    h: float = 0.0
    kind = "ising"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "h", check_finite("h", self.h))

    def energy(self, x, dtype=None):
        """H(s) per configuration, shape (B,)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        return -self.J * self.lattice.bond_products(s) - self.h * xp.sum(s, axis=(1, 2))

    def local_field(self, x, dtype=None):
        """J Σ_{j∼i} s_j + h at every site, shape (B, Lx, Ly)."""
        return self.J * self.lattice.neighbour_sum(float_view(x, dtype)) + self.h

    def ising_equivalent(self) -> tuple[float, float] | None:
        """(J, 0) at h = 0 (the model itself), else None."""
        return (self.J, 0.0) if self.h == 0.0 else None

    def config(self) -> dict:
        return {
            "model": self.kind,
            **self.lattice.config(),
            "beta": self.beta,
            "J": self.J,
            "h": self.h,
        }
