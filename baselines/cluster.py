"""Cluster MCMC (numpy, CPU): Swendsen–Wang for Ising and Potts, Wolff for Ising.

Fortuin–Kasteleyn bonds: each lattice bond ⟨ij⟩ whose ends agree is opened with probability

    p = 1 − e^{−2βJ} (Ising, H = −J Σ s_i s_j),    p = 1 − e^{−βJ} (Potts, H = −J Σ δ(s_i, s_j)).

The connected components of the open bonds are found for the whole batch at once (one graph of
B·N nodes, ``scipy.sparse.csgraph.connected_components``).  Swendsen–Wang gives every cluster a
new value drawn uniformly from the q values; Wolff flips only the cluster of one uniformly random
seed site per chain (the FK cluster of a site has exactly the Wolff growth distribution): Ising
spins flip, Potts values shift by the same uniform r ∈ {1, …, q−1} (mod q).  Both need J > 0 and
no field.  States are numpy int8 arrays (B, Lx, Ly) in the model's convention.

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

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from leapsbench.method import NotApplicable

RULES = ("swendsen-wang", "wolff")


def check_model(model, rule: str) -> None:
    """ValueError for an unknown rule; NotApplicable (a ValueError) unless ``rule`` applies to
    ``model`` (ferromagnetic coupling, no field)."""
    if rule not in RULES:
        raise ValueError(f"unknown cluster rule {rule!r}; known: {', '.join(RULES)}")
    if not model.J > 0:
        raise NotApplicable(f"cluster updates need a ferromagnetic coupling J > 0, got J={model.J}")
    if model.kind == "ising" and model.h != 0:
        raise NotApplicable(f"cluster updates need field h = 0, got h={model.h}")


def _bonds(lattice) -> tuple[np.ndarray, np.ndarray]:
    """Flat site indices (i, j) of every bond to the +1 neighbour along each axis."""
    idx = np.arange(lattice.n_sites).reshape(lattice.shape)
    pairs = []
    for axis in (0, 1):
        nb = np.roll(idx, -1, axis=axis)
        keep = np.ones(lattice.shape, dtype=bool)
        if not lattice.periodic:
            keep[(slice(None),) * axis + (-1,)] = False
        pairs.append((idx[keep], nb[keep]))
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def clusters(model, x: np.ndarray, beta: float, rng: np.random.Generator):
    """FK cluster labels (B, N) (unique over the batch) and the number of clusters."""
    batch = x.shape[0]
    n = model.n_sites
    i, j = _bonds(model.lattice)
    flat = x.reshape(batch, n)
    p = 1.0 - np.exp(-(2.0 if model.kind == "ising" else 1.0) * beta * model.J)
    open_ = (flat[:, i] == flat[:, j]) & (rng.random((batch, i.size)) < p)
    offset = (np.arange(batch) * n)[:, None]
    rows = (offset + i)[open_]
    cols = (offset + j)[open_]
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(batch * n,) * 2)
    count, labels = connected_components(graph, directed=False)
    return labels.reshape(batch, n), count


def cluster_m2(labels: np.ndarray, count: int) -> np.ndarray:
    """Improved estimator per chain from FK cluster labels (B, N) (module docstring):

    Σ_c |c|² / N² = Σ_i |c(i)| / N²,   as ⟨(Σ_i s_i)²⟩ = ⟨Σ_c |c|²⟩ (Ising m², h = 0), and
    ⟨|M|²⟩ = ⟨Σ_c |c|²⟩ for the Potts simplex order parameter M.
    """
    sizes = np.bincount(labels.ravel(), minlength=count)
    return sizes[labels].sum(axis=1) / labels.shape[1] ** 2


def swendsen_wang(model, x: np.ndarray, beta: float, rng: np.random.Generator) -> np.ndarray:
    """One Swendsen–Wang update of every chain: each FK cluster gets a uniform random value."""
    return swendsen_wang_with_m2(model, x, beta, rng)[0]


def swendsen_wang_with_m2(model, x, beta, rng):
    """:func:`swendsen_wang` and the cluster estimator :func:`cluster_m2` of its clusters."""
    labels, count = clusters(model, x, beta, rng)
    values = rng.integers(0, model.q, count)[labels]
    new = values if model.kind == "potts" else 1 - 2 * values
    return new.astype(np.int8).reshape(x.shape), cluster_m2(labels, count)


def wolff(model, x: np.ndarray, beta: float, rng: np.random.Generator) -> np.ndarray:
    """One Wolff update of every chain: change the FK cluster of a uniformly random site."""
    batch = x.shape[0]
    labels, _ = clusters(model, x, beta, rng)
    seeds = rng.integers(0, model.n_sites, batch)
    chosen = labels[np.arange(batch), seeds]
    inside = labels == chosen[:, None]
    flat = x.reshape(batch, -1)
    if model.kind == "ising":
        new = -flat
    else:
        new = (flat + rng.integers(1, model.q, (batch, 1))) % model.q
    return np.where(inside, new, flat).astype(np.int8).reshape(x.shape)


def update(model, x: np.ndarray, beta: float, rng: np.random.Generator, rule: str):
    """Apply ``rule`` ("swendsen-wang" or "wolff") once to the batch ``x``."""
    check_model(model, rule)
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    kernel = swendsen_wang if rule == "swendsen-wang" else wolff
    return kernel(model, x, float(beta), rng)
