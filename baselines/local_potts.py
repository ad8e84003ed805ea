"""The fast local kernel of the q-state Potts model (:class:`PottsTables`).

ΔE of moving site i from s to a is −J (n(a) − n(s)), n(a) ∈ {0, …, 4} the neighbours of value a,
so the kernels' numbers come from small tables (:func:`acceptance_table`, from the formulas of
:mod:`.local`):

* Metropolis: propose a = (s + r) mod q, r uniform in {1, …, q − 1}, and accept where 32 random
  bits are ≤ the int32 threshold of min(1, e^{−βΔE}) at d = n(a) − n(s) ∈ [−4, 4];
* heat-bath, masked layout and q > :data:`MAX_PACKED_Q`: the weights w_a = e^{−β(ΔE_a − min ΔE)}
  looked up at n(a) (float32, float64 where a weight is below
  :data:`SMALLEST_FLOAT32_WEIGHT`), and an inverse CDF against a float32 uniform
  (:func:`heatbath_draw`: each value's probability within ~2⁻²³ of the exact one);
* heat-bath on colour planes, q ≤ :data:`MAX_PACKED_Q`: the other colour's values become codes
  5^a, so a site's neighbour sum is its packed counts P = Σ_a n(a) 5^a, and the new value is
  #{a ≥ 1 : b ≤ T_a[P]}, T_a the thresholds of P(new ≥ a) (:func:`packed_heatbath_thresholds`):
  3q array operations per colour besides the neighbours, where counting each value takes
  12q − 5.
"""

from __future__ import annotations

import functools

import numpy as np
from leapsbench.backends.numerics import count_at_most_rows, equal_int8, less_equal_int8, lookup

from .local import heatbath_weights, metropolis_acceptance
from .local_fast import FastKernel, per_colour
from .local_planes import plane_neighbours
from .local_tables import (
    MAX_NEIGHBOURS,
    backend_table,
    backend_thresholds,
    cached_on_backend,
    float32_uniforms,
    probability_thresholds,
    small_ints,
)

SMALLEST_FLOAT32_WEIGHT = 1e-30
"""Heat-bath weights below this (β|J| ≳ 17) are looked up in float64 instead of float32."""
PACKED_BASE = MAX_NEIGHBOURS + 1
"""The heat-bath on colour planes packs a site's neighbour counts n(a) ∈ {0, …, 4} of the q
values into one integer P = Σ_a n(a) 5^a (:func:`packed_heatbath_thresholds`)."""
MAX_PACKED_Q = 6
"""P < 5^q fits int16 up to q = 6 (larger q count each value: :func:`heatbath_draw`)."""


@functools.lru_cache(maxsize=256)
def acceptance_table(model, beta: float, rule: str) -> np.ndarray:
    """float64 numpy, cached per (model, β, rule): Metropolis, min(1, e^{−βΔE}) at index d + 4,
    d = n(a) − n(s) ∈ [−4, 4], ΔE = −J d; heat-bath, the weight e^{−β(ΔE − min ΔE)} of a value
    with n ∈ [0, 4] neighbours of that value at index n, ΔE = −J n."""
    if rule == "metropolis":
        d = np.arange(-MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1)
        return metropolis_acceptance(-model.J * d, beta)
    return heatbath_weights(-model.J * np.arange(MAX_NEIGHBOURS + 1), beta)


def table_on(model, beta: float, rule: str, backend):
    """:func:`acceptance_table` on ``backend`` (:func:`.local_tables.backend_table`: float32, a
    heat-bath table with a weight below :data:`SMALLEST_FLOAT32_WEIGHT` in float64)."""
    wide_below = SMALLEST_FLOAT32_WEIGHT if rule == "heatbath" else 0.0
    return backend_table(acceptance_table, model, beta, rule, backend, wide_below)


@functools.lru_cache(maxsize=64)
def packed_heatbath_thresholds(model, beta: float) -> np.ndarray:
    """int32 (q − 1, 5^q): row a − 1 at P = Σ_c n(c) 5^c holds the threshold
    (:func:`.local_tables.probability_thresholds`) of G_a = Σ_{c ≥ a} w_c / Σ_c w_c, w_c the
    heat-bath weight of value c (:func:`acceptance_table`), i.e. of P(new value ≥ a).  With
    one int32 of random bits b per site, new = #{a ≥ 1 : b ≤ T_a} (the thresholds fall with a)
    takes the value a with probability within 2⁻³² of w_a / Σ_c w_c."""
    q = model.q
    counts = np.arange(PACKED_BASE**q)[:, None] // PACKED_BASE ** np.arange(q) % PACKED_BASE
    weights = acceptance_table(model, beta, "heatbath")[counts]
    tails = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]  # column a: Σ_{c ≥ a} w_c
    return np.ascontiguousarray(probability_thresholds(tails[:, 1:] / tails[:, :1]).T)


def _packed_heatbath_tables(model, beta: float, backend):
    """On ``backend``: the codes 5^a (int16) and :func:`packed_heatbath_thresholds` (int32,
    (q − 1, 5^q)) (cached)."""
    xp, q = backend.xp, model.q

    def make():
        rows = backend.asarray(packed_heatbath_thresholds(model, beta), dtype=xp.int32)
        return backend.asarray(PACKED_BASE ** np.arange(q), dtype=xp.int16), rows

    return cached_on_backend(backend, ("packed heat-bath", model, beta), make)


def proposal_shifts(rng, q: int, shape):
    """The r ∈ {1, …, q − 1} of Metropolis proposals, uniform, int8 of ``shape``."""
    return rng.integers(1, q, tuple(shape), dtype=rng.backend.xp.int8)


def proposal(xp, s, r, q: int):
    """Metropolis proposal (s + r) mod q for int8 shifts r ∈ {1, …, q − 1} (no int8 overflow:
    t = s − (q − r) ∈ [1 − q, q − 2], then t + q where t < 0: q & (t >> 7), the arithmetic
    shift being −1 (all bits) exactly there; no comparison with a scalar, which torch runs in
    a scalar loop)."""
    t = s - (q - r)
    return t + (q & (t >> 7))


def metropolis_decide(xp, s, proposed, d, bits, thresholds, ints):
    """Accept ``proposed`` where bits ≤ thresholds[d + 4], d = n(proposed) − n(s); returns
    the new values and the acceptances (int8 0/1; ``ints``: :func:`.local_tables.small_ints`)."""
    accept = less_equal_int8(xp, bits, lookup(xp, thresholds, d + ints[MAX_NEIGHBOURS]))
    return s + accept * (proposed - s), accept


def heatbath_draw(xp, s, counts, u, table):
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


def count_equal(xp, neighbours, values):
    """#{k : neighbour_k = value} per site (int8); ``values`` an array or a Python int."""
    total = None
    for nb in neighbours:
        hit = equal_int8(xp, nb, values)
        total = hit if total is None else total + hit
    return total


class PottsTables(FastKernel):
    """Potts sweeps from :func:`acceptance_table` (any J and q)."""

    def masked_update(self, model, x, beta, rng, rule, active):
        xp = rng.backend.xp
        counts = xp.astype(model.neighbour_counts(x), xp.int8)
        if rule == "metropolis":
            proposed = proposal(xp, x, proposal_shifts(rng, model.q, x.shape), model.q)
            one_hots = model.one_hot(proposed, xp.int8) - model.one_hot(x, xp.int8)
            d = xp.sum(counts * one_hots, axis=-1)
            bits = rng.bits32(tuple(x.shape))
            thresholds = backend_thresholds(acceptance_table, model, beta, rule, rng.backend)
            ints = small_ints(rng.backend)
            new, accept = metropolis_decide(xp, x, proposed, d, bits, thresholds, ints)
            moved = accept != 0
        else:
            table = table_on(model, beta, rule, rng.backend)
            u = float32_uniforms(rng, x.shape)
            per_value = [counts[..., a] for a in range(model.q)]
            new, moved = heatbath_draw(xp, x, per_value, u, table)
        moved = moved & active
        return xp.where(moved, new, x), moved

    def plane_updater(self, model, beta, rule, rng, order):
        if rule == "heatbath" and model.q > MAX_PACKED_Q:
            return _counted_heatbath_updater(model, beta, rng, order)
        if rule == "heatbath":
            return _packed_heatbath_updater(model, beta, rng, order)
        return _metropolis_updater(model, beta, rng, order)


def _metropolis_updater(model, beta, rng, order):
    """:meth:`PottsTables.plane_updater` of Metropolis: per colour, the proposal shifts and the
    bits of one draw each; d from the neighbours equal to the proposal and to s."""
    xp, q, ints = rng.backend.xp, model.q, small_ints(rng.backend)
    thresholds = backend_thresholds(acceptance_table, model, beta, "metropolis", rng.backend)

    def draw(shape):
        shifts = proposal_shifts(rng, q, (2, *shape))
        return tuple(zip(per_colour(shifts), per_colour(rng.bits32((2, *shape))), strict=True))

    def update(s, other, colour, draws):
        nbs = plane_neighbours(xp, other, colour, order)
        proposed = proposal(xp, s, draws[0], q)
        d = count_equal(xp, nbs, proposed) - count_equal(xp, nbs, s)
        return metropolis_decide(xp, s, proposed, d, draws[1], thresholds, ints)[0]

    return draw, update


def _packed_heatbath_updater(model, beta, rng, order):
    """The heat-bath for q ≤ :data:`MAX_PACKED_Q`: the other colour's values as codes 5^a
    (int16), whose neighbour sum is the packed counts P, and the new value a sum of q − 1
    threshold decisions looked up at P (``count_at_most_rows``)."""
    xp = rng.backend.xp
    powers, rows = _packed_heatbath_tables(model, beta, rng.backend)

    def draw(shape):
        return per_colour(rng.bits32((2, *shape)))

    def update(s, other, colour, bits):
        nbs = plane_neighbours(xp, lookup(xp, powers, other), colour, order)
        packed = nbs[0] + nbs[1] + nbs[2] + nbs[3]
        return count_at_most_rows(xp, bits, rows, packed)

    return draw, update


def _counted_heatbath_updater(model, beta, rng, order):
    """The heat-bath for q > :data:`MAX_PACKED_Q`: each value's neighbour count, then
    :func:`heatbath_draw` against float32 uniforms."""
    xp, q = rng.backend.xp, model.q
    table = table_on(model, beta, "heatbath", rng.backend)

    def draw(shape):
        return per_colour(float32_uniforms(rng, (2, *shape)))

    def update(s, other, colour, u):
        nbs = plane_neighbours(xp, other, colour, order)
        counts = [count_equal(xp, nbs, a) for a in range(q)]
        return heatbath_draw(xp, s, counts, u, table)[0]

    return draw, update
