"""Ising spin glass H(s) = −Σ_<ij> J_ij s_i s_j − h Σ_i s_i with a coupling J_ij per bond.

The bonds are a :class:`~leapsbench.models.couplings.Couplings` (two (Lx, Ly) arrays, right and
down bonds; 0 where open boundaries cut).  With s_{i,j+1} and s_{i+1,j} the right and down
neighbours (periodic indices),

    H(s) = −Σ_{i,j} (R_ij s_ij s_{i,j+1} + D_ij s_ij s_{i+1,j}) − h Σ_ij s_ij,
    local field f_ij = R_ij s_{i,j+1} + R_{i,j−1} s_{i,j−1}
                       + D_ij s_{i+1,j} + D_{i−1,j} s_{i−1,j} + h,
    ΔE_ij (flip) = 2 s_ij f_ij.

``kind`` is "spin-glass" (q = 2, states ±1 int8 like Ising; ``J`` is 1, the couplings carry the
bonds).  The coupling arrays go to an array namespace and device once and are cached per
(namespace, device, dtype).  Models compare and hash by ``couplings_hash`` (the couplings'
content hash), not by the arrays.  ``instance`` records the generator spec ``(seed, gauss)`` when
the couplings come from :func:`~leapsbench.models.couplings.ea_instance` (``config()`` then stores
the spec instead of the arrays).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import array_api_compat
import numpy as np

from .base import LatticeModel, check_finite, float_view
from .couplings import Couplings, ea_instance
from .spins import SpinStates


@dataclass(frozen=True)
class SpinGlass(SpinStates, LatticeModel):
    """A spin glass on ``lattice`` with bonds ``couplings`` and a uniform field ``h``."""

    couplings: Couplings | None = field(default=None, compare=False)
    h: float = 0.0
    instance: tuple[int, bool] | None = None
    couplings_hash: str = field(init=False, default="")
    kind = "spin-glass"
    order_parameter = "q2"  # the replica overlap; |m| is not a spin glass's order parameter
    _arrays: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "h", check_finite("h", self.h))
        if not isinstance(self.couplings, Couplings):
            raise TypeError(f"couplings must be a Couplings, got {type(self.couplings).__name__}")
        if self.J != 1.0:
            raise ValueError(
                f"a spin glass has J = 1 (the couplings carry the bonds), got {self.J}"
            )
        c = self.couplings
        object.__setattr__(self, "couplings_hash", c.content_hash())
        if (c.shape, c.periodic) != (self.shape, self.lattice.periodic):
            raise ValueError(
                f"couplings are for a {c.Lx}x{c.Ly} periodic={c.periodic} lattice, the model's "
                f"lattice is {self.shape[0]}x{self.shape[1]} periodic={self.lattice.periodic}"
            )

    def _bonds(self, s):
        """(R, D, R rolled one column right, D rolled one row down) in ``s``'s namespace."""
        xp = array_api_compat.array_namespace(s)
        device = array_api_compat.device(s)
        key = (xp.__name__, str(device), str(s.dtype))
        if key not in self._arrays:
            right, down = self.couplings.j_right, self.couplings.j_down
            host = (np.array(right), np.array(down), np.roll(right, 1, 1), np.roll(down, 1, 0))
            self._arrays[key] = tuple(xp.asarray(a, dtype=s.dtype, device=device) for a in host)
        return self._arrays[key]

    def energy(self, x, dtype=None):
        """H(s) per configuration, shape (B,)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        right, down, _, _ = self._bonds(s)
        bonds = right * s * xp.roll(s, -1, axis=2) + down * s * xp.roll(s, -1, axis=1)
        return -xp.sum(bonds, axis=(1, 2)) - self.h * xp.sum(s, axis=(1, 2))

    def local_field(self, x, dtype=None):
        """f_i = Σ_{j∼i} J_ij s_j + h at every site, shape (B, Lx, Ly)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        right, down, left, up = self._bonds(s)
        return (
            right * xp.roll(s, -1, axis=2)
            + left * xp.roll(s, 1, axis=2)
            + down * xp.roll(s, -1, axis=1)
            + up * xp.roll(s, 1, axis=1)
            + self.h
        )

    def config(self) -> dict:
        """Lattice, β, h and the couplings: the generator spec ``{"instance", "gauss"}`` when
        known, else both arrays as lists; ``couplings_hash`` (checked on rebuilding) always."""
        if self.instance is not None:
            bonds = {"instance": self.instance[0], "gauss": self.instance[1]}
        else:
            bonds = {
                "j_right": self.couplings.j_right.tolist(),
                "j_down": self.couplings.j_down.tolist(),
            }
        return {
            "model": self.kind,
            **self.lattice.config(),
            "beta": self.beta,
            "J": self.J,
            "h": self.h,
            "couplings": bonds,
            "couplings_hash": self.couplings.content_hash(),
        }

    def bond_couplings(self):
        """(N, 4) couplings J_{i, nb_k(i)} of every site (raster order) to its neighbours up,
        down, left, right (periodic indices; 0 across bonds that open boundaries cut)."""
        right, down = self.couplings.j_right, self.couplings.j_down
        up, left = np.roll(down, 1, axis=0), np.roll(right, 1, axis=1)
        return np.stack([up, down, left, right], axis=-1).reshape(-1, 4)


def spin_glass_from_config(lattice, config: dict) -> SpinGlass:
    """The inverse of :meth:`SpinGlass.config` (the couplings' hash must match)."""
    bonds = config["couplings"]
    Lx, Ly, periodic = lattice.Lx, lattice.Ly, lattice.periodic
    if "instance" in bonds:
        instance = (int(bonds["instance"]), bool(bonds["gauss"]))
        couplings = ea_instance(Lx, Ly, instance[0], instance[1], periodic)
    else:
        instance = None
        couplings = Couplings(np.asarray(bonds["j_right"]), np.asarray(bonds["j_down"]), periodic)
    want = config.get("couplings_hash")
    if want is not None and want != couplings.content_hash():
        raise ValueError(
            f"couplings hash {couplings.content_hash()} differs from the recorded {want} "
            "(another instance generator?)"
        )
    return SpinGlass(
        lattice, beta=config["beta"], couplings=couplings, h=config.get("h", 0.0), instance=instance
    )
