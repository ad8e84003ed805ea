"""The graph tricks of baselines.cluster (exact checks; the sampling itself is tested against
exact enumeration in tests/test_mcmc.py): Wolff's breadth-first search over the bonds stored both
ways, from one extra node joined to every chain's seed, visits exactly the sites that
``connected_components`` puts in the seeds' clusters — on tori, odd tori and open lattices."""

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines import cluster
from scipy.sparse.csgraph import breadth_first_order, connected_components

from leapsbench.models import ising, potts

MODELS = [
    ising(8, beta=0.44),
    ising(3, 5, beta=0.6),
    ising(2, 2, beta=1.0),
    potts(4, 2, 6, beta=1.0),
    ising(6, beta=0.5, periodic=False),
    ising(2, 6, beta=1.0, periodic=False),
    potts(3, 4, 6, beta=1.2, periodic=False),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.kind}-{m.lattice}")
def test_seeded_search_finds_the_seeds_clusters(model):
    numpy, batch, n = get_backend("numpy"), 5, model.n_sites
    for seed in range(10):
        rng = np.random.default_rng(seed)
        x = model.uniform_states(numpy, numpy.rng(seed), batch)
        bonds = cluster._open_bonds(model, x, model.beta, rng)
        _, labels = connected_components(cluster._bond_graph(model, bonds), directed=False)
        seeds = rng.integers(0, n, batch) + n * np.arange(batch)
        graph = cluster._bond_graph(model, cluster._both_ways(model, bonds), tail=seeds)
        found = breadth_first_order(graph, batch * n, directed=True, return_predecessors=False)
        want = np.flatnonzero(np.isin(labels, labels[seeds]))
        np.testing.assert_array_equal(np.sort(found[1:]), want)
        assert found[0] == batch * n


def test_both_ways_holds_each_bond_at_both_ends():
    """Every open + bond i → j appears as the − bond of j, and nothing else does."""
    model = ising(4, 6, beta=0.4)
    x = model.uniform_states(get_backend("numpy"), get_backend("numpy").rng(0), 3)
    bonds = cluster._open_bonds(model, x, model.beta, np.random.default_rng(0))
    both = cluster._both_ways(model, bonds).reshape(3, 4, 6, 4)
    forward = bonds.reshape(3, 4, 6, 2)
    np.testing.assert_array_equal(both[..., :2], forward)
    np.testing.assert_array_equal(both[..., 2], np.roll(forward[..., 0], 1, axis=1))
    np.testing.assert_array_equal(both[..., 3], np.roll(forward[..., 1], 1, axis=2))
    assert forward.any() and not forward.all()
