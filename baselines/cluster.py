"""Cluster MCMC (numpy, CPU): Swendsen–Wang and Wolff for Ising and Potts.

Fortuin–Kasteleyn bonds: each lattice bond ⟨ij⟩ whose ends agree is opened with probability

    p = 1 − e^{−2βJ} (Ising, H = −J Σ s_i s_j),    p = 1 − e^{−βJ} (Potts, H = −J Σ δ(s_i, s_j)).

A bond is opened where 32 random bits, read as a uint32 b, satisfy b < T = ⌈2³² p⌉ (one draw
per bond, node-major; P(open) within 2⁻³² of p).  The connected components of the open bonds are
found for the whole batch at once (one graph of B·N nodes, ``scipy.sparse.csgraph``).
Swendsen–Wang labels every cluster (``connected_components``) and gives each a new value drawn
uniformly from the q values.  Wolff changes only the cluster of one uniformly random seed site
per chain (the FK cluster of a site has exactly the Wolff growth distribution): Ising spins
flip, Potts values shift by the same uniform r ∈ {1, …, q−1} (mod q).  It finds only the seeds'
clusters: the bonds are stored both ways (a symmetric CSR matrix, so no transpose is needed), one
extra node is joined to every chain's seed, and one ``breadth_first_order`` from that node visits
exactly the B seeded clusters (the chains' blocks are disconnected), cheaper than labelling
every cluster.  Both are defined for the model classes of :data:`FK_MODELS` (their
:class:`FKRepresentation`: Ising and Potts on the square lattice) with J > 0 and no field; any
other model is refused with :class:`~leapsbench.method.NotApplicable` and the reason
(:func:`check_model`).  States are numpy int8 arrays (B, Lx, Ly) in the model's convention.
Measurements: docs/perf.md.

Improved (cluster) estimators.  Given the FK clusters C, the cluster values are independent and
uniform, so any observable f has the lower-variance estimator E[f | clusters], cheap when that
conditional mean has a closed form:

* Ising ⟨m²⟩: E[σ_C σ_C'] = δ_CC', so E[(Σ_i s_i)² | clusters] = Σ_C |C|² (:func:`cluster_m2`).
* Potts: with the (q−1)-simplex order parameter M = Σ_i e_{s_i}, e_a · e_b = (q δ_ab − 1)/(q − 1),
  |M|² = Σ_ij (q δ(s_i, s_j) − 1)/(q − 1) = (q Σ_a n_a² − N²)/(q − 1) (n_a sites of value a);
  E[δ(s_i, s_j) | clusters] is 1 inside a cluster and 1/q across, so again
  E[|M|² | clusters] = Σ_C |C|² and :func:`cluster_m2` estimates ⟨|M|²⟩ / N² (for q = 2 this
  is the Ising m²).  It is not an estimator of the square of the models' Potts
  m = (q max_a n_a / N − 1)/(q − 1), whose max has no such conditional mean.
* ⟨|m|⟩ has no cheap one: E[|Σ_C |C| σ_C| | clusters] is the mean absolute value of a sum of
  independent ±|C| terms, which needs that sum's whole distribution (a convolution over the
  clusters, O(N) per distinct cluster size per configuration, against O(N) for the update
  itself); the same holds for the Potts max.  The plain estimators are used for ⟨|m|⟩.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from leapsbench.backends.rng import host_bits32
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from leapsbench.method import NotApplicable
from leapsbench.models import GraphSpinGlass, Ising, Lattice, Potts, SpinGlass

RULES = ("swendsen-wang", "wolff")


@dataclass(frozen=True)
class FKRepresentation:
    """The Fortuin–Kasteleyn clusters of a model class with one coupling J on every bond.

    ``bond_gap``: the energy of a broken bond minus a satisfied one, in units of J (Ising 2,
    Potts 1), so a bond between equal neighbours opens with p = 1 − e^{−gap·βJ};
    ``flips_spins``: Wolff flips ±1 spins (no draw) instead of shifting values by one uniform
    r ∈ {1, …, q − 1}; ``m2_is_magnetization``: :func:`cluster_m2` estimates the model's ⟨m²⟩
    (Ising; for Potts it estimates the simplex ⟨|M|²⟩ / N², module docstring)."""

    bond_gap: float
    flips_spins: bool
    m2_is_magnetization: bool


FK_MODELS: dict[type, FKRepresentation] = {
    Ising: FKRepresentation(bond_gap=2.0, flips_spins=True, m2_is_magnetization=True),
    Potts: FKRepresentation(bond_gap=1.0, flips_spins=False, m2_is_magnetization=False),
}
"""The model classes the cluster updates are defined for (exact classes; opt in by adding one)."""
FRUSTRATED = (
    "a spin glass has a coupling per bond of either sign (frustrated plaquettes), where clusters "
    "percolate at every β"
)
NO_CLUSTERS: dict[type, str] = {SpinGlass: FRUSTRATED, GraphSpinGlass: FRUSTRATED}
"""Why the cluster updates do not apply to a model class, where there is more to say."""


def check_model(model, rule: str) -> FKRepresentation:
    """The FK representation of ``model``'s class (:data:`FK_MODELS`); ValueError for an
    unknown rule; NotApplicable (a ValueError) unless ``rule`` applies to ``model`` (a
    registered class on the square lattice, ferromagnetic coupling, no field)."""
    if rule not in RULES:
        raise ValueError(f"unknown cluster rule {rule!r}; known: {', '.join(RULES)}")
    fk = FK_MODELS.get(type(model))
    if fk is None:
        name = type(model).__name__
        default = f"{name} has no registered Fortuin–Kasteleyn representation (FK_MODELS)"
        raise NotApplicable(
            f"{rule} is defined for one ferromagnetic coupling on every bond (Ising, Potts); "
            + NO_CLUSTERS.get(type(model), default)
        )
    if type(model.lattice) is not Lattice:
        raise NotApplicable(f"{rule} builds its bonds on the square lattice, got {model.lattice}")
    if not model.J > 0:
        raise NotApplicable(f"cluster updates need a ferromagnetic coupling J > 0, got J={model.J}")
    if getattr(model, "h", 0.0) != 0:
        raise NotApplicable(f"cluster updates need field h = 0, got h={model.h}")
    return fk


@functools.lru_cache(maxsize=32)
def _partners(lattice, batch: int, directions: int = 2):
    """Per chain b and site i, the global node b·N + j of its neighbour j one step along
    +axis 0, +axis 1 (then, for ``directions`` = 4, −axis 0, −axis 1), node-major
    (B·N·directions,) int32; and the (N, 2) mask of the + bonds that exist (None on a torus)."""
    n = lattice.n_sites
    idx = np.arange(n).reshape(lattice.shape)
    shifts = ((-1, 0), (-1, 1), (1, 0), (1, 1))[:directions]
    partners = np.stack([np.roll(idx, shift, axis=axis).reshape(n) for shift, axis in shifts], -1)
    nodes = np.arange(batch, dtype=np.int64)[:, None, None] * n + partners[None]
    keep = None
    if not lattice.periodic:
        keep = np.ones((*lattice.shape, 2), dtype=bool)
        keep[-1, :, 0] = keep[:, -1, 1] = False
        keep = keep.reshape(n, 2)
    return nodes.astype(np.int32).reshape(-1), keep


def _bits32(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` uniform random uint32: :func:`backends.rng.host_bits32` (the bit generator's raw
    64-bit outputs as 32-bit pairs) viewed unsigned (cheaper than float64 uniforms)."""
    return host_bits32(rng, (size,)).view(np.uint32)


def bond_threshold(model, beta: float) -> np.uint32:
    """T = ⌈2³² p⌉ (at most 2³² − 1) for p = 1 − e^{−gap·βJ} (:class:`FKRepresentation`:
    1 − e^{−2βJ} for Ising, 1 − e^{−βJ} for Potts): a uniform uint32 is below T with probability
    within 2⁻³² of p."""
    p = -np.expm1(-check_model(model, "swendsen-wang").bond_gap * beta * model.J)
    return np.uint32(min(np.ceil(np.ldexp(p, 32)), 2.0**32 - 1))


def _open_bonds(model, x: np.ndarray, beta: float, rng: np.random.Generator) -> np.ndarray:
    """(B, N, 2) bool, node-major: is the FK bond from site i to its +1 neighbour along axis 0
    (then 1) open — ends equal and b < :func:`bond_threshold`, b 32 random bits, one per
    existing bond in node-major order."""
    batch, n = x.shape[0], model.n_sites
    _, keep = _partners(model.lattice, batch)
    same = np.stack([x == np.roll(x, -1, axis=1), x == np.roll(x, -1, axis=2)], axis=-1)
    if keep is None:
        bits = _bits32(rng, batch * n * 2).reshape(batch, n, 2)
    else:
        bits = np.full((batch, n, 2), 2**32 - 1, dtype=np.uint32)  # never below T
        bits[:, keep] = _bits32(rng, batch * int(keep.sum())).reshape(batch, -1)
    return same.reshape(batch, n, 2) & (bits < bond_threshold(model, beta))


_FIRST_BYTE = np.frombuffer(bytes([0xFF, 0x00]), dtype=np.uint16)[0]
"""A uint16 mask of the first byte in memory (0x00FF little-endian): an (N, 2) bool pair as one
uint16 keeps its first bool there."""


def _both_ways(model, bonds: np.ndarray) -> np.ndarray:
    """(B, N, 4): the + bonds and, at index 2 + d, the − bond along axis d of each site (the
    + bond of its − neighbour; a torus wraps, and an open lattice's wrapped bonds are closed).
    Each site's two + bonds are handled as one uint16 (two rolls, no strided bool copies)."""
    batch, (lx, ly) = bonds.shape[0], model.shape
    pairs = bonds.view(np.uint16).reshape(batch, lx, ly)
    back = np.roll(pairs, 1, axis=1) & _FIRST_BYTE
    back |= np.roll(pairs, 1, axis=2) & ~_FIRST_BYTE
    out = np.empty((batch, lx, ly, 2), dtype=np.uint16)
    out[..., 0], out[..., 1] = pairs, back
    return out.view(bool).reshape(batch, lx * ly, 4)


_BYTE_SUM = {2: (np.uint16, 0x0101, 8), 4: (np.uint32, 0x01010101, 24)}
"""Per 2 or 4 bool bytes of a node: their sum is the top byte of the word × 0x01…01 (no carry
between bytes: the sum is at most 4), whatever the byte order."""


def _degrees(bonds: np.ndarray) -> np.ndarray:
    """Open bonds per node of (B, N, 2 or 4) bool ``bonds``, flat (B·N,)."""
    word, ones, shift = _BYTE_SUM[bonds.shape[-1]]
    return (bonds.view(word).reshape(-1) * word(ones)) >> word(shift)


@functools.lru_cache(maxsize=32)
def _self_loops(lattice, batch: int, directions: int):
    """int32 arrays for :func:`_bond_graph`: every node's own index once per direction
    (B·N·directions,), the partner minus it (:func:`_partners`), and the CSR row starts
    0, directions, 2·directions, … (B·N + 1,)."""
    nodes, _ = _partners(lattice, batch, directions)
    own = np.repeat(np.arange(batch * lattice.n_sites, dtype=np.int32), directions)
    starts = np.arange(0, own.size + 1, directions, dtype=np.int32)
    return own, nodes - own, starts


SELF_LOOPS_MAX_BONDS = 2**18
"""Up to this many (B·N·directions) bond slots :func:`_bond_graph` keeps closed bonds as loops."""


def _bond_graph(model, bonds: np.ndarray, tail=None):
    """Open FK bonds (B, N, directions) of all chains (:func:`_open_bonds`, or
    :func:`_both_ways` for a symmetric matrix: directed traversals then need no transpose) as
    one block-diagonal CSR graph of B·N nodes, built directly (node-major, no COO conversion).
    Up to :data:`SELF_LOOPS_MAX_BONDS` bond slots every node keeps ``directions`` edges, a
    closed bond's a loop to itself (own + open · (partner − own); a loop changes no component
    or search): fixed row starts and weights, nothing compressed; beyond, the searches' extra
    edges cost more than that saves and only the open bonds are stored
    (:func:`_open_bond_graph`).  ``tail`` (int array): one more node, B·N, with edges to the
    nodes in ``tail``."""
    batch, n, directions = bonds.shape
    if bonds.size > SELF_LOOPS_MAX_BONDS:
        return _open_bond_graph(model, bonds, tail)
    own, partner_minus_own, indptr = _self_loops(model.lattice, batch, directions)
    indices = bonds.reshape(-1) * partner_minus_own
    indices += own
    if tail is not None:
        indptr = np.append(indptr, indptr[-1] + tail.size).astype(np.int32)
        indices = np.concatenate([indices, tail.astype(np.int32)])
    size = batch * n + (tail is not None)
    return csr_matrix((_unit_weights(indices.size), indices, indptr), shape=(size, size))


def _open_bond_graph(model, bonds: np.ndarray, tail=None):
    """:func:`_bond_graph` with only the open bonds stored: their partners compressed, the row
    starts summed from the degrees."""
    batch, n, directions = bonds.shape
    nodes, _ = _partners(model.lattice, batch, directions)
    extra = 0 if tail is None else 1
    indptr = np.zeros(batch * n + 1 + extra, dtype=np.int32)
    np.cumsum(_degrees(bonds), out=indptr[1 : batch * n + 1])
    indices = np.compress(bonds.reshape(-1), nodes)  # much faster than nodes[mask] here
    if tail is not None:
        indptr[-1] = indptr[-2] + tail.size
        indices = np.concatenate([indices, tail.astype(np.int32)])
    size = batch * n + extra
    return csr_matrix((np.ones(indices.size), indices, indptr), shape=(size, size))


@functools.lru_cache(maxsize=8)
def _unit_weights(size: int) -> np.ndarray:
    """``size`` read-only float64 ones, the edge weights of :func:`_bond_graph`'s fixed-size
    graphs (csgraph wants float64; a fresh array of them cost as much as the indices)."""
    ones = np.ones(size)
    ones.flags.writeable = False
    return ones


def clusters(model, x: np.ndarray, beta: float, rng: np.random.Generator):
    """FK cluster labels (B, N) (unique over the batch) and the number of clusters: one
    ``connected_components`` call over the open bonds of all chains (:func:`_bond_graph`)."""
    graph = _bond_graph(model, _open_bonds(model, x, beta, rng))
    count, labels = connected_components(graph, directed=False)
    return labels.reshape(x.shape[0], model.n_sites), count


def cluster_m2(labels: np.ndarray, count: int) -> np.ndarray:
    """Improved estimator per chain from FK cluster labels (B, N) (module docstring):

    Σ_c |c|² / N² = Σ_i |c(i)| / N²,   as ⟨(Σ_i s_i)²⟩ = ⟨Σ_c |c|²⟩ (Ising m², h = 0), and
    ⟨|M|²⟩ = ⟨Σ_c |c|²⟩ for the Potts simplex order parameter M.
    """
    sizes = np.bincount(labels.ravel(), minlength=count)
    return sizes[labels].sum(axis=1) / labels.shape[1] ** 2


def _recolour(model, x, labels, count, rng):
    """Each cluster a uniform random value (int8 states shaped like x, ``model.from_values``)."""
    values = rng.integers(0, model.q, count).astype(np.int8)[labels]
    return model.from_values(values).reshape(x.shape)


def swendsen_wang(model, x: np.ndarray, beta: float, rng: np.random.Generator) -> np.ndarray:
    """One Swendsen–Wang update of every chain: each FK cluster gets a uniform random value."""
    labels, count = clusters(model, x, beta, rng)
    return _recolour(model, x, labels, count, rng)


def swendsen_wang_with_m2(model, x, beta, rng):
    """:func:`swendsen_wang` and the cluster estimator :func:`cluster_m2` of its clusters."""
    labels, count = clusters(model, x, beta, rng)
    return _recolour(model, x, labels, count, rng), cluster_m2(labels, count)


def wolff(model, x: np.ndarray, beta: float, rng: np.random.Generator) -> np.ndarray:
    """One Wolff update of every chain: change the FK cluster of a uniformly random site.

    Only the seeds' clusters are found: the FK graph of all chains gets one extra node joined
    to every chain's seed, and one ``breadth_first_order`` from it visits exactly the union
    of the B seeded clusters (the chains' blocks are disconnected), instead of labelling every
    cluster (the bonds, then the seeds, then the Potts shifts: the stream of drawing all
    clusters and flipping the seeds')."""
    batch, n = x.shape[0], model.n_sites
    bonds = _open_bonds(model, x, beta, rng)
    seeds = rng.integers(0, n, batch) + n * np.arange(batch)
    graph = _bond_graph(model, _both_ways(model, bonds), tail=seeds)
    inside = breadth_first_order(graph, batch * n, directed=True, return_predecessors=False)
    return _change_clusters(model, x, inside[1:], rng)  # the extra node first


def _change_clusters(model, x: np.ndarray, inside: np.ndarray, rng) -> np.ndarray:
    """Flip the Ising spins at the flat indices ``inside`` (s ^ −2 = −s), or shift the Potts
    values there by one uniform r_b ∈ {1, …, q − 1} per chain b (mod q), through a whole-lattice
    int8 mask: one scatter of the cluster sites, then arithmetic on contiguous int8 arrays
    (cheaper than gathering and scattering the cluster sites, with the chain of each site from
    an integer division)."""
    mask = np.zeros(x.shape, dtype=np.int8)
    if check_model(model, "wolff").flips_spins:
        mask.reshape(-1)[inside] = -2
        return x ^ mask
    mask.reshape(-1)[inside] = 1
    shifts = rng.integers(1, model.q, x.shape[0]).astype(np.int8)
    new = x + mask * shifts[:, None, None]
    new -= np.int8(model.q) * (new >= model.q)
    return new


def update(model, x: np.ndarray, beta: float, rng: np.random.Generator, rule: str):
    """Apply ``rule`` ("swendsen-wang" or "wolff") once to the batch ``x``."""
    return update_with_m2(model, x, beta, rng, rule)[0]


def update_with_m2(model, x: np.ndarray, beta: float, rng: np.random.Generator, rule: str):
    """:func:`update` and the cluster estimator of the model's m² (:func:`cluster_m2`) where it
    is one (Swendsen–Wang, :attr:`FKRepresentation.m2_is_magnetization`), else None."""
    fk = check_model(model, rule)
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    if rule == "swendsen-wang" and fk.m2_is_magnetization:
        return swendsen_wang_with_m2(model, x, float(beta), rng)
    kernel = swendsen_wang if rule == "swendsen-wang" else wolff
    return kernel(model, x, float(beta), rng), None
