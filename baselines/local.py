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
  ``take`` on small int8 indices (the tables are cached per (model, β, rule)).
* Colour planes.  On a periodic lattice with even Lx and Ly the kernel stores the four
  sublattices Q_rc[I, J] = s[2I + r, 2J + c] (r, c ∈ {0, 1}) as two colour arrays (B, 2, Lx/2,
  Ly/2): black = (Q_00, Q_11), white = (Q_01, Q_10).  Every neighbour of a site of one colour
  is a site of the other colour's planes, at the same (I, J) or one step away along I or J
  (:func:`plane_neighbours`: two planes, two rolls per plane).  So ΔE, the uniforms and the
  acceptances are computed for the sites being updated only (half of the lattice), and the
  conversion to and from the (B, Lx, Ly) states callers see happens once per sweep.  Other
  lattices (odd periodic axes, open boundaries) use the masked update of the whole lattice
  (:func:`_ising_update`, :func:`_potts_update`), which shares the tables and decisions.
* float32 uniforms: against float32 tables (Ising, Potts Metropolis) a site accepts with
  probability P(u < p₃₂) = ⌈2²⁴ p₃₂⌉ / 2²⁴, within 2⁻²³ of the exact p (site_kernel's float64
  value); the Potts heat-bath inverse CDF (float32 weights, a loop over the q values, no
  (…, q) arrays) is likewise within ~2⁻²³ per value; int8 arithmetic for states, indices and
  the flips (s ← s (1 − 2·accept)); rolls and stacks as single concatenations (less per-call
  overhead at small L).

Random streams are reproducible per (seed, backend); they differ between the two layouts (the
planes draw uniforms for the updated colour only).

Caveat (measured by exact transition matrices): Ising Metropolis flips every site with ΔE ≤ 0
with certainty, and on tiny tori (2×2, 3×3, 3×4) the sweep then has several invariant sets, so
chain averages depend on the start (3×3 at β = 0.4: ⟨E⟩ off by 5σ).  Heat-bath (all
probabilities in (0, 1)) has no such problem; prefer it on lattices that small.
"""

from __future__ import annotations

import functools

import array_api_compat
import array_api_extra as xpx
import numpy as np
from leapsbench.backends.numerics import lookup

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


# -- tables: the acceptance of every value ΔE can take, once per (model, β, rule) -------------

ISING_TABLE_OFFSET = MAX_NEIGHBOURS + 1
ISING_TABLE_CENTRE = 2 * MAX_NEIGHBOURS + 1


def ising_table_index(s, n):
    """Index of (spin s, neighbour sum n) into the Ising table: s (n + 5) + 9 ∈ [0, 18]."""
    return s * (n + ISING_TABLE_OFFSET) + ISING_TABLE_CENTRE


@functools.lru_cache(maxsize=256)
def acceptance_table(model, beta: float, rule: str) -> np.ndarray:
    """The table the updates look up (float64 numpy, cached per (model, β, rule)):

    * Ising: P(flip) of spin s with neighbour sum n at :func:`ising_table_index`, from
      ΔE = 2 s (J n + h) (``Ising.delta_energy``); index 9 is unused (0);
    * Potts Metropolis: min(1, e^{−βΔE}) at index d + 4, d = n(a) − n(s) ∈ [−4, 4], ΔE = −J d;
    * Potts heat-bath: the weight e^{−β(ΔE − min ΔE)} of a value with n ∈ [0, 4] neighbours of
      that value at index n, ΔE = −J n.
    """
    n = np.arange(-MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1)
    if model.kind == "ising":
        delta = np.concatenate(
            [-2.0 * (model.J * n[::-1] + model.h), [0.0], 2.0 * (model.J * n + model.h)]
        )
        flip = metropolis_acceptance if rule == "metropolis" else heatbath_flip_probability
        table = flip(delta, beta)
        table[ISING_TABLE_CENTRE] = 0.0
        return table
    if rule == "metropolis":
        return metropolis_acceptance(-model.J * n, beta)
    return heatbath_weights(-model.J * np.arange(MAX_NEIGHBOURS + 1), beta)


SMALLEST_FLOAT32_WEIGHT = 1e-30
"""Potts heat-bath weights below this (β|J| ≳ 17) are looked up in float64 instead of float32."""


def backend_table(model, beta: float, rule: str, backend):
    """:func:`acceptance_table` on ``backend`` in float32 (compared with float32 uniforms; a
    Potts heat-bath table in float64 when a weight is below :data:`SMALLEST_FLOAT32_WEIGHT`,
    where float32 would lose precision or underflow)."""
    xp, table = backend.xp, acceptance_table(model, float(beta), rule)
    wide = model.kind == "potts" and rule == "heatbath" and table.min() < SMALLEST_FLOAT32_WEIGHT
    return backend.asarray(table, dtype=xp.float64 if wide else xp.float32)


# -- decisions, shared by the colour-plane and the masked layouts -------------------------------


def ising_decide(xp, s, n, u, table):
    """New spins and the flip mask: flip where u < table[s (n + 5) + 9]."""
    flip = u < lookup(xp, table, ising_table_index(s, n))
    return s * (1 - 2 * xp.astype(flip, s.dtype)), flip


def potts_metropolis_decide(xp, s, proposal, d, u, table):
    """Accept ``proposal`` where u < table[d + 4], d = n(proposal) − n(s)."""
    accept = u < lookup(xp, table, d + MAX_NEIGHBOURS)
    return s + xp.astype(accept, s.dtype) * (proposal - s), accept


def potts_heatbath_draw(xp, s, counts, u, table):
    """Draw each site's value a with P(a) = w_a / Σ_b w_b, w_a = table[n(a)], by inverse CDF:
    a = #{a' < q − 1 : C_a' ≤ u Σ_b w_b}, C the running sum of w.  ``counts`` is the list of
    the q arrays n(a) (int8), ``u`` uniform; returns the new values and the changed-site mask."""
    weights = [lookup(xp, table, n) for n in counts]
    target = u * sum(weights[1:], start=weights[0])
    cumulative, new = weights[0], xp.zeros_like(s)
    for a in range(1, len(weights)):
        new = new + xp.astype(cumulative <= target, s.dtype)
        cumulative = cumulative + weights[a]
    return new, new != s


def potts_proposal(s, rng, q: int):
    """Metropolis proposal (s + r) mod q with r uniform on {1, …, q − 1}, in int8 (no overflow:
    t = s − (q − r) ∈ [1 − q, q − 2], then t + q where t < 0)."""
    xp = rng.backend.xp
    t = s - (q - xp.astype(rng.integers(1, q, tuple(s.shape)), s.dtype))
    return t + q * xp.astype(t < 0, s.dtype)


def _changed_sites(xp, new, old):
    """Per chain, the number of sites whose value changed (each site is updated once a sweep)."""
    return xp.count_nonzero(new != old, axis=(1, 2))


# -- the masked layout: any lattice, the whole lattice computed per colour class ---------------


def _ising_update(model, x, beta, rng, rule, active):
    """Update the sites where ``active`` (one colour class) of Ising chains x (B, Lx, Ly)."""
    xp = rng.backend.xp
    n = model.lattice.neighbour_sum(x)
    u = rng.uniform(tuple(x.shape), dtype=xp.float32)
    new, flip = ising_decide(xp, x, n, u, backend_table(model, beta, rule, rng.backend))
    moved = flip & active
    return xp.where(moved, new, x), moved


def _potts_update(model, x, beta, rng, rule, active):
    """The same for Potts chains; neighbour counts n(a) from ``Potts.neighbour_counts``."""
    xp = rng.backend.xp
    counts = xp.astype(model.neighbour_counts(x), xp.int8)
    table = backend_table(model, beta, rule, rng.backend)
    if rule == "metropolis":
        proposal = potts_proposal(x, rng, model.q)
        d = xp.sum(counts * (model.one_hot(proposal, xp.int8) - model.one_hot(x, xp.int8)), axis=-1)
        u = rng.uniform(tuple(x.shape), dtype=xp.float32)
        new, moved = potts_metropolis_decide(xp, x, proposal, d, u, table)
    else:
        u = rng.uniform(tuple(x.shape), dtype=xp.float32)
        per_value = [counts[..., a] for a in range(model.q)]
        new, moved = potts_heatbath_draw(xp, x, per_value, u, table)
    moved = moved & active
    return xp.where(moved, new, x), moved


def _masked_sweep(model, x, beta, rng, rule):
    update = _ising_update if model.kind == "ising" else _potts_update
    new = x
    for active in checkerboard_masks(model, rng.backend):
        new, _ = update(model, new, beta, rng, rule, active)
    return new, _changed_sites(rng.backend.xp, new, x)


# -- the colour-plane layout: periodic lattices with even Lx and Ly ----------------------------


def has_planes(lattice) -> bool:
    """Whether :func:`to_planes` applies: a torus with even Lx and Ly."""
    return lattice.periodic and lattice.Lx % 2 == 0 and lattice.Ly % 2 == 0


_NEW_AXIS_1 = (slice(None), None, ...)


def _pair(xp, a, b):
    """a and b stacked on a new axis 1 (one concat: cheaper per call than ``stack``)."""
    return xp.concat([a[_NEW_AXIS_1], b[_NEW_AXIS_1]], axis=1)


def _roll_slices(shift: int, axis: int):
    cut, head = -1 if shift == 1 else 1, (slice(None),) * axis
    return (*head, slice(cut, None), ...), (*head, slice(None, cut), ...)


_ROLL_SLICES = {(shift, axis): _roll_slices(shift, axis) for shift in (1, -1) for axis in (1, 2)}


def _roll(xp, a, shift: int, axis: int):
    """``roll`` by ±1 of a (B, h, w) array along axis 1 or 2 (one concat of two slices)."""
    first, second = _ROLL_SLICES[shift, axis]
    return xp.concat([a[first], a[second]], axis=axis)


def to_planes(xp, x):
    """States (B, Lx, Ly) → (black, white), each (B, 2, Lx/2, Ly/2) (module docstring)."""
    B, Lx, Ly = x.shape
    q = xp.reshape(x, (B, Lx // 2, 2, Ly // 2, 2))  # q[b, I, r, J, c] = x[b, 2I + r, 2J + c]
    return (
        _pair(xp, q[:, :, 0, :, 0], q[:, :, 1, :, 1]),
        _pair(xp, q[:, :, 0, :, 1], q[:, :, 1, :, 0]),
    )


def from_planes(xp, black, white):
    """The inverse of :func:`to_planes`."""
    B, _, h, w = black.shape
    q = xp.empty((B, h, 2, w, 2), dtype=black.dtype, device=array_api_compat.device(black))
    q[:, :, 0, :, 0] = black[:, 0, ...]
    q[:, :, 1, :, 1] = black[:, 1, ...]
    q[:, :, 0, :, 1] = white[:, 0, ...]
    q[:, :, 1, :, 0] = white[:, 1, ...]
    return xp.reshape(q, (B, 2 * h, 2 * w))


def plane_neighbours(xp, other, colour: int):
    """The four neighbours of every site of ``colour`` (0 black, 1 white), each an array shaped
    like the colour's planes, from the other colour's planes ``other`` = (O_0, O_1): plane 0
    has O_1, O_1 rolled +1 along I, O_0 and O_0 rolled ±1 along J; plane 1 has O_0, O_0 rolled
    −1 along I, O_1 and O_1 rolled ∓1 along J (upper signs for black)."""
    o0, o1 = other[:, 0, ...], other[:, 1, ...]
    shift = 1 if colour == 0 else -1
    return (
        _pair(xp, o1, o0),
        other,
        _pair(xp, _roll(xp, o1, 1, 1), _roll(xp, o0, -1, 1)),
        _pair(xp, _roll(xp, o0, shift, 2), _roll(xp, o1, -shift, 2)),
    )


def _count_equal(xp, neighbours, values):
    """#{k : neighbour_k = value} per site (int8); ``values`` an array or a Python int."""
    total = None
    for nb in neighbours:
        hit = xp.astype(nb == values, nb.dtype)
        total = hit if total is None else total + hit
    return total


def _plane_updater(model, beta, rule, rng):
    """``update(own, neighbours) → new own`` for one colour's planes."""
    xp, q = rng.backend.xp, model.q
    table = backend_table(model, beta, rule, rng.backend)
    if model.kind == "ising":

        def update(s, nbs):
            u = rng.uniform(tuple(s.shape), dtype=xp.float32)
            return ising_decide(xp, s, nbs[0] + nbs[1] + nbs[2] + nbs[3], u, table)[0]

    elif rule == "metropolis":

        def update(s, nbs):
            proposal = potts_proposal(s, rng, q)
            d = _count_equal(xp, nbs, proposal) - _count_equal(xp, nbs, s)
            u = rng.uniform(tuple(s.shape), dtype=xp.float32)
            return potts_metropolis_decide(xp, s, proposal, d, u, table)[0]

    else:

        def update(s, nbs):
            counts = [_count_equal(xp, nbs, a) for a in range(q)]
            u = rng.uniform(tuple(s.shape), dtype=xp.float32)
            return potts_heatbath_draw(xp, s, counts, u, table)[0]

    return update


def _planes_sweep(model, x, beta, rng, rule):
    xp = rng.backend.xp
    update = _plane_updater(model, beta, rule, rng)
    planes = list(to_planes(xp, x))
    for colour in (0, 1):
        planes[colour] = update(planes[colour], plane_neighbours(xp, planes[1 - colour], colour))
    new = from_planes(xp, *planes)
    return new, _changed_sites(xp, new, x)


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
