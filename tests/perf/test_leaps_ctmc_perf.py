"""Throughput of one LEAPS CTMC step: one network forward pass + the tau-leap move and the exact
weight increment (O(B·N·q)), per architecture and lattice size, on numpy and torch CPU.

``extra_info["walker_steps_per_second"]`` = B / seconds per step; ``extra_info["forward_share"]``
= median forward-pass time / median step time (measured in the same test), which shows that the
network dominates the cost of a step.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from leapsbench.backends import BackendUnavailable, get_backend

from leapsbench.leaps.ctmc import exact_increment, tau_leap_step
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising
from leapsbench.params import params_to

WALKERS = 64


def _median_seconds(fn, repeats=5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@pytest.mark.parametrize("backend_name", ["numpy", "torch"])
@pytest.mark.parametrize("size", [8, 16])
@pytest.mark.parametrize("architecture", ["mlp", "attention", "conv"])
def test_ctmc_step(benchmark, backend_name, architecture, size):
    try:
        backend = get_backend(backend_name)
    except BackendUnavailable as err:
        pytest.skip(str(err))
    model = ising(size, beta=0.44)
    network = make_network(architecture, model)
    params = params_to(backend, network.init_params(0))
    rng = backend.rng(0)
    x = model.uniform_states(backend, rng, WALKERS)
    h, floor, t = 0.01, 1e-3, 0.5
    G = network.apply(params, x, t)

    def step():
        x_next, moved, forward, onehot = tau_leap_step(model, G, x, rng, h, floor)
        G_next = network.apply(params, x_next, t + h)
        increment = exact_increment(
            model,
            (x, x_next, moved),
            (forward, onehot),
            G_next,
            (0.44 * t, 0.44 * (t + h)),
            h,
            floor,
        )
        backend.synchronize()
        return increment

    assert np.all(np.isfinite(backend.to_numpy(step())))
    benchmark(step)
    forward = _median_seconds(lambda: (network.apply(params, x, t), backend.synchronize()))
    median = benchmark.stats.stats.median
    benchmark.extra_info["walker_steps_per_second"] = WALKERS / median
    benchmark.extra_info["forward_share"] = forward / median
