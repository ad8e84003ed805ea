"""MADE: a masked dense autoregressive network over the sites in raster order.

Input: the one-hot values e (B, N·q); site k's input units have degree k.  Hidden units get
degrees d ∈ {0, …, N−2} (cyclically); output site i (q logits) has degree i.  A weight from a unit
of degree d_in to a hidden unit of degree d is kept iff d ≥ d_in, from hidden degree d to output
site i iff i > d, and the direct input → output weights iff i > k.  Hence logits_i depend on
x_<i only, and q(x) = Π_i softmax(logits_i)[x_i] is normalised by construction.
"""

from __future__ import annotations

import numpy as np


def _degrees(n_sites: int, q: int, width: int, depth: int):
    inputs = np.repeat(np.arange(n_sites), q)
    hidden = [np.arange(width) % max(n_sites - 1, 1) for _ in range(depth)]
    return inputs, hidden, inputs  # output unit (i, a) has degree i, like input unit (i, a)


def masks(n_sites: int, q: int, width: int, depth: int) -> dict[str, np.ndarray]:
    """The 0/1 masks of every weight matrix (shape (out, in)), keyed like the parameters."""
    d_in, d_hidden, d_out = _degrees(n_sites, q, width, depth)
    out, previous = {}, d_in
    for layer, degrees in enumerate(d_hidden):
        out[f"W{layer}"] = (degrees[:, None] >= previous[None, :]).astype(np.float64)
        previous = degrees
    out["W_out"] = (d_out[:, None] > previous[None, :]).astype(np.float64)
    out["W_direct"] = (d_out[:, None] > d_in[None, :]).astype(np.float64)
    return out


def param_specs(n_sites: int, q: int, width: int, depth: int) -> dict:
    """name → (shape, init std)."""
    specs, fan_in = {}, n_sites * q
    for layer in range(depth):
        specs[f"W{layer}"] = ((width, fan_in), 1.0 / np.sqrt(fan_in))
        specs[f"b{layer}"] = ((width,), 0.0)
        fan_in = width
    specs["W_out"] = ((n_sites * q, fan_in), 0.1 / np.sqrt(fan_in))
    specs["W_direct"] = ((n_sites * q, n_sites * q), 0.1 / np.sqrt(n_sites * q))
    specs["b_out"] = ((n_sites * q,), 0.0)
    return specs


def logits(xp, params: dict, onehot, masks_on_device: dict, depth: int):
    """Logits (B, N·q) of every site's conditional given the flat one-hot input (B, N·q)."""
    h = onehot
    for layer in range(depth):
        w = params[f"W{layer}"] * masks_on_device[f"W{layer}"]
        h = xp.tanh(h @ xp.matrix_transpose(w) + params[f"b{layer}"])
    out = h @ xp.matrix_transpose(params["W_out"] * masks_on_device["W_out"])
    direct = onehot @ xp.matrix_transpose(params["W_direct"] * masks_on_device["W_direct"])
    return out + direct + params["b_out"]
