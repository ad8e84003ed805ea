"""What every model of spins s_i = ±1 shares, given its local field f_i = ∂(−H)/∂s_i."""

from __future__ import annotations

import array_api_compat
import numpy as np

from .base import float_view


class SpinStates:
    """Spins stored as int8 ±1, ``q = 2`` values, value index a ↔ spin s = 1 − 2a; the model
    defines ``local_field(x, dtype)`` (f_i, with H linear in each s_i) and ``n_sites``."""

    q = 2
    encoding = "spins"  # states stored as ±1 (base.ENCODINGS)

    def flip_delta_energy(self, x, dtype=None):
        """H(flip_i s) − H(s) = 2 s_i f_i for every site at once, (B, Lx, Ly)."""
        return 2.0 * float_view(x, dtype) * self.local_field(x, dtype)

    def delta_energy(self, x, dtype=None):
        """ΔE_{i,a} = H(s with site i at value a) − H(s), (B, Lx, Ly, 2): the flip's ΔE in the
        other value's slot, 0 at the current value (the shape every model's moves share)."""
        xp = array_api_compat.array_namespace(x)
        flip = self.flip_delta_energy(x, dtype)
        return xp.expand_dims(flip, axis=-1) * (1.0 - self.one_hot(x, flip.dtype))

    def magnetization(self, x, dtype=None):
        """m = |Σ_i s_i| / N, shape (B,)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        return xp.abs(xp.sum(s, axis=(1, 2))) / self.n_sites

    def to_values(self, x):
        """Value indices a = (1 − s)/2 ∈ {0, 1} (int8)."""
        return (1 - x) // 2

    def from_values(self, a):
        """Spins s = 1 − 2a from value indices."""
        return 1 - 2 * a

    def overlap(self, x, y, dtype=None):
        """Replica overlap q_xy = (1/N) Σ_i s^x_i s^y_i of each pair of configurations, (B,)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        return xp.sum(s * float_view(y, dtype), axis=(1, 2)) / self.n_sites

    def flip_symmetric(self) -> bool:
        """H(−s) = H(s): true at zero field (pair terms are even in s)."""
        return self.h == 0

    def pair_interaction(self):
        """(K, f) with H = −Σ_<ij> J_ij K[a_i, a_j] − Σ_i f[a_i] over value indices a:
        K = s sᵀ and f = h s for s = (1, −1) (numpy (2, 2) and (2,))."""
        spin = np.array([1.0, -1.0])
        return np.outer(spin, spin), self.h * spin
