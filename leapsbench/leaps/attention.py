"""Locally equivariant attention: each site queries the *other* sites' values.

Tokens u_j = e_j V + p_j (value embedding plus a learned position embedding) depend on site j's
own value only. Site i carries a state h_i that never depends on x_i:

    h_i^0 = r_i                                                   (learned, state independent)
    a_i^l = Σ_{j ≠ i} softmax_j(⟨h_i^{l−1} Q^l, u_j K^l⟩ / √d_head) u_j V^l     (per head)
    h_i^l = h_i^{l−1} + silu(a_i^l O^l + b^l + τ(t) T^l)                     (l = 1 … depth)

Queries come from h_i (blind), keys and values from the inputs u_j with j ≠ i (self masked to
−∞ before the softmax, so its weight is exactly 0): no layer ever reads features of another site
(which would depend on x_i), so h_i^l is blind to x_i at every depth, bit for bit.
Scores s_i = h_i^L w + c_i (one per site for spins, one per value for values). Cost O(B N² width).
"""

from __future__ import annotations

import math

import array_api_compat

from . import hyper as H
from .layers import silu, stop_gradient, time_features

DEFAULTS = {"width": 32, "heads": 4, "depth": 2, "time_width": 16, "out_scale": 0.1}
PRESETS: dict = {}


def check(hyper: dict) -> dict:
    out = {
        "width": H.positive_int("width", hyper["width"]),
        "heads": H.positive_int("heads", hyper["heads"]),
        "depth": H.positive_int("depth", hyper["depth"]),
        "time_width": H.positive_int("time_width", hyper["time_width"]),
        "out_scale": H.positive_float("out_scale", hyper["out_scale"]),
    }
    if out["width"] % out["heads"]:
        raise ValueError(
            f"width ({out['width']}) must be a multiple of heads ({out['heads']}) for attention"
        )
    return out


def param_specs(net) -> dict:
    """name -> (shape, init std); std 0 means zeros."""
    n, q = net.n_sites, net.q
    w, tw = net.hyper["width"], net.hyper["time_width"]
    specs = {
        "embed.value": ((q, w), 1.0),
        "embed.position": ((n, w), 1.0),
        "site": ((n, w), 1.0),
        "time.w": ((tw,), 1.0),
        "time.b": ((tw,), 1.0),
    }
    for layer in range(net.hyper["depth"]):
        for name in ("query", "key", "value", "output"):
            specs[f"layer{layer}.{name}"] = ((w, w), 1.0 / math.sqrt(w))
        specs[f"layer{layer}.b"] = ((w,), 0.0)
        specs[f"layer{layer}.T"] = ((tw, w), 1.0 / math.sqrt(tw))
    specs["out.w"] = ((w, *net.score_shape), net.hyper["out_scale"] / math.sqrt(w))
    specs["out.b"] = ((n, *net.score_shape), 0.0)
    return specs


def _heads(xp, a, heads):
    """(B, N, width) -> (B, heads, N, width / heads)."""
    batch, n, w = a.shape
    return xp.permute_dims(xp.reshape(a, (batch, n, heads, w // heads)), (0, 2, 1, 3))


def scores(xp, params, net, onehot, spins, tcol):
    """Per-site scores, (B, Lx, Ly) for spins or (B, Lx, Ly, q) for value indices."""
    batch, n, q = onehot.shape[0], net.n_sites, net.q
    w, heads = net.hyper["width"], net.hyper["heads"]
    dtype, device = onehot.dtype, array_api_compat.device(onehot)
    tokens = xp.reshape(onehot, (batch, n, q)) @ params["embed.value"] + params["embed.position"]
    tau = time_features(xp, params, "time", tcol)
    zeros = xp.zeros((n, n), dtype=dtype, device=device)
    self_mask = xp.where(xp.eye(n, dtype=xp.bool, device=device), -math.inf, zeros)  # −∞ at j = i
    ones = xp.ones((batch, heads, n, 1), dtype=dtype, device=device)
    h = xp.broadcast_to(params["site"], (batch, n, w))
    for layer in range(net.hyper["depth"]):
        p = f"layer{layer}."
        query = _heads(xp, h @ params[p + "query"], heads) / math.sqrt(w // heads)
        key = _heads(xp, tokens @ params[p + "key"], heads)
        value = _heads(xp, tokens @ params[p + "value"], heads)
        logits = query @ xp.permute_dims(key, (0, 1, 3, 2)) + self_mask
        shift = stop_gradient(xp, xp.max(logits, axis=-1, keepdims=True))  # softmax-invariant
        weights = xp.exp(logits - shift)  # the self weight is exp(−∞) = 0 exactly
        # numerator and normaliser of the softmax average in one matmul: weights @ [value, 1]
        summed = weights @ xp.concat([value, ones], axis=-1)
        attended = summed[..., :-1] / summed[..., -1:]
        attended = xp.reshape(xp.permute_dims(attended, (0, 2, 1, 3)), (batch, n, w))
        update = attended @ params[p + "output"] + params[p + "b"]
        h = h + silu(xp, update + xp.expand_dims(tau @ params[p + "T"], axis=1))
    out = h @ params["out.w"] + params["out.b"]
    return xp.reshape(out, (batch, *net.shape, *out.shape[2:]))
