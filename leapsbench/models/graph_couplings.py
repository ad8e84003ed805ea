"""Instance generators of the 3D Edwards–Anderson model and of spin glasses on random regular
graphs: the same seed gives the same instance on every platform.

Every draw comes from one stream of raw 64-bit words, ``numpy.random.PCG64(seed).random_raw``
(PCG64 seeded through ``SeedSequence(seed)``; the raw stream is stable across numpy versions and
platforms), read in order, with integer arithmetic only where the graph is drawn.  Couplings
from words as in :mod:`.couplings` (the 2D generator):

- ±J: J = +1 if the top bit of the word is 0, else −1 (one word per bond);
- Gaussian: Box–Muller on two words per bond, rounded to a multiple of 2⁻²⁴ (``_gaussians``).

Cube (:func:`cubic_instance`): the 3L³ bonds of :func:`.graph.cubic_edges` (all +a bonds in site
order, then +b, then +c) take the first 3L³ (±J) or 6L³ (Gaussian) words; open boundaries draw
the wrap bonds too and drop them.

Random d-regular graph on N sites (:func:`rrg_instance`), the configuration model with
rejection: the stub list (0,…,0, 1,…,1, …, N−1,…,N−1), each site d times (N·d even), is shuffled by
Fisher–Yates — for k = N·d − 1 down to 1, the next word w picks j = ⌊w·(k+1) / 2⁶⁴⌋ and stubs k
and j swap — and consecutive stubs (2t, 2t+1) are paired into bonds.  A draw with a self-loop or
a repeated pair is discarded and the shuffle repeats on the following words (on the list as it
was left), until a simple graph comes out.  Its bonds, each written (min, max), are sorted
lexicographically and take their couplings from the words that follow, in that order.
"""

from __future__ import annotations

import numpy as np

from .couplings import _gaussians
from .graph import Graph, cubic_edges, cubic_wrap_bonds

MAX_GRAPH_TRIES = 10_000
"""Shuffles tried before a random regular graph draw gives up (a simple 3-regular graph comes
out about once in e^{(d²−1)/4} ≈ 7.4 tries)."""


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


class WordStream:
    """The raw words of ``PCG64(seed)``, handed out in order."""

    def __init__(self, seed: int):
        self._bits = np.random.PCG64(_check_int("seed", seed, 0))

    def take(self, n: int) -> np.ndarray:
        return np.asarray(self._bits.random_raw(n), dtype=np.uint64)


def bond_values(words: WordStream, n_bonds: int, gauss: bool) -> np.ndarray:
    """(n_bonds,) couplings from the next words: ±J or Gaussian (module docstring)."""
    if gauss:
        return _gaussians(words.take(2 * n_bonds))
    return 1.0 - 2.0 * (words.take(n_bonds) >> np.uint64(63)).astype(np.float64)


def cubic_instance(L: int, seed: int, gauss: bool = False, periodic: bool = True) -> Graph:
    """The 3D EA instance of ``seed`` on the L³ cube, states of shape (L, L²) (:mod:`.graph`)."""
    L = _check_int("L", L, 2)
    edges = cubic_edges(L)
    weights = bond_values(WordStream(seed), edges.shape[0], gauss)
    if not periodic:
        keep = ~cubic_wrap_bonds(L)
        edges, weights = edges[keep], weights[keep]
    spec = {"graph": "cubic", "L": L, "periodic": bool(periodic), "instance": int(seed)}
    return Graph((L, L * L), edges, weights, {**spec, "gauss": bool(gauss)}, periodic)


def _shuffle(stubs: list, words: np.ndarray) -> None:
    """Fisher–Yates on ``stubs`` in place with j = ⌊w·(k+1) / 2⁶⁴⌋ (module docstring)."""
    for k, w in zip(range(len(stubs) - 1, 0, -1), words.tolist(), strict=True):
        j = (w * (k + 1)) >> 64
        stubs[k], stubs[j] = stubs[j], stubs[k]


def _simple_pairs(stubs: list) -> np.ndarray | None:
    """The sorted (min, max) pairs of consecutive stubs, or None on a self-loop or a repeat."""
    pairs = sorted((min(u, v), max(u, v)) for u, v in zip(stubs[0::2], stubs[1::2], strict=True))
    if any(u == v for u, v in pairs) or len(set(pairs)) < len(pairs):
        return None
    return np.array(pairs, dtype=np.int64)


def random_regular_edges(words: WordStream, n_sites: int, degree: int) -> np.ndarray:
    """The bonds of a simple random ``degree``-regular graph (module docstring), (N·d/2, 2)."""
    if (n_sites * degree) % 2 or degree >= n_sites:
        raise ValueError(
            f"a simple {degree}-regular graph on {n_sites} sites needs N·d even and d < N"
        )
    stubs = [site for site in range(n_sites) for _ in range(degree)]
    for _ in range(MAX_GRAPH_TRIES):
        _shuffle(stubs, words.take(len(stubs) - 1))
        pairs = _simple_pairs(stubs)
        if pairs is not None:
            return pairs
    raise RuntimeError(f"no simple {degree}-regular graph in {MAX_GRAPH_TRIES} draws")


def rrg_instance(n_sites: int, degree: int, seed: int, gauss: bool = False) -> Graph:
    """The spin glass of ``seed`` on a random ``degree``-regular graph of ``n_sites`` sites,
    states of shape (N, 1) (:mod:`.graph`)."""
    n_sites, degree = _check_int("N", n_sites, 2), _check_int("d", degree, 1)
    words = WordStream(seed)
    edges = random_regular_edges(words, n_sites, degree)
    weights = bond_values(words, edges.shape[0], gauss)
    spec = {"graph": "rrg", "N": n_sites, "d": degree, "instance": int(seed), "gauss": bool(gauss)}
    return Graph((n_sites, 1), edges, weights, spec, periodic=False)


def graph_from_spec(spec: dict) -> Graph:
    """The instance a :meth:`Graph.config` spec names (``graph`` "cubic" or "rrg")."""
    kind = spec.get("graph")
    if kind == "cubic":
        return cubic_instance(spec["L"], spec["instance"], spec["gauss"], spec["periodic"])
    if kind == "rrg":
        return rrg_instance(spec["N"], spec["d"], spec["instance"], spec["gauss"])
    raise ValueError(f"unknown graph {kind!r}; known: cubic, rrg")
