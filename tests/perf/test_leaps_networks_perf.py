"""Forward-pass throughput of the locally equivariant networks, and the ratio gate of the
array-API LE-conv on torch against the same network written directly in torch (the authors'
formulation: circular F.pad + F.unfold + einsum + F.silu): it must stay within 1.2×.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from leapsbench.backends import BackendUnavailable, get_backend

from leapsbench.leaps.layers import kernel_offsets
from leapsbench.leaps.networks import make_network
from leapsbench.models import ising, potts
from leapsbench.params import params_to

BATCH = 64


def _setup(backend_name, architecture, model, **hyper):
    try:
        backend = get_backend(backend_name)
    except BackendUnavailable as err:
        pytest.skip(str(err))
    net = make_network(architecture, model, **hyper)
    params = params_to(backend, net.init_params(0))
    values = np.random.default_rng(0).integers(0, model.q, (BATCH, *model.shape))
    x = backend.from_numpy(model.from_values(values.astype(np.int8)), dtype=backend.xp.int8)
    t = backend.asarray(np.full(BATCH, 0.5))
    return backend, net, params, x, t


@pytest.mark.parametrize("backend_name", ["numpy", "torch"])
@pytest.mark.parametrize("architecture", ["mlp", "attention", "conv"])
@pytest.mark.parametrize("kind", ["ising", "potts3"])
def test_forward_throughput(benchmark, backend_name, architecture, kind):
    model = ising(8, beta=0.44) if kind == "ising" else potts(3, 8, beta=1.0)
    backend, net, params, x, t = _setup(backend_name, architecture, model)

    def forward():
        out = net.apply(params, x, t)
        backend.synchronize()
        return out

    benchmark.extra_info["states_per_second_unit"] = BATCH
    benchmark(forward)


def direct_torch_le_conv(params, net, spins, t):
    """The Ising LE-conv of :mod:`leapsbench.leaps.conv` written directly in torch."""
    import torch
    import torch.nn.functional as F

    batch, shape = spins.shape[0], net.shape

    def unfold(v, k):
        r = k // 2
        keep = torch.tensor([(dx + r) * k + dy + r for dx, dy in kernel_offsets(k, shape)])
        padded = F.pad(v, (r, r, r, r), mode="circular")
        return F.unfold(padded, k).reshape(batch, v.shape[1], k * k, *shape)[:, :, keep]

    u = spins.to(params["out.w"].dtype)[:, None]
    scale = (1 + t)[:, None, None, None]
    sizes = net.hyper["kernel_sizes"]
    h = torch.einsum("bcnxy,nco->boxy", unfold(scale * u, sizes[0]), params["conv0.w"])
    for layer, k in enumerate(sizes[1:], start=1):
        p = f"layer{layer}."
        neighbours = unfold(u, k)
        z = torch.einsum("bcxy,cnd->bdnxy", F.silu(h), params[p + "A"])
        phi = F.silu(t[:, None] * params[p + "t1.w"] + params[p + "t1.b"])
        phi = F.silu(phi @ params[p + "t2.w"] + params[p + "t2.b"]) @ params[p + "t3.w"]
        phi = phi + params[p + "t3.b"]
        kernel = F.silu(z + params[p + "b1"].T[None, :, :, None, None])
        kernel = kernel + params[p + "b2"].T[None, :, :, None, None] + phi[:, None, :, None, None]
        h = (kernel * neighbours).sum(2) / math.sqrt(neighbours.shape[2])
    return torch.einsum("bcxy,c->bxy", h, params["out.w"]) * (1 + t)[:, None, None]


def _best_time(fn, repeats=3):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_array_api_conv_within_1p2x_of_direct_torch(benchmark):
    import torch

    model = ising(8, beta=0.44)
    _, net, params, x, t = _setup("torch", "conv", model, preset="paper")
    with torch.no_grad():
        g = net.apply(params, x, t)
        direct = direct_torch_le_conv(params, net, x, t)
        own = torch.where(x == 1, g[..., 1], g[..., 0])  # the non-trivial entry s_i g_i
        torch.testing.assert_close(own, x * direct, rtol=0, atol=1e-12)
        ratio = _best_time(lambda: net.apply(params, x, t)) / _best_time(
            lambda: direct_torch_le_conv(params, net, x, t)
        )
        benchmark.extra_info["ratio_vs_direct_torch"] = ratio
        benchmark.pedantic(lambda: net.apply(params, x, t), rounds=1, iterations=1)
    assert ratio <= 1.2
