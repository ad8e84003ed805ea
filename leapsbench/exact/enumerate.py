"""Exact enumeration of all q^N configurations of a tiny lattice, for any model.

State t ∈ {0, …, q^N − 1} has value indices a_i = ⌊t / q^{N−1−i}⌋ mod q at site i = x·Ly + y
(row-major, the first site most significant), turned into states by ``model.from_values``.
Energies and magnetizations come from the model's own ``energy`` and ``magnetization`` (NumPy,
float64), in chunks of states, so every convention (bonds, field, Potts m) is the model's:

    log Z = log Σ_t exp(−β E_t),   p_t = exp(−β E_t − log Z),
    ⟨m⟩ = Σ_t p_t m_t,   ⟨E⟩ = Σ_t p_t E_t,   Var m, Var E likewise,   c = β² Var(E) / N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_MAX_STATES = 2**22
MAX_ENUMERATION_STATES = 2**24
"""The most states any enumeration may hold (energies, m and probabilities: ~400 MB at 2^24)."""
CHUNK_STATES = 2**16


def _values(q: int, shape: tuple[int, int], start: int, stop: int) -> np.ndarray:
    """Value indices of states start … stop−1, shape (stop − start, Lx, Ly), int8."""
    n_sites = shape[0] * shape[1]
    powers = q ** np.arange(n_sites - 1, -1, -1, dtype=np.int64)
    index = np.arange(start, stop, dtype=np.int64)
    return ((index[:, None] // powers) % q).astype(np.int8).reshape(-1, *shape)


def n_states(model) -> int:
    """q^N, the number of configurations of ``model``."""
    return model.q**model.n_sites


def describe_states(model) -> str:
    """``"q^N = count"``, the count written out when below 10^15, else as a power of ten."""
    if model.n_sites * math.log10(model.q) < 15:
        return f"{model.q}^{model.n_sites} = {n_states(model):,}"
    return f"{model.q}^{model.n_sites} ~ 10^{model.n_sites * math.log10(model.q):.1f}"


@dataclass(frozen=True, eq=False)
class EnumerationResult:
    """Exact averages of ``model`` and the full Boltzmann table (state order: module docstring)."""

    model: object
    log_z: float
    mag: float
    energy: float
    mag_variance: float
    energy_variance: float
    probabilities: np.ndarray
    energies: np.ndarray
    magnetizations: np.ndarray

    @property
    def energy_per_site(self) -> float:
        return self.energy / self.model.n_sites

    @property
    def specific_heat_per_site(self) -> float:
        return self.model.beta**2 * self.energy_variance / self.model.n_sites

    def states_values(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Value indices (0 … q−1) of states start … stop−1, (count, Lx, Ly) int8."""
        total = self.probabilities.shape[0]
        stop = total if stop is None else stop
        if not 0 <= start <= stop <= total:
            raise ValueError(f"need 0 <= start <= stop <= {total}, got start={start}, stop={stop}")
        return _values(self.model.q, self.model.shape, start, stop)

    def states(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The model's states (Ising ±1, Potts 0 … q−1) in the order of ``probabilities``."""
        return self.model.from_values(self.states_values(start, stop))


def enumerate_model(model, max_states: int = DEFAULT_MAX_STATES) -> EnumerationResult:
    """Sum over all q^N states of ``model``; ValueError if q^N exceeds ``max_states``."""
    if (
        isinstance(max_states, bool)
        or not isinstance(max_states, int)
        or not 1 <= max_states <= MAX_ENUMERATION_STATES
    ):
        raise ValueError(
            f"max_states must be an integer from 1 to {MAX_ENUMERATION_STATES:,}, "
            f"got {max_states!r}"
        )
    total = n_states(model)
    if total > max_states:
        raise ValueError(
            f"exact enumeration of a {model.shape[0]}x{model.shape[1]} {model.kind} lattice "
            f"needs {describe_states(model)} states, over max_states={max_states:,}"
        )
    energies = np.empty(total, dtype=np.float64)
    mags = np.empty(total, dtype=np.float64)
    for start in range(0, total, CHUNK_STATES):
        stop = min(start + CHUNK_STATES, total)
        x = model.from_values(_values(model.q, model.shape, start, stop))
        energies[start:stop] = np.asarray(model.energy(x))
        mags[start:stop] = np.asarray(model.magnetization(x))
    log_w = -model.beta * energies
    top = float(np.max(log_w))
    log_z = top + math.log(float(np.sum(np.exp(log_w - top))))
    p = np.exp(log_w - log_z)
    mag, energy = float(p @ mags), float(p @ energies)
    return EnumerationResult(
        model=model,
        log_z=log_z,
        mag=mag,
        energy=energy,
        mag_variance=float(p @ (mags - mag) ** 2),
        energy_variance=float(p @ (energies - energy) ** 2),
        probabilities=p,
        energies=energies,
        magnetizations=mags,
    )
