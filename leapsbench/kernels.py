"""The kernel protocol: one shape for every move of B walkers (BlackJAX's ``init``/``step``).

A kernel is a small frozen object with two methods,

    init(rng, model, n, backend) -> State          n walkers at t = 0 (uniform states, ρ_0)
    step(rng, state, *args)      -> (State, Info)  one move of every walker

with ``State`` and ``Info`` immutable records (NamedTuples whose array fields have the walkers
on axis 0) and the generator passed explicitly and first.  An MCMC kernel's step is
``step(rng, state, model, beta)``: one sweep leaving ρ_β ∝ exp(−β H) invariant, so

    Σ_x ρ_β(x) K_β(x → x') = ρ_β(x')   for every x',

which is what lets the SMC engine (:mod:`leapsbench.smc`) mutate weighted walkers without
changing their weights.  The concrete kernels live beside their implementations and are passed
as objects: local Metropolis and heat-bath sweeps, Swendsen–Wang and Wolff
(``leapsbench.baselines.kernels``), the LEAPS tau-leap move (``leapsbench.leaps.ctmc.TauLeap``).

Example, a kernel of one's own (a random single-site Metropolis move on Ising walkers)::

    @dataclass(frozen=True)
    class SingleFlip:
        def init(self, rng, model, n, backend):
            return WalkerState(model.uniform_states(backend, rng, n))

        def step(self, rng, state, model, beta):
            ...
            return WalkerState(x_new), MoveInfo(acceptance)
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable


class WalkerState(NamedTuple):
    """B walkers' states ``x`` (int8, (B, Lx, Ly), on the backend): an MCMC kernel's State."""

    x: Any


class MoveInfo(NamedTuple):
    """What one MCMC step did: ``acceptance`` (B,) the fraction of sites changed (float64, on
    the states' backend) and, for Swendsen–Wang on Ising, ``m2_cluster`` (B,) numpy, the improved
    estimator of m² of that step's clusters (None otherwise)."""

    acceptance: Any
    m2_cluster: Any = None


@runtime_checkable
class Kernel(Protocol):
    """A move of B walkers: ``init(rng, model, n, backend)`` and ``step(rng, state, ...)``."""

    def init(self, rng, model, n: int, backend) -> Any: ...

    def step(self, rng, state, *args) -> tuple[Any, Any]: ...


@runtime_checkable
class MCMCKernel(Protocol):
    """A ρ_β-invariant kernel: ``step(rng, state, model, beta) -> (WalkerState, MoveInfo)``."""

    name: str

    def init(self, rng, model, n: int, backend) -> WalkerState: ...

    def step(self, rng, state: WalkerState, model, beta: float) -> tuple[WalkerState, MoveInfo]: ...


def uniform_walkers(rng, model, n: int, backend) -> WalkerState:
    """``n`` walkers drawn uniformly (ρ_0, β = 0): the ``init`` of every MCMC kernel here."""
    return WalkerState(model.uniform_states(backend, rng, n))


def sweeps(kernel: MCMCKernel, rng, x, model, beta: float, count: int):
    """``count`` steps of ``kernel`` at ``beta`` from states ``x``; returns ``(x, infos)``."""
    state, infos = WalkerState(x), []
    for _ in range(count):
        state, info = kernel.step(rng, state, model, beta)
        infos.append(info)
    return state.x, infos
