"""Weighted graphs as the geometry of a spin model: N sites, a list of bonds with one coupling
each, and the (Lx, Ly) array shape the states are stored in.

States stay ``(B, Lx, Ly)`` int8 arrays for every model; a graph's site i is entry i of the
state flattened row-major (``x.reshape(B, N)``).  The shape is the graph's choice: the L × L × L
cube uses (L, L·L), site (a, b, c) at row a, column b·L + c (i = (a·L + b)·L + c), so that the
state is the cube's slices side by side (square-ish arrays for the networks that flatten them,
and rows that are planes of the cube); a random graph uses (N, 1), an honest "no geometry".

The bonds are ``edges`` (E, 2) int64 site pairs and ``weights`` (E,) float64 couplings J_e, so

    H(s) = −Σ_e J_e s_{u_e} s_{v_e},   local field f_i = Σ_{e ∋ i} J_e s_{other end of e}.

A pair may be joined by more than one bond (the 2-periodic cube: both count, like one bond of
their sum).  The neighbour table (N, D) lists, for each site, the other end of each of its bonds
and the bond's weight, padded with the site itself and weight 0 where a site has fewer than D
bonds.  ``colour_classes()`` is the greedy proper colouring in site order (each site takes the
smallest colour none of its earlier-coloured neighbours has): on the periodic cube with even L it
is the checkerboard (a + b + c) mod 2; on a d-regular graph at most d + 1 colours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from leapsbench.method import NotApplicable

from .lattice import Lattice


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Graph:
    """Bonds ``edges`` (E, 2) with couplings ``weights`` (E,) on ``shape[0]·shape[1]`` sites;
    ``spec`` names how the graph was made (its ``config()``), ``periodic`` whether it wraps
    (the cube) — random graphs have no boundary and say False."""

    shape: tuple[int, int]
    edges: np.ndarray
    weights: np.ndarray
    spec: dict = field(default_factory=dict)
    periodic: bool = False

    def __post_init__(self):
        edges = np.array(self.edges, dtype=np.int64).reshape(-1, 2)
        weights = np.array(self.weights, dtype=np.float64).reshape(-1) + 0.0  # −0.0 → 0.0
        n = int(self.shape[0]) * int(self.shape[1])
        if weights.shape[0] != edges.shape[0]:
            raise ValueError(f"{edges.shape[0]} edges but {weights.shape[0]} weights")
        if edges.size and (edges.min() < 0 or edges.max() >= n):
            raise ValueError(
                f"edge ends must be sites 0 … {n - 1}, got {edges.min()} … {edges.max()}"
            )
        if np.any(edges[:, 0] == edges[:, 1]):
            k = int(np.flatnonzero(edges[:, 0] == edges[:, 1])[0])
            raise ValueError(f"edge {k} is a self-loop at site {edges[k, 0]}")
        if not np.all(np.isfinite(weights)):
            raise ValueError("couplings must be finite")
        object.__setattr__(self, "shape", (int(self.shape[0]), int(self.shape[1])))
        object.__setattr__(self, "edges", _frozen(edges))
        object.__setattr__(self, "weights", _frozen(weights))

    @property
    def n_sites(self) -> int:
        return self.shape[0] * self.shape[1]

    def content_hash(self) -> str:
        """First 12 hex digits of sha256 over (Lx, Ly) as int64 LE, the edges (int64 LE) and
        the weights (float64 LE)."""
        header = np.array(self.shape, dtype="<i8").tobytes()
        body = self.edges.astype("<i8").tobytes() + self.weights.astype("<f8").tobytes()
        return hashlib.sha256(header + body).hexdigest()[:12]

    def __eq__(self, other) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self.content_hash() == other.content_hash()

    def __hash__(self) -> int:
        return hash(self.content_hash())

    def neighbour_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, D) other ends and (N, D) weights of every site's bonds (module docstring);
        copies of the table computed once."""
        return tuple(np.array(a) for a in self._neighbours)

    def colour_classes(self) -> tuple[np.ndarray, ...]:
        """Boolean (Lx, Ly) masks of the greedy proper colouring in site order (module
        docstring): no bond joins two sites of one class; copies of the colouring computed once
        (the local sweeps ask for it every sweep)."""
        return tuple(np.array(mask) for mask in self._colours)

    @cached_property
    def _neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_sites
        ends = np.concatenate([self.edges, self.edges[:, ::-1]])
        weights = np.concatenate([self.weights, self.weights])
        order = np.lexsort((np.arange(ends.shape[0]), ends[:, 0]))
        ends, weights = ends[order], weights[order]
        degree = np.bincount(ends[:, 0], minlength=n)
        slot = np.arange(ends.shape[0]) - np.repeat(np.cumsum(degree) - degree, degree)
        width = max(int(degree.max(initial=0)), 1)
        table = np.repeat(np.arange(n)[:, None], width, axis=1)
        table_weights = np.zeros((n, width))
        table[ends[:, 0], slot] = ends[:, 1]
        table_weights[ends[:, 0], slot] = weights
        return _frozen(table), _frozen(table_weights)

    @cached_property
    def _colours(self) -> tuple[np.ndarray, ...]:
        table, _ = self._neighbours
        colour = np.full(self.n_sites, -1)
        for i in range(self.n_sites):
            taken = {int(c) for c in colour[table[i]] if c >= 0}
            colour[i] = min(set(range(len(taken) + 1)) - taken)
        colour = colour.reshape(self.shape)
        return tuple(_frozen(colour == c) for c in range(int(colour.max()) + 1))

    def config(self) -> dict:
        return dict(self.spec)


def on_square_lattice(model) -> bool:
    """Whether ``model``'s state array is its geometry: a square lattice (``Lattice``), whose
    array neighbours are its bonds — not a :class:`Graph`, whose sites are stored row-major."""
    return isinstance(getattr(model, "lattice", None), Lattice)


def not_on_graphs(what: str, model) -> None:
    """NotApplicable unless ``model`` is on a square lattice (:func:`on_square_lattice`)."""
    if not on_square_lattice(model):
        raise NotApplicable(
            f"{what} works on the square lattice's neighbours; this model is on a graph "
            f"({model.lattice.config()}), whose sites fill the (Lx, Ly) array row-major with no "
            "lattice geometry"
        )


def cubic_edges(L: int, periodic: bool = True) -> np.ndarray:
    """(3L³, 2) bonds of the L × L × L cube, axis-major: every site's bond to its +a neighbour
    (sites in order i = (a·L + b)·L + c), then every +b bond, then every +c bond; the wrap bonds
    are in the list for open boundaries too (their couplings are then set to 0 and dropped)."""
    a, b, c = np.meshgrid(np.arange(L), np.arange(L), np.arange(L), indexing="ij")
    site = (a * L + b) * L + c
    steps = (
        ((a + 1) % L * L + b) * L + c,
        (a * L + (b + 1) % L) * L + c,
        (a * L + b) * L + (c + 1) % L,
    )
    return np.stack([np.stack([site.ravel(), s.ravel()], axis=1) for s in steps]).reshape(-1, 2)


def cubic_wrap_bonds(L: int) -> np.ndarray:
    """(3L³,) booleans: which bonds of :func:`cubic_edges` wrap around the cube."""
    last = np.zeros((L, L, L), dtype=bool)
    axes = []
    for axis in range(3):
        mask = last.copy()
        index = [slice(None)] * 3
        index[axis] = L - 1
        mask[tuple(index)] = True
        axes.append(mask.ravel())
    return np.concatenate(axes)
