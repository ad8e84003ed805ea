"""The interface of a fast local kernel: one model class's sweep from tables, on either layout.

A :class:`FastKernel` draws every site of a colour class from the distribution of
:func:`.local.site_kernel` (tests/test_local_fast.py checks each path against it), from
acceptance tables and integer thresholds (:mod:`.local_tables`) instead of the model's ΔE.  It
says whether it applies to a model (:meth:`FastKernel.applies`) and does one sweep
(:meth:`FastKernel.sweep`), on one of two layouts:

* colour planes (:mod:`.local_planes`) on a torus with even Lx and Ly: only the sites being
  updated are computed; :meth:`FastKernel.plane_updater` gives the per-colour update;
* masked, any other lattice (odd periodic axes, open boundaries): the whole lattice is computed
  per colour class and the class's sites kept; :meth:`FastKernel.masked_update`.

The two layouts make the same decisions from the same tables, but hand the random numbers to the
sites in a different order, so their streams differ.  Subclasses per model class:
:mod:`.local_ising`, :mod:`.local_potts`; which class gets which kernel: :mod:`.local_registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from leapsbench.models import Lattice

from .local import changed_sites, checkerboard_masks
from .local_planes import from_planes, has_planes, planes_order, to_planes


def per_colour(draws):
    """The two colours' slices of a draw stacked on axis 0."""
    return draws[0, ...], draws[1, ...]


class FastKernel(ABC):
    """A fast local sweep of one model class (int8 states (B, Lx, Ly) of the square lattice)."""

    def applies(self, model) -> bool:
        """Whether the tables hold for ``model``: its lattice is the square :class:`Lattice`
        (at most four neighbours per site)."""
        return type(model.lattice) is Lattice

    def sweep(self, model, x, beta: float, rng, rule: str):
        """One sweep at ``beta`` with ``rule``: ``(x_new, changed)``, ``changed`` the number of
        changed sites per chain; on colour planes where the lattice has them."""
        if has_planes(model.lattice):
            return self._planes_sweep(model, x, beta, rng, rule)
        new = x
        for active in checkerboard_masks(model, rng.backend):
            new, _ = self.masked_update(model, new, beta, rng, rule, active)
        return new, changed_sites(rng.backend.xp, new, x)

    def _planes_sweep(self, model, x, beta, rng, rule):
        """Both colours on planes, from one draw of the sweep's random numbers."""
        xp = rng.backend.xp
        order = planes_order(xp, x.shape)
        draw, update = self.plane_updater(model, beta, rule, rng, order)
        planes = list(to_planes(xp, x, order))
        draws = draw(tuple(planes[0].shape))
        for colour in (0, 1):
            planes[colour] = update(planes[colour], planes[1 - colour], colour, draws[colour])
        new = from_planes(xp, *planes, order)
        return new, changed_sites(xp, new, x)

    @abstractmethod
    def masked_update(self, model, x, beta: float, rng, rule: str, active):
        """The sites where ``active`` (one colour class, boolean (Lx, Ly)) of chains ``x``
        updated: ``(x_new, moved)``, ``moved`` the boolean mask of changed sites."""

    @abstractmethod
    def plane_updater(self, model, beta: float, rule: str, rng, order):
        """``(draw, update)``: ``draw(shape)`` the random numbers of one sweep (one draw for both
        colours), a pair indexed by colour; ``update(own, other, colour, draws)`` the new planes
        of ``colour`` (0 black, 1 white) from its own and the other colour's planes, both in
        axis ``order`` (:func:`.local_planes.planes_order`)."""
