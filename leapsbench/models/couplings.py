"""Per-bond couplings of a square-lattice Ising model; the 2D Edwards–Anderson instance generator.

``Couplings(j_right, j_down, periodic)`` holds one coupling per bond of an Lx × Ly lattice:
``j_right[i, j]`` joins site (i, j) to (i, (j+1) mod Ly) and ``j_down[i, j]`` joins (i, j) to
((i+1) mod Lx, j), so that

    H(s) = −Σ_{i,j} ( j_right[i, j] s_{i,j} s_{i,j+1} + j_down[i, j] s_{i,j} s_{i+1,j} ).

With open boundaries the wrap bonds (last column of ``j_right``, last row of ``j_down``) must be
0.  On a periodic side of length 2 the two bonds of a pair are kept apart, as in
:mod:`leapsbench.models` (both count in H, which is the same as one bond with their sum); the
sparse form (:meth:`Couplings.to_sparse`) has one entry per pair, so there they are summed, and
:meth:`Couplings.from_sparse` puts a pair's value on the (…, 0) → (…, 1) bond and 0 on the wrap
bond — the same H.

Sparse form (TwoBo's file format): an N × N upper-triangular scipy.sparse matrix over row-major
sites (site (i, j) is i·Ly + j) with entry J at (min(u, v), max(u, v)) for each coupled pair,
saved with ``scipy.sparse.save_npz``.

Generator (:func:`ea_instance`): ``words = numpy.random.PCG64(seed).random_raw(n)`` (PCG64 seeded
through ``SeedSequence(seed)``; the raw stream is stable across numpy versions and platforms),
bonds in the order all of ``j_right`` row-major, then all of ``j_down`` row-major (2N bonds, drawn
for open boundaries too, whose wrap bonds are then set to 0):

- ±J: bond b gets J = +1 if the top bit of ``words[b]`` is 0, else −1 (n = 2N);
- Gaussian: with u1 = ((words[2b] >> 11) + 1)·2⁻⁵³ ∈ (0, 1] and u2 = (words[2b+1] >> 11)·2⁻⁵³,
  J = √(−2 ln u1) cos(2π u2) (Box–Muller), rounded to the nearest multiple of 2⁻²⁴ so that
  last-ulp differences between platforms' log/cos cannot change the instance (n = 4N).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

GAUSS_RESOLUTION = 2.0**-24
"""Gaussian couplings are rounded to multiples of this (see module docstring)."""


def _check_array(name: str, values) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2D (Lx, Ly) array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{name}{list(bad)} is {array[bad]!r}; couplings must be finite")
    array += 0.0  # −0.0 → 0.0, so equal instances hash equal
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Couplings:
    """One coupling per bond of an Lx × Ly square lattice (see module docstring); equal when
    shape, periodicity and every coupling are equal."""

    j_right: np.ndarray
    j_down: np.ndarray
    periodic: bool = True

    def __post_init__(self):
        j_right = _check_array("j_right", self.j_right)
        j_down = _check_array("j_down", self.j_down)
        if j_right.shape != j_down.shape:
            raise ValueError(
                f"j_right and j_down must have the same shape, got {j_right.shape} "
                f"and {j_down.shape}"
            )
        if min(j_right.shape) < 2:
            raise ValueError(f"each side must be >= 2, got a {j_right.shape} lattice")
        if not self.periodic:
            _check_open_boundary(j_right, j_down)
        object.__setattr__(self, "j_right", j_right)
        object.__setattr__(self, "j_down", j_down)
        object.__setattr__(self, "periodic", bool(self.periodic))

    def __eq__(self, other) -> bool:
        if not isinstance(other, Couplings):
            return NotImplemented
        return (
            self.periodic == other.periodic
            and np.array_equal(self.j_right, other.j_right)
            and np.array_equal(self.j_down, other.j_down)
        )

    def __hash__(self) -> int:
        return hash(self.content_hash())

    @property
    def Lx(self) -> int:
        return self.j_right.shape[0]

    @property
    def Ly(self) -> int:
        return self.j_right.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.j_right.shape

    @property
    def n_sites(self) -> int:
        return self.Lx * self.Ly

    def content_hash(self) -> str:
        """First 12 hex digits of sha256 over (Lx, Ly, periodic) as int64 LE, j_right, j_down LE."""
        header = np.array([self.Lx, self.Ly, int(self.periodic)], dtype="<i8").tobytes()
        body = self.j_right.astype("<f8").tobytes() + self.j_down.astype("<f8").tobytes()
        return hashlib.sha256(header + body).hexdigest()[:12]

    def to_sparse(self):
        """The N × N upper-triangular scipy.sparse CSR coupling matrix (module docstring)."""
        import scipy.sparse

        sites = np.arange(self.n_sites).reshape(self.shape)
        right = np.roll(sites, -1, axis=1)
        down = np.roll(sites, -1, axis=0)
        u = np.concatenate([sites.ravel(), sites.ravel()])
        v = np.concatenate([right.ravel(), down.ravel()])
        w = np.concatenate([self.j_right.ravel(), self.j_down.ravel()])
        keep = w != 0
        u, v, w = u[keep], v[keep], w[keep]
        shape = (self.n_sites, self.n_sites)
        matrix = scipy.sparse.coo_matrix((w, (np.minimum(u, v), np.maximum(u, v))), shape=shape)
        matrix = matrix.tocsr()  # sums the two bonds of a pair on a periodic side of length 2
        matrix.eliminate_zeros()
        return matrix

    @classmethod
    def from_sparse(cls, matrix, Lx: int, Ly: int, periodic: bool = True) -> Couplings:
        """Couplings from an N × N upper-triangular sparse matrix (pairs must be neighbours)."""
        return cls(*_bond_arrays(matrix, Lx, Ly, periodic), periodic=periodic)

    def save(self, path) -> None:
        """Writes :meth:`to_sparse` with ``scipy.sparse.save_npz`` (TwoBo's format)."""
        import scipy.sparse

        scipy.sparse.save_npz(path, self.to_sparse())

    @classmethod
    def load(cls, path, Lx: int | None = None, Ly: int | None = None, periodic=None) -> Couplings:
        """Reads a ``save_npz`` file; Lx = Ly = √N if not given, and ``periodic`` by default is
        whether any wrap pair is coupled (a periodic side of length 2 then reads as open, which
        is the same H)."""
        import scipy.sparse

        matrix = scipy.sparse.load_npz(path)
        if Lx is None and Ly is None:
            Lx = Ly = _square_side(matrix.shape, path)
        elif Lx is None or Ly is None:
            raise ValueError(f"give both Lx and Ly or neither, got Lx={Lx!r}, Ly={Ly!r}")
        if periodic is None:
            periodic = bool(np.any(_Pairs(matrix, Lx, Ly).wrap))
        return cls.from_sparse(matrix, Lx, Ly, periodic)


def _check_open_boundary(j_right: np.ndarray, j_down: np.ndarray) -> None:
    for name, edge, where in (
        ("j_right", j_right[:, -1], "last column"),
        ("j_down", j_down[-1, :], "last row"),
    ):
        if np.any(edge != 0):
            k = int(np.flatnonzero(edge)[0])
            raise ValueError(
                f"open boundaries: the {where} of {name} are wrap bonds and must be 0, "
                f"got {edge[k]!r} at index {k}"
            )


def _square_side(shape, path) -> int:
    side = math.isqrt(shape[0])
    if side * side != shape[0]:
        raise ValueError(
            f"{path}: N = {shape[0]} sites is not a square; give the lattice shape Lx × Ly"
        )
    return side


class _Pairs:
    """The coupled pairs (u < v) of a sparse matrix, as lattice coordinates, and their bonds."""

    def __init__(self, matrix, Lx: int, Ly: int):
        import scipy.sparse

        n = Lx * Ly
        coo = scipy.sparse.coo_matrix(matrix)
        if coo.shape != (n, n):
            raise ValueError(
                f"coupling matrix must be N × N = {n} × {n} for a {Lx}x{Ly} lattice, "
                f"got {coo.shape[0]} × {coo.shape[1]}"
            )
        coo.sum_duplicates()
        keep = coo.data != 0
        self.u, self.v, self.values = (
            coo.row[keep],
            coo.col[keep],
            coo.data.astype(np.float64)[keep],
        )
        self.Lx, self.Ly = Lx, Ly
        (iu, ju), (iv, jv) = divmod(self.u, Ly), divmod(self.v, Ly)
        self.right = (iu == iv) & (jv == ju + 1)
        self.down = (ju == jv) & (iv == iu + 1)
        self.right_wrap = (iu == iv) & (ju == 0) & (jv == Ly - 1) & ~self.right
        self.down_wrap = (ju == jv) & (iu == 0) & (iv == Lx - 1) & ~self.down
        self.wrap = self.right_wrap | self.down_wrap

    def site(self, k: int) -> str:
        return f"{k} {divmod(int(k), self.Ly)}"

    def refuse_bad(self, periodic: bool) -> None:
        """ValueError naming the first entry that is not an upper-triangular neighbour pair."""
        if np.any(self.u >= self.v):
            k = int(np.flatnonzero(self.u >= self.v)[0])
            raise ValueError(
                f"coupling matrix must be strictly upper-triangular (each pair once, at "
                f"(min, max)); got {float(self.values[k])!r} at ({self.u[k]}, {self.v[k]})"
            )
        ok = self.right | self.down | (self.wrap if periodic else False)
        if not np.all(ok):
            k = int(np.flatnonzero(~ok)[0])
            kind = "periodic" if periodic else "open"
            raise ValueError(
                f"sites {self.site(self.u[k])} and {self.site(self.v[k])} are not neighbours "
                f"on the {self.Lx}x{self.Ly} {kind} lattice (coupling {float(self.values[k])!r})"
            )


def _bond_arrays(matrix, Lx: int, Ly: int, periodic: bool) -> tuple[np.ndarray, np.ndarray]:
    """(j_right, j_down) of a sparse coupling matrix (module docstring), after validation."""
    pairs = _Pairs(matrix, Lx, Ly)
    pairs.refuse_bad(periodic)
    j_right, j_down = np.zeros((Lx, Ly)), np.zeros((Lx, Ly))
    iu, ju = divmod(pairs.u, Ly)
    j_right[iu[pairs.right], ju[pairs.right]] = pairs.values[pairs.right]
    j_right[iu[pairs.right_wrap], Ly - 1] = pairs.values[pairs.right_wrap]
    j_down[iu[pairs.down], ju[pairs.down]] = pairs.values[pairs.down]
    j_down[Lx - 1, ju[pairs.down_wrap]] = pairs.values[pairs.down_wrap]
    return j_right, j_down


def _gaussians(words: np.ndarray) -> np.ndarray:
    """Box–Muller on raw 64-bit words (pairs), rounded to GAUSS_RESOLUTION (module docstring)."""
    scale = 2.0**-53
    u1 = ((words[0::2] >> np.uint64(11)).astype(np.float64) + 1.0) * scale
    u2 = (words[1::2] >> np.uint64(11)).astype(np.float64) * scale
    gauss = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return np.rint(gauss / GAUSS_RESOLUTION) * GAUSS_RESOLUTION


def ea_instance(Lx: int, Ly: int, seed: int, gauss: bool = False, periodic: bool = True):
    """The 2D Edwards–Anderson instance of ``seed``: ±J (default) or Gaussian couplings, drawn
    by the documented generator of the module docstring (same seed → same instance everywhere)."""
    for name, side in (("Lx", Lx), ("Ly", Ly)):
        if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {side!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    n_bonds = 2 * Lx * Ly
    words = np.random.PCG64(int(seed)).random_raw(2 * n_bonds if gauss else n_bonds)
    words = np.asarray(words, dtype=np.uint64)
    if gauss:
        values = _gaussians(words)
    else:
        values = 1.0 - 2.0 * (words >> np.uint64(63)).astype(np.float64)
    j_right, j_down = values.reshape(2, Lx, Ly).copy()
    if not periodic:
        j_right[:, -1] = 0.0
        j_down[-1, :] = 0.0
    return Couplings(j_right, j_down, periodic=periodic)


def ea_energy(couplings: Couplings, spins) -> np.ndarray:
    """H = −Σ_bonds J s_i s_j of each of B configurations ``spins`` (B, Lx, Ly) or (B, N), ±1;
    a pure-numpy reference for tests (the model's own energy lives with the model)."""
    s = np.asarray(spins, dtype=np.float64).reshape(-1, *couplings.shape)
    right = np.roll(s, -1, axis=2)
    down = np.roll(s, -1, axis=1)
    return -(
        np.einsum("bij,ij->b", s * right, couplings.j_right)
        + np.einsum("bij,ij->b", s * down, couplings.j_down)
    )
