"""The losses of LEAPS training (torch) and the detached rollouts they are evaluated on.

With ρ_t = e^{−U_t}/Z_t, U_t = β_t H, β_t = β λ(t) the sampler's schedule and F_t = −log Z_t,
the Kolmogorov forward equation of the CTMC divided by ρ_t(x) holds exactly when the residual

    r_t(x) = −∂_tβ_t H(x) + ∂_tF_t − Σ_{i,a} ( r̄_t(x)[i,a] e^{−β_t ΔH(x, i→a)} − r_t(x)[i,a] )

vanishes for every x and t (r, r̄ the forward and reverse rates of :mod:`.ctmc`,
∂_tβ_t = β λ'(t)); then the log weights have zero variance (h · (r_t(x) − ∂_tF_t) is the
sampler's Euler weight increment).  The PINN loss is the mean of r² over pairs (x, t) from the
sampler's own detached rollouts.  The log-variance loss is Var_B[A(X)] over the walkers of a
detached rollout X, A the exact log weight recomputed with gradients along the fixed paths
(:func:`path_log_weights`); it vanishes exactly when the weights are constant (needs no F).
Rollouts and log weights both drive :func:`.ctmc.step`, the sampler's own step.
"""

from __future__ import annotations

import array_api_compat

from leapsbench.models.schedule import beta_at, dbeta_dt, get_schedule

from . import ctmc
from .ctmc import jump_rates
from .fnet import dfdt


def pinn_residual(network, params, fnet, model, x, t, floor: float, schedule):
    """r_t(x) (P,) for states x (P, Lx, Ly) at times t (P,), differentiable in the params:

        r_t(x) = −∂_tβ_t H(x) + ∂_tF_t − Σ_{i,a} ( r̄[i,a] e^{−β_t ΔH(x, i→a)} − r[i,a] ),

    β_t = β λ(t), ∂_tβ_t = β λ'(t) from ``schedule`` (a :mod:`leapsbench.models.schedule`
    object), r, r̄ the floored forward and reverse rates.
    """
    import torch

    G = network.apply(params, x, t)
    onehot = model.one_hot(x, G.dtype)
    forward, reverse = jump_rates(G, onehot, floor)
    beta_t = beta_at(model, schedule, t)
    delta_u = beta_t[:, None, None, None] * model.delta_energy(x).to(G.dtype)
    flux = torch.sum(reverse * torch.exp(-delta_u) - forward, dim=(1, 2, 3))
    drift = -dbeta_dt(model, schedule, t) * model.energy(x).to(G.dtype)
    return drift + dfdt(array_api_compat.array_namespace(G), fnet, t) - flux


def rollout(network, params, model, backend, rng, config, n_steps: int):
    """One detached rollout of the sampler: ``n_steps`` steps of h = 1/horizon from t = 0 for
    ``config.walkers`` walkers (``config`` a :class:`.train.TrainConfig`), as a list of
    (x_k, x'_{k+1}, moved) — x'_{k+1} before the step's MCMC sweeps (at β_{t+h} of the
    schedule), x_{k+1} after.  The same random draws, in the same order, as
    :func:`.ctmc.leaps_sample` with ``n_steps = horizon`` and ``mcmc_sweeps`` (the same
    :func:`.ctmc.step`, without weights)."""
    import torch

    schedule = get_schedule(config.schedule)
    h = 1.0 / config.horizon
    dynamics = ctmc.Dynamics(network, params, model, h, config.rate_floor, schedule, weights=None)
    state = ctmc.init(rng, dynamics, config.walkers, backend)
    path = []
    with torch.no_grad():
        for _ in range(n_steps):
            moved_to, info = ctmc.step(rng, state, dynamics)
            path.append((state.x, moved_to.x, info.moved))
            state = ctmc.refine(rng, moved_to, dynamics, config.mcmc_sweeps, config.mcmc_rule)
    return path


def path_states_and_times(path, h: float, dtype):
    """The states x_k (n·B, Lx, Ly) of a rollout and their times k·h (n·B,), ``dtype``, on the
    device of the states."""
    import torch

    states = torch.cat([x for x, _, _ in path])
    times = torch.cat(
        [
            torch.full((x.shape[0],), k * h, dtype=dtype, device=x.device)
            for k, (x, _, _) in enumerate(path)
        ]
    )
    return states, times


def path_log_weights(network, params, model, path, h: float, floor: float, schedule):
    """Exact log weights A (B,) of a fixed rollout, differentiable in ``params``: the exact
    increments of :func:`.ctmc.step` replayed along the stored moves, β_t = β λ(t) of
    ``schedule`` (the log weights :func:`.ctmc.leaps_sample` gives the same path)."""
    dynamics = ctmc.Dynamics(network, params, model, h, floor, schedule, weights="exact")
    log_w = 0.0
    for k, (x, x_next, moved) in enumerate(path):
        state = ctmc.CTMCState(x, log_w, k)
        log_w = ctmc.step(None, state, dynamics, move=(x_next, moved))[0].log_w
    return log_w
