"""Ising spin glass on any graph: H(s) = −Σ_e J_e s_{u_e} s_{v_e} − h Σ_i s_i.

The geometry is a :class:`~leapsbench.models.graph.Graph` (bonds and their couplings), kept
under the name every model uses for its geometry, ``lattice``; states are (B, Lx, Ly) int8 ±1
arrays of the graph's shape, site i at the i-th entry row-major.  With the neighbour table
(nb, w) of the graph (N, D),

    local field f_i = Σ_k w_{ik} s_{nb_{ik}} + h,   ΔE_i (flip) = 2 s_i f_i,
    H(s) = −½ Σ_i s_i (f_i − h) − h Σ_i s_i        (each bond is in both ends' rows).

``kind`` is "spin-glass" like the 2D model (q = 2, J = 1: the couplings carry the bonds; a
zero-field spin glass is symmetric under s → −s); ``config()`` stores the graph's generator spec
(``graph``: cubic or rrg, :mod:`.graph_couplings`) and its content hash, checked on rebuilding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import array_api_compat

from .base import LatticeModel, check_beta, check_finite, float_view
from .graph import Graph
from .graph_couplings import graph_from_spec
from .spins import SpinStates


@dataclass(frozen=True)
class GraphSpinGlass(SpinStates, LatticeModel):
    """A spin glass on the graph ``lattice`` (a :class:`Graph`) with a uniform field ``h``."""

    h: float = 0.0
    kind = "spin-glass"
    order_parameter = "q2"  # the replica overlap, as the 2D spin glass
    _arrays: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self):
        if not isinstance(self.lattice, Graph):
            raise TypeError(f"lattice must be a Graph, got {type(self.lattice).__name__}")
        object.__setattr__(self, "beta", check_beta(self.beta))
        object.__setattr__(self, "h", check_finite("h", self.h))
        if self.J != 1.0:
            raise ValueError(
                f"a spin glass has J = 1 (the couplings carry the bonds), got {self.J}"
            )

    @property
    def graph(self) -> Graph:
        return self.lattice

    def _table(self, s):
        """The neighbour table's columns as D pairs (other ends (N,) int64, weights (N,)) in
        ``s``'s namespace and device."""
        xp = array_api_compat.array_namespace(s)
        device = array_api_compat.device(s)
        key = (xp.__name__, str(device), str(s.dtype))
        if key not in self._arrays:
            table, weights = self.graph.neighbour_table()
            self._arrays[key] = tuple(
                (
                    xp.asarray(table[:, k], dtype=xp.int64, device=device),
                    xp.asarray(weights[:, k], dtype=s.dtype, device=device),
                )
                for k in range(table.shape[1])
            )
        return self._arrays[key]

    def _bond_field(self, s):
        """Σ_k w_{ik} s_{nb_{ik}} for every site, (B, N), from float spins ``s`` (B, Lx, Ly):
        one gather per column k of the neighbour table."""
        xp = array_api_compat.array_namespace(s)
        flat = xp.reshape(s, (s.shape[0], self.n_sites))
        field = xp.zeros_like(flat)
        for index, weights in self._table(s):
            field = field + weights * xp.take(flat, index, axis=1)
        return field

    def local_field(self, x, dtype=None):
        """f_i = Σ_{e ∋ i} J_e s_j + h at every site, shape (B, Lx, Ly)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        return xp.reshape(self._bond_field(s), s.shape) + self.h

    def energy(self, x, dtype=None):
        """H(s) per configuration, shape (B,)."""
        s = float_view(x, dtype)
        xp = array_api_compat.array_namespace(s)
        flat = xp.reshape(s, (s.shape[0], self.n_sites))
        bonds = -0.5 * xp.sum(flat * self._bond_field(s), axis=1)
        return bonds - self.h * xp.sum(flat, axis=1)

    def config(self) -> dict:
        """Shape, β, h, the graph's generator spec and its content hash."""
        Lx, Ly = self.shape
        return {
            "model": self.kind,
            "Lx": Lx,
            "Ly": Ly,
            "beta": self.beta,
            "J": self.J,
            "h": self.h,
            "graph": self.graph.config(),
            "couplings_hash": self.graph.content_hash(),
        }


def graph_spin_glass_from_config(config: dict) -> GraphSpinGlass:
    """The inverse of :meth:`GraphSpinGlass.config` (the graph's hash must match)."""
    graph = graph_from_spec(config["graph"])
    want = config.get("couplings_hash")
    if want is not None and want != graph.content_hash():
        raise ValueError(
            f"graph hash {graph.content_hash()} differs from the recorded {want} "
            "(another instance generator?)"
        )
    return GraphSpinGlass(graph, beta=config["beta"], h=config.get("h", 0.0))
