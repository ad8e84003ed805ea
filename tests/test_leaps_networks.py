"""Locally equivariant networks: exact local equivariance on every backend, parity, autograd."""

from __future__ import annotations

import json

import numpy as np
import pytest
from leapsbench.backends import BackendUnavailable, get_backend

from leapsbench.leaps.networks import (
    ARCHITECTURES,
    default_hyper,
    make_network,
    network_from_config,
    param_count,
    params_to,
    params_to_numpy,
)
from leapsbench.models import ising, potts

# small but deep (depth > 1 everywhere) so that every site and value can be checked at once
SMALL_HYPER = {
    "mlp": {"width": 16, "depth": 3, "time_width": 8, "out_scale": 1.0},
    "attention": {"width": 16, "heads": 2, "depth": 3, "time_width": 8, "out_scale": 1.0},
    "conv": {"kernel_sizes": [3, 5, 3], "channels": 6, "time_width": 8, "out_scale": 1.0},
}
MODELS = {"ising": ising(3, 4, beta=0.4), "potts3": potts(3, 4, 3, beta=0.5)}


def random_values(model, batch, seed):
    return np.random.default_rng(seed).integers(0, model.q, (batch, *model.shape))


def all_single_site_changes(values, q):
    """Every state x with s_i := a, for each sample b, site i and value a: (B, N, q, Lx, Ly)."""
    batch, lx, ly = values.shape
    n = lx * ly
    out = np.broadcast_to(values[:, None, None], (batch, n, q, lx, ly)).copy()
    flat = out.reshape(batch, n, q, n)
    flat[:, np.arange(n), :, np.arange(n)] = np.arange(q)  # site i of copy (i, a) set to a
    return out


def states_on(backend, model, values):
    return backend.from_numpy(model.from_values(values.astype(np.int8)), dtype=backend.xp.int8)


@pytest.fixture(params=sorted(ARCHITECTURES))
def architecture(request):
    return request.param


@pytest.fixture(params=sorted(MODELS))
def model(request):
    return MODELS[request.param]


def test_local_equivariance_exact(backend, architecture, model):
    """G(τx)[i, x_i] = −G(x)[i, a] for every sample, site and value a; G(x)[i, x_i] = 0."""
    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    params = params_to(backend, net.init_params(seed=3))
    batch, q, n = 3, model.q, model.n_sites
    values = random_values(model, batch, seed=4)
    t = backend.asarray([0.0, 0.37, 1.0], dtype=backend.dtype)
    g = backend.to_numpy(net.apply(params, states_on(backend, model, values), t))
    assert g.shape == (batch, *model.shape, q) and g.dtype == np.float64
    own = np.take_along_axis(g, values[..., None], axis=-1)
    assert np.all(own == 0.0)
    changed = all_single_site_changes(values, q).reshape(batch * n * q, *model.shape)
    t_rep = backend.asarray(np.repeat([0.0, 0.37, 1.0], n * q), dtype=backend.dtype)
    g_changed = backend.to_numpy(net.apply(params, states_on(backend, model, changed), t_rep))
    g_changed = g_changed.reshape(batch, n, q, n, q)  # (b, site changed, a, site, value)
    sites = np.arange(n)
    # G(τ_{i,a} x)[i, x_i] for every (b, i, a)
    back = g_changed[:, sites, :, sites, :]  # (n, b, q, value)
    back = np.take_along_axis(back, values.reshape(batch, n).T[:, :, None, None], axis=-1)[..., 0]
    forward = g.reshape(batch, n, q).transpose(1, 0, 2)  # (n, b, a)
    scale = np.abs(g).max()
    assert scale > 1e-3  # the check is not vacuous
    np.testing.assert_allclose(back, -forward, rtol=0, atol=1e-12 * scale)


def test_scores_depend_on_other_sites(architecture, model):
    """The network is not trivially local: G at one site changes when another site changes."""
    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    params = net.init_params(seed=5)
    values = random_values(model, 1, seed=6)
    other = values.copy()
    other[0, 0, 1] = (other[0, 0, 1] + 1) % model.q
    g1 = net.apply(params, model.from_values(values.astype(np.int8)), 0.5)
    g2 = net.apply(params, model.from_values(other.astype(np.int8)), 0.5)
    assert np.abs(g1[0, 1, 1] - g2[0, 1, 1]).max() > 1e-8


def test_time_dependence(architecture, model):
    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    params = net.init_params(seed=5)
    x = model.from_values(random_values(model, 2, seed=6).astype(np.int8))
    assert np.abs(net.apply(params, x, 0.0) - net.apply(params, x, 1.0)).max() > 1e-6


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_parity_across_backends(backend, architecture, model, dtype, tol):
    """The same params give the same G on every backend (relative to max |G|)."""
    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    params = net.init_params(seed=7)
    values = random_values(model, 8, seed=8)
    t = np.linspace(0.0, 1.0, 8)
    ref_backend = get_backend("numpy", dtype=dtype)
    ref = net.apply(
        params_to(ref_backend, params),
        states_on(ref_backend, model, values),
        ref_backend.asarray(t),
    )
    other = get_backend(backend.name, device=backend.device, dtype=dtype)
    got = net.apply(params_to(other, params), states_on(other, model, values), other.asarray(t))
    assert got.dtype == other.dtype
    got = other.to_numpy(got)
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * np.abs(ref).max())


def test_torch_autograd_reaches_every_parameter(architecture, model):
    try:
        backend = get_backend("torch")
    except BackendUnavailable as err:
        pytest.skip(str(err))
    import torch

    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    params = {k: v.requires_grad_() for k, v in params_to(backend, net.init_params(9)).items()}
    x = states_on(backend, model, random_values(model, 4, seed=10))
    g = net.apply(params, x, torch.rand(4, dtype=torch.float64))
    (g**2).sum().backward()
    for name, value in params.items():
        assert value.grad is not None and torch.any(value.grad != 0), name


def test_init_is_deterministic_and_float64(architecture, model):
    net = make_network(architecture, model)
    a, b, c = net.init_params(1), net.init_params(1), net.init_params(2)
    assert all(a[k].dtype == np.float64 and np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a[k], c[k]) for k in a)
    assert param_count(a) == sum(v.size for v in a.values())


def test_untrained_scores_are_modest(architecture, model):
    """Default init: |G| of order 0.01–1, so untrained jump rates are modest."""
    net = make_network(architecture, model)
    x = model.from_values(random_values(model, 16, seed=11).astype(np.int8))
    g = net.apply(net.init_params(0), x, 0.5)
    assert 1e-3 < np.abs(g).mean() < 1.0


def test_config_round_trip(architecture, model):
    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    config = json.loads(json.dumps(net.config()))
    assert network_from_config(config, model) == net
    with pytest.raises(ValueError, match="network was built for"):
        network_from_config(config, ising(5, beta=0.3))


def test_params_to_numpy_round_trip(backend, architecture):
    net = make_network(architecture, MODELS["potts3"])
    params = net.init_params(0)
    back = params_to_numpy(params_to(backend, params))
    assert all(np.array_equal(back[k], params[k]) for k in params)


def test_mlp_param_count_formula():
    model = ising(8, beta=0.4)
    n, q, w, tw, depth = 64, 2, 32, 8, 3
    net = make_network("mlp", model, width=w, depth=depth, time_width=tw)
    expected = 2 * tw + depth * (n * q * w + n * w + tw * w) + (depth - 1) * w * w + w + n
    assert param_count(net.init_params(0)) == expected


def test_bad_input_raises_clear_errors():
    model = ising(4, beta=0.4)
    with pytest.raises(ValueError, match="unknown architecture 'transformer'; allowed: "):
        make_network("transformer", model)
    with pytest.raises(ValueError, match=r"unknown mlp hyperparameter\(s\) \['widht'\]"):
        make_network("mlp", model, widht=3)
    with pytest.raises(ValueError, match="depth must be an integer >= 1, got 0"):
        make_network("mlp", model, depth=0)
    with pytest.raises(ValueError, match="unknown mlp preset 'huge'"):
        default_hyper("mlp", "huge")
    net = make_network("mlp", model)
    params = net.init_params(0)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 4, 4\)"):
        net.apply(params, np.ones((2, 4, 5), dtype=np.int8), 0.0)
    with pytest.raises(ValueError, match="t must be a float or an array of shape"):
        net.apply(params, np.ones((2, 4, 4), dtype=np.int8), np.zeros(3))
    bad = dict(params)
    bad.pop("out.w")
    with pytest.raises(ValueError, match=r"out.w: expected \(64,\), got None"):
        net.apply(bad, np.ones((2, 4, 4), dtype=np.int8), 0.0)
    with pytest.raises(ValueError, match="network was built for ising q=2 4x4, got potts q=3"):
        network_from_config(net.config(), potts(3, 4, beta=0.5))
