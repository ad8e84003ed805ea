"""PixelCNN: masked k×k convolutions over the lattice, autoregressive in raster order.

Site i = x·Ly + y.  A convolution sums, over kernel offsets (dx, dy), the input at the source site
j = ((x+dx), (y+dy)) (mod L with ``padding="periodic"``; outside the lattice is zero with
``padding="zero"``) times the offset's (C_in, C_out) kernel.  The first layer (type A) keeps a
term iff j < i, later layers (type B) iff j ≤ i, per target site (a wrapped source that lies later
in raster order is dropped).  So the output at i depends on x_<i only, and q(x) = Π_i
softmax(logits_i)[x_i] is normalised.  Layers: A (q → width), depth−1 × B (width → width), tanh,
then a 1×1 output (width → q).  Implemented with rolls: a Python loop over the k² offsets, never
over sites.
"""

from __future__ import annotations

import numpy as np

DEFAULTS = {"width": 16, "depth": 2, "kernel": 3, "periodic": 1}
HYPER_MIN = {"periodic": 0}
"""Hyperparameters that may be 0 (the others must be >= 1)."""


def _offsets(kernel: int):
    r = kernel // 2
    return [(dx, dy) for dx in range(-r, r + 1) for dy in range(-r, r + 1)]


def _offset_masks(shape, kernel: int, periodic: bool, strict: bool) -> np.ndarray:
    """(k², Lx, Ly, 1) 0/1: the term from offset (dx, dy) reaches target (x, y)."""
    lx, ly = shape
    gx, gy = np.meshgrid(np.arange(lx), np.arange(ly), indexing="ij")
    out = []
    for dx, dy in _offsets(kernel):
        sx, sy = gx + dx, gy + dy
        inside = (sx >= 0) & (sx < lx) & (sy >= 0) & (sy < ly)
        source = (sx % lx) * ly + (sy % ly)
        target = gx * ly + gy
        earlier = source < target if strict else source <= target
        keep = earlier & (inside | periodic)
        out.append(keep.astype(np.float64)[..., None])
    return np.stack(out)


def constants(net) -> dict[str, np.ndarray]:
    kernel, periodic = net.hyper["kernel"], bool(net.hyper["periodic"])
    return {
        "mask_A": _offset_masks(net.shape, kernel, periodic, strict=True),
        "mask_B": _offset_masks(net.shape, kernel, periodic, strict=False),
    }


def param_specs(net) -> dict:
    """name → (shape, init std)."""
    k2, width, q = net.hyper["kernel"] ** 2, net.hyper["width"], net.q
    specs = {"W0": ((k2, q, width), 1.0 / np.sqrt(k2 * q)), "b0": ((width,), 0.0)}
    for layer in range(1, net.hyper["depth"]):
        specs[f"W{layer}"] = ((k2, width, width), 1.0 / np.sqrt(k2 * width))
        specs[f"b{layer}"] = ((width,), 0.0)
    specs["W_out"] = ((width, q), 0.1 / np.sqrt(width))
    specs["b_out"] = ((q,), 0.0)
    return specs


def _masked_conv(xp, h, weight, mask, offsets):
    """Σ_o mask_o ⊙ (h shifted so that (x, y) holds h[x+dx, y+dy]) @ W_o, as one matmul."""
    shifted = [
        mask[o, ...] * xp.roll(h, (-dx, -dy), axis=(1, 2)) for o, (dx, dy) in enumerate(offsets)
    ]
    k2, c_in, c_out = weight.shape
    return xp.concat(shifted, axis=-1) @ xp.reshape(weight, (k2 * c_in, c_out))


def logits(xp, params: dict, onehot, consts: dict, net, beta: float):
    """Logits (B, N, q) of every site's conditional given the one-hot input (B, N, q) (β unused)."""
    batch = onehot.shape[0]
    offsets = _offsets(net.hyper["kernel"])
    h = xp.reshape(onehot, (batch, *net.shape, net.q))
    h = xp.tanh(_masked_conv(xp, h, params["W0"], consts["mask_A"], offsets) + params["b0"])
    for layer in range(1, net.hyper["depth"]):
        conv = _masked_conv(xp, h, params[f"W{layer}"], consts["mask_B"], offsets)
        h = xp.tanh(conv + params[f"b{layer}"])
    out = h @ params["W_out"] + params["b_out"]
    return xp.reshape(out, (batch, net.n_sites, net.q))
