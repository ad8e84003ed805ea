"""Variational training of an autoregressive q by REINFORCE (Wu, Wang, Zhang, PRL 122, 080602).

Minimises the variational free energy F_q = E_q[β H(x) + log q(x)] ≥ −log Z with the score-function
gradient ∇F_q = E_q[(f(x) − b) ∇ log q(x)], f = β H + log q, baseline b = the batch mean of f.
β is annealed from 0 to its target over the first ``anneal_fraction`` of the steps (or of the
time budget ``max_seconds``, whichever ends first; the standard remedy for mode collapse); the
network sees the annealed β (the published TwoBo's skip term uses it).
Runs in torch; params enter and leave as numpy arrays.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
from leapsbench.backends import get_backend

from leapsbench.estimators import kish_ess
from leapsbench.params import params_to, params_to_numpy
from leapsbench.threads import fix_torch_threads
from leapsbench.timed import next_step_overruns


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 300
    batch: int = 256
    lr: float = 1e-3
    anneal_fraction: float = 0.5
    clip: float = 1.0

    def __post_init__(self):
        if self.steps < 0 or self.batch < 2:
            raise ValueError(f"need steps >= 0 and batch >= 2, got {self.steps}, {self.batch}")
        if not 0 <= self.anneal_fraction <= 1:
            raise ValueError(f"anneal_fraction must lie in [0, 1], got {self.anneal_fraction!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")

    def config(self) -> dict:
        return asdict(self)


def train(
    net,
    model,
    params: dict,
    config: TrainConfig,
    seed: int,
    device: str = "cpu",
    max_seconds: float | None = None,
    progress=None,
    start_step: int = 0,
):
    """Train ``params`` (numpy) from step ``start_step`` (resume) to ``config.steps`` at most.

    Returns ``(params, history)``; history has F_q per step taken.  The β ramp is a function of
    the global step, so a resumed run continues the same schedule (Adam restarts its moments).
    ``max_seconds`` counts from the call (set-up included); training stops when a step as long
    as the last would end past it.
    """
    start = time.perf_counter()
    import torch

    fix_torch_threads()  # results independent of the machine's cores (leapsbench.threads)
    backend = get_backend("torch", device=device)
    rng = backend.rng(seed)
    weights = {k: v.clone().requires_grad_() for k, v in params_to(backend, params).items()}
    optimiser = torch.optim.Adam(list(weights.values()), lr=config.lr)
    steps = config.steps
    ramp = max(1, int(config.anneal_fraction * config.steps))
    history = []
    for step in range(start_step, steps):
        step_start = time.perf_counter()
        ramped = (step + 1) / ramp
        if max_seconds:  # a time budget: the ramp also completes by anneal_fraction of it
            elapsed = time.perf_counter() - start
            ramped = max(ramped, elapsed / max(config.anneal_fraction * max_seconds, 1e-9))
        beta = model.beta * min(1.0, ramped)
        with torch.no_grad():
            x = net.sample(weights, model, backend, rng, config.batch, beta=beta)
            energy = model.energy(x)
        log_q = net.log_prob(weights, model, x, beta=beta)
        f = beta * energy + log_q.detach()
        loss = torch.mean((f - f.mean()) * log_q)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(weights.values()), config.clip)
        optimiser.step()
        free_energy = float(f.mean())
        history.append(free_energy)
        if progress is not None:
            log_w = backend.to_numpy(-beta * energy - log_q.detach())
            progress(
                step + 1,
                steps,
                F_q=free_energy,
                F_var=float(f.var()),
                ess_fraction=kish_ess(log_w) / config.batch,
            )
        if max_seconds is not None and next_step_overruns(start, step_start, max_seconds):
            break
    return params_to_numpy(weights), {"free_energy": np.asarray(history)}
