"""One sequential Monte Carlo engine for every weighted sampler (AIS/SMC and LEAPS).

B walkers carry float64 log weights a_i (w_i = e^{a_i}, E[w] = Z_t / Z_0).  One step
(:func:`step`, BlackJAX's ``smc.base.step`` with the reweighting first):

1. reweight:  a_i += Δa_i (and, for LEAPS, the move that the increment belongs to).  AIS/SMC:
   Δa_i = −(β_{k+1} − β_k) H(x_i); LEAPS: the exact or Euler increment of the tau-leap
   (:mod:`leapsbench.leaps.ctmc`);
2. ESS:       L1 = log Σ w, L2 = log Σ w², ESS / B = e^{2 L1 − L2} / B
   (:func:`leapsbench.estimators.ess_from_log_sums`, the one ESS formula);
3. resample:  each of G islands of B/G walkers whose ESS fraction is below the threshold is
   resampled within itself and its weights reset to log mean exp(a) there
   (:func:`leapsbench.resampling.resample_islands`), which keeps every island's mean weight;
4. mutate:    any kernel that leaves the current target invariant (weights unchanged), e.g. M
   sweeps of an MCMC kernel (:mod:`leapsbench.kernels`).

The walkers' state is any NamedTuple with a ``log_w`` field (B,); resampling takes every other
array field with the walkers on axis 0.  At the end (:func:`log_z_with_error`)

    log Ẑ = log Z_0 + log mean_i e^{a_i},

SMC's product of incremental means (resets keep the mean), unbiased in Z.  Its error bar: with
no resampling the walkers are independent, std(w) / (√B mean w) (delta method); after any
resampling the G islands are the independent units, std_g(Ẑ_g) / (√G mean_g Ẑ_g); with one
island there is no honest error bar (None): resampled walkers are correlated through their
ancestry, and the per-step delta method underestimated the spread of log Ẑ 3–4× (Ising 2×3,
untrained LEAPS MLP, threshold 0.9).

Example, "my proposal + leapsbench's SMC" (AIS/SMC with a kernel of one's own; docs/kernels.md)::

    state = smc.init(kernel.init(rng, model, 1000, backend).x, backend)
    mutate, resample = smc.mutation(kernel, model), smc.island_resampler(10, 0.5)
    for beta in np.linspace(0, model.beta, 51)[1:]:
        state, info = smc.step(rng, state, smc.tempering(model, beta), mutate, resample)
    log_z, err = smc.log_z_with_error(backend.to_numpy(state.log_w), model.log_z0, 10, True)
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import array_api_compat

from leapsbench.backends.numerics import logsumexp
from leapsbench.estimators import ess_from_log_sums, island_log_z_error, log_z_estimate
from leapsbench.kernels import WalkerState
from leapsbench.resampling import check_scheme, check_threshold, resample_islands

KEY_SPELLINGS = (
    ("n_sweeps", "mcmc_sweeps"),
    ("rule", "mcmc_rule"),
    ("threshold", "resample_threshold"),
)
"""The SMC settings that AIS/SMC (first) and LEAPS (second) spell differently: either spelling
is accepted by both families' ``--set`` (:func:`canonical_keys`); stored configs keep each
family's own spelling, so their cache keys and the CI baseline are unchanged."""
_NOTED: set[tuple[str, str]] = set()


def canonical_keys(name: str, overrides, valid) -> dict:
    """``overrides`` with every key of :data:`KEY_SPELLINGS` spelled the other family's way
    renamed to the spelling in ``valid`` (method ``name``'s keys), with a note on stderr once per
    method and key; a key given both ways is a ValueError."""
    overrides = dict(overrides or {})
    for pair in KEY_SPELLINGS:
        for given, own in (pair, pair[::-1]):
            if given not in overrides or given in valid or own not in valid:
                continue
            if own in overrides:
                raise ValueError(f"{name}: {given} and {own} are one setting; give one of them")
            overrides[own] = overrides.pop(given)
            if (name, given) not in _NOTED:
                _NOTED.add((name, given))
                print(f"note: {name} reads {given} as {own} (its name for it)", file=sys.stderr)
    return overrides


def check_int(name: str, value, minimum: int) -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (numpy integers too; a bool is
    not an integer), else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class SMCConfig:
    """The population part of a weighted sampler's settings, checked once: embedded as the
    ``smc`` field of both families' settings (AIS/SMC's ``AnnealingConfig``, LEAPS's
    ``CTMCConfig``), whose flat keys read it under each family's names (:data:`KEY_SPELLINGS`).

    ``n_walkers`` B, ``n_islands`` G (G divides B; G > 1 needs resampling), ``threshold`` the
    ESS fraction below which an island is resampled (None: never, i.e. AIS / plain LEAPS),
    ``scheme`` "systematic" or "multinomial", ``sweeps`` M mutation steps per step and ``rule``
    the mutation kernel's name or object (checked by the family that resolves it).
    ``min_walkers`` and ``threshold_key`` (the family's name of the resampling setting) only
    shape the checks and their messages.
    """

    n_walkers: int
    n_islands: int = 1
    threshold: float | None = None
    scheme: str = "systematic"
    sweeps: int = 0
    rule: Any = "metropolis"
    min_walkers: int = field(default=1, compare=False, repr=False)
    threshold_key: str = field(default="threshold", compare=False, repr=False)

    def __post_init__(self):
        for name, key, minimum in (
            ("n_walkers", "n_walkers", self.min_walkers),
            ("n_islands", "n_islands", 1),
            ("sweeps", "n_sweeps / mcmc_sweeps", 0),
        ):
            object.__setattr__(self, name, check_int(key, getattr(self, name), minimum))
        check_scheme(self.scheme)
        if self.threshold is not None:
            check_threshold(self.threshold)
        elif self.n_islands != 1:
            raise ValueError(
                f"n_islands={self.n_islands!r} needs {self.threshold_key} (SMC islands); "
                "without resampling use 1"
            )
        if self.n_walkers % self.n_islands:
            raise ValueError(
                f"n_walkers={self.n_walkers} must be a multiple of n_islands={self.n_islands}"
            )

    def resampler(self, n_walkers: int | None = None):
        """:func:`island_resampler` for ``n_walkers`` (default B) in islands of B/G, or None."""
        if self.threshold is None:
            return None
        size = self.n_walkers if n_walkers is None else n_walkers
        islands = size * self.n_islands // self.n_walkers
        return island_resampler(islands, self.threshold, self.scheme)


def island_chunks(config: SMCConfig, walkers: int):
    """How a timed run (:func:`leapsbench.timed.sample_for`) cuts ``walkers`` into chunks of
    whole islands: returns (island, islands) with ``island`` the walkers per island, the unit
    every chunk size is a multiple of, and ``islands(n)`` the island count of a chunk of n
    walkers — walkers / G and n / island with resampling (``config.threshold`` set), else 1 and
    1 (without resampling every walker is independent and a chunk is one population)."""
    if config.threshold is None:
        return 1, lambda n: 1
    island = walkers // config.n_islands
    return island, lambda n: n // island


def smc_field(name: str) -> property:
    """A read-only attribute of a method's settings: the ``name`` field of the
    :class:`SMCConfig` they embed (``settings.smc``), under the family's own key."""
    return property(lambda self: getattr(self.smc, name), doc=f"``smc.{name}``.")


def unknown_keys(owner: str, given, known) -> None:
    """TypeError naming the keyword arguments of ``owner`` in ``given`` that are not ``known``."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise TypeError(f"{owner} got unexpected keyword argument(s) {', '.join(unknown)}")


class SMCState(NamedTuple):
    """Tempered walkers: states ``x`` (B, Lx, Ly), float64 log weights ``log_w`` (B,), the
    inverse temperature ``beta`` = β_k of the current target and the step count ``k``."""

    x: Any
    log_w: Any
    beta: float = 0.0
    k: int = 0


def init(x, backend) -> SMCState:
    """Walkers ``x`` drawn from ρ_0 (β = 0) with log weights 0."""
    return SMCState(x, backend.zeros((x.shape[0],), dtype=backend.xp.float64))


def temper(state, beta: float, energy):
    """``state`` moved to target β: a_i += −(β − β_k) H(x_i) (``energy`` = H(x), float64)."""
    log_w = state.log_w - (beta - state.beta) * energy
    return state._replace(log_w=log_w, beta=beta, k=state.k + 1)


def tempering(model, beta: float):
    """The AIS/SMC reweighting to β: ``(rng, state) -> (state, None)`` (:func:`temper`)."""

    def reweight(rng, state):
        xp = array_api_compat.array_namespace(state.log_w)
        return temper(state, beta, model.energy(state.x, dtype=xp.float64)), None

    return reweight


def mutation(kernel, model, sweeps: int = 1):
    """The mutation by ``sweeps`` steps of an MCMC ``kernel`` (:mod:`leapsbench.kernels`) at the
    state's β: ``(rng, state) -> (state, acceptance)``, the mean acceptance of the sweeps as a
    float64 device scalar (NaN without sweeps); the weights are unchanged."""

    def mutate(rng, state):
        xp = array_api_compat.array_namespace(state.log_w)
        device = array_api_compat.device(state.log_w)
        x, accepted = state.x, xp.zeros((), dtype=xp.float64, device=device)
        for _ in range(sweeps):
            walkers, info = kernel.step(rng, WalkerState(x), model, state.beta)
            x = walkers.x
            accepted = accepted + xp.mean(xp.astype(info.acceptance, xp.float64))
        if not sweeps:
            return state, xp.full((), math.nan, dtype=xp.float64, device=device)
        return state._replace(x=x), accepted / sweeps

    return mutate


class SMCInfo(NamedTuple):
    """What one :func:`step` did (device arrays): ``log_sums`` (2,) = (log Σ w, log Σ w²) after
    the reweighting, ``ess`` the ESS fraction from them (before any resampling), ``resampled``
    the number of islands resampled (None without a resampler), and the ``reweight`` and
    ``mutate`` functions' own info records."""

    log_sums: Any
    ess: Any
    resampled: Any
    reweight: Any
    mutate: Any


def log_weight_sums(log_w):
    """(log Σ w, log Σ w²) of log weights (n,), stacked (2,) on their device."""
    xp = array_api_compat.array_namespace(log_w)
    return xp.stack([logsumexp(xp, log_w), logsumexp(xp, 2 * log_w)])


def island_resampler(n_islands: int, threshold: float, scheme: str = "systematic"):
    """``resample(rng, log_w) -> IslandStep``: the islands below ``threshold`` resampled."""
    threshold, scheme = check_threshold(threshold), check_scheme(scheme)

    def resample(rng, log_w):
        return resample_islands(log_w, rng, n_islands, threshold, scheme)

    return resample


def select(state, ancestors, log_w):
    """``state`` with the walkers ``ancestors`` (every array field with B rows on axis 0 is
    taken) and the log weights ``log_w``."""
    xp = array_api_compat.array_namespace(log_w)
    B = log_w.shape[0]
    taken = {
        name: xp.take(value, ancestors, axis=0)
        for name, value in zip(state._fields, state, strict=True)
        if name != "log_w" and getattr(value, "shape", ())[:1] == (B,)
    }
    return state._replace(log_w=log_w, **taken)


def step(rng, state, reweight, mutate, resample=None):
    """One SMC step (module docstring): ``reweight(rng, state) -> (state, info)`` updates
    ``state.log_w`` (and may move the walkers), ``resample(rng, log_w)`` (or None) returns an
    :class:`leapsbench.resampling.IslandStep`, ``mutate(rng, state) -> (state, info)`` keeps the
    weights.  Returns ``(state, SMCInfo)``."""
    state, reweight_info = reweight(rng, state)
    xp = array_api_compat.array_namespace(state.log_w)
    log_sums = log_weight_sums(state.log_w)
    ess = ess_from_log_sums(xp, log_sums[0], log_sums[1]) / state.log_w.shape[0]
    resampled = None
    if resample is not None:
        chosen = resample(rng, state.log_w)
        state = select(state, chosen.ancestors, chosen.log_weights)
        resampled = xp.sum(xp.astype(chosen.resampled, xp.int64))
    state, mutate_info = mutate(rng, state)
    return state, SMCInfo(log_sums, ess, resampled, reweight_info, mutate_info)


def log_z_with_error(log_w, log_z0: float, n_islands: int, resampled: bool):
    """(log Ẑ, its standard error or None) from final host log weights (module docstring):
    the walkers' delta method when nothing was ``resampled``, else the islands' (G ≥ 2)."""
    log_z, err = log_z_estimate(log_w, log_z0)
    if not resampled:
        return log_z, err
    return log_z, island_log_z_error(log_w, n_islands)
