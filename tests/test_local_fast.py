"""Every fast local kernel against the specification (baselines/local.py).

The fast kernels (baselines/local_ising.py, local_potts.py: tables, integer thresholds, colour
planes, the packed heat-bath) must draw each colour class from :func:`site_kernel`'s
distribution.  Each path — Ising and Potts, Metropolis and heat-bath, colour planes (both axis
orders) and the masked layout, the packed heat-bath (q ≤ 6) and the counted one (q = 7) —
updates one colour class of fixed states, replicated n times, and the joint values of the
class's sites are compared with P(y) = Π_{i∈class} K_i(x)[y_i] (no bond inside a class, so its
sites are independent given the rest) by a chi-square test at p > 1e-3, cells of expected count
< 5 pooled; values of probability 0 must never occur, sites outside the class must keep theirs.
The exact detailed-balance test of site_kernel (tests/test_mcmc.py) then covers the samplers.
"""

from dataclasses import dataclass

import numpy as np
import pytest
from clock_model import clock
from leapsbench.baselines import local
from leapsbench.baselines.local import checkerboard_masks, site_kernel, sweep
from leapsbench.baselines.local_fast import FastKernel
from leapsbench.baselines.local_ising import IsingTables
from leapsbench.baselines.local_planes import (
    CHAINS_FIRST,
    CHAINS_LAST,
    from_planes,
    to_planes,
)
from leapsbench.baselines.local_potts import MAX_PACKED_Q
from leapsbench.baselines.local_registry import register_fast_kernel, registered_fast_kernel
from scipy.stats import chi2

from leapsbench.models import Ising, Lattice, ising, potts

N_COPIES = 20_000

PLANE_MODELS = {
    "ising-4x4-h": ising(4, 4, beta=0.5, h=0.3),
    "potts3-2x4": potts(3, 2, 4, beta=0.9),
    "potts7-2x2": potts(7, 2, 2, beta=0.6),
}
"""Tori with even sides (colour planes); classes of 8, 4 and 2 sites (2⁸, 3⁴ and 7² joint cells).
The 2-row tori see one neighbour twice: :func:`test_colour_plane_marginals_on_a_4x6_torus`
checks each site's marginal where all four neighbours differ."""
MASKED_MODELS = {
    "ising-3x3-h": ising(3, 3, beta=0.5, h=0.3),
    "ising-2x3-open": ising(2, 3, beta=0.7, h=-0.2, periodic=False),
    "potts3-3x3": potts(3, 3, 3, beta=0.9),
    "potts7-3x2-open": potts(7, 3, 2, beta=0.8, periodic=False),
}
"""Lattices without colour planes (odd periodic sides: 3 colours; open boundaries)."""
RULES = ["metropolis", "heatbath"]


def _fixed_states(model, n_random=3, seed=0):
    """The aligned state and ``n_random`` fixed random ones, as int8 states (S, Lx, Ly)."""
    values = np.random.default_rng(seed).integers(0, model.q, (n_random, *model.shape))
    values = np.concatenate([np.zeros((1, *model.shape), dtype=values.dtype), values])
    return np.asarray(model.from_values(values), dtype=np.int8)


def _masked_updater(model, backend, rule, beta, rng):
    """update(x, c): class c of x updated by the kernel's masked layout."""
    kernel, masks = registered_fast_kernel(model), checkerboard_masks(model, backend)

    def update(x, c):
        new, moved = kernel.masked_update(model, x, beta, rng, rule, masks[c])
        np.testing.assert_array_equal(backend.to_numpy(moved), backend.to_numpy(new != x))
        return new

    return update


def _plane_updater(model, backend, rule, beta, rng, order):
    """update(x, c): colour c of x updated on colour planes in axis ``order``."""
    xp = backend.xp
    draw, update_colour = registered_fast_kernel(model).plane_updater(model, beta, rule, rng, order)

    def update(x, c):
        planes = list(to_planes(xp, x, order))
        draws = draw(tuple(planes[0].shape))
        planes[c] = update_colour(planes[c], planes[1 - c], c, draws[c])
        return from_planes(xp, *planes, order)

    return update


def _pooled_chi2(p, counts):
    """Chi-square of ``counts`` against ``N_COPIES`` · p, cells of expected count < 5 pooled;
    a cell of probability 0 must never occur."""
    possible = p > 1e-12
    assert counts[~possible].sum() == 0, "a value of probability 0 was drawn"
    expected, observed = N_COPIES * p[possible], counts[possible]
    small = expected < 5
    if small.any():
        expected = np.append(expected[~small], expected[small].sum())
        observed = np.append(observed[~small], observed[small].sum())
    return float(np.sum((observed - expected) ** 2 / expected)), expected.size - 1


def class_update_chi2(model, backend, rule, make_update):
    """Chi-square (statistic, dof) of ``update(x, c)`` (from ``make_update(rng)``) for every
    colour class c and fixed state, against :func:`site_kernel` at ``model.beta``."""
    q, n_sites, xp = model.q, model.n_sites, backend.xp
    states = _fixed_states(model)
    n_states = states.shape[0]
    kernel = site_kernel(model, backend.from_numpy(states, dtype=xp.int8), model.beta, rule)
    kernel = backend.to_numpy(kernel).reshape(n_states, n_sites, q)
    old = model.to_values(states).reshape(n_states, 1, n_sites).astype(np.int64)
    x = backend.from_numpy(np.repeat(states, N_COPIES, axis=0), dtype=xp.int8)
    update, stat, dof = make_update(backend.rng(9)), 0.0, 0
    for c, mask in enumerate(model.site_classes()):
        values = model.to_values(backend.to_numpy(update(x, c))).astype(np.int64)
        values = values.reshape(n_states, N_COPIES, n_sites)
        sites = np.flatnonzero(mask.reshape(n_sites))
        outside = np.setdiff1d(np.arange(n_sites), sites)
        unchanged = np.broadcast_to(old, values.shape)[..., outside]
        np.testing.assert_array_equal(values[..., outside], unchanged)
        code = values[..., sites] @ (q ** np.arange(sites.size))  # (S, n)
        digits = (np.arange(q**sites.size)[:, None] // q ** np.arange(sites.size)) % q
        for s in range(n_states):
            p = np.prod(kernel[s, sites][np.arange(sites.size), digits], axis=1)
            cell_stat, cell_dof = _pooled_chi2(p, np.bincount(code[s], minlength=q**sites.size))
            stat, dof = stat + cell_stat, dof + cell_dof
    return stat, dof


def _assert_draws_from_site_kernel(stat, dof):
    assert dof > 0
    assert stat < chi2.isf(1e-3, dof), (stat, dof)


@pytest.mark.parametrize("order", [CHAINS_FIRST, CHAINS_LAST], ids=["chains-first", "last"])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("name", list(PLANE_MODELS))
def test_colour_plane_updates_draw_from_site_kernel(backend, name, rule, order):
    """Ising; Potts Metropolis; Potts heat-bath packed (q = 3 ≤ 6) and counted (q = 7)."""
    model = PLANE_MODELS[name]
    assert registered_fast_kernel(model) is not None

    def make(rng):
        return _plane_updater(model, backend, rule, model.beta, rng, order)

    _assert_draws_from_site_kernel(*class_update_chi2(model, backend, rule, make))


@pytest.mark.parametrize("order", [CHAINS_FIRST, CHAINS_LAST], ids=["chains-first", "last"])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("q", [2, 3, 4, 7])
def test_colour_plane_marginals_on_a_4x6_torus(backend, q, rule, order):
    """Each site of each colour of a 4×6 torus (four distinct neighbours, left and right apart)
    takes its new values with site_kernel's marginal (chi-square over sites and states,
    p > 1e-3)."""
    model = ising(4, 6, beta=0.6) if q == 2 else potts(q, 4, 6, beta=1.1)
    n_sites, xp = model.n_sites, backend.xp
    states = _fixed_states(model)
    kernel = site_kernel(model, backend.from_numpy(states, dtype=xp.int8), model.beta, rule)
    kernel = backend.to_numpy(kernel).reshape(-1, n_sites, q)
    x = backend.from_numpy(np.repeat(states, N_COPIES, axis=0), dtype=xp.int8)
    update = _plane_updater(model, backend, rule, model.beta, backend.rng(11), order)
    stat, dof = 0.0, 0
    for c, mask in enumerate(model.site_classes()):
        values = model.to_values(backend.to_numpy(update(x, c))).astype(np.int64)
        values = values.reshape(len(states), N_COPIES, n_sites)
        for s, i in np.ndindex(len(states), n_sites):
            if mask.reshape(n_sites)[i]:
                counts = np.bincount(values[s, :, i], minlength=q)
                cell_stat, cell_dof = _pooled_chi2(kernel[s, i], counts)
                stat, dof = stat + cell_stat, dof + cell_dof
    _assert_draws_from_site_kernel(stat, dof)


def test_plane_models_cover_both_potts_heatbath_paths():
    qs = [m.q for m in PLANE_MODELS.values() if m.q > 2]
    assert min(qs) <= MAX_PACKED_Q < max(qs)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("name", list(MASKED_MODELS))
def test_masked_updates_draw_from_site_kernel(backend, name, rule):
    model = MASKED_MODELS[name]

    def make(rng):
        return _masked_updater(model, backend, rule, model.beta, rng)

    _assert_draws_from_site_kernel(*class_update_chi2(model, backend, rule, make))


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("layout", ["planes", "masked"])
def test_class_update_check_detects_a_wrong_beta(numpy_backend, rule, layout):
    """The same check fails when the update runs at 0.95 β (it has power)."""
    model = ising(2, 4, beta=0.5, h=0.3) if layout == "planes" else MASKED_MODELS["ising-3x3-h"]

    def make(rng):
        beta = 0.95 * model.beta
        if layout == "planes":
            return _plane_updater(model, numpy_backend, rule, beta, rng, CHAINS_FIRST)
        return _masked_updater(model, numpy_backend, rule, beta, rng)

    stat, dof = class_update_chi2(model, numpy_backend, rule, make)
    assert stat > chi2.isf(1e-3, dof), (stat, dof)


@pytest.mark.parametrize("rule", RULES)
def test_sweep_is_the_registered_kernels_sweep(numpy_backend, rule):
    """sweep() on Ising and Potts is their fast kernel's sweep, bit for bit; acceptance is the
    changed sites' fraction."""
    for model in (ising(4, 6, beta=0.4), ising(3, 4, beta=0.4), potts(4, 4, 4, beta=1.0)):
        x = model.uniform_states(numpy_backend, numpy_backend.rng(1), 5)
        new, acceptance = sweep(model, x, model.beta, numpy_backend.rng(2), rule)
        kernel = registered_fast_kernel(model)
        direct, changed = kernel.sweep(model, x, model.beta, numpy_backend.rng(2), rule)
        np.testing.assert_array_equal(new, direct)
        np.testing.assert_array_equal(acceptance, changed / model.n_sites)


@dataclass(frozen=True)
class _ShiftedIsing(Ising):
    """An Ising subclass (the registry must not hand it its parent's tables)."""


class _OtherLattice(Lattice):
    """A lattice class the tables do not know."""


def test_only_registered_classes_on_the_square_lattice_get_a_fast_kernel():
    assert isinstance(registered_fast_kernel(ising(4, beta=0.4)), IsingTables)
    assert registered_fast_kernel(_ShiftedIsing(Lattice(4, 4), beta=0.4)) is None
    assert registered_fast_kernel(Ising(_OtherLattice(4, 4), beta=0.4)) is None
    assert registered_fast_kernel(clock(5, 3, 3, beta=0.9)) is None


def test_unregistered_models_run_the_model_sweep(numpy_backend):
    """A model without a fast kernel runs model_sweep: spec_sweep, or field_sweep for ±1 spins
    (the same random stream, bit for bit)."""
    for model in (clock(5, 3, 3, beta=0.9), _ShiftedIsing(Lattice(3, 4), beta=0.4)):
        x = model.uniform_states(numpy_backend, numpy_backend.rng(1), 4)
        new, acceptance = sweep(model, x, model.beta, numpy_backend.rng(2), "heatbath")
        same, same_acceptance = local.model_sweep(
            model, x, model.beta, numpy_backend.rng(2), "heatbath"
        )
        np.testing.assert_array_equal(new, same)
        np.testing.assert_array_equal(acceptance, same_acceptance)


def test_register_fast_kernel_opts_a_class_in(numpy_backend):
    calls = []

    class Recording(IsingTables):
        def sweep(self, model, x, beta, rng, rule):
            calls.append(type(model))
            return super().sweep(model, x, beta, rng, rule)

    with pytest.raises(TypeError, match="FastKernel"):
        register_fast_kernel(_ShiftedIsing, object())
    register_fast_kernel(_ShiftedIsing, Recording())
    try:
        model = _ShiftedIsing(Lattice(4, 4), beta=0.4)
        x = model.uniform_states(numpy_backend, numpy_backend.rng(1), 3)
        sweep(model, x, model.beta, numpy_backend.rng(2))
        assert calls == [_ShiftedIsing]
    finally:
        from leapsbench.baselines.local_registry import FAST_KERNELS

        FAST_KERNELS.pop(_ShiftedIsing)
    assert isinstance(Recording(), FastKernel)
