"""Local MCMC, the specification: one sweep of Metropolis or heat-bath updates over the model's
colour classes, batched over chains.

A sweep updates the model's colour classes (``model.site_classes()``: independent sets, no bond
inside one) in turn; the sites of one class are conditionally independent given the rest, so
all of them are updated at once.  At inverse temperature β, with ΔE_a = H(x with site i at a) −
H(x) (``model.delta_energy``, 0 at the current value s_i), a site draws its new value from

* Metropolis: propose a ≠ s_i uniformly among the q − 1 other values, accept with
  min(1, e^{−βΔE_a}), and ½ at a tie ΔE_a = 0 (:func:`metropolis_acceptance`);
* heat-bath (Glauber): P(a) = e^{−βΔE_a} / Σ_b e^{−βΔE_b} (:func:`heatbath_weights`; for ±1
  spins P(flip) = 1 / (1 + e^{βΔE}), :func:`heatbath_flip_probability`).

:func:`site_kernel` is that distribution for every site and value; :func:`spec_sweep` draws from
it by inverse CDF for any model.  Each colour-class update satisfies detailed balance with respect
to ρ ∝ e^{−βH}, so the sweep leaves ρ invariant.

Ties are accepted with probability ½, not 1.  With min(1, e^0) = 1 a colour class whose sites all
sit at a tie flips with certainty, and the sweep has several closed classes of states (exact
transition matrices: 3 on the 2×2 torus, 5 on 3×3, 19 on 4×4, 2-cycles of a state and its flip),
so chain averages depended on the start (2×2 at β = 0.4: 31σ off the enumeration).  With ½ every
lattice checked (2×2 … 4×4, 3×5, 2×6; h = 0, 1, 2) has one closed class with self-loops;
detailed balance holds for any acceptance at ΔE = 0, the reverse move being a tie too.

:func:`sweep` is what samplers call.  A model class with a registered fast kernel
(:mod:`.local_registry`: tables, integer thresholds, colour planes; the Ising and Potts models)
sweeps through it; the fast kernels draw from the same site kernel (tests/test_local_fast.py
checks each of them against :func:`site_kernel`).  Any other model runs :func:`model_sweep`:
:func:`field_sweep` for ±1 spins with ``flip_delta_energy`` (spin glasses), else
:func:`spec_sweep`.  Random streams are reproducible per (seed, backend, kernel).
"""

from __future__ import annotations

import array_api_compat
from leapsbench.backends.numerics import count_true

RULES = ("metropolis", "heatbath")


def check_rule(rule: str) -> None:
    """ValueError naming ``rule`` unless it is one of :data:`RULES`."""
    if rule not in RULES:
        raise ValueError(f"unknown local MCMC rule {rule!r}; known: {', '.join(RULES)}")


def checkerboard_masks(model, backend):
    """The model's colour classes (``model.site_classes()``: boolean (Lx, Ly) masks, no bond
    inside a class) on ``backend``."""
    return tuple(backend.asarray(mask) for mask in model.site_classes())


def metropolis_acceptance(delta, beta):
    """min(1, e^{−βΔE}) of a proposed move with energy change ``delta`` ≠ 0, ½ at ΔE = 0 (ties:
    see the module docstring; accepting them with certainty made small tori reducible)."""
    xp = array_api_compat.array_namespace(delta)
    accept = xp.exp(-beta * xp.clip(delta, min=0.0))
    return xp.where(delta == 0, 0.5 * accept, accept)  # e^0 = 1 there


def heatbath_flip_probability(delta, beta: float):
    """±1 spins, heat-bath: P(flip) = 1 / (1 + e^{βΔE})."""
    xp = array_api_compat.array_namespace(delta)
    return 1.0 / (1.0 + xp.exp(beta * delta))


def heatbath_weights(delta, beta):
    """Heat-bath: unnormalised P(a) ∝ e^{−βΔE_a}, shifted by min_a ΔE_a for stability."""
    xp = array_api_compat.array_namespace(delta)
    return xp.exp(-beta * (delta - xp.min(delta, axis=-1, keepdims=True)))


def flip_probability(delta, beta, rule: str):
    """P(flip) of a ±1 spin with flip energy change ΔE: min(1, e^{−βΔE}) (Metropolis; ½ at a
    tie, :func:`metropolis_acceptance`) or 1 / (1 + e^{βΔE}) = (1 − tanh(βΔE/2)) / 2 (heat-bath,
    written without overflow); ``beta`` a float or an array broadcasting against ``delta``."""
    xp = array_api_compat.array_namespace(delta)
    if rule == "metropolis":
        return metropolis_acceptance(delta, beta)
    return 0.5 * (1.0 - xp.tanh(0.5 * beta * delta))


def site_kernel(model, x, beta, rule: str):
    """P(site i takes value a | x) when site i is updated, (B, Lx, Ly, q), values in
    ``model.to_values`` order, for any model from its ``delta_energy`` (ΔE_a, 0 at s_i):

    * Metropolis: P(a) = min(1, e^{−βΔE_a}) / (q − 1) for a ≠ s_i, the rest to stay
      (Ising: P(flip) = min(1, e^{−βΔE}));
    * heat-bath: P(a) = e^{−βΔE_a} / Σ_b e^{−βΔE_b} (Ising: P(flip) = 1 / (1 + e^{βΔE})).

    ``beta`` a float or a (B, 1, 1, 1) array (one β per chain).
    """
    xp = array_api_compat.array_namespace(x)
    delta = model.delta_energy(x)
    current = model.one_hot(x, delta.dtype)
    if rule == "heatbath":
        weights = heatbath_weights(delta, beta)
        return weights / xp.sum(weights, axis=-1, keepdims=True)
    move = metropolis_acceptance(delta, beta) * (1.0 - current) / (model.q - 1)
    return move + current * (1.0 - xp.sum(move, axis=-1, keepdims=True))


def changed_sites(xp, new, old):
    """Per chain, the number of sites whose value changed (each site is updated once a sweep)."""
    return count_true(xp, new != old, axis=(1, 2))


def _per_chain(xp, beta, dims: int):
    """``beta`` as it broadcasts against (B, …) arrays of ``dims`` axes: a float as it is, a (B,)
    array reshaped to (B, 1, …)."""
    return beta if isinstance(beta, float) else xp.reshape(beta, (-1,) + (1,) * (dims - 1))


def spec_sweep(model, x, beta, rng, rule: str = "metropolis"):
    """One sweep over the model's colour classes, each site drawing its new value from
    :func:`site_kernel` by inverse CDF: a' = #{a : Σ_{b≤a} P(b) ≤ u}, u ~ U[0, 1).  Any model
    with ``delta_energy``, ``one_hot``, ``to_values``/``from_values`` and ``site_classes`` runs
    through it; ``beta`` a float or a (B,) array.  Returns ``(x_new, changed)``, ``changed``
    the count of changed sites per chain."""
    xp = rng.backend.xp
    beta = _per_chain(xp, beta, 4)
    new = x
    for active in checkerboard_masks(model, rng.backend):
        cdf = xp.cumulative_sum(site_kernel(model, new, beta, rule), axis=-1)
        u = rng.uniform(tuple(x.shape), dtype=cdf.dtype)
        drawn = xp.sum(xp.astype(cdf <= u[..., None], xp.int8), axis=-1, dtype=xp.int8)
        drawn = xp.clip(drawn, max=model.q - 1)  # cdf[-1] may round below u
        new = xp.where(active, model.from_values(xp.astype(drawn, x.dtype)), new)
    return new, changed_sites(xp, new, x)


def _field_update(model, x, beta, rng, rule, active):
    """Update the sites where ``active`` of ±1 spin chains from the model's own ΔE
    (``flip_delta_energy``: any couplings), in float32 (probabilities within ~2⁻²³ of the exact
    ones), with float32 uniforms; ``beta`` a float or a (B, 1, 1) float32 array."""
    xp = rng.backend.xp
    delta = model.flip_delta_energy(x, dtype=xp.float32)
    u = rng.uniform(tuple(x.shape), dtype=xp.float32)
    moved = (u < flip_probability(delta, beta, rule)) & active
    return xp.where(moved, -x, x), moved


def field_sweep(model, x, beta, rng, rule: str = "metropolis"):
    """One colour-class sweep of ±1 spin chains (Ising or spin glass) from ``flip_delta_energy``,
    at one β per chain: ``beta`` a float or a (B,) backend array (parallel tempering).  Returns
    ``(x_new, acceptance)`` like :func:`sweep`."""
    check_rule(rule)
    xp = rng.backend.xp
    if not isinstance(beta, float):
        beta = xp.astype(_per_chain(xp, beta, 3), xp.float32)
    new = x
    for active in checkerboard_masks(model, rng.backend):
        new, _ = _field_update(model, new, beta, rng, rule, active)
    moved = changed_sites(xp, new, x)
    return new, xp.astype(moved, rng.backend.dtype) / model.n_sites


def model_sweep(model, x, beta, rng, rule: str = "metropolis"):
    """One sweep from the model's own ΔE, without tables, at a float β or one β per chain (a
    (B,) array): :func:`field_sweep` for ±1 spins (``flip_delta_energy``), else
    :func:`spec_sweep`.  Returns ``(x_new, acceptance)`` like :func:`sweep`."""
    check_rule(rule)
    if hasattr(model, "flip_delta_energy"):
        return field_sweep(model, x, beta, rng, rule)
    x, changed = spec_sweep(model, x, beta, rng, rule)
    return x, rng.backend.xp.astype(changed, rng.backend.dtype) / model.n_sites


def fast_kernel_for(model):
    """The fast kernel registered for the model's class that applies to ``model``
    (:mod:`.local_registry`), or None.  Imported on first use: the fast kernels build their
    tables from this module's formulas."""
    from .local_registry import registered_fast_kernel

    return registered_fast_kernel(model)


def sweep(model, x, beta: float, rng, rule: str = "metropolis"):
    """One sweep of B chains at inverse temperature ``beta``: the model's fast kernel where one
    is registered (:func:`fast_kernel_for`), else :func:`model_sweep`.

    Returns ``(x_new, acceptance)``: the new states (B, Lx, Ly) and, per chain, the fraction of
    site updates that changed the state.
    """
    check_rule(rule)
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    kernel = fast_kernel_for(model)
    if kernel is None:
        return model_sweep(model, x, float(beta), rng, rule)
    x, changed = kernel.sweep(model, x, float(beta), rng, rule)
    return x, rng.backend.xp.astype(changed, rng.backend.dtype) / model.n_sites
