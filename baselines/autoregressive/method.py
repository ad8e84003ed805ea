"""Harness adapter for the autoregressive baselines (docs/CONTRACTS.md): VAN, TwoBo (our
simplified form) and twobo-published (the published form, ±1 spins only).

The trained q is an importance-sampling proposal: log w = −β H(x) − log q(x) − log Z_0, so that
log Z_0 + log mean exp(log w) = log Ẑ (unbiased in Z), and F_q = E_q[βH + log q] ≥ −log Z.
Presets: quick — 300 REINFORCE steps of 256 samples (seconds on 4×4); paper — networks near
LEAPS's 3.30e5 parameters on 16×16 Ising: MADE width 64 depth 1 (3.28e5), PixelCNN width 64
depth 9 kernel 3 (3.0e5), TwoBo width 20 (see ``param_count``); twobo-published is the skip
layer of the paper's figures (depth 0, no Z2 symmetrisation, as published) in both presets.
``settings`` (:class:`AutoregressiveSettings`): network hyperparameters, z2, training, n_samples.
Z2 symmetrisation applies where the model says H is flip symmetric (``model.flip_symmetric()``).
``budget.sample_seconds``: independent chunks of samples until the time is up (``timed``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from leapsbench.checkpoint import load_checkpoint, save_checkpoint
from leapsbench.estimators import log_z_estimate
from leapsbench.method import Adapter, Budget
from leapsbench.overlap_pairs import pair_observables
from leapsbench.params import param_count, params_to
from leapsbench.presets import build_method, field_types, value_types
from leapsbench.samples import Samples
from leapsbench.timed import sample_for

from .network import check_hyper, make_net, net_from_config
from .train import TrainConfig, train

ARCHITECTURE_OF = {
    "van-made": "made",
    "van-pixelcnn": "pixelcnn",
    "twobo": "twobo",
    "twobo-published": "twobo-published",
}
NET_PRESETS = {
    "quick": {
        "van-made": {"width": 64, "depth": 1},
        "van-pixelcnn": {"width": 8, "depth": 2, "kernel": 3, "periodic": 1},
        "twobo": {"width": 8},
        "twobo-published": {"width": 8, "depth": 0},
    },
    "paper": {
        "van-made": {"width": 64, "depth": 1},
        "van-pixelcnn": {"width": 64, "depth": 9, "kernel": 3, "periodic": 1},
        "twobo": {"width": 20},
        "twobo-published": {"width": 8, "depth": 0},
    },
}
METHOD_PRESETS = {"twobo-published": {"z2": False}}
"""Per-method changes to :data:`PRESETS` (both presets)."""
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
FIRST_TIMED_CHUNK = 64
"""Samples of the first chunk when sampling for a time budget (then sized from its rate)."""


@dataclass(frozen=True)
class AutoregressiveSettings:
    """The network hyperparameters, the Z2 symmetrisation (flip-symmetric models), the training
    and the default number of samples; the flat config lists the training keys without a
    prefix."""

    network: dict
    z2: bool
    training: TrainConfig
    n_samples: int

    def __post_init__(self):
        if self.n_samples < 1:
            raise ValueError(f"n_samples must be >= 1, got {self.n_samples}")

    def config(self) -> dict:
        training = {k: getattr(self.training, k) for k in TRAIN_KEYS}
        return {**self.network, "z2": self.z2, **training, "n_samples": self.n_samples}


@dataclass
class AutoregressiveMethod(Adapter):
    params: dict | None = None
    net: object = None
    model: object = None
    history: dict = field(default_factory=dict)
    steps_done: int = 0
    trains: ClassVar[bool] = True

    @classmethod
    def defaults(cls, name: str, preset: str) -> dict:
        return {**NET_PRESETS[preset][name], **PRESETS[preset], **METHOD_PRESETS.get(name, {})}

    @classmethod
    def key_types(cls, name: str) -> dict:
        training = field_types(TrainConfig)
        return {
            **value_types(NET_PRESETS["quick"][name]),
            "z2": (bool,),
            **{k: training[k] for k in TRAIN_KEYS},
            "n_samples": (int,),
        }

    @classmethod
    def settings_from(cls, name: str, flat: dict) -> AutoregressiveSettings:
        network = {k: flat[k] for k in NET_PRESETS["quick"][name]}
        check_hyper(ARCHITECTURE_OF[name], network)
        training = TrainConfig(**{k: flat[k] for k in TRAIN_KEYS})
        return AutoregressiveSettings(network, flat["z2"], training, flat["n_samples"])

    @property
    def param_count(self) -> int | None:
        return None if self.params is None else param_count(self.params)

    def _net(self, model):
        z2 = self.settings.z2 and model.flip_symmetric()
        return make_net(ARCHITECTURE_OF[self.name], model, z2=z2, **self.settings.network)

    def fit(self, model, backend, rng, budget, progress=None) -> dict:
        """Train (resuming from loaded/previous params of the same network and model)."""
        budget = budget or Budget()
        net = self._net(model)
        resume = self.params is not None and self.net == net and self.model == model
        self.net, self.model = net, model
        seed = int(rng.seed_sequence.generate_state(1)[0])
        device = str(backend.device) if backend.name == "torch" else "cpu"
        done = self.steps_done if resume else 0
        # a step budget (total steps, counting resumed ones) replaces the preset's step count,
        # so that the β ramp spans the budget
        total = budget.train_steps or self.settings.training.steps
        start = time.perf_counter()
        self.params, self.history = train(
            self.net,
            model,
            self.params if resume else self.net.init_params(seed),
            replace(self.settings.training, steps=total),
            seed,
            device=device,
            max_seconds=budget.train_seconds,
            progress=progress,
            start_step=done,
        )
        free_energy = self.history["free_energy"]
        self.steps_done = done + len(free_energy)
        return {
            "train_seconds": time.perf_counter() - start,
            "train_steps": len(free_energy),
            "steps_done": self.steps_done,
            # every step samples a batch (N conditional passes) and scores it (one more pass)
            "train_network_evaluations": (
                self.steps_done * self.settings.training.batch * (model.n_sites + 1)
            ),
            "final_free_energy": float(free_energy[-1]) if len(free_energy) else None,
        }

    def sample(self, model, backend, rng, budget, progress=None) -> Samples:
        if self.params is None:
            raise RuntimeError(f"{self.name}: call fit (or load a checkpoint) before sample")
        params = params_to(backend, self.params)
        budget = budget or Budget()
        if budget.sample_seconds is not None:
            first = min(self.settings.n_samples, FIRST_TIMED_CHUNK)

            def draw(n):
                return self._draw(params, model, backend, rng, n)

            return sample_for(budget.sample_seconds, draw, first, model.log_z0, backend=backend)
        n = budget.n_samples or self.settings.n_samples
        return self._draw(params, model, backend, rng, n)

    def _draw(self, params, model, backend, rng, n: int) -> Samples:
        """n independent samples from q with importance weights (module docstring)."""
        start = time.perf_counter()
        x = self.net.sample(params, model, backend, rng, n)
        log_q = backend.to_numpy(self.net.log_prob(params, model, x))
        energy = backend.to_numpy(model.energy(x))
        backend.synchronize()
        log_weights = -model.beta * energy - log_q - model.log_z0
        log_z, log_z_err = log_z_estimate(log_weights, model.log_z0)
        observables = {"m": backend.to_numpy(model.magnetization(x)), "E": energy}
        return Samples(
            observables=observables | pair_observables(model, x, log_weights, backend),
            log_weights=log_weights,
            log_z=log_z,
            log_z_err=log_z_err,
            x=x,
            n_evaluations=n * (model.n_sites + 1),  # N conditional passes + log q, per sample
            n_network_evaluations=n * (model.n_sites + 1),
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


METHODS = {name: AutoregressiveMethod for name in ARCHITECTURE_OF}


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> AutoregressiveMethod:
    """van-made, van-pixelcnn or twobo at ``preset`` with ``overrides`` (preset keys) applied."""
    return build_method(METHODS, "autoregressive", name, preset, overrides)
