"""Exact reference values: Kaufman's torus formula and exact enumeration of tiny lattices.

:func:`exact_reference` picks, for a model:
1. exact enumeration when q^N ≤ ``max_states`` (any model; gives ⟨m⟩ too).  Where Kaufman also
   applies, both log Z are computed and must agree to 1e-10 relative (RuntimeError otherwise);
2. Kaufman's formula for a periodic model equivalent to the zero-field Ising model (⟨m⟩ unknown:
   None), as the model's ``ising_equivalent()`` says: Ising at h = 0, and Potts with q = 2
   through δ(a, b) = (1 + s s')/2, i.e.
   H_Potts(J) = H_Ising(J/2) − J n_bonds/2 with n_bonds = 2N on the torus, so
   log Z_Potts = log Z_Ising(J/2) + βJN and ⟨E⟩/N shifts by −J;
3. a spin glass at zero field on the 2D square lattice (open or periodic: bonds in
   ``couplings``; graphs have none) too large to enumerate:
   the Pfaffian solution ``leapsbench.exact.ea.ea_log_z`` (log Z and ⟨E⟩/N; ⟨m⟩ and the
   specific heat None).  Kaufman never applies to a spin glass (``kaufman_coupling`` is None);
4. otherwise None.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

from .enumerate import EnumerationResult, enumerate_model, n_states
from .kaufman import ising_log_z, ising_thermodynamics
from .overlap import overlap_q2

AUTO_MAX_STATES = 2**20
"""Largest q^N that :func:`exact_reference` enumerates (about half a second)."""


@dataclass(frozen=True)
class ExactReference:
    """Exact log Z, ⟨m⟩ (None when unknown), ⟨E⟩/N and c = β² Var(E)/N of a model."""

    log_z: float
    mag: float | None
    energy_per_site: float
    specific_heat_per_site: float | None
    method: str
    n_sites: int
    overlap_q2: float | None = None
    """⟨q²⟩ of two replicas (:mod:`.overlap`): enumerated spin glasses only."""

    @property
    def log_z_per_site(self) -> float:
        return self.log_z / self.n_sites


def kaufman_coupling(model) -> float | None:
    """The Ising J of the zero-field torus Ising model equivalent to ``model``, or None.

    Ising at h = 0 → J; Potts q = 2 → J/2; periodic only, and J < 0 only with both sides even
    (see :mod:`.kaufman`).
    """
    equivalent = model.ising_equivalent()
    if not model.lattice.periodic or equivalent is None:
        return None
    J = equivalent[0]
    even = model.shape[0] % 2 == 0 and model.shape[1] % 2 == 0
    return J if J >= 0 or even else None


def _kaufman(model, J: float) -> dict:
    """Kaufman's thermodynamics of ``model``, shifted by its e_0 (``ising_equivalent``)."""
    thermo = ising_thermodynamics(*model.shape, model.beta, J)
    shift = model.ising_equivalent()[1]
    if shift != 0.0:
        thermo["log_z"] += _log_z_shift(model, shift)
        thermo["energy_per_site"] += shift
    return thermo


def _log_z_shift(model, shift: float) -> float:
    """−β N e_0: log Z of the model minus that of its equivalent Ising model."""
    return -model.beta * shift * model.n_sites


@functools.lru_cache(maxsize=64)
def pfaffian_reference(model) -> ExactReference | None:
    """log Z and ⟨E⟩/N of a zero-field 2D spin glass from ``ea.ea_log_z`` (Pfaffians), cached
    per model in the process (every run of a grid looks its reference up; costs in docs/perf.md).
    None, with a warning, where float64 lost the precision (:attr:`.ea.EAResult.reliable`, or a
    sum that cancelled to ≤ 0: ±J instances from β ≈ 3): no reference beats a wrong one."""
    from .ea import ea_log_z

    try:
        result = ea_log_z(model.couplings, model.beta)
    except FloatingPointError as err:
        warnings.warn(f"no exact reference for {model.config()}: {err}", stacklevel=2)
        return None
    if not result.reliable:
        warnings.warn(
            f"no exact reference for {model.config()}: the Pfaffian solution lost precision at "
            f"beta={model.beta} (log Z {result.log_z:.10g} ± {result.log_z_error:.2g}, <e> "
            f"{result.energy_per_site:.10g} ± {result.energy_error:.2g}; leapsbench.exact.ea, "
            "Precision)",
            stacklevel=2,
        )
        return None
    return ExactReference(
        log_z=result.log_z,
        mag=None,
        energy_per_site=result.energy_per_site,
        specific_heat_per_site=None,
        method="pfaffian",
        n_sites=model.n_sites,
    )


def exact_reference(model, max_states: int = AUTO_MAX_STATES) -> ExactReference | None:
    """The exact reference of ``model`` (see module docstring), or None if none applies."""
    J = kaufman_coupling(model)
    if n_states(model) <= max_states:
        result = enumerate_model(model, max_states)
        if J is not None:
            kaufman = ising_log_z(*model.shape, model.beta, J)
            kaufman += _log_z_shift(model, model.ising_equivalent()[1])
            if abs(kaufman - result.log_z) > 1e-10 * abs(result.log_z):
                raise RuntimeError(
                    f"Kaufman log Z {kaufman!r} disagrees with enumeration {result.log_z!r} "
                    f"for {model.config()}"
                )
        return ExactReference(
            log_z=result.log_z,
            mag=result.mag,
            energy_per_site=result.energy_per_site,
            specific_heat_per_site=result.specific_heat_per_site,
            method="enumeration",
            n_sites=model.n_sites,
            overlap_q2=overlap_q2(result) if model.order_parameter == "q2" else None,
        )
    if model.kind == "spin-glass" and model.h == 0.0 and hasattr(model, "couplings"):
        return pfaffian_reference(model)
    if J is not None:
        thermo = _kaufman(model, J)
        return ExactReference(
            log_z=thermo["log_z"],
            mag=None,
            energy_per_site=thermo["energy_per_site"],
            specific_heat_per_site=thermo["specific_heat_per_site"],
            method="kaufman",
            n_sites=model.n_sites,
        )
    return None


__all__ = [
    "AUTO_MAX_STATES",
    "EnumerationResult",
    "ExactReference",
    "enumerate_model",
    "exact_reference",
    "ising_log_z",
    "ising_thermodynamics",
    "kaufman_coupling",
    "overlap_q2",
]
