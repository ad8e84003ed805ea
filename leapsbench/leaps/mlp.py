"""Locally equivariant per-site masked MLP.

Every site i carries hidden features h_i^l that depend on the values of the *other* sites only.
With e_j the one-hot of site j's value (q entries), U^l ∈ R^{N×q×H} and τ(t) the time features,

    m_i^l = Σ_{j ≠ i} e_j U_j^l = (Σ_j e_j U_j^l) − e_i U_i^l          (masked input, O(B N q H))
    h_i^1 = silu(m_i^1 + b_i^1 + τ T^1)
    h_i^l = silu(m_i^l + b_i^l + τ T^l + h_i^{l−1} W^l)               (l = 2 … depth)

Deeper layers see site i's own previous features h_i^{l−1} and the masked input again — never the
features h_j of other sites, which depend on x_i. Scores s_i = h_i^L w + c_i (one per site for
spins, one per value for value indices) go to the readout of :mod:`leapsbench.leaps.networks`.
The subtraction Σ_j − own makes the blindness hold up to float rounding, not bit for bit (an
exact prefix + suffix cumulative sum over sites is much slower; docs/perf.md).
"""

from __future__ import annotations

import math

from . import hyper as H
from .layers import silu, time_features

DEFAULTS = {"width": 64, "depth": 2, "time_width": 16, "out_scale": 0.1}
PRESETS: dict = {}


def check(hyper: dict) -> dict:
    return {
        "width": H.positive_int("width", hyper["width"]),
        "depth": H.positive_int("depth", hyper["depth"]),
        "time_width": H.positive_int("time_width", hyper["time_width"]),
        "out_scale": H.positive_float("out_scale", hyper["out_scale"]),
    }


def param_specs(net) -> dict:
    """name -> (shape, init std); std 0 means zeros."""
    n, q = net.n_sites, net.q
    w, tw, depth = net.hyper["width"], net.hyper["time_width"], net.hyper["depth"]
    specs = {"time.w": ((tw,), 1.0), "time.b": ((tw,), 1.0)}
    for layer in range(depth):
        specs[f"layer{layer}.U"] = ((n, q, w), 1.0 / math.sqrt(n))
        specs[f"layer{layer}.b"] = ((n, w), 0.0)
        specs[f"layer{layer}.T"] = ((tw, w), 1.0 / math.sqrt(tw))
        if layer > 0:
            specs[f"layer{layer}.W"] = ((w, w), 1.0 / math.sqrt(w))
    specs["out.w"] = ((w, *net.score_shape), net.hyper["out_scale"] / math.sqrt(w))
    specs["out.b"] = ((n, *net.score_shape), 0.0)
    return specs


def scores(xp, params, net, onehot, spins, tcol):
    """Per-site scores, (B, Lx, Ly) for spins or (B, Lx, Ly, q) for value indices."""
    batch, n, q = onehot.shape[0], net.n_sites, net.q
    e = xp.reshape(onehot, (batch, n, q))
    e_flat = xp.reshape(e, (batch, n * q))
    e_sites = xp.permute_dims(e, (1, 0, 2))  # (N, B, q): batched matmul over sites
    tau = time_features(xp, params, "time", tcol)
    h = None
    for layer in range(net.hyper["depth"]):
        u = params[f"layer{layer}.U"]
        total = e_flat @ xp.reshape(u, (n * q, u.shape[-1]))  # (B, H)
        own = xp.permute_dims(e_sites @ u, (1, 0, 2))  # (B, N, H)
        pre = xp.expand_dims(total, axis=1) - own + params[f"layer{layer}.b"]
        pre = pre + xp.expand_dims(tau @ params[f"layer{layer}.T"], axis=1)
        if h is not None:
            pre = pre + h @ params[f"layer{layer}.W"]
        h = silu(xp, pre)
    out = h @ params["out.w"] + params["out.b"]
    return xp.reshape(out, (batch, *net.shape, *out.shape[2:]))
