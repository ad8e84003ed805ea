"""MADE: a masked dense autoregressive network over the sites in raster order.

Input: the one-hot values e (B, N·q); site k's input units have degree k.  Hidden units get
degrees d ∈ {0, …, N−2} (cyclically); output site i (q logits) has degree i.  A weight from a unit
of degree d_in to a hidden unit of degree d is kept iff d ≥ d_in, from hidden degree d to output
site i iff i > d, and the direct input → output weights iff i > k.  Hence logits_i depend on
x_<i only, and q(x) = Π_i softmax(logits_i)[x_i] is normalised by construction.
"""

from __future__ import annotations

import numpy as np

DEFAULTS = {"width": 64, "depth": 1}
HYPER_MIN = {"depth": 0}
"""Hyperparameters that may be 0 (the others must be >= 1)."""


def constants(net) -> dict[str, np.ndarray]:
    """The 0/1 masks of every weight matrix (shape (out, in)), keyed like the parameters."""
    n_sites, q, width, depth = net.n_sites, net.q, net.hyper["width"], net.hyper["depth"]
    d_in = np.repeat(np.arange(n_sites), q)
    out, previous = {}, d_in
    for layer in range(depth):
        degrees = np.arange(width) % max(n_sites - 1, 1)
        out[f"W{layer}"] = (degrees[:, None] >= previous[None, :]).astype(np.float64)
        previous = degrees
    out["W_out"] = (d_in[:, None] > previous[None, :]).astype(np.float64)
    out["W_direct"] = (d_in[:, None] > d_in[None, :]).astype(np.float64)
    return out


def param_specs(net) -> dict:
    """name → (shape, init std)."""
    n_sites, q, width, depth = net.n_sites, net.q, net.hyper["width"], net.hyper["depth"]
    specs, fan_in = {}, n_sites * q
    for layer in range(depth):
        specs[f"W{layer}"] = ((width, fan_in), 1.0 / np.sqrt(fan_in))
        specs[f"b{layer}"] = ((width,), 0.0)
        fan_in = width
    specs["W_out"] = ((n_sites * q, fan_in), 0.1 / np.sqrt(fan_in))
    specs["W_direct"] = ((n_sites * q, n_sites * q), 0.1 / np.sqrt(n_sites * q))
    specs["b_out"] = ((n_sites * q,), 0.0)
    return specs


def logits(xp, params: dict, onehot, consts: dict, net, beta: float):
    """Logits (B, N, q) of every site's conditional given the one-hot input (B, N, q) (β unused)."""
    batch = onehot.shape[0]
    flat = xp.reshape(onehot, (batch, net.n_sites * net.q))
    h = flat
    for layer in range(net.hyper["depth"]):
        w = params[f"W{layer}"] * consts[f"W{layer}"]
        h = xp.tanh(h @ xp.matrix_transpose(w) + params[f"b{layer}"])
    out = h @ xp.matrix_transpose(params["W_out"] * consts["W_out"])
    direct = flat @ xp.matrix_transpose(params["W_direct"] * consts["W_direct"])
    return xp.reshape(out + direct + params["b_out"], (batch, net.n_sites, net.q))
