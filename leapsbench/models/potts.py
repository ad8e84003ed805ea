"""The q-state Potts model H(s) = −J Σ_<ij> δ(s_i, s_j), s_i ∈ {0, …, q−1} (stored as int8)."""

from __future__ import annotations

from dataclasses import dataclass

import array_api_compat
import numpy as np

from .base import LatticeModel


@dataclass(frozen=True)
class Potts(LatticeModel):
    """Potts spins with ``q >= 2`` values (q = 2 is Ising with J_Ising = J/2, up to a constant)."""

    q: int = 3
    kind = "potts"

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.q, bool) or not isinstance(self.q, int) or not 2 <= self.q <= 127:
            raise ValueError(f"Potts q must be an integer with 2 <= q <= 127, got {self.q!r}")

    def energy(self, x, dtype=None):
        """H(s) per configuration, shape (B,): −J × (number of satisfied bonds)."""
        return -self.J * self.lattice.bond_products(self.one_hot(x, dtype))

    def neighbour_counts(self, x, dtype=None):
        """n_i(a) = #{j ∼ i : s_j = a}, shape (B, Lx, Ly, q)."""
        return self.lattice.neighbour_sum(self.one_hot(x, dtype))

    def delta_energy(self, x, dtype=None):
        """H(s with s_i=a) − H(s) = −J (n_i(a) − n_i(s_i)), every site and value; (B,Lx,Ly,q)."""
        xp = array_api_compat.array_namespace(x)
        onehot = self.one_hot(x, dtype)
        counts = self.lattice.neighbour_sum(onehot)
        own = xp.sum(counts * onehot, axis=-1, keepdims=True)
        return -self.J * (counts - own)

    def magnetization(self, x, dtype=None):
        """m = (q · max_k n_k / N − 1) / (q − 1), with n_k the number of sites of value k; (B,)."""
        xp = array_api_compat.array_namespace(x)
        n_k = xp.sum(self.one_hot(x, dtype), axis=(1, 2))
        return (self.q * xp.max(n_k, axis=-1) / self.n_sites - 1.0) / (self.q - 1)

    def ising_equivalent(self) -> tuple[float, float] | None:
        """q = 2: δ(a, b) = (1 + s s')/2 gives H = H_Ising(J/2) − J n_bonds/2 with n_bonds = 2N on
        the torus, so (J/2, −J); None for q > 2."""
        return (self.J / 2, -self.J) if self.q == 2 else None

    def to_values(self, x):
        return x

    def from_values(self, a):
        return a

    def config(self) -> dict:
        return {
            "model": self.kind,
            **self.lattice.config(),
            "beta": self.beta,
            "J": self.J,
            "q": self.q,
        }

    def pair_interaction(self):
        """(K, f) with H = −J Σ_<ij> K[a_i, a_j] − Σ_i f[a_i]: K = δ (the identity), f = 0."""
        return np.eye(self.q), np.zeros(self.q)
