"""The MCMC kernels as kernel objects (:mod:`leapsbench.kernels`): local sweeps and clusters.

Each is a frozen object with ``init(rng, model, n, backend)`` (uniform walkers) and
``step(rng, state, model, beta) -> (WalkerState, MoveInfo)``, one sweep leaving ρ_β invariant:

* :class:`LocalSweep` ("metropolis", "heatbath"): a checkerboard sweep on the states' backend
  (:func:`.local.sweep`), ``rng`` a backend Rng;
* :class:`SwendsenWang`, :class:`Wolff`: cluster updates, numpy on the CPU (:mod:`.cluster`);
  ``rng`` is a :class:`HostRng` (a numpy Generator with the states' backend), or a backend
  Rng from which one seed per step is drawn (:func:`host_rng`); states go to the host and back.

:func:`kernel_for` turns a rule name (a ``--set`` value, a stored config) into its kernel;
anywhere a kernel is wanted (AIS/SMC mutation, LEAPS refinement, chains) an object will do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from leapsbench.kernels import MoveInfo, WalkerState, uniform_walkers

from . import cluster, local

RULES = local.RULES + cluster.RULES
"""Every MCMC rule by name: the local sweeps, then the cluster updates."""


class HostRng(NamedTuple):
    """A numpy Generator for the host part of a kernel whose states live on ``backend``."""

    generator: np.random.Generator
    backend: Any


def host_rng(rng) -> HostRng:
    """``rng`` itself if it is a :class:`HostRng`, else a Generator seeded from one draw of the
    backend Rng ``rng`` (the way :mod:`.chains` seeds its host stream)."""
    if isinstance(rng, HostRng):
        return rng
    seed = int(rng.backend.to_numpy(rng.integers(0, 2**31 - 1, (1,)))[0])
    return HostRng(np.random.default_rng(seed), rng.backend)


def _check_rule(name: str, rules: tuple[str, ...], what: str) -> None:
    if name not in rules:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(rules)}")


@dataclass(frozen=True)
class _NamedKernel:
    """A kernel chosen by ``name`` among ``RULES``, starting from uniform walkers."""

    name: str
    RULES: ClassVar[tuple[str, ...]] = ()
    on_host: ClassVar[bool] = False
    """Whether ``step`` wants a :class:`HostRng` (the chains driver keeps one for such kernels)."""

    def __post_init__(self):
        _check_rule(self.name, self.RULES, f"{type(self).__name__} rule")

    def init(self, rng, model, n: int, backend) -> WalkerState:
        return uniform_walkers(rng, model, n, backend)


@dataclass(frozen=True)
class LocalSweep(_NamedKernel):
    """One checkerboard sweep of ``rule`` ("metropolis" or "heatbath") on the backend."""

    name: str = "metropolis"
    RULES: ClassVar[tuple[str, ...]] = local.RULES

    def step(self, rng, state: WalkerState, model, beta: float):
        x, acceptance = local.sweep(model, state.x, beta, rng, self.name)
        return WalkerState(x), MoveInfo(acceptance)


@dataclass(frozen=True)
class ClusterUpdate(_NamedKernel):
    """One Swendsen–Wang or Wolff update (numpy on the host, :mod:`.cluster`)."""

    name: str = "swendsen-wang"
    RULES: ClassVar[tuple[str, ...]] = cluster.RULES
    on_host: ClassVar[bool] = True

    def init(self, rng, model, n: int, backend) -> WalkerState:
        cluster.check_model(model, self.name)
        return super().init(rng, model, n, backend)

    def step(self, rng, state: WalkerState, model, beta: float):
        cluster.check_model(model, self.name)
        host, backend = host_rng(rng)
        old = backend.to_numpy(state.x)
        new, m2_cluster = cluster.update_with_m2(model, old, beta, host, self.name)
        acceptance = backend.from_numpy((new != old).mean(axis=(1, 2)))
        return WalkerState(backend.from_numpy(new)), MoveInfo(acceptance, m2_cluster)


def SwendsenWang() -> ClusterUpdate:  # noqa: N802 - a kernel constructor, named like a class
    """The Swendsen–Wang kernel object."""
    return ClusterUpdate("swendsen-wang")


def Wolff() -> ClusterUpdate:  # noqa: N802
    """The Wolff kernel object."""
    return ClusterUpdate("wolff")


def kernel_for(rule, key: str = "MCMC rule"):
    """The kernel object of ``rule``: a name in :data:`RULES`, or a kernel object (returned);
    ``key`` names the setting in the error for an unknown name."""
    if not isinstance(rule, str):
        return rule
    if rule in local.RULES:
        return LocalSweep(rule)
    _check_rule(rule, RULES, key)
    return ClusterUpdate(rule)
