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

Then E[e^{A_1} f(X_1)] = (Z_1 / Z_0) E_{ρ_1}[f].  Optionally M local MCMC sweeps at β_{t+h} after
every step (weights unchanged; one more network evaluation per step) and resampling when the ESS
fraction falls below a threshold (SMC; log Ẑ then accumulates the mean weight at each resampling).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from leapsbench.baselines.local import RULES, sweep
from leapsbench.estimators import kish_ess, log_mean_exp, log_z_estimate
from leapsbench.models.schedule import get_schedule
from leapsbench.resampling import check_threshold, resample_if_needed
from leapsbench.samples import Samples

WEIGHT_MODES = ("exact", "euler")


@dataclass(frozen=True)
class CTMCConfig:
    """Sampler settings: N steps, B walkers, weight mode, rate floor ε, MCMC and resampling."""

    n_steps: int = 100
    n_walkers: int = 1000
    weights: str = "exact"
    rate_floor: float = 1e-3
    mcmc_sweeps: int = 0
    mcmc_rule: str = "metropolis"
    resample_threshold: float | None = None
    schedule: str = "linear"

    def __post_init__(self):
        if isinstance(self.n_steps, bool) or not isinstance(self.n_steps, int) or self.n_steps < 1:
            raise ValueError(f"n_steps must be an integer >= 1, got {self.n_steps!r}")
        if not isinstance(self.n_walkers, int) or self.n_walkers < 2:
            raise ValueError(f"n_walkers must be an integer >= 2, got {self.n_walkers!r}")
        if self.weights not in WEIGHT_MODES:
            known = ", ".join(WEIGHT_MODES)
            raise ValueError(f"unknown weight mode {self.weights!r}; known: {known}")
        if not (self.rate_floor >= 0 and math.isfinite(self.rate_floor)):
            raise ValueError(f"rate_floor must be >= 0, got {self.rate_floor!r}")
        if self.weights == "exact" and self.rate_floor == 0:
            raise ValueError("the exact weights need rate_floor > 0 (support condition)")
        if not isinstance(self.mcmc_sweeps, int) or self.mcmc_sweeps < 0:
            raise ValueError(f"mcmc_sweeps must be an integer >= 0, got {self.mcmc_sweeps!r}")
        if self.mcmc_rule not in RULES:
            raise ValueError(f"unknown mcmc_rule {self.mcmc_rule!r}; known: {', '.join(RULES)}")
        if self.resample_threshold is not None:
            check_threshold(self.resample_threshold)
        get_schedule(self.schedule)

    def config(self) -> dict:
        return asdict(self)


def full_delta_energy(model, x):
    """ΔE for every site and value, (B, Lx, Ly, q); 0 at the current value (Ising: flip slot)."""
    xp = _namespace(x)
    delta = model.delta_energy(x)
    if model.kind == "ising":
        return xp.expand_dims(delta, axis=-1) * (1.0 - _one_hot(model, x, delta.dtype))
    return delta


def _namespace(x):
    import array_api_compat

    return array_api_compat.array_namespace(x)


def _one_hot(model, x, dtype):
    import array_api_extra as xpx

    xp = _namespace(x)
    values = xp.astype(model.to_values(x), xp.int64)
    return xpx.one_hot(values, model.q, dtype=dtype, xp=xp)


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
    return reverse * xp.exp(-beta * xp.astype(full_delta_energy(model, x), G.dtype))


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
    jump = xp.log(-xp.expm1(-h * safe_total)) + xp.log(safe_chosen) - xp.log(safe_total)
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
    onehot_next = _one_hot(model, x_next, G_next.dtype)
    backward = backward_rates(model, G_next, x_next, onehot_next, beta_next, floor)
    log_ratio = log_kernel(backward, moved, onehot, h) - log_kernel(forward, moved, onehot_next, h)
    energy_change = beta * model.energy(x) - beta_next * model.energy(x_next)
    return energy_change + xp.astype(log_ratio, xp.float64)


def _euler_increment(model, beta, dbeta, x, G, onehot, floor, h):
    xp = _namespace(G)
    forward, reverse = jump_rates(G, onehot, floor)
    delta_u = beta * full_delta_energy(model, x)
    flux = xp.sum(reverse * xp.exp(-delta_u) - forward, axis=(1, 2, 3))
    return h * (-dbeta * model.energy(x) - flux)


def tau_leap_step(model, G, x, rng, h: float, floor: float):
    """One tau-leap move of every walker from scores ``G`` at ``x``.

    Returns ``(x_next, moved, forward_rates, onehot_x)``: site i jumps with probability
    1 − e^{−h λ_i} to value a with probability r[i, a] / λ_i.
    """
    xp = rng.backend.xp
    onehot = _one_hot(model, x, G.dtype)
    forward, _ = jump_rates(G, onehot, floor)
    total = xp.sum(forward, axis=-1)
    moved = rng.uniform(tuple(total.shape), dtype=total.dtype) < -xp.expm1(-h * total)
    proposal = xp.astype(rng.categorical(forward), rng.backend.state_dtype)
    values = xp.where(moved, proposal, xp.astype(model.to_values(x), rng.backend.state_dtype))
    return model.from_values(values), moved, forward, onehot


def leaps_sample(network, params, model, backend, rng, config: CTMCConfig, progress=None):
    """Run the CTMC for ``config.n_walkers`` walkers on ``backend``; returns weighted Samples.

    ``params`` must already live on ``backend`` (see ``networks.params_to``).  Memory is
    O(B·N·q): no trajectory is stored.
    """
    xp = backend.xp
    schedule = get_schedule(config.schedule)
    n, h = config.n_steps, 1.0 / config.n_steps
    start = time.perf_counter()
    x = model.uniform_states(backend, rng, config.n_walkers)
    log_w = backend.zeros((config.n_walkers,), dtype=xp.float64)
    log_z_resampled = 0.0
    G = network.apply(params, x, 0.0)
    evaluations, ess_trace, jump_trace = 1, [], []
    for k in range(n):
        t, t_next = k * h, (k + 1) * h
        beta, beta_next = model.beta * schedule.fraction(t), model.beta * schedule.fraction(t_next)
        x_next, moved, forward, onehot = tau_leap_step(model, G, x, rng, h, config.rate_floor)
        if config.weights == "euler":
            dbeta = model.beta * schedule.dfraction(t)
            log_w = log_w + xp.astype(
                _euler_increment(model, beta, dbeta, x, G, onehot, config.rate_floor, h), xp.float64
            )
            G_next = network.apply(params, x_next, t_next)
        else:
            G_next = network.apply(params, x_next, t_next)
            log_w = log_w + exact_increment(
                model,
                (x, x_next, moved),
                (forward, onehot),
                G_next,
                (beta, beta_next),
                h,
                config.rate_floor,
            )
        evaluations += 1
        x, G = x_next, G_next
        jump_trace.append(float(xp.mean(xp.astype(moved, xp.float64))) * model.n_sites)
        if config.mcmc_sweeps:
            for _ in range(config.mcmc_sweeps):
                x, _ = sweep(model, x, beta_next, rng, config.mcmc_rule)
            G = network.apply(params, x, t_next)
            evaluations += 1
        if config.resample_threshold is not None and k + 1 < n:
            step = resample_if_needed(log_w, rng, config.resample_threshold)
            if step.resampled:
                log_z_resampled += float(backend.to_numpy(step.log_weights)[0])
                x, G = xp.take(x, step.ancestors, axis=0), xp.take(G, step.ancestors, axis=0)
                log_w = xp.zeros_like(log_w)
            ess_trace.append(step.ess_fraction)
        else:
            ess_trace.append(kish_ess(backend.to_numpy(log_w)) / config.n_walkers)
        if progress is not None:
            progress(k + 1, n, ess_fraction=ess_trace[-1])
    backend.synchronize()
    host_log_w = backend.to_numpy(log_w) + log_z_resampled
    log_z, log_z_err = log_z_estimate(host_log_w, model.log_z0)
    return Samples(
        observables={
            "m": backend.to_numpy(model.magnetization(x)),
            "E": backend.to_numpy(model.energy(x)),
        },
        log_weights=host_log_w,
        log_z=log_z,
        log_z_err=log_z_err,
        x=x,
        n_evaluations=evaluations,
        seconds=time.perf_counter() - start,
        diagnostics={
            "ess_fraction": np.asarray(ess_trace),
            "mean_jumps": np.asarray(jump_trace),
            "log_mean_weight": log_mean_exp(host_log_w),
        },
    )
