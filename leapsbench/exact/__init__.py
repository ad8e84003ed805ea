"""Exact reference values: Kaufman's torus formula and exact enumeration of tiny lattices.

:func:`exact_reference` picks, for a model:
1. exact enumeration when q^N ≤ ``max_states`` (any model; gives ⟨m⟩ too).  For a periodic Ising
   model at h = 0 where Kaufman also applies, both log Z are computed and must agree to 1e-10
   relative (a RuntimeError otherwise);
2. Kaufman's formula for a periodic Ising model at h = 0 (⟨m⟩ unknown: None);
3. otherwise None.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enumerate import EnumerationResult, enumerate_model, n_states
from .kaufman import ising_log_z, ising_thermodynamics

AUTO_MAX_STATES = 2**20
"""Largest q^N that :func:`exact_reference` enumerates (about half a second)."""


@dataclass(frozen=True)
class ExactReference:
    """Exact log Z, ⟨m⟩ (None when unknown), ⟨E⟩/N and c = β² Var(E)/N of a model."""

    log_z: float
    mag: float | None
    energy_per_site: float
    specific_heat_per_site: float
    method: str
    n_sites: int

    @property
    def log_z_per_site(self) -> float:
        return self.log_z / self.n_sites


def kaufman_applies(model) -> bool:
    """Periodic Ising at h = 0, with J ≥ 0 or both sides even (see :mod:`.kaufman`)."""
    if model.kind != "ising" or not model.lattice.periodic or model.h != 0.0:
        return False
    return model.J >= 0 or (model.shape[0] % 2 == 0 and model.shape[1] % 2 == 0)


def exact_reference(model, max_states: int = AUTO_MAX_STATES) -> ExactReference | None:
    """The exact reference of ``model`` (see module docstring), or None if none applies."""
    if n_states(model) <= max_states:
        result = enumerate_model(model, max_states)
        if kaufman_applies(model):
            kaufman = ising_log_z(*model.shape, model.beta, model.J)
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
        )
    if kaufman_applies(model):
        thermo = ising_thermodynamics(*model.shape, model.beta, model.J)
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
    "EnumerationResult",
    "ExactReference",
    "enumerate_model",
    "exact_reference",
    "ising_log_z",
    "ising_thermodynamics",
    "kaufman_applies",
]
