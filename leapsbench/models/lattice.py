"""Square Lx × Ly lattices with periodic (torus) or open boundaries.

Configurations are batch-first arrays ``(B, Lx, Ly[, ...])``; neighbour sums use rolls along
axes 1 and 2, so every operation is O(N) array work with no Python loop over sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import array_api_compat
import numpy as np

MAX_SIDE = 4096
"""Largest lattice side: 4096² = 16.8M sites per configuration (Kaufman's cost: docs/perf.md)."""


def parse_side(name: str, text: str) -> int:
    """The lattice side written as the digits ``text``; one longer than :data:`MAX_SIDE`'s is
    refused before it is converted (Python refuses > 4300 digits with a message about
    ``sys.set_int_max_str_digits``, which is not the limit that matters here)."""
    digits = text.strip().lstrip("0") or "0"
    if digits.isdigit() and len(digits) > len(str(MAX_SIDE)):
        shown = (
            digits if len(digits) <= 12 else f"{digits[:6]}…{digits[-3:]} ({len(digits)} digits)"
        )
        raise ValueError(
            f"lattice size {name}={shown} is too large: at most {MAX_SIDE} per side (MAX_SIDE)"
        )
    return _check_size(name, int(text))


def _check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise ValueError(f"lattice size {name} must be an integer >= 2, got {value!r}")
    if value > MAX_SIDE:
        raise ValueError(f"lattice size {name}={value} is too large: at most {MAX_SIDE} per side")
    return int(value)


@dataclass(frozen=True)
class Lattice:
    """An Lx × Ly square lattice; ``periodic=False`` gives open boundaries."""

    Lx: int
    Ly: int
    periodic: bool = True

    def __post_init__(self):
        _check_size("Lx", self.Lx)
        _check_size("Ly", self.Ly)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.Lx, self.Ly)

    @property
    def n_sites(self) -> int:
        return self.Lx * self.Ly

    @property
    def n_bonds(self) -> int:
        if self.periodic:
            return 2 * self.n_sites
        return (self.Lx - 1) * self.Ly + self.Lx * (self.Ly - 1)

    def _bond_masks(self, x):
        """Masks (Lx, 1), (1, Ly) of bonds to the +1 neighbour on axes 1, 2 (None on a torus)."""
        if self.periodic:
            return None, None
        xp = array_api_compat.array_namespace(x)
        dev = array_api_compat.device(x)
        mx = np.ones((self.Lx, 1))
        mx[-1] = 0
        my = np.ones((1, self.Ly))
        my[:, -1] = 0
        return xp.asarray(mx, dtype=x.dtype, device=dev), xp.asarray(my, dtype=x.dtype, device=dev)

    def _expand(self, mask, x):
        return mask if x.ndim == 3 else mask[..., None]

    def bond_products(self, x):
        """Σ_<ij> x_i x_j per configuration for a float field ``x`` of shape (B, Lx, Ly[, k])."""
        xp = array_api_compat.array_namespace(x)
        right = x * xp.roll(x, -1, axis=1)
        down = x * xp.roll(x, -1, axis=2)
        mx, my = self._bond_masks(x)
        if mx is not None:
            right = right * self._expand(mx, x)
            down = down * self._expand(my, x)
        axes = tuple(range(1, x.ndim))
        return xp.sum(right, axis=axes) + xp.sum(down, axis=axes)

    def neighbour_sum(self, x):
        """Σ_{j ∼ i} x_j for every site i of a float field ``x`` of shape (B, Lx, Ly[, k])."""
        xp = array_api_compat.array_namespace(x)
        up, down = xp.roll(x, 1, axis=1), xp.roll(x, -1, axis=1)
        left, right = xp.roll(x, 1, axis=2), xp.roll(x, -1, axis=2)
        mx, my = self._bond_masks(x)
        if mx is None:
            return up + down + left + right
        # the bond i -> i+1 exists where mask[i] = 1; the bond i -> i-1 where mask[i-1] = 1
        mx_prev, my_prev = xp.roll(mx, 1, axis=0), xp.roll(my, 1, axis=1)
        return (
            down * self._expand(mx, x)
            + up * self._expand(mx_prev, x)
            + right * self._expand(my, x)
            + left * self._expand(my_prev, x)
        )

    def colour_classes(self) -> tuple[np.ndarray, ...]:
        """Boolean (Lx, Ly) masks of a proper colouring (no bond inside a class):
        c(i, j) = (a_i + b_j) mod k with a, b proper colourings of the two axes; k = 2 (the
        checkerboard) unless a periodic axis has odd length, where k = 3."""
        a = _axis_colours(self.Lx, self.periodic)
        b = _axis_colours(self.Ly, self.periodic)
        n_colours = 3 if max(a.max(), b.max()) == 2 else 2
        colour = np.add.outer(a, b) % n_colours
        return tuple(colour == c for c in range(n_colours))

    def config(self) -> dict:
        return {"Lx": self.Lx, "Ly": self.Ly, "periodic": self.periodic}


def _axis_colours(length: int, periodic: bool) -> np.ndarray:
    """A proper colouring of a path or cycle: 0,1,0,1,… and 2 for the last site of an odd cycle."""
    colours = np.arange(length) % 2
    if periodic and length % 2:
        colours[-1] = 2
    return colours
