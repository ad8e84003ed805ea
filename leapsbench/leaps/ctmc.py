"""The LEAPS sampler: a tau-leaping CTMC from the uniform distribution to ρ_1 ∝ e^{−βH}.

Rates come from a locally equivariant network G_t(x) (B, Lx, Ly, q): the jump x → τx (site i to
value a) has rate r_t(x)[i, a] = [G_t(x)[i, a]]_+ + ε, and the reverse jump τx → x has rate
r̄_t(x)[i, a] = [−G_t(x)[i, a]]_+ + ε — the same forward pass, by local equivariance.  The floor
ε > 0 on every jump rate guarantees that the backward kernel never proposes a move the forward
kernel cannot make (without it the "exact" estimator below is biased).

One step of size h, from (x, t): each site jumps with probability 1 − e^{−h λ_i}, λ_i = Σ_a r[i, a],
to value a with probability r[i, a] / λ_i (all sites at once).  Log weights, with U_t = β_t H:

* ``"exact"`` (default; unbiased in Z for any step count, the SMC-sampler identity):
  A += U_t(x) − U_{t+h}(x') + log B(x | x') − log F(x' | x), where F is the forward tau-leap
  kernel and B the same kernel built from the time-reversed rates r̄ e^{−ΔU_{t+h}} evaluated at
  (x', t + h) — the next step's forward pass, so a step still costs one network evaluation;
* ``"euler"`` (the paper's): A += h · ( −∂_tU_t(x) − Σ_{i,a} (r̄[i,a] e^{−ΔU_t(x, i→a)} − r[i,a]) ),
  biased by O(h).

Then E[e^{A_1} f(X_1)] = (Z_1 / Z_0) E_{ρ_1}[f], and log Ẑ = log Z_0 + log mean_i e^{A_i}.  Scores
G are cast to float64 before the rates are formed, so weights are float64 for any network dtype.
Optionally: resampling (SMC) of each of G islands of B/G walkers whose ESS fraction falls below a
threshold, within the island (weights reset to the island mean, so log Ẑ is unchanged in form and
is the product of incremental means); then M steps of any MCMC kernel at β_{t+h} (weights
unchanged; one more network evaluation per step): ``mcmc_rule`` names one
(:func:`leapsbench.baselines.kernels.kernel_for`), or :func:`leaps_sample` takes a kernel object.
That is the SMC engine :func:`leapsbench.smc.step` with the tau-leap and its increment as the
reweighting and the MCMC kernel as the mutation.  Walkers may run in chunks of whole islands to
bound memory.

``sites="checkerboard"`` (exact weights only) moves fewer sites together: step k moves only the
sites with (i + j + k) even, each with step 2h (so every site still integrates its rates over
[0, 1]); the forward and backward kernels of the step share that mask, so the weights stay
unbiased, and no two neighbouring sites jump in the same step.

The step is written once, as pure functions over a small immutable :class:`CTMCState` (BlackJAX
style, the generator first): :func:`init` ``(rng, dynamics, n, backend)``, :func:`step`
``(rng, state, dynamics)`` (returns the new state and a :class:`CTMCInfo`) and :func:`refine`
(the MCMC sweeps), with the fixed parts of the CTMC in :class:`Dynamics`;
:class:`TauLeap` is the same move as a kernel object (:mod:`leapsbench.kernels`).  The sampler
(:func:`leaps_sample`), the training rollouts and the log weights of a stored path
(:mod:`.losses`) all drive these.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import array_api_compat
import numpy as np
from scipy.special import logsumexp as logsumexp_host

from leapsbench import smc
from leapsbench.baselines.kernels import kernel_for
from leapsbench.estimators import ess_from_log_sums, log_mean_exp
from leapsbench.kernels import sweeps as kernel_sweeps
from leapsbench.models.schedule import get_schedule
from leapsbench.overlap_pairs import pair_observables
from leapsbench.samples import Samples
from leapsbench.smc import SMCConfig, check_int, smc_field, unknown_keys

WEIGHT_MODES = ("exact", "euler")
SITE_MODES = ("all", "checkerboard")
MIN_WALKERS = 2
"""The fewest walkers a sample may have (one walker has no weight spread to estimate)."""


DEFAULT_SMC = SMCConfig(1000, min_walkers=MIN_WALKERS, threshold_key="resample_threshold")
"""The population part of the default sampler: B = 1000 walkers, no resampling, no MCMC."""
SMC_FIELD_OF = {
    "n_walkers": "n_walkers",
    "mcmc_sweeps": "sweeps",
    "mcmc_rule": "rule",
    "resample_threshold": "threshold",
    "n_islands": "n_islands",
}
"""The flat keys that are :class:`leapsbench.smc.SMCConfig` fields (key → field); LEAPS always
resamples systematically."""
KEY_TYPES = {
    "n_steps": (int,),
    "n_walkers": (int,),
    "weights": (str,),
    "rate_floor": (float,),
    "mcmc_sweeps": (int,),
    "mcmc_rule": (str,),
    "resample_threshold": (float, type(None)),
    "schedule": (str,),
    "n_islands": (int,),
    "chunk_walkers": (int, type(None)),
    "sites": (str,),
}
"""Every flat sampler key (``--set``, a stored config) and its types, in the order of
``config()``."""


@dataclass(frozen=True, init=False)
class CTMCConfig:
    """Sampler settings: N steps, weight mode, rate floor ε, schedule, chunks, sites, and the
    population ``smc`` (:class:`leapsbench.smc.SMCConfig`: B walkers, G islands, the resampling
    threshold, M MCMC sweeps per step of the kernel ``mcmc_rule``).

    Built from the flat keys (:data:`KEY_TYPES`) as keyword arguments, e.g.
    ``CTMCConfig(n_steps=50, resample_threshold=0.5, n_islands=10)``, which set the embedded
    ``smc`` (given, or :data:`DEFAULT_SMC`); the flat keys read it back.
    ``n_islands`` G (resampling only): the B walkers form G independent populations of B/G that
    resample within themselves, which gives log Ẑ an honest error bar (one island: none).
    ``chunk_walkers``: run at most this many walkers at once (memory O(chunk·N·q)); None runs
    all B together.  With resampling a chunk must hold whole islands (a multiple of B/G), so
    with G = 1 resampling and chunking exclude each other.  ``sites``: "all" (every site may
    jump at every step) or "checkerboard" (half of them per step, module docstring).
    """

    smc: SMCConfig
    n_steps: int
    weights: str
    rate_floor: float
    schedule: str
    chunk_walkers: int | None
    sites: str

    def __init__(
        self,
        *,
        smc: SMCConfig = DEFAULT_SMC,
        n_steps: int = 100,
        weights: str = "exact",
        rate_floor: float = 1e-3,
        schedule: str = "linear",
        chunk_walkers: int | None = None,
        sites: str = "all",
        **keys,
    ):
        unknown_keys("CTMCConfig", keys, SMC_FIELD_OF)
        fields = {SMC_FIELD_OF[key]: value for key, value in keys.items()}
        settings = {
            "smc": replace(smc, **fields),
            "n_steps": n_steps,
            "weights": weights,
            "rate_floor": rate_floor,
            "schedule": schedule,
            "chunk_walkers": chunk_walkers,
            "sites": sites,
        }
        for name, value in settings.items():
            object.__setattr__(self, name, value)
        self._check()

    n_walkers = smc_field("n_walkers")
    mcmc_sweeps = smc_field("sweeps")
    mcmc_rule = smc_field("rule")
    resample_threshold = smc_field("threshold")
    n_islands = smc_field("n_islands")

    def _check(self):
        check_int("n_steps", self.n_steps, 1)
        if self.weights not in WEIGHT_MODES:
            known = ", ".join(WEIGHT_MODES)
            raise ValueError(f"unknown weight mode {self.weights!r}; known: {known}")
        if not (self.rate_floor >= 0 and math.isfinite(self.rate_floor)):
            raise ValueError(f"rate_floor must be >= 0, got {self.rate_floor!r}")
        if self.weights == "exact" and self.rate_floor == 0:
            raise ValueError("the exact weights need rate_floor > 0 (support condition)")
        kernel_for(self.mcmc_rule, "mcmc_rule")
        get_schedule(self.schedule)
        if self.sites not in SITE_MODES:
            raise ValueError(f"unknown sites {self.sites!r}; known: {', '.join(SITE_MODES)}")
        if self.sites != "all" and self.weights != "exact":
            raise ValueError(f"sites={self.sites!r} needs weights='exact' (its kernels' weights)")
        if self.chunk_walkers is not None:
            check_int("chunk_walkers", self.chunk_walkers, 1)
            island = self.n_walkers // self.n_islands
            split = self.chunk_walkers < self.n_walkers and self.chunk_walkers % island
            if self.resample_threshold is not None and split:
                raise ValueError(
                    f"with resampling, chunk_walkers={self.chunk_walkers} must be a multiple of "
                    f"the island size n_walkers / n_islands = {island}: resampling never crosses "
                    "a chunk (use n_islands, or chunk_walkers=None)"
                )

    def config(self) -> dict:
        """The flat config (:data:`KEY_TYPES`' keys, in that order); ``sites`` only when not
        "all" (older configs stay as they were, and so do their cache keys)."""
        config = {key: getattr(self, key) for key in KEY_TYPES}
        if config["sites"] == "all":
            del config["sites"]
        return config

    def dynamics(self, network, params, model) -> Dynamics:
        """This sampler's CTMC with rates from ``network`` and ``params`` for ``model``."""
        schedule = get_schedule(self.schedule)
        h = 1.0 / self.n_steps
        return Dynamics(
            network, params, model, h, self.rate_floor, schedule, self.weights, self.sites
        )


def _namespace(x):
    import array_api_compat

    return array_api_compat.array_namespace(x)


def jump_rates(G, onehot, floor: float):
    """Forward and reverse rates ([G]_+ + ε, [−G]_+ + ε), zero at the current value."""
    xp = _namespace(G)
    zero = xp.zeros_like(G)
    off = 1.0 - onehot
    return (xp.maximum(G, zero) + floor) * off, (xp.maximum(-G, zero) + floor) * off


def backward_rates(model, G, x, onehot, beta: float, floor: float):
    """Rates of the backward kernel at x: r̄(x)[i, a] · e^{−β ΔE(x, i→a)}.

    This is the time reversal of the forward CTMC when its marginal is ρ ∝ e^{−βH}
    (Q_rev(τx | x) = Q(x | τx) ρ(τx)/ρ(x)), so the weights have low variance for a good G.
    """
    xp = _namespace(G)
    _, reverse = jump_rates(G, onehot, floor)
    return reverse * xp.exp(-beta * xp.astype(model.delta_energy(x), G.dtype))


def log_kernel(rates, moved, target_onehot, h: float):
    """log of the tau-leap kernel probability, per walker (B,).

    Stay at site i: −h λ_i; jump to value a: log(1 − e^{−h λ_i}) + log(r[i, a] / λ_i).
    ``moved`` (B, Lx, Ly) marks the sites that changed, ``target_onehot`` their new values.
    """
    xp = _namespace(rates)
    total = xp.sum(rates, axis=-1)
    chosen = xp.sum(rates * target_onehot, axis=-1)
    safe_total = xp.where(total > 0, total, xp.ones_like(total))
    safe_chosen = xp.where(moved, chosen, xp.ones_like(chosen))
    safe_h_total = xp.where(moved, h * safe_total, xp.ones_like(total))  # h λ > 0 where moved
    jump = xp.log(-xp.expm1(-safe_h_total)) + xp.log(safe_chosen) - xp.log(safe_total)
    per_site = xp.where(moved, jump, -h * total)
    return xp.sum(per_site, axis=(1, 2))


def exact_increment(model, move, forward_rates, G_next, betas, h: float, floor: float):
    """The exact weight increment of one step x → x' (float64, per walker):

        U_t(x) − U_{t+h}(x') + log B(x | x') − log F(x' | x),

    ``move = (x, x', moved)``, ``forward_rates = (r, onehot(x))`` as returned by
    :func:`tau_leap_step`, ``G_next`` the scores at (x', t + h), ``betas = (β_t, β_{t+h})``.
    Differentiable in torch through the rates and ``G_next``.
    """
    x, x_next, moved = move
    forward, onehot = forward_rates
    beta, beta_next = betas
    xp = _namespace(G_next)
    onehot_next = model.one_hot(x_next, G_next.dtype)
    backward = backward_rates(model, G_next, x_next, onehot_next, beta_next, floor)
    log_ratio = log_kernel(backward, moved, onehot, h) - log_kernel(forward, moved, onehot_next, h)
    energy_change = beta * model.energy(x) - beta_next * model.energy(x_next)
    return energy_change + xp.astype(log_ratio, xp.float64)


def _euler_increment(model, beta, dbeta, x, G, onehot, floor, h):
    xp = _namespace(G)
    forward, reverse = jump_rates(G, onehot, floor)
    delta_u = beta * model.delta_energy(x)
    flux = xp.sum(reverse * xp.exp(-delta_u) - forward, axis=(1, 2, 3))
    return h * (-dbeta * model.energy(x) - flux)


def tau_leap_step(model, G, x, rng, h: float, floor: float):
    """One tau-leap move of every walker from scores ``G`` at ``x``.

    Returns ``(x_next, moved, forward_rates, onehot_x)``: site i jumps with probability
    1 − e^{−h λ_i} to value a with probability r[i, a] / λ_i.
    """
    xp = rng.backend.xp
    onehot = model.one_hot(x, G.dtype)
    forward, _ = jump_rates(G, onehot, floor)
    total = xp.sum(forward, axis=-1)
    moved = rng.uniform(tuple(total.shape), dtype=total.dtype) < -xp.expm1(-h * total)
    proposal = xp.astype(rng.categorical(forward), rng.backend.state_dtype)
    values = xp.where(moved, proposal, xp.astype(model.to_values(x), rng.backend.state_dtype))
    return model.from_values(values), moved, forward, onehot


def network_scores(network, params, x, t):
    """G_t(x) cast to float64: rates and weight increments are float64 whatever the network's
    dtype (a float32 network must not round the log weights to float32; O(B·N·q) cost)."""
    G = network.apply(params, x, t)
    xp = _namespace(G)
    return xp.astype(G, xp.float64, copy=False)


class CTMCState(NamedTuple):
    """Walkers at time t = k·h: states ``x`` (B, Lx, Ly), float64 log weights ``log_w`` (B,) and
    the scores G_t(x) (float64) when already computed (None: the next step computes them)."""

    x: Any
    log_w: Any
    k: int = 0
    scores: Any = None


class CTMCInfo(NamedTuple):
    """What one step did: ``moved`` (B, Lx, Ly) the sites that jumped and ``increment`` (B,)
    the log-weight increment (None for a step that does not weigh)."""

    moved: Any
    increment: Any


@dataclass(frozen=True)
class Dynamics:
    """The fixed parts of one CTMC: rates from ``network`` with ``params`` (on the states'
    backend, any dtype), the ``model``, step ``h``, rate floor ε, the annealing ``schedule`` (a
    :mod:`leapsbench.models.schedule` object, β_t = β λ(t)) and the weight mode: "exact",
    "euler" or None (move only, as the training rollouts do)."""

    network: Any
    params: Any
    model: Any
    h: float
    rate_floor: float
    schedule: Any
    weights: str | None = "exact"
    sites: str = "all"

    def step_length(self, k: int, like):
        """The step of each site at step k: h everywhere ("all"), or 2h on the sites with
        (i + j + k) even and 0 elsewhere ("checkerboard"), an (Lx, Ly) array on ``like``'s
        device."""
        if self.sites == "all":
            return self.h
        lx, ly = self.model.shape
        parity = (np.arange(lx)[:, None] + np.arange(ly)[None, :] + k) % 2 == 0
        xp = _namespace(like)
        return xp.asarray(2.0 * self.h * parity, device=array_api_compat.device(like))

    def beta(self, k: int) -> float:
        """β at time k·h."""
        return self.model.beta * self.schedule.fraction(k * self.h)

    def scores(self, state: CTMCState):
        """G_t(x) of ``state``: its stored scores, or one network evaluation."""
        if state.scores is not None:
            return state.scores
        return network_scores(self.network, self.params, state.x, state.k * self.h)


def init(rng, dynamics: Dynamics, size: int, backend) -> CTMCState:
    """``size`` walkers drawn uniformly at t = 0 with log weights 0 (log Z_0 = N log q)."""
    x = dynamics.model.uniform_states(backend, rng, size)
    return CTMCState(x=x, log_w=backend.zeros((size,), dtype=backend.xp.float64))


def step(rng, state: CTMCState, dynamics: Dynamics, move=None):
    """One tau-leap step t → t + h of every walker; returns ``(state, info)``.

    The move is drawn with ``rng`` (:func:`tau_leap_step`) or, to re-weigh a stored path, given
    as ``move = (x', moved)`` (``rng`` None).  A weighing step adds the exact or Euler
    increment (module docstring) and keeps the scores at (x', t + h) in the new state: the
    exact weight needs them, and the next step moves with them.  Differentiable in torch
    through the params.
    """
    model, h, floor = dynamics.model, dynamics.h, dynamics.rate_floor
    G, k = dynamics.scores(state), state.k
    h_sites = dynamics.step_length(k, G)
    if move is None:
        x_next, moved, forward, onehot = tau_leap_step(model, G, state.x, rng, h_sites, floor)
    else:
        (x_next, moved), onehot = move, model.one_hot(state.x, G.dtype)
        forward, _ = jump_rates(G, onehot, floor)
    if dynamics.weights is None:
        return CTMCState(x_next, state.log_w, k + 1), CTMCInfo(moved, None)
    G_next = network_scores(dynamics.network, dynamics.params, x_next, (k + 1) * h)
    if dynamics.weights == "euler":
        dbeta = model.beta * dynamics.schedule.dfraction(k * h)
        increment = _euler_increment(model, dynamics.beta(k), dbeta, state.x, G, onehot, floor, h)
    else:
        betas = (dynamics.beta(k), dynamics.beta(k + 1))
        increment = exact_increment(
            model, (state.x, x_next, moved), (forward, onehot), G_next, betas, h_sites, floor
        )
    new = CTMCState(x_next, state.log_w + increment, k + 1, G_next)
    return new, CTMCInfo(moved, increment)


@dataclass(frozen=True)
class TauLeap:
    """The tau-leap move of ``dynamics`` as a kernel object (:mod:`leapsbench.kernels`):
    ``init(rng, model, n, backend)`` and ``step(rng, state) -> (CTMCState, CTMCInfo)``."""

    dynamics: Dynamics

    def init(self, rng, model, n: int, backend) -> CTMCState:
        if model is not self.dynamics.model:
            raise ValueError("TauLeap.init: the model must be the dynamics' own")
        return init(rng, self.dynamics, n, backend)

    def step(self, rng, state: CTMCState):
        return step(rng, state, self.dynamics)


def refine(rng, state: CTMCState, dynamics: Dynamics, sweeps: int, kernel) -> CTMCState:
    """``sweeps`` steps of the MCMC ``kernel`` (an object, or a rule name for
    :func:`leapsbench.baselines.kernels.kernel_for`) at β_t of the state's time (they leave ρ_t
    invariant, so the weights are unchanged); the scores are dropped (states changed)."""
    if not sweeps:
        return state
    beta = dynamics.beta(state.k)
    x, _ = kernel_sweeps(kernel_for(kernel), rng, state.x, dynamics.model, beta, sweeps)
    return state._replace(x=x, scores=None)


def _run_chunk(dynamics: Dynamics, backend, rng, config: CTMCConfig, size: int, kernel, report):
    """The CTMC for ``size`` walkers (whole islands) by :func:`leapsbench.smc.step`: reweight =
    the tau-leap and its increment, mutate = :func:`refine` with ``kernel``; see
    :func:`leaps_sample`.

    Returns device arrays ``(x, log_w, sums, jumps, resampled)``: final states and log weights,
    ``sums`` (n, 2) = (log Σ_i w_i, log Σ_i w_i²) after each step (before its resampling),
    ``jumps`` (n,) the number of sites that moved at each step, summed over walkers, and the
    number of island resamplings.  ``report(k, ess_fraction)`` is called after step k.
    """
    xp, n = backend.xp, config.n_steps
    resample = config.smc.resampler(size)
    state = init(rng, dynamics, size, backend)
    resampled = backend.zeros((), dtype=xp.int64)
    sums, jumps = [], []
    move = TauLeap(dynamics).step

    def mutate(rng, state):
        return refine(rng, state, dynamics, config.mcmc_sweeps, kernel), None

    for k in range(n):
        last = k + 1 == n  # nothing to resample for after the last step
        state, info = smc.step(rng, state, move, mutate, None if last else resample)
        jumps.append(xp.sum(xp.astype(info.reweight.moved, xp.float64)))
        sums.append(info.log_sums)
        if info.resampled is not None:
            resampled = resampled + info.resampled
        if report is not None:
            report(k, float(info.ess))
    return state.x, state.log_w, xp.stack(sums), xp.stack(jumps), resampled


def _run_chunks(dynamics: Dynamics, backend, rng, config: CTMCConfig, kernel, progress):
    """:func:`_run_chunk` for every chunk of ``config.chunk_walkers`` walkers, in turn."""
    B, n = config.n_walkers, config.n_steps
    size = min(config.chunk_walkers or B, B)
    n_chunks = -(-B // size)
    chunks = []
    for c in range(n_chunks):
        report = None
        if progress is not None:

            def report(k, ess, c=c):
                progress(c * n + k + 1, n_chunks * n, ess_fraction=ess)

        chunk_size = min(size, B - c * size)
        chunks.append(_run_chunk(dynamics, backend, rng, config, chunk_size, kernel, report))
    return chunks


def leaps_sample(
    network, params, model, backend, rng, config: CTMCConfig, progress=None, kernel=None
):
    """Run the CTMC for ``config.n_walkers`` walkers on ``backend``; returns weighted Samples.

    Per step: tau-leap move, weight increment, then (with ``resample_threshold``) every island
    of B/G walkers whose ESS fraction is below the threshold is resampled within itself
    (systematic; weights reset to the island's mean), then the MCMC sweeps of ``kernel`` (a
    kernel object; default ``config.mcmc_rule``'s).  log Ẑ and its error:
    :func:`leapsbench.smc.log_z_with_error`.  Walkers run in chunks of ``chunk_walkers`` one
    after the other (each chunk holds whole islands, so chunking changes the memory, not the
    estimator); final states and log weights are concatenated.

    ``params`` must already live on ``backend`` (:func:`leapsbench.params.params_to`).  Memory
    is O(chunk·N·q): no trajectory is stored.  Diagnostics (over all walkers): ``ess_fraction``
    (n,) the Kish ESS / B after each step, before its resampling; ``mean_jumps`` (n,) sites moved
    per walker at each step; ``n_resamplings`` (island resamplings); ``n_chunks``.
    ``n_evaluations`` (the total, docs/CONTRACTS.md) = B · (1 + n network passes, n − 1 more
    after the sweeps, and n · mcmc_sweeps sweeps).
    """
    xp = backend.xp
    B, n = config.n_walkers, config.n_steps
    dynamics = config.dynamics(network, params, model)
    kernel = kernel_for(config.mcmc_rule if kernel is None else kernel)
    start = time.perf_counter()
    chunks = _run_chunks(dynamics, backend, rng, config, kernel, progress)
    n_chunks = len(chunks)
    xs, log_ws, sums, jumps, resampled = zip(*chunks, strict=True)
    x, log_w = xp.concat(xs, axis=0), xp.concat(log_ws, axis=0)
    backend.synchronize()
    host_log_w = backend.to_numpy(log_w)
    totals = logsumexp_host(np.stack([backend.to_numpy(s) for s in sums]), axis=0)  # (n, 2)
    n_resamplings = int(sum(int(backend.to_numpy(r)) for r in resampled))
    log_z, log_z_err = smc.log_z_with_error(
        host_log_w, model.log_z0, config.n_islands, n_resamplings > 0
    )
    observables = {
        "m": backend.to_numpy(model.magnetization(x)),
        "E": backend.to_numpy(model.energy(x)),
    }
    if not n_resamplings:  # independent walkers
        observables |= pair_observables(model, x, host_log_w, backend)
    return Samples(
        observables=observables,
        log_weights=host_log_w,
        log_z=log_z,
        log_z_err=log_z_err,
        x=x,
        n_evaluations=B * (1 + n + (n - 1) * (config.mcmc_sweeps > 0) + n * config.mcmc_sweeps),
        n_network_evaluations=B * (1 + n + (n - 1) * (config.mcmc_sweeps > 0)),
        seconds=time.perf_counter() - start,
        diagnostics={
            "ess_fraction": ess_from_log_sums(np, totals[:, 0], totals[:, 1]) / B,
            "mean_jumps": sum(backend.to_numpy(j) for j in jumps) / B,
            "log_mean_weight": log_mean_exp(host_log_w),
            "n_resamplings": n_resamplings,
            "n_chunks": n_chunks,
        },
        islands=config.n_islands if n_resamplings else None,
    )
