"""Local MCMC: one checkerboard sweep of Metropolis or heat-bath updates, batched over chains.

A sweep updates the sublattices of the checkerboard in turn; sites of one colour share no
bond, so all of them are updated at once.  At inverse temperature β, with ΔE the energy change
of a move:

* Metropolis — Ising: flip with probability min(1, e^{−βΔE}); Potts: propose a uniformly random
  other value a and accept with min(1, e^{−βΔE_a}).
* heat-bath (Glauber) — draw the site's new value from its conditional,
  P(a) ∝ e^{−βΔE_a} (ΔE = 0 for the current value); for Ising P(flip) = 1 / (1 + e^{βΔE}).

Each colour-class update satisfies detailed balance with respect to ρ ∝ e^{−βH}, so the sweep
leaves ρ invariant.  A periodic axis of odd length has no proper 2-colouring; there the sweep runs
over a proper 3-colouring instead (see :func:`checkerboard_masks`).

How it is fast (one array-API code path for numpy, torch, cupy and array-api-strict):

* Tables instead of exp per site.  ΔE takes few values: Ising ΔE = 2 s (J n + h) with the
  neighbour sum n ∈ {−4, …, 4}; Potts ΔE_a = −J (n(a) − n(s)) with neighbour counts
  n(a) ∈ {0, …, 4}.  The acceptance (or heat-bath weight) of every value is computed once per
  sweep from :func:`metropolis_acceptance`, :func:`heatbath_flip_probability` and
  :func:`heatbath_weights` (the formulas of :func:`site_kernel`), and looked up per site with
  ``take`` on small int8 indices.
* Colour planes.  On a periodic lattice with even Lx and Ly the kernel stores the four
  sublattices Q_rc[I, J] = s[2I + r, 2J + c] (r, c ∈ {0, 1}) as two colour arrays (B, 2, Lx/2,
  Ly/2): black = (Q_00, Q_11), white = (Q_01, Q_10), the second plane of each colour stored
  reversed along both axes.  With that reversal the four neighbours of every site of one colour,
  given the other colour's array O, are the same four whole-array expressions for both planes:
  F = O reversed along (plane, I, J), roll(F, +1, I), O and roll(O, ±1, J) (+ for black, − for
  white).  So ΔE, the uniforms and the acceptances are computed for the sites being updated only
  (half of the lattice), and the conversion to and from the (B, Lx, Ly) states callers see
  happens once per sweep.  Other lattices (odd periodic axes, open boundaries) use the masked
  update of the whole lattice (:func:`_ising_update`, :func:`_potts_update`), which shares the
  tables and decisions below.
* float32 uniforms (Ising, Potts Metropolis) against float32 tables: a site accepts with
  probability P(u < p₃₂) = ⌈2²⁴ p₃₂⌉ / 2²⁴, within 2⁻²³ of the exact p (site_kernel's float64
  value); int8 arithmetic for states, indices and the flips (s ← s (1 − 2·accept)).

Random streams are reproducible per (seed, backend); they differ between the two layouts (the
planes draw uniforms for the updated colour only).

Caveat (measured by exact transition matrices): Ising Metropolis flips every site with ΔE ≤ 0
with certainty, and on tiny tori (2×2, 3×3, 3×4) the sweep then has several invariant sets, so
chain averages depend on the start (3×3 at β = 0.4: ⟨E⟩ off by 5σ).  Heat-bath (all
probabilities in (0, 1)) has no such problem; prefer it on lattices that small.
"""

from __future__ import annotations

import array_api_compat
import array_api_extra as xpx
import numpy as np

RULES = ("metropolis", "heatbath")
MAX_NEIGHBOURS = 4
"""Neighbours of a site on the square lattice (a 2-periodic axis counts one neighbour twice)."""


def _axis_colours(length: int, periodic: bool) -> np.ndarray:
    """A proper colouring of a path or cycle: 0,1,0,1,… and 2 for the last site of an odd cycle."""
    colours = np.arange(length) % 2
    if periodic and length % 2:
        colours[-1] = 2
    return colours


def checkerboard_masks(model, backend):
    """Boolean masks (Lx, Ly) of the colour classes, on ``backend``: no bond inside a class.

    c(i, j) = (a_i + b_j) mod k with a, b proper colourings of the two axes; k = 2 (the
    checkerboard) unless a periodic axis has odd length, where k = 3.
    """
    lattice = model.lattice
    a = _axis_colours(lattice.Lx, lattice.periodic)
    b = _axis_colours(lattice.Ly, lattice.periodic)
    n_colours = 3 if max(a.max(), b.max()) == 2 else 2
    colour = np.add.outer(a, b) % n_colours
    return tuple(backend.asarray(colour == c) for c in range(n_colours))


def metropolis_acceptance(delta, beta: float):
    """min(1, e^{−βΔE}) of a proposed move with energy change ``delta``."""
    xp = array_api_compat.array_namespace(delta)
    return xp.exp(-beta * xp.clip(delta, min=0.0))


def heatbath_flip_probability(delta, beta: float):
    """Ising heat-bath: P(flip) = 1 / (1 + e^{βΔE})."""
    xp = array_api_compat.array_namespace(delta)
    return 1.0 / (1.0 + xp.exp(beta * delta))


def heatbath_weights(delta, beta: float):
    """Potts heat-bath: unnormalised P(a) ∝ e^{−βΔE_a}, shifted by min_a ΔE_a for stability."""
    xp = array_api_compat.array_namespace(delta)
    return xp.exp(-beta * (delta - xp.min(delta, axis=-1, keepdims=True)))


def site_kernel(model, x, beta: float, rule: str):
    """P(site i takes value a | x) when site i is updated, (B, Lx, Ly, q), values in
    ``model.to_values`` order — the distribution the updates below draw from:

    * Ising: P(flip) = min(1, e^{−βΔE}) (Metropolis) or 1 / (1 + e^{βΔE}) (heat-bath);
    * Potts Metropolis: P(a) = min(1, e^{−βΔE_a}) / (q − 1) for a ≠ s_i, the rest to stay;
    * Potts heat-bath: P(a) = e^{−βΔE_a} / Σ_b e^{−βΔE_b}.
    """
    xp = array_api_compat.array_namespace(x)
    delta = model.delta_energy(x)
    current = xpx.one_hot(
        xp.astype(model.to_values(x), xp.int64), model.q, dtype=delta.dtype, xp=xp
    )
    if model.kind == "ising":
        flip = (metropolis_acceptance if rule == "metropolis" else heatbath_flip_probability)(
            delta, beta
        )[..., None]
        return current * (1.0 - flip) + (1.0 - current) * flip
    if rule == "heatbath":
        weights = heatbath_weights(delta, beta)
        return weights / xp.sum(weights, axis=-1, keepdims=True)
    move = metropolis_acceptance(delta, beta) * (1.0 - current) / (model.q - 1)
    return move + current * (1.0 - xp.sum(move, axis=-1, keepdims=True))


# -- tables: the acceptance of every value ΔE can take, once per sweep --------------------------

ISING_TABLE_OFFSET = MAX_NEIGHBOURS + 1
ISING_TABLE_CENTRE = 2 * MAX_NEIGHBOURS + 1


def ising_table_index(s, n):
    """Index of (spin s, neighbour sum n) into :func:`ising_table`: s (n + 5) + 9 ∈ [0, 18]."""
    return s * (n + ISING_TABLE_OFFSET) + ISING_TABLE_CENTRE


def ising_table(model, beta: float, rule: str, backend):
    """P(flip) of spin s with neighbour sum n at :func:`ising_table_index` (float32), from
    ΔE = 2 s (J n + h) (``Ising.delta_energy``); index 9 (unused) holds 0."""
    n = np.arange(-MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1)
    delta = np.concatenate(
        [-2.0 * (model.J * n[::-1] + model.h), [0.0], 2.0 * (model.J * n + model.h)]
    )
    flip = metropolis_acceptance if rule == "metropolis" else heatbath_flip_probability
    table = flip(delta, beta)
    table[ISING_TABLE_CENTRE] = 0.0
    return backend.asarray(table, dtype=backend.xp.float32)


def potts_metropolis_table(model, beta: float, backend):
    """min(1, e^{−βΔE}) at index d + 4 for d = n(a) − n(s) ∈ [−4, 4], ΔE = −J d (float32)."""
    d = np.arange(-MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1)
    return backend.asarray(metropolis_acceptance(-model.J * d, beta), dtype=backend.xp.float32)


def potts_heatbath_table(model, beta: float, backend):
    """Heat-bath weight e^{−β(ΔE − min ΔE)} of a value with n ∈ [0, 4] neighbours of that value,
    ΔE = −J n, at index n (float64)."""
    n = np.arange(MAX_NEIGHBOURS + 1)
    return backend.asarray(heatbath_weights(-model.J * n, beta), dtype=backend.xp.float64)


def _lookup(table, index):
    """``table[index]`` for an integer array of any shape (``take`` wants 1-D int64 indices)."""
    xp = array_api_compat.array_namespace(table)
    flat = xp.astype(xp.reshape(index, (-1,)), xp.int64)
    return xp.reshape(xp.take(table, flat), index.shape)


# -- decisions, shared by the colour-plane and the masked layouts -------------------------------


def ising_decide(s, n, u, table):
    """New spins and the flip mask: flip where u < table[s (n + 5) + 9]."""
    xp = array_api_compat.array_namespace(s)
    flip = u < _lookup(table, ising_table_index(s, n))
    return s * (1 - 2 * xp.astype(flip, s.dtype)), flip


def potts_metropolis_decide(s, proposal, d, u, table):
    """Accept ``proposal`` where u < table[d + 4], d = n(proposal) − n(s)."""
    xp = array_api_compat.array_namespace(s)
    accept = u < _lookup(table, d + MAX_NEIGHBOURS)
    return s + xp.astype(accept, s.dtype) * (proposal - s), accept


def potts_heatbath_draw(s, counts, table, rng):
    """Draw each site's value from P(a) ∝ table[n(a)], ``counts`` (…, q) int8; returns the new
    values and the changed-site mask."""
    xp = rng.backend.xp
    new = xp.astype(rng.categorical(_lookup(table, counts)), s.dtype)
    return new, new != s


def potts_proposal(s, rng, q: int):
    """Metropolis proposal (s + r) mod q with r uniform on {1, …, q − 1}, in int8 (no overflow:
    t = s − (q − r) ∈ [1 − q, q − 2], then t + q where t < 0)."""
    xp = rng.backend.xp
    t = s - (q - xp.astype(rng.integers(1, q, tuple(s.shape)), s.dtype))
    return t + q * xp.astype(t < 0, s.dtype)


# -- the masked layout: any lattice, the whole lattice computed per colour class ---------------


def _ising_update(model, x, beta, rng, rule, active):
    """Update the sites where ``active`` (one colour class) of Ising chains x (B, Lx, Ly)."""
    xp = rng.backend.xp
    n = model.lattice.neighbour_sum(x)
    u = rng.uniform(tuple(x.shape), dtype=xp.float32)
    new, flip = ising_decide(x, n, u, ising_table(model, beta, rule, rng.backend))
    moved = flip & active
    return xp.where(moved, new, x), moved


def _potts_update(model, x, beta, rng, rule, active):
    """The same for Potts chains; neighbour counts n(a) from ``Potts.neighbour_counts``."""
    xp = rng.backend.xp
    counts = xp.astype(model.neighbour_counts(x), xp.int8)
    if rule == "metropolis":
        proposal = potts_proposal(x, rng, model.q)
        d = xp.sum(counts * (model.one_hot(proposal, xp.int8) - model.one_hot(x, xp.int8)), axis=-1)
        u = rng.uniform(tuple(x.shape), dtype=xp.float32)
        new, moved = potts_metropolis_decide(
            x, proposal, d, u, potts_metropolis_table(model, beta, rng.backend)
        )
    else:
        new, moved = potts_heatbath_draw(
            x, counts, potts_heatbath_table(model, beta, rng.backend), rng
        )
    moved = moved & active
    return xp.where(moved, new, x), moved


def _masked_sweep(model, x, beta, rng, rule):
    xp = rng.backend.xp
    update = _ising_update if model.kind == "ising" else _potts_update
    accepted = None
    for active in checkerboard_masks(model, rng.backend):
        x, moved = update(model, x, beta, rng, rule, active)
        count = xp.count_nonzero(moved, axis=(1, 2))
        accepted = count if accepted is None else accepted + count
    return x, accepted


# -- the colour-plane layout: periodic lattices with even Lx and Ly ----------------------------


def has_planes(lattice) -> bool:
    """Whether :func:`to_planes` applies: a torus with even Lx and Ly."""
    return lattice.periodic and lattice.Lx % 2 == 0 and lattice.Ly % 2 == 0


def to_planes(x):
    """States (B, Lx, Ly) → (black, white), each (B, 2, Lx/2, Ly/2) (module docstring)."""
    xp = array_api_compat.array_namespace(x)
    B, Lx, Ly = x.shape
    q = xp.permute_dims(xp.reshape(x, (B, Lx // 2, 2, Ly // 2, 2)), (0, 2, 4, 1, 3))
    black = xp.stack([q[:, 0, 0, ...], xp.flip(q[:, 1, 1, ...], axis=(1, 2))], axis=1)
    white = xp.stack([q[:, 0, 1, ...], xp.flip(q[:, 1, 0, ...], axis=(1, 2))], axis=1)
    return black, white


def from_planes(black, white):
    """The inverse of :func:`to_planes`."""
    xp = array_api_compat.array_namespace(black)
    B, _, h, w = black.shape
    row0 = xp.stack([black[:, 0, ...], white[:, 0, ...]], axis=-1)
    row1 = xp.stack(
        [xp.flip(white[:, 1, ...], axis=(1, 2)), xp.flip(black[:, 1, ...], axis=(1, 2))], axis=-1
    )
    return xp.reshape(xp.stack([row0, row1], axis=2), (B, 2 * h, 2 * w))


def plane_neighbours(other, colour: int):
    """The four neighbours of every site of ``colour`` (0 black, 1 white), each an array shaped
    like the colour's planes, from the other colour's planes ``other``."""
    xp = array_api_compat.array_namespace(other)
    reversed_ = xp.flip(other, axis=(1, 2, 3))
    return (
        reversed_,
        xp.roll(reversed_, 1, axis=2),
        other,
        xp.roll(other, 1 if colour == 0 else -1, axis=3),
    )


def _count_equal(neighbours, values):
    """#{k : neighbour_k = value} per site (int8)."""
    xp = array_api_compat.array_namespace(values)
    total = None
    for nb in neighbours:
        hit = xp.astype(nb == values, values.dtype)
        total = hit if total is None else total + hit
    return total


def _plane_updater(model, beta, rule, rng):
    """``update(own, neighbours) → (new own, moved)`` for one colour's planes."""
    xp, backend, q = rng.backend.xp, rng.backend, model.q
    if model.kind == "ising":
        table = ising_table(model, beta, rule, backend)

        def update(s, nbs):
            u = rng.uniform(tuple(s.shape), dtype=xp.float32)
            return ising_decide(s, nbs[0] + nbs[1] + nbs[2] + nbs[3], u, table)

    elif rule == "metropolis":
        table = potts_metropolis_table(model, beta, backend)

        def update(s, nbs):
            proposal = potts_proposal(s, rng, q)
            d = _count_equal(nbs, proposal) - _count_equal(nbs, s)
            u = rng.uniform(tuple(s.shape), dtype=xp.float32)
            return potts_metropolis_decide(s, proposal, d, u, table)

    else:
        table = potts_heatbath_table(model, beta, backend)

        def update(s, nbs):
            counts = xp.stack([_count_equal(nbs, xp.full_like(s, a)) for a in range(q)], axis=-1)
            return potts_heatbath_draw(s, counts, table, rng)

    return update


def _planes_sweep(model, x, beta, rng, rule):
    xp = rng.backend.xp
    update = _plane_updater(model, beta, rule, rng)
    planes = list(to_planes(x))
    accepted = None
    for colour in (0, 1):
        planes[colour], moved = update(planes[colour], plane_neighbours(planes[1 - colour], colour))
        count = xp.count_nonzero(moved, axis=(1, 2, 3))
        accepted = count if accepted is None else accepted + count
    return from_planes(*planes), accepted


def sweep(model, x, beta: float, rng, rule: str = "metropolis"):
    """One checkerboard sweep of B chains at inverse temperature ``beta``.

    Returns ``(x_new, acceptance)``: the new int8 states (B, Lx, Ly) and, per chain, the fraction
    of site updates that changed the state.
    """
    if rule not in RULES:
        raise ValueError(f"unknown local MCMC rule {rule!r}; known: {', '.join(RULES)}")
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    kernel = _planes_sweep if has_planes(model.lattice) else _masked_sweep
    x, accepted = kernel(model, x, float(beta), rng, rule)
    return x, rng.backend.xp.astype(accepted, rng.backend.dtype) / model.n_sites
