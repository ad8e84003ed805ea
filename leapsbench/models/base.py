"""What every lattice model shares: parameters validation, uniform initial states, log Z_0."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import array_api_compat
import array_api_extra as xpx

from .lattice import Lattice

ENCODINGS = {"spins": "ising", "values": "potts"}
"""A model's ``encoding`` — how its states are stored and fed to networks — and the name a
network config stores for it as ``kind`` (the names of checkpoints written before encodings):

- ``"spins"``: q = 2, spins s = ±1 stored as int8 (value index a ↔ s = 1 − 2a); networks read s
  and give one flip rate per site;
- ``"values"``: value indices a ∈ {0, …, q−1} stored as int8 (``to_values`` is the identity);
  networks read the one-hot of a and give q rates per site."""


def check_finite(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_beta(beta) -> float:
    beta = check_finite("beta", beta)
    if beta < 0:
        raise ValueError(f"beta must be >= 0 (an inverse temperature), got {beta!r}")
    return beta


def float_view(x, dtype=None):
    """``x`` cast to a floating dtype (float64 unless ``dtype`` is given)."""
    xp = array_api_compat.array_namespace(x)
    return xp.astype(x, dtype if dtype is not None else xp.float64)


@dataclass(frozen=True)
class LatticeModel:
    """Base of Ising and Potts: a lattice, an inverse temperature β and a coupling J.

    The Boltzmann target is ρ(x) ∝ exp(−β H(x)); ``log_z0 = N log q`` is log Z at β = 0.
    """

    lattice: Lattice
    beta: float
    J: float = 1.0
    encoding = "values"  # states stored as value indices (ENCODINGS)
    order_parameter = "m"  # "m": magnetisation; "q2": replica overlap (spin glasses)

    def __post_init__(self):
        if not isinstance(self.lattice, Lattice):
            raise TypeError(f"lattice must be a Lattice, got {type(self.lattice).__name__}")
        object.__setattr__(self, "beta", check_beta(self.beta))
        object.__setattr__(self, "J", check_finite("J", self.J))

    @property
    def n_sites(self) -> int:
        return self.lattice.n_sites

    @property
    def shape(self) -> tuple[int, int]:
        return self.lattice.shape

    @property
    def log_z0(self) -> float:
        return self.n_sites * math.log(self.q)

    def with_beta(self, beta: float):
        """The same model at another inverse temperature."""
        return replace(self, beta=beta)

    def log_prob_unnormalised(self, x, beta: float | None = None, dtype=None):
        """−β H(x), at the model's β unless ``beta`` is given."""
        return -(self.beta if beta is None else beta) * self.energy(x, dtype=dtype)

    def ising_equivalent(self) -> tuple[float, float] | None:
        """(J_I, e_0) when H(x) = H_Ising(s; J_I, h = 0) + N e_0 on the torus (s_i = 1 − 2a_i),
        so log Z = log Z_Ising(J_I) − β N e_0 (Kaufman's exact reference); None when no zero-field
        Ising model is equivalent (the default)."""
        return None

    def site_classes(self):
        """Independent sets of sites covering the lattice (boolean (Lx, Ly) numpy masks; no
        bond inside a set), updated one at a time by the local kernels."""
        return self.lattice.colour_classes()

    def one_hot(self, x, dtype=None):
        """e_{i,a} = 1 where site i holds value index a (``to_values``), (B, Lx, Ly, q) floats."""
        xp = array_api_compat.array_namespace(x)
        values = xp.astype(self.to_values(x), xp.int64)
        return xpx.one_hot(values, self.q, dtype=dtype or xp.float64, xp=xp)

    def uniform_states(self, backend, rng, batch: int):
        """``batch`` configurations drawn uniformly (the β = 0 distribution)."""
        if batch < 1:
            raise ValueError(f"batch must be >= 1, got {batch!r}")
        values = rng.integers(0, self.q, (batch, *self.shape))
        return self.from_values(backend.xp.astype(values, backend.state_dtype))

    def overlap(self, x, y, dtype=None):
        """Replica overlap of each pair of configurations, (B,): the Potts-glass
        q_xy = (1/N) Σ_i (q δ(x_i, y_i) − 1) / (q − 1) (1 for x = y, mean 0 for independent
        uniform states; for ±1 spins (1/N) Σ_i s^x_i s^y_i)."""
        xp = array_api_compat.array_namespace(x)
        same = xp.sum(self.one_hot(x, dtype) * self.one_hot(y, dtype), axis=(1, 2, 3))
        return (self.q * same / self.n_sites - 1.0) / (self.q - 1)

    def bond_couplings(self):
        """The coupling J of every bond: one float when all bonds share it (models with a
        coupling per bond return an (N, 4) array, see ``SpinGlass.bond_couplings``)."""
        return float(self.J)

    def flip_symmetric(self) -> bool:
        """True when H is invariant under the global flip of q = 2 values a → 1 − a (so a
        sampler may symmetrise under it); False unless a model says otherwise."""
        return False
