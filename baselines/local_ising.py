"""The fast local kernel of the Ising model (:class:`IsingTables`).

ΔE of flipping spin s with neighbour sum n ∈ {−4, …, 4} is 2 s (J n + h), so P(flip) of either
rule takes 18 values: :func:`acceptance_table` computes them once per (model, β, rule) from
:func:`.local.metropolis_acceptance` and :func:`.local.heatbath_flip_probability`, indexed by
s (n + 5) + 9 (int8 arithmetic), as int32 thresholds for raw random bits on the backend
(:func:`.local_tables.backend_thresholds`).  A spin flips where its
bits are ≤ the threshold looked up at its index: the same decision on both layouts.
"""

from __future__ import annotations

import functools

import numpy as np
from leapsbench.backends.numerics import less_equal_int8, lookup

from .local import heatbath_flip_probability, metropolis_acceptance
from .local_fast import FastKernel, per_colour
from .local_planes import plane_neighbours
from .local_tables import MAX_NEIGHBOURS, backend_thresholds, small_ints

TABLE_OFFSET = MAX_NEIGHBOURS + 1
TABLE_CENTRE = 2 * MAX_NEIGHBOURS + 1


def table_index(s, n, ints):
    """Index of (spin s, neighbour sum n) into the table: s (n + 5) + 9 ∈ [0, 18] (the
    constants from ``ints``, :func:`.local_tables.small_ints`)."""
    return s * (n + ints[TABLE_OFFSET]) + ints[TABLE_CENTRE]


@functools.lru_cache(maxsize=256)
def acceptance_table(model, beta: float, rule: str) -> np.ndarray:
    """P(flip) of spin s with neighbour sum n at :func:`table_index`, from ΔE = 2 s (J n + h)
    (``Ising.flip_delta_energy``); index 9 is unused (0).  float64 numpy, cached per
    (model, β, rule)."""
    n = np.arange(-MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1)
    delta = np.concatenate(
        [-2.0 * (model.J * n[::-1] + model.h), [0.0], 2.0 * (model.J * n + model.h)]
    )
    flip = metropolis_acceptance if rule == "metropolis" else heatbath_flip_probability
    table = flip(delta, beta)
    table[TABLE_CENTRE] = 0.0
    return table


def decide(xp, s, n, bits, thresholds, ints):
    """New spins and the flips (int8 0/1): flip where bits ≤ thresholds[s (n + 5) + 9]."""
    flip = less_equal_int8(xp, bits, lookup(xp, thresholds, table_index(s, n, ints)))
    return s ^ (flip * ints[-2]), flip  # int8 ±1: s ^ −2 = −s


class IsingTables(FastKernel):
    """Ising sweeps from :func:`acceptance_table`'s thresholds (any J and h)."""

    def masked_update(self, model, x, beta, rng, rule, active):
        xp = rng.backend.xp
        n = model.lattice.neighbour_sum(x)
        bits = rng.bits32(tuple(x.shape))
        thresholds = backend_thresholds(acceptance_table, model, beta, rule, rng.backend)
        new, flip = decide(xp, x, n, bits, thresholds, small_ints(rng.backend))
        moved = (flip != 0) & active
        return xp.where(moved, new, x), moved

    def plane_updater(self, model, beta, rule, rng, order):
        xp, ints = rng.backend.xp, small_ints(rng.backend)
        thresholds = backend_thresholds(acceptance_table, model, beta, rule, rng.backend)

        def draw(shape):
            return per_colour(rng.bits32((2, *shape)))

        def update(s, other, colour, bits):
            nbs = plane_neighbours(xp, other, colour, order)
            n = nbs[0] + nbs[1] + nbs[2] + nbs[3]
            return decide(xp, s, n, bits, thresholds, ints)[0]

        return draw, update
