"""Locally equivariant convolutional network (periodic, translation equivariant), after the
LEAPS authors' LE-conv: every kernel has its centre masked, and deeper layers are *state
dependent* convolutions whose kernel at site i is computed from site i's own (blind) features.

Input u_i: the spin s_i (encoding "spins", one channel) or a learned embedding E[x_i] ∈ R^C
(encoding "values").
With D_k the offsets of a k × k window without the centre (and without offsets that wrap onto
the site itself on small lattices, see :func:`.layers.kernel_offsets`):

    h_i^0 = Σ_{d ∈ D_{k_0}} W_d^T ((1 + t) u_{i+d})                               (masked conv)
    K_{i,d,c}^l = silu(Σ_c' silu(h_{i,c'}^{l−1}) A_{c',d,c} + b1_{d,c}) + b2_{d,c} + φ^l(t)_d
    h_{i,c}^l = |D_{k_l}|^{−1/2} Σ_{d ∈ D_{k_l}} K_{i,d,c}^l u_{i+d, c}             (l = 1, 2, …)

φ^l is a small time-MLP 1 → T → T → |D_{k_l}| per layer. Site i's features only ever combine
its own previous features with the *input* at other sites, never features of other sites (those
depend on x_i), so h_i^l is blind to x_i at every depth — exactly, bit for bit. Scores:
spins g_i = (1 + t) h_i^L · w (the readout multiplies by s_i), values P_i = h_i^L W (C × q).
The 1/√|D| factor keeps features O(1) for wide kernels; masked centre weights are not stored,
so every parameter influences G (the authors' count includes the masked entries). The
convolution is periodic even on an open lattice (G stays locally equivariant there too).
Σ_d K_{i,d,c} u_{i+d,c} is contracted by small matmuls, without materialising K + b2 + φ or
(Potts) u_{i+d} per channel: u_{i+d,c} = Σ_a [x_{i+d} = a] E[a, c], so the sum over d runs on
the one-hot states and E is applied after it.  The state-dependent part of K is computed in
blocks of sites that fit the CPU cache (``BLOCK_ELEMENTS``).  What each saves: docs/perf.md.

Three optional hyperparameters reproduce the authors' released networks exactly
(:mod:`.authors`); each keeps G locally equivariant, since none lets h_i see u_i:

- ``feature_norm`` (default true): false drops the |D|^{−1/2} factor (the authors have none);
- ``first_padding`` (default "circular"): "zeros" reads u_{i+d} = 0 outside the lattice in the
  first layer only (the authors' masked convolution pads with zeros; their deeper layers wrap);
- ``embed_max_norm`` (default none, values): E[a] ← E[a] · m / (‖E[a]‖ + 10⁻⁷) where
  ‖E[a]‖ > m, as ``torch.nn.Embedding(max_norm=m)`` renormalises rows at lookup.

They appear in a network's hyperparameters only when not at their default, so configs, cache
keys and checkpoints of networks that do not use them are unchanged.
"""

from __future__ import annotations

import functools
import math

import array_api_compat
import numpy as np

from . import hyper as H
from .layers import kernel_offsets, neighbour_index, silu, unfold

OPTIONAL = {"feature_norm": True, "first_padding": "circular", "embed_max_norm": None}
"""Optional hyperparameters and their defaults (stored only when set otherwise)."""
OPTIONAL_TYPES = {
    "feature_norm": (bool,),
    "first_padding": (str,),
    "embed_max_norm": (float, int, type(None)),
}
"""Their types, for ``--set`` (a checkpoint's ``first_padding`` may be set, :mod:`.transfer`)."""
DEFAULTS = {
    "kernel_sizes": [3, 5],
    "channels": 8,
    "time_width": 16,
    "out_scale": 0.1,
    **OPTIONAL,
}
PRESETS = {"paper": {"kernel_sizes": [3, 5, 7, 9, 15], "channels": 20, "time_width": 64}}
PADDINGS = ("circular", "zeros")


def check(hyper: dict) -> dict:
    full = {
        "kernel_sizes": H.kernel_sizes(hyper["kernel_sizes"]),
        "channels": H.positive_int("channels", hyper["channels"]),
        "time_width": H.positive_int("time_width", hyper["time_width"]),
        "out_scale": H.positive_float("out_scale", hyper["out_scale"]),
        "feature_norm": H.boolean("feature_norm", hyper.get("feature_norm", True)),
        "first_padding": H.choice("first_padding", hyper.get("first_padding"), PADDINGS),
        "embed_max_norm": H.optional_positive_float("embed_max_norm", hyper.get("embed_max_norm")),
    }
    return {k: v for k, v in full.items() if k not in OPTIONAL or v != OPTIONAL[k]}


def _option(net, name):
    return net.hyper.get(name, OPTIONAL[name])


def _offsets(net):
    return [kernel_offsets(k, net.shape) for k in net.hyper["kernel_sizes"]]


def param_specs(net) -> dict:
    """name -> (shape, init std); std 0 means zeros."""
    c, tw = net.hyper["channels"], net.hyper["time_width"]
    offsets = _offsets(net)
    c_in = 1 if net.spins else c
    specs = {}
    if not net.spins:
        specs["embed"] = ((net.q, c), 1.0)
    n0 = len(offsets[0])
    specs["conv0.w"] = ((n0, c_in, c), 1.0 / math.sqrt(n0 * c_in))
    for layer, offs in enumerate(offsets[1:], start=1):
        n = len(offs)
        specs[f"layer{layer}.A"] = ((c, n, c), 1.0 / math.sqrt(c))
        specs[f"layer{layer}.b1"] = ((n, c), 0.0)
        specs[f"layer{layer}.b2"] = ((n, c), 0.0)
        specs[f"layer{layer}.t1.w"] = ((tw,), 1.0)
        specs[f"layer{layer}.t1.b"] = ((tw,), 1.0)
        specs[f"layer{layer}.t2.w"] = ((tw, tw), 1.0 / math.sqrt(tw))
        specs[f"layer{layer}.t2.b"] = ((tw,), 0.0)
        specs[f"layer{layer}.t3.w"] = ((tw, n), 0.1 / math.sqrt(tw))
        specs[f"layer{layer}.t3.b"] = ((n,), 0.0)
    specs["out.w"] = ((c, *net.score_shape), net.hyper["out_scale"] / math.sqrt(c))
    return specs


def _time_mlp(xp, params, prefix, tcol):
    """φ(t) = silu(silu(t w1 + b1) W2 + b2) W3 + b3, shape (B, |D|)."""
    z = silu(xp, tcol * params[f"{prefix}.t1.w"] + params[f"{prefix}.t1.b"])
    z = silu(xp, z @ params[f"{prefix}.t2.w"] + params[f"{prefix}.t2.b"])
    return z @ params[f"{prefix}.t3.w"] + params[f"{prefix}.t3.b"]


def _embedding(xp, params, net):
    """The value embedding E, rows of norm above ``embed_max_norm`` m scaled to m/(norm+1e-7)."""
    table, max_norm = params["embed"], _option(net, "embed_max_norm")
    if max_norm is None:
        return table
    norm = xp.sqrt(xp.sum(table * table, axis=1, keepdims=True))
    return table * xp.where(norm > max_norm, max_norm / (norm + 1e-7), xp.ones_like(norm))


@functools.lru_cache(maxsize=64)
def _inside(shape: tuple[int, int], offsets) -> np.ndarray:
    """(Lx, Ly, |D|, 1) indicator of i + d lying on the lattice (no wrap), for zero padding."""
    ix, iy = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    d = np.asarray(offsets).reshape(1, 1, -1, 2)
    jx, jy = ix[..., None] + d[..., 0], iy[..., None] + d[..., 1]
    inside = (jx >= 0) & (jx < shape[0]) & (jy >= 0) & (jy < shape[1])
    return inside[..., None].astype(np.float64)


def _first_layer(xp, params, net, u, scale, offsets):
    """h_i^0 = Σ_d W_d^T (1 + t) u_{i+d}, periodic or zero-padded (``first_padding``)."""
    neighbours = unfold(xp, scale * u, offsets)  # (B, Lx, Ly, |D|, C_in)
    if _option(net, "first_padding") == "zeros":
        inside = _inside(net.shape, offsets)
        neighbours = neighbours * xp.asarray(
            inside, dtype=u.dtype, device=array_api_compat.device(u)
        )
    return xp.tensordot(neighbours, params["conv0.w"], axes=([3, 4], [0, 1]))


BLOCK_ELEMENTS = 2**18
"""Elements of K (sites × |D| × C) computed at once in a state-dependent layer: K is formed,
passed through silu and contracted block by block (rows of sites), so its temporaries stay in
the CPU cache instead of being written to and read back from memory (K is 1.7 M numbers per
walker at the authors' 15 × 15 size).  The block size changes no result, only the speed."""


def _blocks(total: int, width: int):
    """Row slices of at most ``BLOCK_ELEMENTS // width`` rows (at least one) covering ``total``."""
    rows = max(1, BLOCK_ELEMENTS // width)
    return [slice(start, min(start + rows, total)) for start in range(0, total, rows)]


def _state_layer(xp, params, prefix, hidden, code, table, tcol):
    """h^l from ``hidden`` = [silu(h^{l−1}), 1] (B, N, C + 1) and the input at the neighbours
    coded as u_{i+d} = Σ_a v_{i+d,a} E[a]: ``code`` = v_{i+d,a} (B, N, m, n), ``table`` = E
    (m, C) (values: v one-hot, E the embedding) or None (spins: v = s, m = 1, E = 1):

        h_{i,c} = Σ_a E[a, c] Σ_d v_{i+d,a} (silu([silu(h), 1] [[A], [b1]])_{i,d,c}
                                              + b2_{d,c} + φ(t)_d)

    — Σ_d K_{i,d,c} u_{i+d,c} as batched (m × n) @ (n × C) matmuls, never forming u_{i+d} per
    channel.  Returns (B, N, C).
    """
    batch, n_sites, m, n = code.shape
    c = params[f"{prefix}.A"].shape[0]
    weight = xp.concat(
        [
            xp.reshape(params[f"{prefix}.A"], (c, n * c)),
            xp.reshape(params[f"{prefix}.b1"], (1, n * c)),
        ],
        axis=0,
    )
    rows, code_rows = xp.reshape(hidden, (-1, c + 1)), xp.reshape(code, (-1, m, n))
    parts = []
    for block in _blocks(batch * n_sites, n * c):
        kernel = xp.reshape(silu(xp, rows[block, ...] @ weight), (-1, n, c))  # (P, n, C)
        parts.append(_decode(xp, code_rows[block, ...] @ kernel, table))
    h = xp.reshape(xp.concat(parts, axis=0), (batch, n_sites, c))
    rest = params[f"{prefix}.b2"] + xp.expand_dims(_time_mlp(xp, params, prefix, tcol), axis=-1)
    coded_rest = xp.reshape(xp.reshape(code, (batch, -1, n)) @ rest, (-1, m, c))
    return h + xp.reshape(_decode(xp, coded_rest, table), (batch, n_sites, c))


def _decode(xp, coded, table):
    """Σ_a coded[..., a, c] E[a, c] for coded (P, m, C): (P, C); E = None means m = 1, E = 1."""
    if table is None:
        return xp.reshape(coded, (coded.shape[0], coded.shape[2]))
    return xp.sum(coded * table, axis=1)


@functools.lru_cache(maxsize=64)
def _code_index(shape: tuple[int, int], offsets, m: int) -> np.ndarray:
    """(N·m·|D|,) flat index into (N, m) of (site i + d, code a), ordered (i, a, d)."""
    neighbour = neighbour_index(shape, offsets).reshape(-1, 1, len(offsets))
    return (neighbour * m + np.arange(m).reshape(1, m, 1)).reshape(-1)


def _neighbour_code(xp, code, offsets):
    """v_{i+d,a} as (B, N, m, |D|) from v (B, Lx, Ly, m), by one gather (the layout of the
    kernel contraction)."""
    batch, lx, ly, m = code.shape
    index = xp.asarray(_code_index((lx, ly), offsets, m), device=array_api_compat.device(code))
    values = xp.take(xp.reshape(code, (batch, lx * ly * m)), index, axis=1)
    return xp.reshape(values, (batch, lx * ly, m, len(offsets)))


def scores(xp, params, net, onehot, spins, tcol):
    """Per-site scores, (B, Lx, Ly) for spins or (B, Lx, Ly, q) for value indices."""
    batch, n_sites = onehot.shape[0], net.n_sites
    dtype, device = onehot.dtype, array_api_compat.device(onehot)
    if net.spins:
        u, code, table = xp.expand_dims(spins, axis=-1), xp.expand_dims(spins, axis=-1), None
    else:
        code, table = onehot, _embedding(xp, params, net)
        u = onehot @ table
    scale = xp.reshape(1.0 + tcol, (batch, 1, 1, 1))
    offsets = _offsets(net)
    h = xp.reshape(_first_layer(xp, params, net, u, scale, offsets[0]), (batch, n_sites, -1))
    ones = xp.ones((batch, n_sites, 1), dtype=dtype, device=device)
    for layer, offs in enumerate(offsets[1:], start=1):
        hidden = xp.concat([silu(xp, h), ones], axis=-1)
        code_nb = _neighbour_code(xp, code, offs)
        h = _state_layer(xp, params, f"layer{layer}", hidden, code_nb, table, tcol)
        if _option(net, "feature_norm"):
            h = h / math.sqrt(len(offs))
    out = xp.reshape(h, (batch, *net.shape, -1)) @ params["out.w"]
    if net.spins:
        return out * xp.reshape(1.0 + tcol, (batch, 1, 1))
    return out
