"""The F-net of LEAPS training: a small MLP for ∂_tF_t, F_t = −log Z_t (the PINN loss's free
energy; F_t = F_0 + ∫_0^t ∂_sF_s with F_0 = −N log q, never needed itself)."""

from __future__ import annotations

import math

import numpy as np


def init_fnet(width: int, seed: int, depth: int = 2) -> dict[str, np.ndarray]:
    """Params of the ∂_tF_t MLP 1 → width (× ``depth`` tanh layers) → 1:
    h₀ = tanh(w₀ t + b₀), h_l = tanh(W_l h_{l−1} + b_l), ∂_tF_t = w_out · h_{depth−1} + b_out
    (the output starts at zero)."""
    rng = np.random.default_rng(seed)
    fnet = {"f_w0": rng.normal(0, 1.0, (width,)), "f_b0": np.zeros(width)}
    for layer in range(1, depth):
        fnet[f"f_w{layer}"] = rng.normal(0, 1 / math.sqrt(width), (width, width))
        fnet[f"f_b{layer}"] = np.zeros(width)
    return {**fnet, "f_wout": np.zeros(width), "f_bout": np.zeros(())}


def features(xp, fnet, t):
    """The last hidden layer h_{depth−1} (P, width) of the ∂_tF_t MLP at times t (P,)."""
    h = xp.tanh(t[:, None] * fnet["f_w0"] + fnet["f_b0"])
    depth = sum(1 for key in fnet if key.startswith("f_b")) - 1
    for layer in range(1, depth):
        h = xp.tanh(h @ xp.matrix_transpose(fnet[f"f_w{layer}"]) + fnet[f"f_b{layer}"])
    return h


def dfdt(xp, fnet, t):
    """∂_tF_t for a (P,) array of times (:func:`init_fnet`)."""
    return features(xp, fnet, t) @ fnet["f_wout"] + fnet["f_bout"]
