"""Training of LEAPS rates (torch): the PINN loss or the log-variance loss.

With ρ_t = e^{−U_t}/Z_t, U_t = β_t H, β_t = β λ(t) the sampler's schedule
(:mod:`leapsbench.models.schedule`; ``TrainConfig.schedule``, the same name as
``CTMCConfig.schedule``) and F_t = −log Z_t, the Kolmogorov forward equation of the
CTMC divided by ρ_t(x) is satisfied exactly when the residual

    r_t(x) = −∂_tβ_t H(x) + ∂_tF_t − Σ_{i,a} ( r̄_t(x)[i,a] e^{−β_t ΔH(x, i→a)} − r_t(x)[i,a] )

vanishes for every x and t (r, r̄ the forward and reverse rates of :mod:`.ctmc`, ∂_tβ_t = β λ'(t));
then the log weights have zero variance (h · (r_t(x) − ∂_tF_t) is the sampler's Euler weight
increment).  The PINN loss is the mean of r² over pairs (x, t): t ~ U[0, 1] on a
grid of the rollout, x from the sampler's own detached trajectories, kept in a replay buffer of
recent rollouts.  ∂_tF_t is a small MLP in t (F_t = F_0 + ∫_0^t, F_0 = −N log q, is never needed
itself).

The log-variance loss (``loss="log_variance"``) is Var_B[A(X)] over the B walkers of a fresh
detached rollout X, A the exact log weight of :func:`.ctmc.exact_increment` recomputed with
gradients along the fixed paths; it vanishes exactly when the weights are constant (needs no F;
needs ``rate_floor > 0``, like the exact weights).  The rollouts' MCMC sweeps run at β_{t+h}.

Adam with gradient clipping and the step decay lr_s = lr · decay^⌊s / decay_every⌋ at the
absolute step s; a budget in steps and/or seconds.  ``start_step`` continues a trained network
(a loaded checkpoint): the learning rate and the curriculum carry on from that step.  With a
checkpoint path, the training state (parameters, F-net, optimiser, RNG, history) is written
atomically every ``checkpoint_every`` steps and a later call resumes from it; the replay buffer
is not saved and restarts from a fresh rollout.

Every tensor is made on the device of the training backend (``device``), so training runs on
CUDA as on the CPU.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import array_api_compat
import numpy as np

from leapsbench.backends import get_backend
from leapsbench.baselines.local import RULES
from leapsbench.models.schedule import beta_at, dbeta_dt, get_schedule
from leapsbench.params import params_to, params_to_numpy

from . import ctmc
from .ctmc import _one_hot, full_delta_energy, jump_rates

LOSSES = ("pinn", "log_variance")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (the ``quick`` defaults train a 4×4 lattice in seconds on a CPU).

    ``rate_floor`` and ``schedule`` define the CTMC being trained and ``mcmc_rule`` the sweeps of
    its rollouts: they must be those of the sampler (:class:`.ctmc.CTMCConfig`); the LEAPS
    adapter takes all three from its sampler keys.
    """

    steps: int = 300
    walkers: int = 64
    horizon: int = 20
    pairs: int = 256
    buffer_rollouts: int = 8
    refresh_every: int = 1
    lr: float = 3e-3
    decay: float = 0.995
    decay_every: int = 10
    clip: float = 1.0
    rate_floor: float = 1e-3
    mcmc_sweeps: int = 0
    mcmc_rule: str = "metropolis"
    fnet_width: int = 32
    fnet_depth: int = 2
    curriculum_steps: int = 0
    eval_every: int = 0
    eval_walkers: int = 500
    loss: str = "pinn"
    checkpoint_every: int = 100
    schedule: str = "linear"

    def __post_init__(self):
        for name in (
            "steps",
            "walkers",
            "horizon",
            "pairs",
            "buffer_rollouts",
            "refresh_every",
            "decay_every",
            "fnet_width",
            "fnet_depth",
            "eval_walkers",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"training {name} must be an integer >= 1, got {value!r}")
        for name in ("curriculum_steps", "eval_every", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"training {name} must be an integer >= 0, got {value!r}")
        if self.mcmc_rule not in RULES:
            raise ValueError(f"unknown mcmc_rule {self.mcmc_rule!r}; known: {', '.join(RULES)}")
        if not (0 < self.decay <= 1 and self.lr > 0 and self.clip > 0 and self.rate_floor >= 0):
            raise ValueError(
                f"need lr > 0, 0 < decay <= 1, clip > 0, rate_floor >= 0; got lr={self.lr}, "
                f"decay={self.decay}, clip={self.clip}, rate_floor={self.rate_floor}"
            )

        if self.loss not in LOSSES:
            raise ValueError(
                f"unknown training loss {self.loss!r}; choose from {', '.join(LOSSES)}"
            )
        if self.loss == "log_variance" and self.rate_floor == 0:
            raise ValueError(
                "the log_variance loss uses the exact weights, which need rate_floor > 0 "
                "(with rate_floor=0 a backward move can have zero forward probability and "
                "A = -inf); got rate_floor=0"
            )
        get_schedule(self.schedule)

    def config(self) -> dict:
        return asdict(self)


def init_fnet(width: int, seed: int, depth: int = 2) -> dict[str, np.ndarray]:
    """Params of the ∂_tF_t MLP 1 → width (× ``depth`` tanh layers) → 1:
    h₀ = tanh(w₀ t + b₀), h_l = tanh(W_l h_{l−1} + b_l), ∂_tF_t = w_out · h_{depth−1} + b_out
    (the output starts at zero)."""
    rng = np.random.default_rng(seed)
    fnet = {"f_w0": rng.normal(0, 1.0, (width,)), "f_b0": np.zeros(width)}
    for layer in range(1, depth):
        fnet[f"f_w{layer}"] = rng.normal(0, 1 / math.sqrt(width), (width, width))
        fnet[f"f_b{layer}"] = np.zeros(width)
    return {**fnet, "f_wout": np.zeros(width), "f_bout": np.zeros(())}


def dfdt(xp, fnet, t):
    """∂_tF_t for a (P,) array of times (:func:`init_fnet`)."""
    h = xp.tanh(t[:, None] * fnet["f_w0"] + fnet["f_b0"])
    depth = sum(1 for key in fnet if key.startswith("f_b")) - 1
    for layer in range(1, depth):
        h = xp.tanh(h @ xp.matrix_transpose(fnet[f"f_w{layer}"]) + fnet[f"f_b{layer}"])
    return h @ fnet["f_wout"] + fnet["f_bout"]


def pinn_residual(network, params, fnet, model, x, t, floor: float, schedule):
    """r_t(x) (P,) for states x (P, Lx, Ly) at times t (P,), differentiable in the params:

        r_t(x) = −∂_tβ_t H(x) + ∂_tF_t − Σ_{i,a} ( r̄[i,a] e^{−β_t ΔH(x, i→a)} − r[i,a] ),

    β_t = β λ(t), ∂_tβ_t = β λ'(t) from ``schedule`` (a :mod:`leapsbench.models.schedule`
    object), r, r̄ the floored forward and reverse rates.
    """
    import torch

    G = network.apply(params, x, t)
    onehot = _one_hot(model, x, G.dtype)
    forward, reverse = jump_rates(G, onehot, floor)
    beta_t = beta_at(model, schedule, t)
    delta_u = beta_t[:, None, None, None] * full_delta_energy(model, x).to(G.dtype)
    flux = torch.sum(reverse * torch.exp(-delta_u) - forward, dim=(1, 2, 3))
    drift = -dbeta_dt(model, schedule, t) * model.energy(x).to(G.dtype)
    return drift + dfdt(array_api_compat.array_namespace(G), fnet, t) - flux


def horizon_at(step: int, config: TrainConfig) -> int:
    """Rollout length (steps of h = 1/horizon) at a training step: the curriculum grows it
    linearly from 1 to ``horizon`` over ``curriculum_steps`` (0: the full horizon at once)."""
    if config.curriculum_steps == 0:
        return config.horizon
    fraction = min(step / config.curriculum_steps, 1.0)
    return 1 + int(fraction * (config.horizon - 1))


def learning_rate(step: int, config: TrainConfig) -> float:
    """lr_s = lr · decay^⌊s / decay_every⌋ at the absolute training step s."""
    return config.lr * config.decay ** (step // config.decay_every)


def _rollout(network, params, model, backend, rng, config: TrainConfig, n_steps: int):
    """One detached rollout of the sampler: ``n_steps`` steps of h = 1/horizon from t = 0, as a
    list of (x_k, x'_{k+1}, moved) — x'_{k+1} before the step's MCMC sweeps (at β_{t+h} of the
    schedule), x_{k+1} after.  The same random draws, in the same order, as
    :func:`.ctmc.leaps_sample` with ``n_steps = horizon`` and ``mcmc_sweeps`` (the same
    :func:`.ctmc.step`, without weights)."""
    import torch

    dynamics = ctmc.Dynamics(
        network,
        params,
        model,
        1.0 / config.horizon,
        config.rate_floor,
        get_schedule(config.schedule),
        weights=None,
    )
    state = ctmc.init(dynamics, backend, rng, config.walkers)
    path = []
    with torch.no_grad():
        for _ in range(n_steps):
            moved_to, info = ctmc.step(dynamics, state, rng)
            path.append((state.x, moved_to.x, info.moved))
            state = ctmc.refine(dynamics, moved_to, rng, config.mcmc_sweeps, config.mcmc_rule)
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
        log_w = ctmc.step(dynamics, state, move=(x_next, moved))[0].log_w
    return log_w


def _save_state(path: Path, state: dict) -> None:
    """torch.save ``state`` to ``path`` through a temporary file and ``os.replace``."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _load_state(path: Path, signature: dict) -> dict | None:
    """The training state at ``path`` (None if absent); refused if made for another run."""
    import torch

    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["signature"] != signature:
        differ = sorted(k for k in signature if state["signature"].get(k) != signature[k])
        raise ValueError(
            f"training checkpoint {path} belongs to another run (differs in {', '.join(differ)}); "
            "delete it or choose another path"
        )
    return state


def train_leaps(
    network,
    params: dict,
    model,
    config: TrainConfig,
    seed: int,
    device: str = "cpu",
    fnet: dict | None = None,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    progress=None,
    checkpoint: str | Path | None = None,
    start_step: int = 0,
):
    """Minimise the PINN (or log-variance) loss; returns ``(params, fnet, history)`` as numpy.

    Trains from absolute step ``start_step`` (the steps ``params``/``fnet`` have already had) up
    to step ``min(config.steps, max_steps)``.  ``history`` holds the loss per step run,
    ``steps_done`` (the absolute step reached) and, every ``eval_every`` steps (0: never), the
    final ESS fraction and log Ẑ of a ``eval_walkers``-walker run of the sampler (horizon
    steps) as rows (step, ess_fraction, log_z).  ``fnet`` continues a previous run (resume).
    ``checkpoint``: a file for the training state, written every ``checkpoint_every`` steps and
    resumed from when it exists (module docstring).
    """
    import torch

    if isinstance(start_step, bool) or not isinstance(start_step, int) or start_step < 0:
        raise ValueError(f"start_step must be an integer >= 0, got {start_step!r}")
    backend = get_backend("torch", device=device)
    schedule = get_schedule(config.schedule)
    rng = backend.rng(seed)
    # torch.asarray shares numpy memory: copy so that the caller's arrays are never trained
    weights = {k: v.clone().requires_grad_() for k, v in params_to(backend, params).items()}
    fnet = fnet or init_fnet(config.fnet_width, seed, config.fnet_depth)
    fweights = {k: v.clone().requires_grad_() for k, v in params_to(backend, fnet).items()}
    everything = list(weights.values()) + list(fweights.values())
    optimiser = torch.optim.Adam(everything, lr=learning_rate(start_step, config))
    steps = config.steps if max_steps is None else min(config.steps, max_steps)
    buffer, losses, evaluations, first = [], [], [], start_step
    checkpoint = None if checkpoint is None else Path(checkpoint)
    signature = {
        "network": repr(network),
        "model": model.config(),
        "train": config.config(),
        "seed": seed,
        "start_step": start_step,
    }
    state = None if checkpoint is None else _load_state(checkpoint, signature)
    if state is not None:
        with torch.no_grad():
            for live, saved in ((weights, state["weights"]), (fweights, state["fweights"])):
                for k, v in live.items():
                    v.copy_(saved[k])
        optimiser.load_state_dict(state["optimiser"])
        rng.generator.set_state(state["rng"])
        losses, evaluations, first = state["losses"], state["evaluations"], state["step"]
    h = 1.0 / config.horizon
    start = time.perf_counter()
    done = first
    for step in range(first, steps):
        n_steps = horizon_at(step, config)
        if config.loss == "log_variance":
            path = _rollout(network, weights, model, backend, rng, config, n_steps)
            log_w = path_log_weights(network, weights, model, path, h, config.rate_floor, schedule)
            loss = torch.var(log_w)
        else:
            if step % config.refresh_every == 0 or not buffer:
                path = _rollout(network, weights, model, backend, rng, config, n_steps)
                buffer = [*buffer, path_states_and_times(path, h, backend.dtype)]
                buffer = buffer[-config.buffer_rollouts :]
            x = torch.cat([b[0] for b in buffer])
            t = torch.cat([b[1] for b in buffer])
            pick = rng.integers(0, x.shape[0], (config.pairs,))
            residual = pinn_residual(
                network, weights, fweights, model, x[pick], t[pick], config.rate_floor, schedule
            )
            loss = torch.mean(residual**2)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(everything, config.clip)
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(step, config)
        optimiser.step()
        done = step + 1
        losses.append(float(loss.detach()))
        metrics = {"loss": losses[-1]}
        if config.eval_every and (step + 1) % config.eval_every == 0:
            evaluations.append(
                (step + 1, *_evaluate(network, weights, model, backend, rng, config))
            )
            metrics.update(ess_fraction=evaluations[-1][1], log_z=evaluations[-1][2])
        if (
            checkpoint is not None
            and config.checkpoint_every
            and ((step + 1) % config.checkpoint_every == 0)
        ):
            _save_state(
                checkpoint,
                {
                    "signature": signature,
                    "step": step + 1,
                    "weights": {k: v.detach() for k, v in weights.items()},
                    "fweights": {k: v.detach() for k, v in fweights.items()},
                    "optimiser": optimiser.state_dict(),
                    "rng": rng.generator.get_state(),
                    "losses": losses,
                    "evaluations": evaluations,
                },
            )
        if progress is not None:
            progress(step + 1, steps, **metrics)
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    history = {
        "loss": np.asarray(losses),
        "eval": np.asarray(evaluations).reshape(-1, 3),
        "steps_done": done,
    }
    return params_to_numpy(weights), params_to_numpy(fweights), history


def _evaluate(network, weights, model, backend, rng, config: TrainConfig):
    """(ESS fraction, log Ẑ) of a detached run of the sampler with the current rates, its rate
    floor and schedule: exact weights, or Euler weights when ``rate_floor = 0`` (the exact ones
    need a floor)."""
    import torch

    from .ctmc import CTMCConfig, leaps_sample

    sampler = CTMCConfig(
        n_steps=config.horizon,
        n_walkers=max(config.eval_walkers, 2),
        weights="exact" if config.rate_floor > 0 else "euler",
        rate_floor=config.rate_floor,
        schedule=config.schedule,
    )
    with torch.no_grad():
        detached = {k: v.detach() for k, v in weights.items()}
        samples = leaps_sample(network, detached, model, backend, rng, sampler)
    return float(samples.diagnostics["ess_fraction"][-1]), float(samples.log_z)
