"""Local MCMC: one checkerboard sweep of Metropolis or heat-bath updates, batched over chains.

A sweep updates the sublattices of the checkerboard in turn; sites of one colour share no
bond, so all of them are updated at once from one O(N) energy-change evaluation.  At inverse
temperature β, with ΔE the energy change of a move:

* Metropolis — Ising: flip with probability min(1, e^{−βΔE}); Potts: propose a uniformly random
  other value a and accept with min(1, e^{−βΔE_a}).
* heat-bath (Glauber) — draw the site's new value from its conditional,
  P(a) ∝ e^{−βΔE_a} (ΔE = 0 for the current value); for Ising P(flip) = 1 / (1 + e^{βΔE}).

Each colour-class update satisfies detailed balance with respect to ρ ∝ e^{−βH}, so the sweep
leaves ρ invariant.  A periodic axis of odd length has no proper 2-colouring; there the sweep runs
over a proper 3-colouring instead (see :func:`checkerboard_masks`).

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


def _ising_update(model, x, beta, rng, rule, active):
    xp = rng.backend.xp
    delta = model.delta_energy(x)
    u = rng.uniform(tuple(x.shape), dtype=delta.dtype)
    if rule == "metropolis":
        accept = u < metropolis_acceptance(delta, beta)
    else:
        accept = u < heatbath_flip_probability(delta, beta)
    moved = accept & active
    return xp.where(moved, -x, x), moved


def _potts_update(model, x, beta, rng, rule, active):
    xp = rng.backend.xp
    delta = model.delta_energy(x)
    if rule == "metropolis":
        shift = rng.integers(1, model.q, tuple(x.shape))
        proposal = xp.astype((xp.astype(x, shift.dtype) + shift) % model.q, x.dtype)
        delta_proposed = xp.sum(delta * model.one_hot(proposal), axis=-1)
        u = rng.uniform(tuple(x.shape), dtype=delta.dtype)
        accept = u < metropolis_acceptance(delta_proposed, beta)
    else:
        proposal = xp.astype(rng.categorical(heatbath_weights(delta, beta)), x.dtype)
        accept = proposal != x
    moved = accept & active
    return xp.where(moved, proposal, x), moved


def sweep(model, x, beta: float, rng, rule: str = "metropolis"):
    """One checkerboard sweep of B chains at inverse temperature ``beta``.

    Returns ``(x_new, acceptance)``: the new int8 states (B, Lx, Ly) and, per chain, the fraction
    of site updates that changed the state.
    """
    if rule not in RULES:
        raise ValueError(f"unknown local MCMC rule {rule!r}; known: {', '.join(RULES)}")
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    xp = rng.backend.xp
    update = _ising_update if model.kind == "ising" else _potts_update
    accepted = None
    for active in checkerboard_masks(model, rng.backend):
        x, moved = update(model, x, float(beta), rng, rule, active)
        count = xp.count_nonzero(moved, axis=(1, 2))
        accepted = count if accepted is None else accepted + count
    return x, xp.astype(accepted, rng.backend.dtype) / model.n_sites
