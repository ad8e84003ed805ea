"""LEAPS CTMC with a float32 network: rates and log weights are still formed in float64."""

from dataclasses import dataclass

import array_api_compat
import numpy as np
import pytest
from leapsbench.backends import get_backend

from leapsbench.leaps.ctmc import CTMCConfig, leaps_sample
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising, potts
from leapsbench.params import params_to

BACKENDS = ["numpy", "torch"]
MODELS = [ising(3, 3, beta=0.5, h=0.1), potts(3, 3, 3, beta=1.0)]
MODEL_IDS = ["ising-3x3", "potts3-3x3"]


def _backend(name):
    if name == "torch":
        pytest.importorskip("torch")
    return get_backend(name)


@dataclass(frozen=True)
class RoundedScores:
    """A float64 network whose scores are rounded to float32, returned as ``dtype``."""

    network: object
    dtype: str

    def apply(self, params, x, t):
        G = self.network.apply(params, x, t)
        xp = array_api_compat.array_namespace(G)
        return xp.astype(xp.astype(G, xp.float32), getattr(xp, self.dtype))


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_float32_scores_give_the_float64_weights_of_the_same_scores(name, model):
    """Scores that are exactly float32 numbers give bitwise the same log weights whether the
    network hands them over as float32 or as float64: everything after G is float64.  (Forming
    the rates in float32 instead differs by ~1e-6 here.)"""
    backend = _backend(name)
    network = make_network("conv", model)
    params = params_to(backend, network.init_params(2))
    config = CTMCConfig(n_steps=12, n_walkers=64, mcmc_sweeps=1)
    runs = {
        dtype: leaps_sample(RoundedScores(network, dtype), params, model, backend, backend.rng(3),
                            config)
        for dtype in ("float32", "float64")
    }  # fmt: skip
    assert runs["float32"].log_weights.dtype == np.float64
    np.testing.assert_array_equal(
        backend.to_numpy(runs["float32"].x), backend.to_numpy(runs["float64"].x)
    )
    np.testing.assert_allclose(
        runs["float32"].log_weights, runs["float64"].log_weights, rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_float32_network_agrees_with_float64_to_float32_precision(name, architecture, model):
    """Same params and seed in float32 and float64: the same moves, float64 log weights that
    differ only by the network's float32 rounding.  Each step's increment is a sum of N·q
    terms of size ≲ 1 + |A|, each carrying a relative error ~eps32, so over n steps
    |ΔA| ≤ n · N · q · eps32 · (1 + max|A|) (measured ≤ 1.1e-5, bound ~1e-3)."""
    backend = _backend(name)
    network = make_network(architecture, model)
    params = network.init_params(2)
    config = CTMCConfig(n_steps=20, n_walkers=200)
    run = {
        dtype: leaps_sample(network, params_to(backend, params, dtype), model, backend,
                            backend.rng(3), config)
        for dtype in ("float32", "float64")
    }  # fmt: skip
    assert run["float32"].log_weights.dtype == np.float64
    np.testing.assert_array_equal(
        backend.to_numpy(run["float32"].x), backend.to_numpy(run["float64"].x)
    )
    reference = run["float64"].log_weights
    eps32 = float(np.finfo(np.float32).eps)
    bound = config.n_steps * model.n_sites * model.q * eps32 * (1 + np.abs(reference).max())
    np.testing.assert_allclose(run["float32"].log_weights, reference, rtol=0, atol=bound)
    assert run["float32"].log_z == pytest.approx(run["float64"].log_z, abs=bound)
