"""TwoBo (Biazzo, Wu, Carleo 2024), our simplified form: a sparse autoregressive net whose first
layer follows J_ij (the published form: :mod:`.twobo_published`).

For pair energies H = −Σ_<ij> J_ij K(x_i, x_j) − Σ_i f(x_i) (the model's ``pair_interaction``;
Ising K = s s', f = h s; Potts K = δ, f = 0) the exact conditional
q(x_i | x_<i) depends on x_<i only through the fields that the sampled sites exert on the sites
l ≥ i: the counts c^i_{l,v} = J Σ_{j<i, j∼l} [x_j = v].  Only the frontier F_i = {i} ∪ {l > i
with a neighbour j < i} carries nonzero fields (≤ 2 Ly + 1 sites on a torus), so the features are
gathered sparsely, (B, N, F, q).  Simple faithful version implemented here:

    logits_i(a) = β_i Σ_v K(a, v) c^i_{i,v} + β_i f(a)                      (exact local term)
                  + Σ_k U_i[a, k] tanh(Σ_{f,v} V_i[k, f, v] c^i_{F_i[f], v} + b_i[k]) + d_i[a]

with a learnt per-site scale β_i initialised to the model's β, and per-site weights V_i, U_i on
the frontier fields (the log ratio of the marginalised future, log ρ_i in the paper).  logits_i
uses x_<i only: q is normalised.
On a spin glass the counts carry each bond's own coupling, c^i_{l,v} = Σ_{j<i, j∼l} J_lj [x_j = v]
(the model's ``bond_couplings``), so the instance's couplings enter the conditionals; the rest of
the published architecture is not reproduced here.
"""

from __future__ import annotations

import numpy as np

DEFAULTS = {"width": 8}
USES_COUPLINGS = True
"""The network is built from the model's bond couplings and pair form (``make_net``)."""


def _neighbours(shape, periodic: bool) -> np.ndarray:
    """(N, 4) raster indices of the neighbours of each site; −1 where open boundaries cut."""
    lx, ly = shape
    gx, gy = np.meshgrid(np.arange(lx), np.arange(ly), indexing="ij")
    out = []
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        sx, sy = gx + dx, gy + dy
        inside = (sx >= 0) & (sx < lx) & (sy >= 0) & (sy < ly)
        index = (sx % lx) * ly + (sy % ly)
        out.append(np.where(inside | periodic, index, -1).ravel())
    return np.stack(out, axis=1)


def _frontier(neighbours: np.ndarray):
    """(N, F) frontier sites of each i (F_i[0] = i; padded with i) and their 0/1 validity.

    l > i is in F_i iff its earliest neighbour m_l = min_k nb[l, k] is < i.
    """
    n = neighbours.shape[0]
    earliest = np.where(neighbours >= 0, neighbours, n).min(axis=1)
    sites = np.arange(n)
    member = (sites[None, :] > sites[:, None]) & (earliest[None, :] < sites[:, None])
    width = 1 + int(member.sum(axis=1).max())
    order = np.argsort(np.where(member, sites[None, :], n + sites[None, :]), axis=1, kind="stable")
    later = order[:, : width - 1]
    valid = np.take_along_axis(member, later, axis=1)
    index = np.concatenate([sites[:, None], np.where(valid, later, sites[:, None])], axis=1)
    return index, np.concatenate([np.ones((n, 1)), valid.astype(np.float64)], axis=1)


def frontier_gather(net) -> dict[str, np.ndarray]:
    """Gather indices and weights: c^i_{F_i[f]} = Σ_k weight[k,i,f] e_{gather[k,i,f]}."""
    neighbours = _neighbours(net.shape, bool(net.couplings["periodic"]))
    index, valid = _frontier(neighbours)
    nb = np.moveaxis(neighbours[index], -1, 0)  # (4, N, F)
    i = np.arange(net.n_sites)[:, None]
    J = np.asarray(net.couplings["J"], dtype=np.float64)  # a number, or (N, 4) per bond
    J = np.moveaxis(J[index], -1, 0) if J.ndim == 2 else J
    weight = J * valid * ((nb >= 0) & (nb < i))
    return {"gather": np.where(nb >= 0, nb, 0).reshape(-1).astype(np.int64), "weight": weight}


def frontier_width(net) -> int:
    """F: the frontier sites per conditional (the site itself first)."""
    return _frontier(_neighbours(net.shape, bool(net.couplings["periodic"])))[0].shape[1]


def constants(net) -> dict[str, np.ndarray]:
    """The frontier gather (:func:`frontier_gather`) and the model's pair form K, f."""
    pair, field = net.interaction
    return {**frontier_gather(net), "pair": pair, "field": field}


def param_specs(net) -> dict:
    """name → (shape, init std or ("fill", value))."""
    n, q, width = net.n_sites, net.q, net.hyper["width"]
    f = frontier_width(net)
    return {
        "beta": ((n, 1), ("fill", net.couplings["beta"])),
        "V": ((n, width, f * q), 1.0 / np.sqrt(f * q)),
        "b": ((n, width), 0.0),
        "U": ((n, q, width), 0.1 / np.sqrt(width)),
        "d": ((n, q), 0.0),
    }


def frontier_counts(xp, onehot, consts: dict):
    """c^i_{F_i[f], v} = Σ_{j<i, j∼F_i[f]} J [x_j = v], (B, N, F, q), from one-hots (B, N, q)."""
    batch, n, q = onehot.shape
    weight = consts["weight"]  # (4, N, F)
    frontier = weight.shape[2]
    gathered = xp.take(onehot, consts["gather"], axis=1)  # (B, 4·N·F, q)
    gathered = xp.reshape(gathered, (batch, 4, n, frontier, q))
    return sum(gathered[:, k, ...] * weight[k, :, :, None] for k in range(4))


def site_counts(xp, onehot, consts: dict, i: int):
    """Site i's frontier counts c^i_{F_i[f], v}, (B, F, q) (:func:`frontier_counts` at one i)."""
    weight = consts["weight"]  # (4, N, F)
    frontier = weight.shape[2]
    gather = xp.reshape(xp.reshape(consts["gather"], weight.shape)[:, i, :], (4 * frontier,))
    gathered = xp.take(onehot, gather, axis=1)  # (B, 4·F, q)
    gathered = xp.reshape(gathered, (onehot.shape[0], 4, frontier, onehot.shape[2]))
    return sum(gathered[:, k, ...] * weight[k, i, :, None] for k in range(4))


def site_logits(xp, params: dict, onehot, consts: dict, net, beta: float, i: int):
    """Logits (B, q) of site i's conditional alone (:func:`logits` at one i, for sampling)."""
    fields = site_counts(xp, onehot, consts, i)  # (B, F, q)
    batch, frontier, q = fields.shape
    local = fields[:, 0, :] @ consts["pair"] + consts["field"]  # (B, q)
    features = xp.permute_dims(xp.reshape(fields, (batch, frontier * q)), (1, 0))  # (F·q, B)
    hidden = xp.tanh(params["V"][i, ...] @ features + params["b"][i, :, None])  # (width, B)
    learnt = xp.permute_dims(params["U"][i, ...] @ hidden, (1, 0)) + params["d"][i, :]
    return params["beta"][i, :] * local + learnt


def logits(xp, params: dict, onehot, consts: dict, net, beta: float):
    """Logits (B, N, q) of every site's conditional given the one-hot input (B, N, q) (β is
    learnt per site: the argument is unused)."""
    batch, n, q = onehot.shape
    fields = frontier_counts(xp, onehot, consts)  # (B, N, F, q)
    frontier = fields.shape[2]
    local = fields[:, :, 0, :] @ consts["pair"] + consts["field"]  # (B, N, q)
    features = xp.permute_dims(xp.reshape(fields, (batch, n, frontier * q)), (1, 2, 0))
    hidden = xp.tanh(params["V"] @ features + params["b"][..., None])  # (N, width, B)
    learnt = xp.permute_dims(params["U"] @ hidden, (2, 0, 1)) + params["d"]  # (B, N, q)
    return params["beta"] * local + learnt
