"""Local MCMC: one checkerboard sweep of Metropolis or heat-bath updates, batched over chains.

A sweep updates the sublattices of the checkerboard in turn; sites of one colour share no
bond, so all of them are updated at once.  At inverse temperature β, with ΔE the energy change
of a move:

* Metropolis — Ising: flip with probability min(1, e^{−βΔE}) (½ at a tie ΔE = 0, below); Potts:
  propose a uniformly random other value a and accept with min(1, e^{−βΔE_a}) (½ at a tie).
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
* Integer thresholds instead of float uniforms (Ising, Potts Metropolis).  A move with
  probability p is accepted where b ≤ T, b a raw random 32-bit pattern read as int32
  (``Rng.bits32``, the cheapest draw of every library) and T = ⌈2³² p⌉ − 1 − 2³¹
  (:func:`threshold_table`), so P(accept) = ⌈2³² p⌉ / 2³² ∈ [p, p + 2⁻³²) (2⁻³² where p = 0).
  The Potts heat-bath on colour planes (q ≤ 6) does the same for its inverse CDF: the other
  colour's values become codes 5^a, so a site's neighbour sum is its packed counts
  P = Σ_a n(a) 5^a, and the new value is #{a ≥ 1 : b ≤ T_a[P]} with T_a the thresholds of
  P(new ≥ a) (:func:`packed_heatbath_thresholds`; 3q array operations per colour besides the
  neighbours, where counting each value took 12q − 5: 1.4–1.6× faster on numpy, 2–2.6× on
  torch).  The masked
  layout and q > 6 draw float32 uniforms (from the same 32-bit patterns:
  :func:`heatbath_uniforms`) for an inverse CDF over float32 weights (each value's
  probability within ~2⁻²³ of the exact one).
* Colour planes.  On a periodic lattice with even Lx and Ly the kernel stores each checkerboard
  colour as a (B, Lx, Ly/2) array whose row i holds the colour's sites of lattice row i in
  column order: black at columns j ≡ i, white at j ≢ i (mod 2) (:func:`to_planes`).  The
  neighbours of a site of one colour are sites of the other colour's array at the same column
  index in the rows above and below (one concatenation of the rows with the last and first
  row, read as two views), at the same index in the same row, and one index left (even rows)
  or right (odd rows) in the same row for black, the reverse for white (one concatenation of
  four slices of each pair of rows: :func:`plane_neighbours`).  So ΔE, the random numbers and
  the acceptances are computed for the sites being updated only (half of the lattice), the
  random numbers of both colours come from one draw per sweep, and the conversion to and from
  the (B, Lx, Ly) states callers see happens once per sweep: on numpy and torch through the
  int16 words of pairs of sites (a colour is a shift by 0 or 8 bits per row and a cast to
  int8; back, the zero-extended bytes times 1 or 256, or-ed), where strided int8 copies were
  the cost (3–5× faster at L = 64, 1.6–2.5× at L = 16).  torch holds small batches of planes
  chains last, (Lx, Ly/2, B), where the shifted neighbour arrays are one gather of runs of B
  bytes along an outer axis (:func:`planes_order`).  Other lattices (odd periodic
  axes, open boundaries) use the masked update of the whole lattice (:func:`_ising_update`,
  :func:`_potts_update`), which shares the tables and decisions.  (A layout in which both
  horizontal neighbours are the same shift needs reversed rows: arithmetic on negatively
  strided int8 arrays was ~15× slower on numpy, and torch has no negative strides.)
* int8 arithmetic for states, indices and the flips; shifts as concatenations of slices
  (less per-call overhead at small L).  Decisions are int8 0/1 arrays, never
  bool casts: ``less_equal_int8`` and ``equal_int8`` (backends.numerics) view numpy's bools as
  int8 and have torch compare into arrays of the operands' width, the only comparisons torch's
  CPU loops vectorise (a bool result from int32/float32 operands or a Python scalar was 3–15×
  slower).

Random streams are reproducible per (seed, backend); they differ between the two layouts (the
planes draw random numbers for the updated colour only).

Ties (ΔE = 0) are accepted with probability ½, not 1 (:func:`metropolis_acceptance`).  With
min(1, e^0) = 1 a colour class whose sites all sit at a tie flips with certainty, and the sweep
has several closed classes of states (measured by the support of exact transition matrices: 3
on the 2×2 torus, 5 on 3×3, 19 on 4×4, 2-cycles of a state and its flip), so chain averages
depended on the start (2×2 at β = 0.4: 31σ off the enumeration).  With ½ at ties every lattice
checked (2×2 … 4×4, 3×5, 2×6; h = 0, 1, 2) has one closed class with self-loops (irreducible,
aperiodic); detailed balance holds for any acceptance at ΔE = 0, the reverse move being a tie too.
"""

from __future__ import annotations

import functools
import math

import array_api_compat
import numpy as np
from leapsbench.backends.numerics import (
    as_int8_bytes,
    as_int16_pairs,
    as_uint8,
    byte_pairs,
    count_at_most_rows,
    count_true,
    equal_int8,
    less_equal_int8,
    lookup,
    permuted_copy,
    take_rows,
)

from leapsbench.models import Ising, Potts

RULES = ("metropolis", "heatbath")
MAX_NEIGHBOURS = 4
"""Neighbours of a site on the square lattice (a 2-periodic axis counts one neighbour twice)."""


def checkerboard_masks(model, backend):
    """The model's colour classes (``model.site_classes()``: boolean (Lx, Ly) masks, no bond
    inside a class) on ``backend``."""
    return tuple(backend.asarray(mask) for mask in model.site_classes())


def metropolis_acceptance(delta, beta: float):
    """min(1, e^{−βΔE}) of a proposed move with energy change ``delta`` ≠ 0, ½ at ΔE = 0 (ties:
    see the module docstring; accepting them with certainty made small tori reducible)."""
    xp = array_api_compat.array_namespace(delta)
    accept = xp.exp(-beta * xp.clip(delta, min=0.0))
    return xp.where(delta == 0, 0.5 * accept, accept)  # e^0 = 1 there


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
    ``model.to_values`` order — the distribution the updates below draw from, for any model
    from its ``delta_energy`` (ΔE_a, 0 at the current value s_i):

    * Metropolis: propose a uniformly among the q − 1 other values and accept with
      min(1, e^{−βΔE_a}): P(a) = min(1, e^{−βΔE_a}) / (q − 1) for a ≠ s_i, the rest to stay
      (Ising: P(flip) = min(1, e^{−βΔE}));
    * heat-bath: P(a) = e^{−βΔE_a} / Σ_b e^{−βΔE_b} (Ising: P(flip) = 1 / (1 + e^{βΔE})).
    """
    xp = array_api_compat.array_namespace(x)
    delta = model.delta_energy(x)
    current = model.one_hot(x, delta.dtype)
    if rule == "heatbath":
        weights = heatbath_weights(delta, beta)
        return weights / xp.sum(weights, axis=-1, keepdims=True)
    move = metropolis_acceptance(delta, beta) * (1.0 - current) / (model.q - 1)
    return move + current * (1.0 - xp.sum(move, axis=-1, keepdims=True))


# -- tables: the acceptance of every value ΔE can take, once per (model, β, rule) -------------

ISING_TABLE_OFFSET = MAX_NEIGHBOURS + 1
ISING_TABLE_CENTRE = 2 * MAX_NEIGHBOURS + 1


def ising_table_index(s, n, ints):
    """Index of (spin s, neighbour sum n) into the Ising table: s (n + 5) + 9 ∈ [0, 18] (the
    constants from ``ints``, :func:`small_ints`)."""
    return s * (n + ints[ISING_TABLE_OFFSET]) + ints[ISING_TABLE_CENTRE]


@functools.lru_cache(maxsize=256)
def acceptance_table(model, beta: float, rule: str) -> np.ndarray:
    """The table the updates look up (float64 numpy, cached per (model, β, rule)):

    * Ising: P(flip) of spin s with neighbour sum n at :func:`ising_table_index`, from
      ΔE = 2 s (J n + h) (``Ising.flip_delta_energy``); index 9 is unused (0);
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


_ON_DEVICE: dict = {}
MAX_CACHED_ON_DEVICE = 512


def cached_on(xp, device, key, make):
    """``make()`` (a small array of namespace ``xp`` on ``device``), made once per (``key``,
    ``xp``, ``device``): moving a table to torch costs µs per sweep.  A device that is not
    hashable is keyed by its name; the cache is cleared when it holds
    :data:`MAX_CACHED_ON_DEVICE` entries."""
    try:
        full_key = (key, xp, device)
        return _ON_DEVICE[full_key]
    except KeyError:
        pass
    except TypeError:
        full_key = (key, xp, str(device))
        if full_key in _ON_DEVICE:
            return _ON_DEVICE[full_key]
    if len(_ON_DEVICE) >= MAX_CACHED_ON_DEVICE:
        _ON_DEVICE.clear()
    _ON_DEVICE[full_key] = made = make()
    return made


def _cached_on_backend(backend, key, make):
    """:func:`cached_on` for ``backend``'s namespace and device."""
    return cached_on(backend.xp, backend.device, key, make)


def backend_table(model, beta: float, rule: str, backend):
    """:func:`acceptance_table` on ``backend`` in float32 (compared with float32 uniforms; a
    Potts heat-bath table in float64 when a weight is below :data:`SMALLEST_FLOAT32_WEIGHT`,
    where float32 would lose precision or underflow); cached (:func:`cached_on`)."""

    def make():
        xp, table = backend.xp, acceptance_table(model, float(beta), rule)
        small = table.min() < SMALLEST_FLOAT32_WEIGHT
        wide = model.kind == "potts" and rule == "heatbath" and small
        return backend.asarray(table, dtype=xp.float64 if wide else xp.float32)

    return _cached_on_backend(backend, ("table", model, beta, rule), make)


@functools.lru_cache(maxsize=256)
def threshold_table(model, beta: float, rule: str) -> np.ndarray:
    """int32 thresholds T = ⌈2³² p⌉ − 1 − 2³¹ of :func:`acceptance_table`'s probabilities p
    (Ising, Potts Metropolis): an int32 of uniform random bits is ≤ T with probability
    ⌈2³² p⌉ / 2³² (clipped: p = 0 gives 2⁻³², p = 1 gives 1)."""
    return probability_thresholds(acceptance_table(model, beta, rule))


def probability_thresholds(p: np.ndarray) -> np.ndarray:
    """int32 T = ⌈2³² p⌉ − 1 − 2³¹ (clipped to int32) of probabilities ``p``."""
    thresholds = np.ceil(np.ldexp(p, 32)) - 1.0 - 2.0**31
    return np.clip(thresholds, -(2.0**31), 2.0**31 - 1).astype(np.int32)


PACKED_BASE = MAX_NEIGHBOURS + 1
"""The Potts heat-bath on colour planes packs a site's neighbour counts n(a) ∈ {0, …, 4} of the q
values into one integer P = Σ_a n(a) 5^a (:func:`packed_heatbath_thresholds`)."""
MAX_PACKED_Q = 6
"""P < 5^q fits int16 up to q = 6 (larger q count each value: :func:`potts_heatbath_draw`)."""


@functools.lru_cache(maxsize=64)
def packed_heatbath_thresholds(model, beta: float) -> np.ndarray:
    """int32 (q − 1, 5^q): row a − 1 at P = Σ_c n(c) 5^c holds the threshold
    (:func:`probability_thresholds`) of G_a = Σ_{c ≥ a} w_c / Σ_c w_c, w_c = e^{−βΔE_c} the
    heat-bath weight of value c (:func:`acceptance_table`), i.e. of P(new value ≥ a).  With
    one int32 of random bits b per site, new = #{a ≥ 1 : b ≤ T_a} (the thresholds fall with a)
    takes the value a with probability within 2⁻³² of w_a / Σ_c w_c."""
    q = model.q
    counts = np.arange(PACKED_BASE**q)[:, None] // PACKED_BASE ** np.arange(q) % PACKED_BASE
    weights = acceptance_table(model, beta, "heatbath")[counts]
    tails = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]  # column a: Σ_{c ≥ a} w_c
    return np.ascontiguousarray(probability_thresholds(tails[:, 1:] / tails[:, :1]).T)


def backend_thresholds(model, beta: float, rule: str, backend):
    """:func:`threshold_table` on ``backend`` (int32; cached: :func:`cached_on`)."""

    def make():
        return backend.asarray(threshold_table(model, float(beta), rule), dtype=backend.xp.int32)

    return _cached_on_backend(backend, ("thresholds", model, beta, rule), make)


SMALL_INTS = (-2, MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1, 2 * MAX_NEIGHBOURS + 1)


def small_ints(backend) -> dict:
    """0-d int8 arrays of the integers the decisions add to or multiply int8 arrays by
    (:data:`SMALL_INTS`): an operand of the array's dtype is cheaper than a Python int
    (s (n + 5) + 9 on 8192 sites: numpy 2.0 → 1.3 µs, torch 6.4 → 3.8 µs); cached."""
    xp = backend.xp
    return _cached_on_backend(
        backend, "small ints", lambda: {v: backend.asarray(v, dtype=xp.int8) for v in SMALL_INTS}
    )


# -- decisions, shared by the colour-plane and the masked layouts -------------------------------


def ising_decide(xp, s, n, bits, thresholds, ints):
    """New spins and the flips (int8 0/1): flip where bits ≤ thresholds[s (n + 5) + 9]
    (``ints``: :func:`small_ints`)."""
    flip = less_equal_int8(xp, bits, lookup(xp, thresholds, ising_table_index(s, n, ints)))
    return s ^ (flip * ints[-2]), flip  # int8 ±1: s ^ −2 = −s


def potts_metropolis_decide(xp, s, proposal, d, bits, thresholds, ints):
    """Accept ``proposal`` where bits ≤ thresholds[d + 4], d = n(proposal) − n(s); returns
    the new values and the acceptances (int8 0/1; ``ints``: :func:`small_ints`)."""
    accept = less_equal_int8(xp, bits, lookup(xp, thresholds, d + ints[MAX_NEIGHBOURS]))
    return s + accept * (proposal - s), accept


def potts_heatbath_draw(xp, s, counts, u, table):
    """Draw each site's value a with P(a) = w_a / Σ_b w_b, w_a = table[n(a)], by inverse CDF:
    a = #{a' < q − 1 : C_a' ≤ u Σ_b w_b}, C the running sum of w.  ``counts`` is the list of
    the q arrays n(a) (int8), ``u`` uniform; returns the new values and the changed-site mask."""
    weights = [lookup(xp, table, n) for n in counts]
    target = u * sum(weights[1:], start=weights[0])
    cumulative, new = weights[0], less_equal_int8(xp, weights[0], target)
    for a in range(2, len(weights)):
        cumulative = cumulative + weights[a - 1]
        new = new + less_equal_int8(xp, cumulative, target)
    return new, new != s


UNIFORM_BITS = 24
"""Bits of a float32 uniform: k · 2⁻²⁴ for k uniform on [0, 2²⁴), as numpy draws float32."""


def heatbath_uniforms(rng, shape):
    """float32 uniforms on [0, 1), k · 2⁻²⁴ with k the low 24 bits of ``Rng.bits32`` (exactly
    numpy's float32 draw; the bits are the cheaper draw on torch's CPU)."""
    xp = rng.backend.xp
    low = rng.bits32(tuple(shape)) & (2**UNIFORM_BITS - 1)
    return xp.astype(low, xp.float32) * (2.0**-UNIFORM_BITS)


def proposal_shifts(rng, q: int, shape):
    """The r ∈ {1, …, q − 1} of Metropolis proposals, uniform, int8 of ``shape``."""
    return rng.integers(1, q, tuple(shape), dtype=rng.backend.xp.int8)


def potts_proposal(xp, s, r, q: int):
    """Metropolis proposal (s + r) mod q for int8 shifts r ∈ {1, …, q − 1} (no int8 overflow:
    t = s − (q − r) ∈ [1 − q, q − 2], then t + q where t < 0: q & (t >> 7), the arithmetic
    shift being −1 (all bits) exactly there; torch compares an int8 array with a scalar in a
    scalar loop, 8× slower than the shift)."""
    t = s - (q - r)
    return t + (q & (t >> 7))


def _changed_sites(xp, new, old):
    """Per chain, the number of sites whose value changed (each site is updated once a sweep)."""
    return count_true(xp, new != old, axis=(1, 2))


# -- the masked layout: any lattice, the whole lattice computed per colour class ---------------


def _ising_update(model, x, beta, rng, rule, active):
    """Update the sites where ``active`` (one colour class) of Ising chains x (B, Lx, Ly)."""
    xp = rng.backend.xp
    n = model.lattice.neighbour_sum(x)
    bits = rng.bits32(tuple(x.shape))
    thresholds = backend_thresholds(model, beta, rule, rng.backend)
    new, flip = ising_decide(xp, x, n, bits, thresholds, small_ints(rng.backend))
    moved = (flip != 0) & active
    return xp.where(moved, new, x), moved


def _potts_update(model, x, beta, rng, rule, active):
    """The same for Potts chains; neighbour counts n(a) from ``Potts.neighbour_counts``."""
    xp = rng.backend.xp
    counts = xp.astype(model.neighbour_counts(x), xp.int8)
    if rule == "metropolis":
        proposal = potts_proposal(xp, x, proposal_shifts(rng, model.q, x.shape), model.q)
        d = xp.sum(counts * (model.one_hot(proposal, xp.int8) - model.one_hot(x, xp.int8)), axis=-1)
        bits = rng.bits32(tuple(x.shape))
        thresholds = backend_thresholds(model, beta, rule, rng.backend)
        ints = small_ints(rng.backend)
        new, accept = potts_metropolis_decide(xp, x, proposal, d, bits, thresholds, ints)
        moved = accept != 0
    else:
        table = backend_table(model, beta, rule, rng.backend)
        u = heatbath_uniforms(rng, x.shape)
        per_value = [counts[..., a] for a in range(model.q)]
        new, moved = potts_heatbath_draw(xp, x, per_value, u, table)
    moved = moved & active
    return xp.where(moved, new, x), moved


def flip_probability(delta, beta, rule: str):
    """P(flip) of a ±1 spin with flip energy change ΔE: min(1, e^{−βΔE}) (Metropolis; ½ at a
    tie, :func:`metropolis_acceptance`) or
    1 / (1 + e^{βΔE}) = (1 − tanh(βΔE/2)) / 2 (heat-bath, written without overflow); ``beta`` a
    float or an array broadcasting against ``delta`` (one β per walker)."""
    xp = array_api_compat.array_namespace(delta)
    if rule == "metropolis":
        return metropolis_acceptance(delta, beta)
    return 0.5 * (1.0 - xp.tanh(0.5 * beta * delta))


def _field_update(model, x, beta, rng, rule, active):
    """Update the sites where ``active`` of ±1 spin chains from the model's own ΔE
    (``flip_delta_energy``: any couplings), in float32 like the tables (probabilities within ~2⁻²³
    of the exact ones; docs/perf.md), with float32 uniforms; ``beta`` a float or a (B, 1, 1)
    float32 array."""
    xp = rng.backend.xp
    delta = model.flip_delta_energy(x, dtype=xp.float32)
    u = rng.uniform(tuple(x.shape), dtype=xp.float32)
    moved = (u < flip_probability(delta, beta, rule)) & active
    return xp.where(moved, -x, x), moved


def field_sweep(model, x, beta, rng, rule: str = "metropolis"):
    """One colour-class sweep of ±1 spin chains (Ising or spin glass) from ``flip_delta_energy``,
    at one β per chain: ``beta`` a float or a (B,) backend array (parallel tempering).  Returns
    ``(x_new, acceptance)`` like :func:`sweep`."""
    if rule not in RULES:
        raise ValueError(f"unknown local MCMC rule {rule!r}; known: {', '.join(RULES)}")
    xp = rng.backend.xp
    if not isinstance(beta, float):
        beta = xp.astype(xp.reshape(beta, (-1, 1, 1)), xp.float32)
    new = x
    for active in checkerboard_masks(model, rng.backend):
        new, _ = _field_update(model, new, beta, rng, rule, active)
    moved = _changed_sites(xp, new, x)
    return new, xp.astype(moved, rng.backend.dtype) / model.n_sites


def spec_sweep(model, x, beta: float, rng, rule: str = "metropolis"):
    """One sweep over the model's colour classes, each site drawing its new value from
    :func:`site_kernel` by inverse CDF: a' = #{a : Σ_{b≤a} P(b) ≤ u}, u ~ U[0, 1).  Any model
    with ``delta_energy``, ``one_hot``, ``to_values``/``from_values`` and ``site_classes`` runs
    through it; returns ``(x_new, changed)`` with ``changed`` the count of changed sites."""
    xp = rng.backend.xp
    new = x
    for active in checkerboard_masks(model, rng.backend):
        cdf = xp.cumulative_sum(site_kernel(model, new, beta, rule), axis=-1)
        u = rng.uniform(tuple(x.shape), dtype=cdf.dtype)
        drawn = xp.sum(xp.astype(cdf <= u[..., None], xp.int8), axis=-1, dtype=xp.int8)
        drawn = xp.clip(drawn, max=model.q - 1)  # cdf[-1] may round below u
        new = xp.where(active, model.from_values(xp.astype(drawn, x.dtype)), new)
    return new, _changed_sites(xp, new, x)


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


def _is_torch(xp) -> bool:
    """Whether ``xp`` is torch, whose per-call costs differ from numpy's: ``stack`` and
    ``split`` are one dispatch each (numpy's ``stack`` is a Python function, slower than a
    concatenation of expanded views), and small batches of planes go chains last
    (:func:`planes_order`)."""
    return array_api_compat.is_torch_namespace(xp)


_NEW_AXIS_2 = (slice(None), slice(None), None, ...)


def _pair(xp, a, b):
    """a and b stacked on a new axis 2 (one concat on numpy)."""
    if _is_torch(xp):
        return xp.stack([a, b], axis=2)
    return xp.concat([a[_NEW_AXIS_2], b[_NEW_AXIS_2]], axis=2)


def _byte_shift_table(Lx: int, w: int, chains: int) -> np.ndarray:
    """int16 (Lx, w): 0 on even rows, 8 on odd rows (:func:`_byte_shifts`); (Lx, w, chains),
    the same for every chain, where ``chains`` > 0 (the planes chains last)."""
    table = np.repeat(np.arange(Lx)[:, None] % 2 * 8, w, axis=1).astype(np.int16)
    return np.repeat(table[..., None], chains, axis=2) if chains else table


def _byte_shifts(xp, device, Lx: int, w: int, chains: int = 0):
    """For the int16 words of a (B, Lx, 2w) int8 state (two sites each, the even column in the
    low byte): the right shifts (int16, (Lx, w), or (Lx, w, B) for words chains last) that bring
    black's byte to the low byte — 0 on even rows, 8 on odd rows — and white's, the reverse.
    Whole arrays: broadcast from (Lx, 1) along a short last axis, torch's shift was 2–6×
    slower.  Cached (:func:`cached_on`)."""

    def make():
        black = _byte_shift_table(Lx, w, chains)
        return xp.asarray(black, device=device), xp.asarray(8 - black, device=device)

    return cached_on(xp, device, ("byte shifts", Lx, w, chains), make)


def _byte_factors(xp, device, Lx: int, w: int, chains: int = 0):
    """2^shift of :func:`_byte_shifts`: left shifts as products (numpy's are 1.4× faster);
    cached."""

    def make():
        black = _byte_shift_table(Lx, w, chains)
        return xp.asarray(1 << black, device=device), xp.asarray(1 << (8 - black), device=device)

    return cached_on(xp, device, ("byte factors", Lx, w, chains), make)


CHAINS_FIRST, CHAINS_LAST = (0, 1, 2), (1, 2, 0)
"""Axis orders of the colour planes: (B, Lx, w), or (Lx, w, B) with the chains innermost."""
_CHAINS_FIRST_AGAIN = (2, 0, 1)
"""The permutation that takes chains-last planes back to chains first."""
CHAINS_LAST_MAX_STATES = 50_000
"""torch holds the planes chains last up to this many sites in all (:func:`planes_order`)."""


def planes_order(xp, shape) -> tuple[int, ...]:
    """:data:`CHAINS_LAST` for torch where the B·Lx·Ly sites of ``shape`` are at most
    :data:`CHAINS_LAST_MAX_STATES`, else :data:`CHAINS_FIRST`.  Chains last, the three
    shifted neighbour arrays of :func:`plane_neighbours` are one gather of runs of B bytes
    along an outer axis, where chains first the neighbour in the same row is a concatenation
    along the last axis of runs of 1 and w − 1 bytes, which costs torch 12 µs at L = 16 with 64
    chains (2–3 µs for the same bytes along an outer axis).  The transpositions of the int16
    words in :func:`to_planes` and :func:`from_planes` cost less than that only for small
    lattices (torch sweeps, one process: 1.06–1.22× as fast chains last for 8²·64, 16²·64,
    16²·128, 32²·32 and 24²·64 sites, 0.95–1.08× at 32²·64 and 48²·64, 0.69–0.83× at 64²·64).
    numpy's per-call cost is low enough that chains first is never slower for it."""
    if _is_torch(xp) and math.prod(shape) <= CHAINS_LAST_MAX_STATES:
        return CHAINS_LAST
    return CHAINS_FIRST


def to_planes(xp, x, order=CHAINS_FIRST):
    """States (B, Lx, Ly) → (black, white), each (B, Lx, Ly/2) with its axes in ``order``
    (:func:`planes_order`): row i of a colour holds that colour's sites of lattice row i,
    black at columns j ≡ i, white at j ≢ i (mod 2) (module docstring).  Where int8 pairs can
    be viewed as int16 words (``byte_pairs``) a colour is one shift and one narrowing cast of
    those words; else (and for other dtypes) a stack of two strided views."""
    B, Lx, Ly = x.shape
    last = order != CHAINS_FIRST
    if byte_pairs(xp) and x.dtype == xp.int8:
        words = as_int16_pairs(xp, x)
        words = permuted_copy(xp, words, order) if last else words
        shifts = _byte_shifts(xp, array_api_compat.device(x), Lx, Ly // 2, B if last else 0)
        return tuple(xp.astype(words >> s, xp.int8) for s in shifts)
    if last:
        return tuple(permuted_copy(xp, plane, order) for plane in to_planes(xp, x))
    q = xp.reshape(x, (B, Lx // 2, 2, Ly // 2, 2))  # q[b, I, r, J, c] = x[b, 2I + r, 2J + c]
    black = _pair(xp, q[:, :, 0, :, 0], q[:, :, 1, :, 1])
    white = _pair(xp, q[:, :, 0, :, 1], q[:, :, 1, :, 0])
    shape = (B, Lx, Ly // 2)
    return xp.reshape(black, shape), xp.reshape(white, shape)


def from_planes(xp, black, white, order=CHAINS_FIRST):
    """The inverse of :func:`to_planes`: where ``byte_pairs``, the int16 words Σ byte · 2^shift
    (each colour's bytes zero-extended, multiplied by :func:`_byte_factors` in place, or-ed);
    else four strided assignments."""
    last = order != CHAINS_FIRST
    B, Lx, w = (black.shape[2], *black.shape[:2]) if last else black.shape
    if byte_pairs(xp) and black.dtype == xp.int8:
        factors = _byte_factors(xp, array_api_compat.device(black), Lx, w, B if last else 0)
        words, high = (xp.astype(as_uint8(xp, a), xp.int16) for a in (black, white))
        words *= factors[0]
        high *= factors[1]
        words |= high
        return as_int8_bytes(xp, permuted_copy(xp, words, _CHAINS_FIRST_AGAIN) if last else words)
    if last:
        planes = (permuted_copy(xp, a, _CHAINS_FIRST_AGAIN) for a in (black, white))
        return from_planes(xp, *planes)
    black, white = (xp.reshape(a, (B, Lx // 2, 2, w)) for a in (black, white))
    q = xp.empty((B, Lx // 2, 2, w, 2), dtype=black.dtype, device=array_api_compat.device(black))
    q[:, :, 0, :, 0] = black[:, :, 0, ...]
    q[:, :, 1, :, 1] = black[:, :, 1, ...]
    q[:, :, 0, :, 1] = white[:, :, 0, ...]
    q[:, :, 1, :, 0] = white[:, :, 1, ...]
    return xp.reshape(q, (B, Lx, 2 * w))


@functools.lru_cache(maxsize=64)
def _last_axis_slices(sizes: tuple[int, ...]) -> tuple:
    """Index tuples of consecutive pieces of ``sizes`` along the last axis."""
    ends = np.cumsum(sizes).tolist()
    return tuple((..., slice(end - size, end)) for size, end in zip(sizes, ends, strict=True))


def _split_last(xp, a, sizes: tuple[int, ...]):
    """``a`` cut along its last axis into consecutive pieces of ``sizes`` (torch: one
    ``split``, 4 µs for four pieces where four slicings cost 6 µs; else slices)."""
    if _is_torch(xp):
        return a.split(sizes, dim=-1)
    return tuple(a[cut] for cut in _last_axis_slices(sizes))


def _neighbour_index(xp, device, Lx: int, w: int, colour: int):
    """int64 (3·Lx·w,): for each site (i, k) of ``colour``'s planes, the flat index i·w + k of
    the other colour's site in the row above, in the row below and in the same row
    (:func:`plane_neighbours`): k − 1 on black's even and white's odd rows, k + 1 on the
    others (periodic).  Cached (:func:`cached_on`)."""

    def make():
        k, rows = np.arange(w), np.arange(Lx)[:, None]
        column = np.where(rows % 2 == colour, (k - 1) % w, (k + 1) % w)
        flat = [(rows - 1) % Lx * w + k, (rows + 1) % Lx * w + k, rows * w + column]
        return xp.asarray(np.stack(flat).reshape(-1), dtype=xp.int64, device=device)

    return cached_on(xp, device, ("neighbour index", Lx, w, colour), make)


def plane_neighbours(xp, other, colour: int, order=CHAINS_FIRST):
    """The four neighbours of every site of ``colour`` (0 black, 1 white), each an array shaped
    like the colour's planes (B, Lx, w), from the other colour's planes ``other`` O: the
    sites of the rows above and below, O rolled ±1 along the rows (two views of one
    concatenation of O with its last and first rows), the site of the same row and column
    index, O, and the other one of the same row, O[i, k − 1] on even and O[i, k + 1] on odd
    rows for black, the reverse for white (one concatenation of four slices of each pair of
    rows, an even row's w values and then an odd row's).  Chains last (``order``, the planes'
    axis order: :func:`planes_order`), the three shifted arrays are one gather of runs of B
    values (:func:`_neighbour_index`; torch, L = 16, 64 chains: 6 µs, where the concatenations
    took 12 µs chains last and 23 µs chains first)."""
    if order != CHAINS_FIRST:
        Lx, w, B = other.shape
        index = _neighbour_index(xp, array_api_compat.device(other), Lx, w, colour)
        gathered = take_rows(xp, xp.reshape(other, (Lx * w, B)), index)
        gathered = xp.reshape(gathered, (3, Lx, w, B))
        return gathered[0, ...], gathered[1, ...], other, gathered[2, ...]
    B, Lx, w = other.shape
    rows = xp.concat([other[:, -1:, ...], other, other[:, :1, ...]], axis=1)
    pairs = xp.reshape(other, (B, Lx // 2, 2 * w))
    sizes = (w - 1, 1, 1, w - 1) if colour == 0 else (1, w - 1, w - 1, 1)
    a, b, c, d = _split_last(xp, pairs, sizes)
    across = xp.reshape(xp.concat([b, a, d, c], axis=-1), (B, Lx, w))
    return rows[:, :-2, ...], rows[:, 2:, ...], other, across


def _count_equal(xp, neighbours, values):
    """#{k : neighbour_k = value} per site (int8); ``values`` an array or a Python int."""
    total = None
    for nb in neighbours:
        hit = equal_int8(xp, nb, values)
        total = hit if total is None else total + hit
    return total


def _per_colour(draws):
    """The two colours' slices of a draw stacked on axis 0."""
    return draws[0, ...], draws[1, ...]


def _plane_updater(model, beta, rule, rng, order=CHAINS_FIRST):
    """``(draw, update)``: ``draw(shape)`` the random numbers of one sweep (one draw for both
    colours), a pair indexed by colour; ``update(own, other, colour, draws)`` the new planes
    of ``colour`` from its own and the other colour's planes, both in axis ``order``
    (:func:`planes_order`)."""
    xp, q, ints = rng.backend.xp, model.q, small_ints(rng.backend)
    bits = lambda shape: _per_colour(rng.bits32((2, *shape)))  # noqa: E731
    if model.kind == "ising":
        thresholds = backend_thresholds(model, beta, rule, rng.backend)

        def update(s, other, colour, draws):
            nbs = plane_neighbours(xp, other, colour, order)
            n = nbs[0] + nbs[1] + nbs[2] + nbs[3]
            return ising_decide(xp, s, n, draws, thresholds, ints)[0]

        return bits, update
    if rule == "heatbath":
        return _potts_heatbath_updater(model, beta, rng, bits, order)
    thresholds = backend_thresholds(model, beta, rule, rng.backend)

    def update(s, other, colour, draws):
        nbs = plane_neighbours(xp, other, colour, order)
        proposal = potts_proposal(xp, s, draws[0], q)
        d = _count_equal(xp, nbs, proposal) - _count_equal(xp, nbs, s)
        return potts_metropolis_decide(xp, s, proposal, d, draws[1], thresholds, ints)[0]

    def draw(shape):
        shifts = proposal_shifts(rng, q, (2, *shape))
        return tuple(zip(_per_colour(shifts), bits(shape), strict=True))

    return draw, update


def _packed_heatbath_tables(model, beta: float, backend):
    """On ``backend``: the codes 5^a (int16) and :func:`packed_heatbath_thresholds` (int32,
    (q − 1, 5^q)) (cached: :func:`cached_on`)."""
    xp, q = backend.xp, model.q

    def make():
        rows = backend.asarray(packed_heatbath_thresholds(model, beta), dtype=xp.int32)
        return backend.asarray(PACKED_BASE ** np.arange(q), dtype=xp.int16), rows

    return _cached_on_backend(backend, ("packed heat-bath", model, beta), make)


def _potts_heatbath_updater(model, beta, rng, bits, order):
    """:func:`_plane_updater` of the Potts heat-bath: for q ≤ :data:`MAX_PACKED_Q` the other
    colour's values become codes 5^a (int16), whose neighbour sum is the packed counts P, and
    the new value is a sum of q − 1 threshold decisions looked up at P
    (:func:`packed_heatbath_thresholds`, ``count_at_most_rows``: on numpy one gather of the
    q − 1 thresholds, one comparison and one sum per colour besides the neighbours, where
    counting each value took 12q − 5 array operations); else :func:`potts_heatbath_draw`."""
    backend, xp, q = rng.backend, rng.backend.xp, model.q
    if q > MAX_PACKED_Q:
        table = backend_table(model, beta, "heatbath", backend)

        def update(s, other, colour, u):
            nbs = plane_neighbours(xp, other, colour, order)
            counts = [_count_equal(xp, nbs, a) for a in range(q)]
            return potts_heatbath_draw(xp, s, counts, u, table)[0]

        return lambda shape: _per_colour(heatbath_uniforms(rng, (2, *shape))), update
    powers, rows = _packed_heatbath_tables(model, beta, backend)

    def update(s, other, colour, draws):
        nbs = plane_neighbours(xp, lookup(xp, powers, other), colour, order)
        packed = nbs[0] + nbs[1] + nbs[2] + nbs[3]
        return count_at_most_rows(xp, draws, rows, packed)

    return bits, update


def _planes_sweep(model, x, beta, rng, rule):
    xp = rng.backend.xp
    order = planes_order(xp, x.shape)
    draw, update = _plane_updater(model, beta, rule, rng, order)
    planes = list(to_planes(xp, x, order))
    draws = draw(tuple(planes[0].shape))
    for colour in (0, 1):
        planes[colour] = update(planes[colour], planes[1 - colour], colour, draws[colour])
    new = from_planes(xp, *planes, order)
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
    if type(model) not in (Ising, Potts):  # no tables: from the model's own ΔE
        if hasattr(model, "flip_delta_energy"):
            return field_sweep(model, x, float(beta), rng, rule)
        x, accepted = spec_sweep(model, x, float(beta), rng, rule)
        return x, rng.backend.xp.astype(accepted, rng.backend.dtype) / model.n_sites
    kernel = _planes_sweep if has_planes(model.lattice) else _masked_sweep
    x, accepted = kernel(model, x, float(beta), rng, rule)
    return x, rng.backend.xp.astype(accepted, rng.backend.dtype) / model.n_sites
