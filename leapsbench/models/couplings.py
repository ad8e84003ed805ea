"""Per-bond couplings of a square-lattice spin glass and the Edwards–Anderson instance generator.

``Couplings(j_right, j_down, periodic)``: two float64 (Lx, Ly) arrays, ``j_right[i, j]`` the bond
(i, j)–(i, (j+1) mod Ly) and ``j_down[i, j]`` the bond (i, j)–((i+1) mod Lx, j).  With open
boundaries the last column of ``j_right`` and the last row of ``j_down`` are 0 (no bond).

:func:`ea_instance` draws an instance deterministically from its seed with numpy's PCG64 (the same
stream on every platform): ``j_right`` first, then ``j_down``, each ±1 with probability 1/2
(``2 · integers(0, 2) − 1``) or standard normal (``gauss=True``); the open-boundary instance of a
seed is the periodic one with its wrap-around bonds cut.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Couplings:
    """Bond couplings J_ij of an Lx × Ly square lattice (module docstring); hashable by content."""

    j_right: np.ndarray
    j_down: np.ndarray
    periodic: bool = True
    _hash: str = field(init=False, repr=False)

    def __post_init__(self):
        right = np.array(self.j_right, dtype=np.float64)
        down = np.array(self.j_down, dtype=np.float64)
        if right.ndim != 2 or right.shape != down.shape or min(right.shape) < 2:
            raise ValueError(
                f"j_right and j_down must be (Lx, Ly) arrays with Lx, Ly >= 2 of one shape, got "
                f"{right.shape} and {down.shape}"
            )
        if not (np.isfinite(right).all() and np.isfinite(down).all()):
            raise ValueError("couplings must be finite")
        if not self.periodic and (right[:, -1].any() or down[-1, :].any()):
            raise ValueError(
                "open boundaries: the last column of j_right and the last row of j_down must be 0"
            )
        right.flags.writeable = False
        down.flags.writeable = False
        object.__setattr__(self, "j_right", right)
        object.__setattr__(self, "j_down", down)
        object.__setattr__(self, "periodic", bool(self.periodic))
        digest = hashlib.sha256(np.array(right.shape, dtype="<i8").tobytes())
        digest.update(bytes([self.periodic]))
        digest.update(right.astype("<f8").tobytes() + down.astype("<f8").tobytes())
        object.__setattr__(self, "_hash", digest.hexdigest()[:16])

    @property
    def Lx(self) -> int:
        return self.j_right.shape[0]

    @property
    def Ly(self) -> int:
        return self.j_right.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.Lx, self.Ly)

    def content_hash(self) -> str:
        """16 hex digits of SHA-256 over the shape, the boundary flag and both arrays (<f8)."""
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, Couplings) and self._hash == other._hash

    def __hash__(self) -> int:
        return hash(self._hash)

    def to_sparse(self):
        """The upper-triangular N × N coupling matrix over row-major sites (site (i, j) is
        i·Ly + j), scipy.sparse CSR (bonds between one pair, as on a side-2 torus, add up)."""
        import scipy.sparse

        Lx, Ly = self.shape
        site = np.arange(Lx * Ly).reshape(Lx, Ly)
        pairs = (
            (site, np.roll(site, -1, axis=1), self.j_right),
            (site, np.roll(site, -1, axis=0), self.j_down),
        )
        a = np.concatenate([p[0].ravel() for p in pairs])
        b = np.concatenate([p[1].ravel() for p in pairs])
        j = np.concatenate([p[2].ravel() for p in pairs])
        keep = j != 0
        rows, cols = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
        n = Lx * Ly
        return scipy.sparse.coo_matrix((j[keep], (rows, cols)), shape=(n, n)).tocsr()

    @classmethod
    def from_sparse(cls, m, Lx: int, Ly: int, periodic: bool = True) -> Couplings:
        """Couplings from an N × N sparse matrix over row-major sites (either triangle); a pair
        of sites that are not lattice neighbours is refused with the pair named."""
        coo = m.tocoo()
        if coo.shape != (Lx * Ly, Lx * Ly):
            raise ValueError(f"coupling matrix must be {Lx * Ly}x{Lx * Ly}, got {coo.shape}")
        right, down = np.zeros((Lx, Ly)), np.zeros((Lx, Ly))
        for a, b, value in zip(coo.row, coo.col, coo.data, strict=True):
            if value != 0:
                _place(right, down, int(a), int(b), float(value), periodic)
        return cls(right, down, periodic)

    def save(self, path) -> None:
        """An npz with ``j_right``, ``j_down`` and ``periodic`` (read back by :meth:`load`)."""
        np.savez(path, j_right=self.j_right, j_down=self.j_down, periodic=self.periodic)

    @classmethod
    def load(cls, path) -> Couplings:
        """Couplings saved by :meth:`save`."""
        with np.load(path) as data:
            return cls(data["j_right"], data["j_down"], bool(data["periodic"]))


def _place(right, down, a: int, b: int, value: float, periodic: bool) -> None:
    """Add the coupling of sites a, b to the bond array it belongs to, or refuse the pair."""
    Lx, Ly = right.shape
    (ia, ja), (ib, jb) = divmod(a, Ly), divmod(b, Ly)
    for (i, j), (k, l) in (((ia, ja), (ib, jb)), ((ib, jb), (ia, ja))):
        if i == k and l == (j + 1) % Ly and (periodic or j + 1 < Ly):
            right[i, j] += value
            return
        if j == l and k == (i + 1) % Lx and (periodic or i + 1 < Lx):
            down[i, j] += value
            return
    raise ValueError(
        f"coupling between sites {a} {(ia, ja)} and {b} {(ib, jb)}: not neighbours on the "
        f"{Lx}x{Ly} {'periodic' if periodic else 'open'} lattice"
    )


def ea_instance(Lx: int, Ly: int, seed: int, gauss: bool = False, periodic: bool = True):
    """The Edwards–Anderson instance of ``seed`` (module docstring: the generator)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"instance seed must be an integer >= 0, got {seed!r}")
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    if gauss:
        right, down = rng.standard_normal((Lx, Ly)), rng.standard_normal((Lx, Ly))
    else:
        right = 2.0 * rng.integers(0, 2, (Lx, Ly)) - 1.0
        down = 2.0 * rng.integers(0, 2, (Lx, Ly)) - 1.0
    if not periodic:
        right[:, -1] = 0.0
        down[-1, :] = 0.0
    return Couplings(right, down, periodic)
