"""Spin glasses on graphs (the 3D cube, random regular graphs): the generators, the model
contract against per-bond brute force, the colouring, configs and benchmark names."""

from __future__ import annotations

import numpy as np
import pytest

from leapsbench.exact import exact_reference
from leapsbench.harness.benchmarks import get_benchmark
from leapsbench.harness.graph_benchmarks import graph_canonical_name
from leapsbench.method import NotApplicable
from leapsbench.models import Graph, ea3d, model_from_config, rrg
from leapsbench.models.graph_couplings import cubic_instance, rrg_instance


def _states(shape, batch=5, seed=0):
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), (batch, *shape))


def _bond_energy(graph: Graph, spins) -> np.ndarray:
    """H = −Σ_e J_e s_u s_v, one bond at a time (independent of the neighbour table)."""
    s = np.asarray(spins, dtype=np.float64).reshape(-1, graph.n_sites)
    u, v = graph.edges[:, 0], graph.edges[:, 1]
    return -(s[:, u] * s[:, v]) @ graph.weights


@pytest.mark.parametrize(
    ("graph", "content_hash", "first_weights"),
    [
        (lambda: cubic_instance(8, 0), "75274bc08777", [-1.0, 1.0, 1.0, 1.0]),
        (lambda: cubic_instance(8, 0, gauss=True), "81e38b97bff3", [-0.11777675151824951]),
        (lambda: rrg_instance(256, 3, 0), "982c3353b721", [-1.0, 1.0, 1.0, 1.0]),
        (lambda: rrg_instance(256, 3, 0, gauss=True), "d56952476631", [0.4213435649871826]),
    ],
)
def test_generators_are_pinned(graph, content_hash, first_weights):
    """The documented generators give these instances on every platform (raw PCG64 words,
    integer shuffles, Gaussians rounded to 2⁻²⁴)."""
    made = graph()
    assert made.content_hash() == content_hash
    assert made.weights[: len(first_weights)].tolist() == first_weights


def test_random_regular_graph_is_simple_and_regular():
    for seed in range(5):
        graph = rrg_instance(16, 3, seed)
        degree = np.bincount(graph.edges.ravel(), minlength=16)
        pairs = {tuple(e) for e in graph.edges.tolist()}
        assert (
            np.all(degree == 3)
            and len(pairs) == 24
            and np.all(graph.edges[:, 0] < graph.edges[:, 1])
        )
    assert rrg_instance(16, 3, 1) != rrg_instance(16, 3, 2)
    assert rrg_instance(16, 3, 1) == rrg_instance(16, 3, 1)


def test_cube_bonds():
    periodic, cut = cubic_instance(4, 0), cubic_instance(4, 0, periodic=False)
    assert periodic.edges.shape == (3 * 64, 2) and cut.edges.shape == (3 * 16 * 3, 2)
    assert np.all(np.bincount(periodic.edges.ravel(), minlength=64) == 6)
    a, b = np.divmod(periodic.edges, 16)  # row a and column b·L + c of each end
    step = (a[:, 1] - a[:, 0]) % 4 + (b[:, 1] // 4 - b[:, 0] // 4) % 4 + (b[:, 1] - b[:, 0]) % 4
    assert np.all(np.isin(step, (1, 5)))  # +1 along exactly one of a, b, c (mod 4)


@pytest.mark.parametrize("make", [lambda: ea3d(3, 0.7, 2, gauss=True), lambda: rrg(10, 3, 0.7, 1)])
def test_model_contract_against_brute_force(make, backend):
    model = make()
    x_host = _states(model.shape)
    x = backend.asarray(x_host, dtype=backend.state_dtype)
    energy = backend.to_numpy(model.energy(x))
    assert np.allclose(energy, _bond_energy(model.graph, x_host))
    flips = backend.to_numpy(model.flip_delta_energy(x))
    delta = backend.to_numpy(model.delta_energy(x))
    assert flips.shape == x_host.shape and delta.shape == (*x_host.shape, 2)
    for i, j in np.ndindex(model.shape):
        y = x_host.copy()
        y[:, i, j] *= -1
        change = _bond_energy(model.graph, y) - energy
        assert np.allclose(flips[:, i, j], change)
        current = ((1 - x_host[:, i, j]) // 2).astype(np.int64)[:, None]
        assert np.allclose(np.take_along_axis(delta[:, i, j], 1 - current, 1)[:, 0], change)
        assert np.all(np.take_along_axis(delta[:, i, j], current, 1) == 0)
    magnetization = np.abs(x_host.reshape(len(x_host), -1).mean(axis=1))
    assert np.allclose(backend.to_numpy(model.magnetization(x)), magnetization)


@pytest.mark.parametrize("make", [lambda: ea3d(4, 1.0), lambda: ea3d(3, 1.0), lambda: rrg(64, 3)])
def test_site_classes_are_a_proper_colouring(make):
    model = make()
    classes = model.site_classes()
    colour = sum(k * mask.astype(int) for k, mask in enumerate(classes)).ravel()
    assert np.all(sum(mask.astype(int) for mask in classes) == 1)
    assert np.all(colour[model.graph.edges[:, 0]] != colour[model.graph.edges[:, 1]])
    if model.shape == (4, 16):  # even periodic cube: the checkerboard (a + b + c) mod 2
        a, b, c = np.unravel_index(np.arange(64), (4, 4, 4))
        assert len(classes) == 2 and np.array_equal(colour, (a + b + c) % 2)


def test_config_round_trip_and_hash_check():
    for model in (ea3d(3, 0.5, 4, gauss=True, periodic=False), rrg(20, 4, 1.5, 3)):
        again = model_from_config(model.config())
        assert again == model and hash(again) == hash(model)
        assert again.with_beta(0.25).graph is again.graph
    config = rrg(20, 4, 1.5, 3).config()
    with pytest.raises(ValueError, match="differs from the recorded"):
        model_from_config({**config, "couplings_hash": "0" * 12})


def test_benchmark_names():
    assert get_benchmark("ea3d-L08-b0.80-i0").name == "ea3d-L8-b0.8-i0"
    spec = get_benchmark("ea3d-gauss-L3-b2-i5-open")
    assert spec.name == "ea3d-gauss-L3-b2.0-i5-open" and spec.model.shape == (3, 9)
    spec = get_benchmark("rrg-N256-d3-b1-i0")
    assert spec.name == "rrg-N256-d3-b1.0-i0" and spec.model.shape == (256, 1)
    assert graph_canonical_name(spec.model) == spec.name
    assert spec.model.graph.content_hash() == "982c3353b721"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ea3d-L8-b0.8", "expected ea3d"),
        ("rrg-N255-d3-b1.0-i0", "N·d even"),
        ("rrg-N4-d4-b1.0-i0", "d < N"),
        ("ea3d-L1-b1.0-i0", "L must be an integer >= 2"),
        ("ea3d-L200-b1.0-i0", "at most"),
        ("ea3d-L4-b-1.0-i0", "beta must be >= 0"),
    ],
)
def test_bad_names_are_refused(name, message):
    with pytest.raises(ValueError, match=message):
        get_benchmark(name)


def test_references_and_cluster_updates():
    from leapsbench.baselines.cluster import check_model

    small, large = ea3d(2, 1.0, 0), rrg(256, 3, 1.0)
    assert exact_reference(small).method == "enumeration"
    assert 0 < exact_reference(small).overlap_q2 < 1
    assert exact_reference(large) is None  # no Pfaffian on a graph
    for rule in ("swendsen-wang", "wolff"):
        with pytest.raises(NotApplicable, match="frustrated"):
            check_model(large, rule)


def test_tables_show_the_energy_error():
    from leapsbench.harness.tables import shown_columns

    for bench in ("ea3d-L8-b0.8-i0", "rrg-N256-d3-b1.0-i0", "ea-L16-b1.0-i0"):
        keys = [column[1] for column in shown_columns(bench)]
        assert "delta_energy" in keys and "delta_mag" not in keys
    assert "delta_mag" in [column[1] for column in shown_columns("ising-L4-b0.4")]
