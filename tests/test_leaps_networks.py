"""Locally equivariant networks: exact local equivariance on every backend, parity, autograd."""

from __future__ import annotations

import json

import numpy as np
import pytest
from leapsbench.backends import BackendUnavailable, get_backend

from leapsbench.leaps import conv, layers
from leapsbench.leaps.networks import (
    ARCHITECTURES,
    default_hyper,
    make_network,
    network_from_config,
)
from leapsbench.models import ising, potts
from leapsbench.params import param_count, params_to, params_to_numpy

# small but deep (depth > 1 everywhere) so that every site and value can be checked at once
SMALL_HYPER = {
    "mlp": {"width": 16, "depth": 3, "time_width": 8, "out_scale": 1.0},
    "attention": {"width": 16, "heads": 2, "depth": 3, "time_width": 8, "out_scale": 1.0},
    "conv": {"kernel_sizes": [3, 9, 5], "channels": 6, "time_width": 8, "out_scale": 1.0},
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


def equivariance_error(net, params, backend, model, values):
    """max |G(τx)[i, x_i] + G(x)[i, a]| over samples b, sites i, values a; and max |G(x)|."""
    batch, q, n = values.shape[0], model.q, model.n_sites
    times = np.linspace(0.0, 1.0, batch)
    g = backend.to_numpy(
        net.apply(params, states_on(backend, model, values), backend.asarray(times))
    )
    assert g.shape == (batch, *model.shape, q)
    assert np.all(np.take_along_axis(g, values[..., None], axis=-1) == 0.0)  # G[x_i] = 0
    changed = all_single_site_changes(values, q).reshape(batch * n * q, *model.shape)
    t_rep = backend.asarray(np.repeat(times, n * q))
    g_changed = backend.to_numpy(net.apply(params, states_on(backend, model, changed), t_rep))
    g_changed = g_changed.reshape(batch, n, q, n, q)  # (b, site changed, a, site, value)
    sites = np.arange(n)
    back = g_changed[:, sites, :, sites, :]  # G(τ_{i,a} x)[i, ·]: (i, b, a, value)
    back = np.take_along_axis(back, values.reshape(batch, n).T[:, :, None, None], axis=-1)
    forward = g.reshape(batch, n, q).transpose(1, 0, 2)  # G(x)[i, a]: (i, b, a)
    return np.abs(back[..., 0] + forward).max(), np.abs(g).max()


def test_local_equivariance_exact(backend, architecture, model):
    """G(τx)[i, x_i] = −G(x)[i, a] for every sample, site and value a; G(x)[i, x_i] = 0."""
    net = make_network(architecture, model, **SMALL_HYPER[architecture])
    params = params_to(backend, net.init_params(seed=3))
    values = random_values(model, 3, seed=4)
    err, scale = equivariance_error(net, params, backend, model, values)
    assert scale > 1e-3  # the check is not vacuous
    assert err <= 1e-12 * scale


CONV_OPTIONS = {
    "no-feature-norm": {"feature_norm": False},
    "zero-padded-first-layer": {"first_padding": "zeros", "kernel_sizes": [5, 9, 5]},
    "authors": {"feature_norm": False, "first_padding": "zeros", "embed_max_norm": 0.3},
}


@pytest.mark.parametrize("option", sorted(CONV_OPTIONS))
def test_conv_options_keep_local_equivariance(backend, model, option):
    """The options that reproduce the authors' networks (leaps/authors.py) stay exactly locally
    equivariant (max_norm 0.3 is below the init's row norms, so it renormalises)."""
    hyper = {**SMALL_HYPER["conv"], **CONV_OPTIONS[option]}
    net = make_network("conv", model, **hyper)
    params = params_to(backend, net.init_params(seed=3))
    err, scale = equivariance_error(net, params, backend, model, random_values(model, 3, seed=4))
    assert scale > 1e-3
    assert err <= 1e-12 * scale


def test_conv_options_are_validated_and_default_to_absent():
    assert not set(conv.OPTIONAL) & set(default_hyper("conv"))  # existing configs unchanged
    net = make_network("conv", MODELS["ising"], first_padding="circular", feature_norm=True)
    assert net.hyper == default_hyper("conv")
    bad = {"feature_norm": "no", "first_padding": "reflect", "embed_max_norm": -1.0}
    for key, value in bad.items():
        with pytest.raises(ValueError, match=key):
            make_network("conv", MODELS["potts3"], **{key: value})


def test_equivariance_check_detects_an_unmasked_centre(monkeypatch, numpy_backend):
    """Negative control: letting the kernel centre see x_i breaks the property visibly."""
    model = MODELS["potts3"]

    def with_centre(k, shape):
        return ((0, 0), *layers.kernel_offsets(k, shape))

    monkeypatch.setattr(conv, "kernel_offsets", with_centre)
    net = make_network("conv", model, **SMALL_HYPER["conv"])
    err, scale = equivariance_error(
        net, net.init_params(3), numpy_backend, model, random_values(model, 3, seed=4)
    )
    assert err > 1e-3 * scale


def test_kernel_offsets_mask_centre_and_wrap_arounds():
    assert len(layers.kernel_offsets(3, (8, 8))) == 8
    assert len(layers.kernel_offsets(15, (16, 16))) == 224
    offs = layers.kernel_offsets(9, (3, 4))  # dx = ±3 and dy = ±4 wrap onto the site itself
    assert all(dx % 3 or dy % 4 for dx, dy in offs)
    assert len(offs) == 81 - 3 * 3


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


def test_params_to_accepts_dtype_names(numpy_backend):
    params = make_network("mlp", MODELS["ising"]).init_params(0)
    assert all(v.dtype == np.float32 for v in params_to(numpy_backend, params, "float32").values())
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'int8'"):
        params_to(numpy_backend, params, "int8")


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


def test_conv_paper_preset_param_count():
    """Paper LE-conv on 16×16 Ising: 207,212 parameters (the centre entries are not stored)."""
    net = make_network("conv", ising(16, beta=0.4407), preset="paper")
    assert net.hyper["kernel_sizes"] == [3, 5, 7, 9, 15] and net.hyper["channels"] == 20
    n = [24, 48, 80, 224]  # offsets of the 5, 7, 9, 15 kernels without the centre
    per_layer = sum(20 * k * 20 + 2 * k * 20 + (64 + 64 + 64 * 64 + 64 + 64 * k + k) for k in n)
    assert param_count(net.init_params(0)) == 8 * 20 + per_layer + 20 == 207_212


def test_network_reads_the_models_encoding_and_refuses_an_unknown_one():
    from dataclasses import dataclass

    assert make_network("mlp", ising(3)).encoding == "spins"
    assert make_network("mlp", potts(2, 3)).encoding == "values"

    @dataclass(frozen=True)
    class Odd:
        q: int = 3
        shape: tuple = (3, 3)
        encoding: str = "angles"

    with pytest.raises(
        ValueError, match="model encoding must be one of spins, values, got 'angles'"
    ):
        make_network("mlp", Odd())
    with pytest.raises(ValueError, match="encoding 'spins' must have q = 2, got q=3"):
        make_network("mlp", Odd(encoding="spins"))
