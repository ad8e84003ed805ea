"""Harness adapter for the autoregressive baselines: ``make(name, preset, overrides)``.

The trained q is an importance-sampling proposal: log w = −β H(x) − log q(x) − log Z_0, so that
log Z_0 + log mean exp(log w) = log Ẑ (unbiased in Z), and F_q = E_q[βH + log q] ≥ −log Z.
Presets: quick — 300 REINFORCE steps of 256 samples (seconds on 4×4); paper — networks near
LEAPS's 3.30e5 parameters on 16×16 Ising: MADE width 64 depth 1 (3.28e5), PixelCNN width 64
depth 9 kernel 3 (3.0e5), TwoBo width 20 (see ``param_count``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np

from leapsbench.checkpoint import load_checkpoint, save_checkpoint
from leapsbench.estimators import log_z_estimate
from leapsbench.params import param_count, params_to
from leapsbench.presets import checked_overrides, preset_settings
from leapsbench.samples import Samples

from .network import make_net, net_from_config
from .train import TrainConfig, train

ARCHITECTURE_OF = {"van-made": "made", "van-pixelcnn": "pixelcnn", "twobo": "twobo"}
NET_PRESETS = {
    "quick": {
        "van-made": {"width": 64, "depth": 1},
        "van-pixelcnn": {"width": 8, "depth": 2, "kernel": 3, "periodic": 1},
        "twobo": {"width": 8},
    },
    "paper": {
        "van-made": {"width": 64, "depth": 1},
        "van-pixelcnn": {"width": 64, "depth": 9, "kernel": 3, "periodic": 1},
        "twobo": {"width": 20},
    },
}
PRESETS = {
    "quick": {
        "z2": True,
        "steps": 300,
        "batch": 256,
        "lr": 1e-3,
        "anneal_fraction": 0.5,
        "n_samples": 4000,
    },
    "paper": {
        "z2": True,
        "steps": 20000,
        "batch": 1000,
        "lr": 1e-3,
        "anneal_fraction": 0.5,
        "n_samples": 100_000,
    },
}
TRAIN_KEYS = ("steps", "batch", "lr", "anneal_fraction")


@dataclass
class AutoregressiveMethod:
    name: str
    config: dict
    params: dict | None = None
    net: object = None
    model: object = None
    history: dict = field(default_factory=dict)
    steps_done: int = 0

    @property
    def param_count(self) -> int | None:
        return None if self.params is None else param_count(self.params)

    def _net(self, model):
        z2 = bool(self.config["z2"]) and model.kind == "ising"
        hyper = {k: self.config[k] for k in NET_PRESETS["quick"][self.name]}
        return make_net(ARCHITECTURE_OF[self.name], model, z2=z2, **hyper)

    def fit(self, model, backend, rng, budget, progress=None) -> dict:
        """Train (resuming from loaded/previous params of the same network and model)."""
        net = self._net(model)
        resume = self.params is not None and self.net == net and self.model == model
        self.net, self.model = net, model
        seed = int(rng.seed_sequence.generate_state(1)[0])
        device = str(backend.device) if backend.name == "torch" else "cpu"
        done = self.steps_done if resume else 0
        # a step budget (total steps, counting resumed ones) replaces the preset's step count,
        # so that the β ramp spans the budget
        total = getattr(budget, "train_steps", None) or self.config["steps"]
        start = time.perf_counter()
        self.params, self.history = train(
            self.net,
            model,
            self.params if resume else self.net.init_params(seed),
            TrainConfig(**{**{k: self.config[k] for k in TRAIN_KEYS}, "steps": total}),
            seed,
            device=device,
            max_seconds=getattr(budget, "train_seconds", None),
            progress=progress,
            start_step=done,
        )
        free_energy = self.history["free_energy"]
        self.steps_done = done + len(free_energy)
        return {
            "train_seconds": time.perf_counter() - start,
            "train_steps": len(free_energy),
            "steps_done": self.steps_done,
            "final_free_energy": float(free_energy[-1]) if len(free_energy) else None,
        }

    def sample(self, model, backend, rng, budget, progress=None) -> Samples:
        if self.params is None:
            raise RuntimeError(f"{self.name}: call fit (or load a checkpoint) before sample")
        n = getattr(budget, "n_samples", None) or self.config["n_samples"]
        start = time.perf_counter()
        params = params_to(backend, self.params)
        x = self.net.sample(params, model, backend, rng, n)
        log_q = backend.to_numpy(self.net.log_prob(params, model, x))
        energy = backend.to_numpy(model.energy(x))
        backend.synchronize()
        log_weights = -model.beta * energy - log_q - model.log_z0
        log_z, log_z_err = log_z_estimate(log_weights, model.log_z0)
        return Samples(
            observables={"m": backend.to_numpy(model.magnetization(x)), "E": energy},
            log_weights=log_weights,
            log_z=log_z,
            log_z_err=log_z_err,
            x=x,
            n_evaluations=n * (model.n_sites + 1),  # N conditional passes + log q, per sample
            seconds=time.perf_counter() - start,
            diagnostics={"free_energy": float(np.mean(model.beta * energy + log_q))},
        )

    def save(self, path) -> None:
        save_checkpoint(
            path,
            self.params,
            self.net,
            self.model,
            {"method": self.name, "config": self.config, "steps_done": self.steps_done},
        )

    def load(self, path, model) -> None:
        self.params, self.net, metadata = load_checkpoint(path, model, rebuild=net_from_config)
        self.model, self.steps_done = model, int(metadata["extra"].get("steps_done", 0))
        if metadata["extra"].get("config") != self.config:
            raise ValueError(
                f"checkpoint {path} was trained with config "
                f"{json.dumps(metadata['extra'].get('config'))}, not {json.dumps(self.config)}"
            )


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> AutoregressiveMethod:
    """van-made, van-pixelcnn or twobo at ``preset`` with ``overrides`` (preset keys) applied."""
    if name not in ARCHITECTURE_OF:
        raise ValueError(
            f"autoregressive method {name!r} is not implemented; "
            f"available: {', '.join(ARCHITECTURE_OF)}"
        )
    settings = preset_settings(name, preset, PRESETS)
    defaults = {**NET_PRESETS[preset][name], **settings}
    return AutoregressiveMethod(
        name=name, config={**defaults, **checked_overrides(name, overrides, defaults)}
    )
