"""pytest-benchmark throughput of the hot paths, two lattice sizes each, on every installed
backend (tests/conftest.py's ``backend`` fixture).  Run with ``--benchmark-only`` (tox -e bench,
.ci/perf); throughput goes to ``extra_info``:

- ``site_updates_per_second`` = chains × sites / seconds per call (ΔE, sweeps, AIS steps);
- ``samples_per_second`` = samples drawn / seconds per call (generative samplers);
- ``flips_per_ns`` = chains × sites / nanoseconds per sweep (checkerboard Metropolis at L = 64
  and 256, the issue's throughput figure).

Kernels not yet in the tree are skipped (importorskip).
"""

from __future__ import annotations

import numpy as np
import pytest

from leapsbench.models import ising, potts

CHAINS = 64
SIZES = [16, 64]


def _model(kind, size):
    return ising(size, beta=0.44) if kind == "ising" else potts(3, size, beta=1.0)


def _states(model, backend, seed=0):
    values = np.random.default_rng(seed).integers(0, model.q, (CHAINS, *model.shape))
    return backend.from_numpy(model.from_values(values.astype(np.int8)), dtype=backend.xp.int8)


def _synced(backend, fn):
    def run():
        out = fn()
        backend.synchronize()
        return out

    return run


def _throughput(benchmark, key, units):
    """extra_info[key] = units / median seconds per call."""
    benchmark.extra_info["units_per_call"] = units
    benchmark.extra_info[key] = units / benchmark.stats.stats.median


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["ising", "potts3"])
def test_delta_energy(benchmark, backend, kind, size):
    model = _model(kind, size)
    x = _states(model, backend)
    benchmark(_synced(backend, lambda: model.delta_energy(x)))
    _throughput(benchmark, "site_updates_per_second", CHAINS * model.n_sites)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
@pytest.mark.parametrize("kind", ["ising", "potts3"])
def test_checkerboard_sweep(benchmark, backend, kind, rule, size):
    local = pytest.importorskip("leapsbench.baselines.local")
    model = _model(kind, size)
    x, rng = _states(model, backend), backend.rng(0)
    benchmark(_synced(backend, lambda: local.sweep(model, x, model.beta, rng, rule=rule)))
    _throughput(benchmark, "site_updates_per_second", CHAINS * model.n_sites)


@pytest.mark.parametrize("size", [64, 256])
def test_metropolis_flips_per_ns(benchmark, backend, size):
    """Spin updates per nanosecond of one Ising checkerboard Metropolis sweep, 64 chains."""
    local = pytest.importorskip("leapsbench.baselines.local")
    model = _model("ising", size)
    x, rng = _states(model, backend), backend.rng(0)
    benchmark(_synced(backend, lambda: local.sweep(model, x, model.beta, rng)))
    _throughput(benchmark, "flips_per_ns", CHAINS * model.n_sites / 1e9)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["ising", "potts3"])
def test_ais_step(benchmark, backend, kind, size):
    """One AIS step (weight update + one sweep) as an AIS run with K = 1, including its set-up."""
    pytest.importorskip("leapsbench.baselines.local")
    from leapsbench.baselines.annealing import ais

    model = _model(kind, size)
    benchmark(lambda: ais(model, backend, 0, n_walkers=CHAINS, n_steps=1, n_sweeps=1))
    _throughput(benchmark, "site_updates_per_second", CHAINS * model.n_sites)


@pytest.mark.parametrize("size", [4, 8])
@pytest.mark.parametrize("kind", ["ising", "potts3"])
def test_autoregressive_sampling(benchmark, backend, kind, size):
    """64 samples from a MADE (default width/depth): N conditionals in raster order."""
    network = pytest.importorskip("leapsbench.baselines.autoregressive.network")
    from leapsbench.params import params_to

    model = _model(kind, size)
    net = network.make_net("made", model)
    params, rng = params_to(backend, net.init_params(0)), backend.rng(0)
    benchmark(_synced(backend, lambda: net.sample(params, model, backend, rng, CHAINS)))
    _throughput(benchmark, "samples_per_second", CHAINS)
