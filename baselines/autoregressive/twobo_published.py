"""TwoBo as published (Biazzo, Wu, Carleo, Mach. Learn.: Sci. Technol. 5, 025074 (2024)), for ±1
spins with a coupling per bond, H = −Σ_<ij> J_ij s_i s_j − h Σ_i s_i.

The exact conditional of spin i is

    q(s_i = +1 | s_<i) = σ(2β (ξ^i_i + h) + log ρ_i(+1) − log ρ_i(−1)),

with the two-body fields ξ^i_l = Σ_{j<i} J_lj s_j that the generated spins exert on the sites
l ≥ i; the marginalised future ρ_i depends on s_≤i only through the fields ξ^i_l of the frontier
F_i = {i} ∪ {l > i coupled to some j < i} (the first layer: fixed weights J_lj, not learnt).
The published network keeps this form with learnt per-site weights on the fields:

    z_i = w_i · (β (ξ^i_i + h), ξ^i_{F_i[1]}, …) + c_i + g(W^D_i g(… g(W^1_i ξ^i_{F_i[1:]} + b^1_i)
                                                                 …) + b^D_i)
    q(s_i = +1 | s_<i) = σ(z_i),

w_i initialised to (2, 0, …) plus N(0, (10⁻²/√N)²) noise (the exact local term), β the annealed
inverse temperature during training (the model's at sampling), g the tanh-approximated GELU,
``depth`` hidden layers of ``width`` units per site ending in one unit (its output passes g too,
as published); ``depth = 0`` is the form of the paper's figures (the skip layer alone).
q(s) = Π_i q(s_i | s_<i) is normalised: z_i sees s_<i only.  Value index a ↔ s = 1 − 2a, so the
logits of (a = 0, a = 1) are (z_i, 0).

What still differs from the paper: the training (ours: REINFORCE with β ramped linearly from 0
over ``anneal_fraction`` of the steps or seconds, gradient norm clipped at 1, float64; theirs: 50
steps at β = 0.05, then 60 equally spaced β up to 3 with 20 steps each, batch 1024, float32); the
initial noise is normal, not truncated normal; the field h enters the skip input (their instances
have none); a frontier is the lattice neighbourhood (theirs: the non-zero J_lj, the same unless a
coupling is exactly 0); sampling evaluates every conditional at each of the N steps (theirs only
site i's), so a time budget buys fewer samples; square lattices only (no 3D or random graphs).
"""

from __future__ import annotations

import math

import numpy as np

from leapsbench.method import NotApplicable

from .twobo import frontier_counts, frontier_gather, frontier_width, site_counts

DEFAULTS = {"width": 8, "depth": 0}
HYPER_MIN = {"depth": 0}
"""Hyperparameters that may be 0 (the others must be >= 1)."""
USES_COUPLINGS = True
"""The network is built from the model's bond couplings and pair form (``make_net``)."""
ISING_PAIR = np.array([[1.0, -1.0], [-1.0, 1.0]])
"""K = s sᵀ for s = (1, −1): the pair form this architecture needs."""


def _check_ising(net) -> float:
    """The field h of an Ising-type pair form (K = s sᵀ, f = h s); NotApplicable otherwise."""
    pair, field = net.interaction
    pair, field = np.asarray(pair), np.asarray(field)
    if pair.shape != (2, 2) or not np.array_equal(pair, ISING_PAIR) or field[0] != -field[1]:
        raise NotApplicable(
            "twobo-published needs ±1 spins with H = −Σ J_ij s_i s_j − h Σ s_i (pair form "
            f"K = s sᵀ, f = h s); the model's is K = {pair.tolist()}, f = {field.tolist()}"
        )
    return float(field[0])


def constants(net) -> dict[str, np.ndarray]:
    """The frontier gather of the J-weighted counts (ξ = c₊ − c₋), spin values and field."""
    h = _check_ising(net)
    return {**frontier_gather(net), "spin": np.array([1.0, -1.0]), "h": np.array(h)}


def _layer_shapes(net) -> list[tuple[int, int]]:
    """(in, out) of ρ_i's layers: F − 1 frontier fields → width → … → 1 (``depth`` layers)."""
    depth, width = net.hyper["depth"], net.hyper["width"]
    sizes = [frontier_width(net) - 1] + [width] * (depth - 1) + [1]
    return list(zip(sizes[:-1], sizes[1:], strict=True)) if depth else []


def param_specs(net) -> dict:
    """name → (shape, init std or ("first", std, value)): the skip layer (w, c) and ρ's layers."""
    n = net.n_sites
    small = 1e-2 / math.sqrt(n)
    specs = {"w": ((n, frontier_width(net)), ("first", small, 2.0)), "c": ((n,), small)}
    shapes = _layer_shapes(net)
    for k, (fan_in, fan_out) in enumerate(shapes):
        scale = small if k == len(shapes) - 1 else 1.0 / math.sqrt(max(fan_in, 1))
        specs[f"W{k}"] = ((n, fan_in, fan_out), scale)
        specs[f"b{k}"] = ((n, fan_out), scale)
    return specs


def _gelu(xp, x):
    """GELU, tanh approximation: x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    return 0.5 * x * (1.0 + xp.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _z(xp, params: dict, xi, beta: float, h, sites):
    """z of the sites ``sites`` (a slice), (n, B), from their fields ξ (n, B, F)."""
    x1 = xp.concat([beta * (xi[..., :1] + h), xi[..., 1:]], axis=-1)
    z = xp.sum(x1 * params["w"][sites, None, :], axis=-1) + params["c"][sites, None]
    hidden, k = xi[..., 1:], 0
    while f"W{k}" in params:  # ρ_i's layers, each site its own weights
        hidden = _gelu(xp, hidden @ params[f"W{k}"][sites, ...] + params[f"b{k}"][sites, None, :])
        k += 1
    return z + hidden[..., 0] if k else z


def _two_logits(xp, z):
    """Logits (…, 2) of values (a = 0: s = +1, a = 1: s = −1) from z: (z, 0)."""
    return xp.stack([z, xp.zeros_like(z)], axis=-1)


def logits(xp, params: dict, onehot, consts: dict, net, beta: float):
    """Logits (B, N, 2) of every site's conditional given the one-hot input (B, N, 2) at β."""
    xi = frontier_counts(xp, onehot, consts) @ consts["spin"]  # (B, N, F): ξ^i_{F_i[f]}
    z = _z(xp, params, xp.permute_dims(xi, (1, 0, 2)), beta, consts["h"], slice(None))
    return _two_logits(xp, xp.permute_dims(z, (1, 0)))


def site_logits(xp, params: dict, onehot, consts: dict, net, beta: float, i: int):
    """Logits (B, 2) of site i's conditional alone (for sampling: its frontier only)."""
    xi = site_counts(xp, onehot, consts, i) @ consts["spin"]  # (B, F)
    return _two_logits(xp, _z(xp, params, xi[None, ...], beta, consts["h"], slice(i, i + 1))[0])
