"""Training of LEAPS rates (torch): the loop, minimising the PINN or the log-variance loss.

The losses and the rollouts they use are in :mod:`.losses`, the ∂_tF_t network in :mod:`.fnet`.
``TrainConfig.schedule`` is the sampler's annealing schedule (the same name as
``CTMCConfig.schedule``), ``rate_floor`` its rate floor.  The PINN loss is the mean of r² over
``pairs`` pairs (x, t) drawn from a replay buffer of the ``buffer_rollouts`` most recent
detached rollouts (refreshed every ``refresh_every`` steps); t runs over the rollout's grid.
The log-variance loss (``loss="log_variance"``) uses a fresh rollout every step and needs
``rate_floor > 0``, like the exact weights.  The rollouts' MCMC sweeps run at β_{t+h}.

Adam with gradient clipping and the step decay lr_s = lr · decay^⌊s / decay_every⌋ at the
absolute step s; a budget in steps and/or seconds.  ``start_step`` continues a trained network
(a loaded checkpoint): the learning rate and the curriculum carry on from that step.  With a
checkpoint path, the whole training state (:mod:`.train_state`: parameters, F-net, optimiser,
RNG, replay buffer, history) is written atomically every ``checkpoint_every`` steps and a later
call resumes from it, ending bitwise equal to an uninterrupted run with the same seed.

Every tensor is made on the device of the training backend (``device``), so training runs on
CUDA as on the CPU.

Cost: ``history["network_evaluations"]`` counts the configurations passed through the rate
network (rollouts, loss, evaluations; a backward pass is not counted apart) and
``history["cpu_seconds"]`` the process CPU time of the steps, both from the start of the
training state (a resumed state carries them on; None for a state saved before they were
counted).  The state is also written when the loop ends (a time budget's stop included), so that
the next call continues from the last step done.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from leapsbench.backends import get_backend
from leapsbench.baselines.kernels import RULES
from leapsbench.models.schedule import get_schedule
from leapsbench.params import params_to, params_to_numpy
from leapsbench.threads import fix_torch_threads
from leapsbench.timed import next_step_overruns

from .ctmc import CTMCConfig, leaps_sample
from .fnet import init_fnet
from .losses import path_log_weights, path_states_and_times, pinn_residual, rollout
from .train_state import load_training_state, save_training_state

LOSSES = ("pinn", "log_variance")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (the ``quick`` defaults are sized for a 4×4 lattice on a CPU).

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


def horizon_at(step: float, config: TrainConfig) -> int:
    """Rollout length (steps of h = 1/horizon) at a training step: the curriculum grows it
    linearly from 1 to ``horizon`` over ``curriculum_steps`` (0: the full horizon at once)."""
    if config.curriculum_steps == 0:
        return config.horizon
    fraction = min(step / config.curriculum_steps, 1.0)
    return 1 + int(fraction * (config.horizon - 1))


def curriculum_step(step: int, config: TrainConfig, elapsed: float, max_seconds) -> float:
    """The step the curriculum has reached: ``step``, or under a time budget the share of it
    spent times ``config.steps`` when that is further, max(s, steps · elapsed / max_seconds), so
    that a run stopped by the clock still ends its curriculum at the same share of training."""
    if not max_seconds:
        return step
    return max(step, config.steps * elapsed / max_seconds)


def learning_rate(step: int, config: TrainConfig) -> float:
    """lr_s = lr · decay^⌊s / decay_every⌋ at the absolute training step s."""
    return config.lr * config.decay ** (step // config.decay_every)


class CountingNetwork:
    """``network`` whose ``apply(params, x, t)`` adds the batch size of ``x`` to ``calls``; every
    other attribute (and ``repr``, part of the training-state signature) is the network's."""

    def __init__(self, network):
        self.network = network
        self.calls = 0

    def apply(self, params, x, t):
        self.calls += int(x.shape[0])
        return self.network.apply(params, x, t)

    def __getattr__(self, name):
        return getattr(self.network, name)

    def __repr__(self) -> str:
        return repr(self.network)


@dataclass
class _Run:
    """The live state of one training run: what the next step depends on."""

    weights: dict
    fweights: dict
    optimiser: object
    rng: object
    buffer: list
    losses: list
    evaluations: list
    step: int
    network_evaluations: int = 0
    cpu_seconds: float = 0.0
    """CPU time of this process spent in the training steps so far (saved and resumed)."""
    seconds_before: float = 0.0

    @property
    def trained(self) -> list:
        return [*self.weights.values(), *self.fweights.values()]


def _start(network, params, fnet, config: TrainConfig, seed: int, backend, start_step: int):
    """A fresh run at ``start_step``: trainable copies of ``params`` and the F-net."""
    import torch

    fix_torch_threads()  # results independent of the machine's cores (leapsbench.threads)
    rng = backend.rng(seed)
    # torch.asarray shares numpy memory: copy so that the caller's arrays are never trained
    weights = {k: v.clone().requires_grad_() for k, v in params_to(backend, params).items()}
    fnet = fnet or init_fnet(config.fnet_width, seed, config.fnet_depth)
    fweights = {k: v.clone().requires_grad_() for k, v in params_to(backend, fnet).items()}
    everything = [*weights.values(), *fweights.values()]
    optimiser = torch.optim.Adam(everything, lr=learning_rate(start_step, config))
    return _Run(weights, fweights, optimiser, rng, [], [], [], start_step)


def _restore(run: _Run, state: dict, backend) -> None:
    """Continue ``run`` from a saved training state (:mod:`.train_state`)."""
    import torch

    with torch.no_grad():
        for live, saved in ((run.weights, state["weights"]), (run.fweights, state["fweights"])):
            for k, v in live.items():
                v.copy_(saved[k])
    run.optimiser.load_state_dict(state["optimiser"])
    run.rng.set_state(state["rng"])
    run.buffer = [(x.to(backend.device), t.to(backend.device)) for x, t in state["buffer"]]
    run.losses, run.evaluations, run.step = state["losses"], state["evaluations"], state["step"]
    run.network_evaluations = state.get("network_evaluations")  # None: a state from before counts
    run.cpu_seconds = state.get("cpu_seconds")  # None: a state from before it was counted
    run.seconds_before = float(state.get("seconds", 0.0))  # 0: a state from before timing


def _snapshot(run: _Run, signature: dict, seconds: float) -> dict:
    return {
        "seconds": seconds,
        "signature": signature,
        "step": run.step,
        "weights": {k: v.detach() for k, v in run.weights.items()},
        "fweights": {k: v.detach() for k, v in run.fweights.items()},
        "optimiser": run.optimiser.state_dict(),
        "rng": run.rng.get_state(),
        "buffer": run.buffer,
        "losses": run.losses,
        "evaluations": run.evaluations,
        "network_evaluations": run.network_evaluations,
        "cpu_seconds": run.cpu_seconds,
    }


def _loss(run: _Run, network, model, backend, config: TrainConfig, reached: float):
    """The loss of training step ``run.step`` (a fresh rollout or the replay buffer), with
    rollouts as long as the curriculum has ``reached`` (:func:`curriculum_step`)."""
    import torch

    schedule, h = get_schedule(config.schedule), 1.0 / config.horizon
    n_steps = horizon_at(reached, config)
    if config.loss == "log_variance":
        path = rollout(network, run.weights, model, backend, run.rng, config, n_steps)
        log_w = path_log_weights(network, run.weights, model, path, h, config.rate_floor, schedule)
        return torch.var(log_w)
    if run.step % config.refresh_every == 0 or not run.buffer:
        path = rollout(network, run.weights, model, backend, run.rng, config, n_steps)
        fresh = path_states_and_times(path, h, backend.dtype)
        run.buffer = [*run.buffer, fresh][-config.buffer_rollouts :]
    x = torch.cat([b[0] for b in run.buffer])
    t = torch.cat([b[1] for b in run.buffer])
    pick = run.rng.integers(0, x.shape[0], (config.pairs,))
    residual = pinn_residual(
        network, run.weights, run.fweights, model, x[pick], t[pick], config.rate_floor, schedule
    )
    return torch.mean(residual**2)


def _update(run: _Run, loss, config: TrainConfig) -> dict:
    """One clipped Adam step at the step's learning rate; returns the step's metrics."""
    import torch

    run.optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.trained, config.clip)
    for group in run.optimiser.param_groups:
        group["lr"] = learning_rate(run.step, config)
    run.optimiser.step()
    run.step += 1
    run.losses.append(float(loss.detach()))
    return {"loss": run.losses[-1]}


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
    resumed from when it exists (module docstring).  ``max_seconds`` counts from the call
    (set-up included) plus the seconds the resumed state had spent (``history["resumed_seconds"]``,
    saved in the state), so a killed and resumed run keeps its total budget and reports its whole
    cost; training stops when a step as long as the last would end past it.
    """
    start = time.perf_counter()
    if isinstance(start_step, bool) or not isinstance(start_step, int) or start_step < 0:
        raise ValueError(f"start_step must be an integer >= 0, got {start_step!r}")
    backend = get_backend("torch", device=device)
    run = _start(network, params, fnet, config, seed, backend, start_step)
    signature = _signature(network, model, config, seed, start_step)
    checkpoint = None if checkpoint is None else Path(checkpoint)
    saved = None if checkpoint is None else load_training_state(checkpoint, signature)
    if saved is not None:
        _restore(run, saved, backend)
        start -= run.seconds_before  # the clock (budget, curriculum, cost) counts earlier runs
    steps = config.steps if max_steps is None else min(config.steps, max_steps)
    counting = CountingNetwork(network)
    saved_at = run.step
    while run.step < steps:
        step_start, cpu_start = time.perf_counter(), time.process_time()
        reached = curriculum_step(run.step, config, step_start - start, max_seconds)
        metrics = _update(run, _loss(run, counting, model, backend, config, reached), config)
        if config.eval_every and run.step % config.eval_every == 0:
            metrics.update(_evaluate(counting, run, model, backend, config))
        _count(run, counting, time.process_time() - cpu_start)
        if checkpoint is not None and config.checkpoint_every:
            if run.step % config.checkpoint_every == 0:
                saved_at = _save(checkpoint, run, signature, start)
        if progress is not None:
            progress(run.step, steps, **metrics)
        if max_seconds is not None and next_step_overruns(start, step_start, max_seconds):
            break
    if checkpoint is not None and saved_at != run.step:
        _save(checkpoint, run, signature, start)
    return params_to_numpy(run.weights), params_to_numpy(run.fweights), _history(run)


def _signature(network, model, config: TrainConfig, seed: int, start_step: int) -> dict:
    """What a saved training state must match to be resumed (network, model, settings, seed)."""
    return {
        "network": repr(network),
        "model": model.config(),
        "train": config.config(),
        "seed": seed,
        "start_step": start_step,
    }


def _save(checkpoint: Path, run: _Run, signature: dict, start: float) -> int:
    """Write the training state with the seconds since ``start``; returns the step saved."""
    save_training_state(checkpoint, _snapshot(run, signature, time.perf_counter() - start))
    return run.step


def _history(run: _Run) -> dict:
    """The ``history`` that :func:`train_leaps` returns (its docstring)."""
    return {
        "loss": np.asarray(run.losses),
        "eval": np.asarray(run.evaluations).reshape(-1, 3),
        "steps_done": run.step,
        "network_evaluations": run.network_evaluations,
        "cpu_seconds": run.cpu_seconds,
        "resumed_seconds": run.seconds_before,
    }


def _count(run: _Run, counting: CountingNetwork, cpu_seconds: float) -> None:
    """Add a step's network passes and CPU seconds to the run's totals (None stays None)."""
    if run.network_evaluations is not None:
        run.network_evaluations += counting.calls
    if run.cpu_seconds is not None:
        run.cpu_seconds += cpu_seconds
    counting.calls = 0


def _evaluate(network, run: _Run, model, backend, config: TrainConfig) -> dict:
    """Record (step, ESS fraction, log Ẑ) of a detached run of the sampler with the current
    rates, its rate floor and schedule (exact weights, or Euler weights when ``rate_floor = 0``:
    the exact ones need a floor) in ``run.evaluations``; returns them as metrics."""
    import torch

    sampler = CTMCConfig(
        n_steps=config.horizon,
        n_walkers=max(config.eval_walkers, 2),
        weights="exact" if config.rate_floor > 0 else "euler",
        rate_floor=config.rate_floor,
        schedule=config.schedule,
    )
    with torch.no_grad():
        detached = {k: v.detach() for k, v in run.weights.items()}
        samples = leaps_sample(network, detached, model, backend, run.rng, sampler)
    ess, log_z = float(samples.diagnostics["ess_fraction"][-1]), float(samples.log_z)
    run.evaluations.append((run.step, ess, log_z))
    return {"ess_fraction": ess, "log_z": log_z}
