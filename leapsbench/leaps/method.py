"""Harness adapter for LEAPS (docs/CONTRACTS.md): leaps-mlp, leaps-attention, leaps-conv.

fit trains the network (and ∂_tF) by the PINN loss in torch (on CUDA when the backend is torch
on CUDA); sample runs the CTMC on any backend from the exported parameters.  Presets:

* quick — the architecture's default sizes, 300 training steps on 64-walker rollouts of 20 steps
  (for a CPU and L ≤ 4; timing in docs/perf.md), inference 50 steps × 1000 walkers, exact
  weights;
* paper — the authors' configuration (LE-conv kernels 3, 5, 7, 9, 15 with 20 channels, F-net
  1→200→200→200→200→1 in their code; lr 3e-4 × 0.995 every 1000 steps, 200 walkers, 400 pairs,
  100-rollout buffer refreshed every 100 steps, rollouts of h = 0.008 growing from 1 to 125 steps
  over the first 20k training steps, Metropolis sweeps during training, 100 inference steps) —
  meant for a GPU; inference runs the 10,000 walkers in chunks of 250 to bound memory.  Our
  F-net is the same MLP size but outputs ∂_tF_t (F_t = F_0 + ∫∂_tF).

``settings`` (:class:`LeapsSettings`) holds the typed sub-configs: the network hyperparameters,
the sampler (:class:`.ctmc.CTMCConfig`, whose ``smc`` is the :class:`leapsbench.smc.SMCConfig`
AIS/SMC's settings embed too) and the training (:class:`.train.TrainConfig`).  The flat
``config`` derived from them has every network hyperparameter, every sampler key and every
training key prefixed ``train_``, with its preset or default value.  Training trains the CTMC
that is sampled: it takes ``rate_floor``, ``schedule`` and ``mcmc_rule`` from the sampler keys
(there are no ``train_rate_floor``, ``train_schedule`` or ``train_mcmc_rule`` keys).
A checkpoint (``save``) records that config, the sampler and training configs, the schedule,
preset, benchmark and steps done in its JSON, and the F-net next to the parameters in the npz
(covered by the content hash).
``budget.sample_seconds``: chunks of whole islands until the time is up (``timed.sample_for``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from typing import ClassVar

from leapsbench.checkpoint import save_checkpoint
from leapsbench.method import Adapter, Budget
from leapsbench.models.graph import not_on_graphs
from leapsbench.models.schedule import get_schedule
from leapsbench.params import param_count, params_to
from leapsbench.presets import build_method, field_types, value_types
from leapsbench.smc import island_chunks
from leapsbench.timed import sample_for

from . import conv
from .checkpoint import load_checkpoint
from .ctmc import KEY_TYPES as SAMPLER_KEY_TYPES
from .ctmc import MIN_WALKERS, CTMCConfig, leaps_sample
from .networks import checked_hyper, default_hyper, make_network
from .train import TrainConfig, train_leaps
from .transfer import TRANSFER_KEYS, read_trained_network, transfer

CHUNK_WALKERS = 64
"""Walkers a checkpoint's network runs at once when ``chunk_walkers`` is not set (and nothing is
resampled), to bound the memory of the forward."""
ARCHITECTURE_OF = {"leaps-mlp": "mlp", "leaps-attention": "attention", "leaps-conv": "conv"}
SAMPLER_KEYS = tuple(SAMPLER_KEY_TYPES)
SHARED_KEYS = ("rate_floor", "schedule", "mcmc_rule")
FIRST_TIMED_CHUNK = 16
"""Walkers of the first chunk when sampling for a time budget (then sized from its rate)."""
"""TrainConfig fields taken from the sampler keys of the same name (one CTMC, one value)."""
TRAIN_KEYS = tuple(f"train_{f.name}" for f in fields(TrainConfig) if f.name not in SHARED_KEYS)
SAMPLING_ONLY_KEYS = tuple(k for k in SAMPLER_KEYS if k not in SHARED_KEYS)
"""Sampler keys that leave the training unchanged (n_steps, n_walkers, weights, resampling, …):
one trained network is sampled with any of their values."""
PRESETS = {
    "quick": {"n_steps": 50, "n_walkers": 1000},
    "paper": {
        "n_steps": 100,
        "n_walkers": 10_000,
        "chunk_walkers": 250,  # ~71 MB per walker in the L=24 conv forward: ~18 GB per chunk
        "train_steps": 100_000,
        "train_walkers": 200,
        "train_horizon": 125,
        "train_pairs": 400,
        "train_buffer_rollouts": 100,
        "train_refresh_every": 100,
        "train_lr": 3e-4,
        "train_decay": 0.995,
        "train_decay_every": 1000,
        "train_mcmc_sweeps": 1,
        "train_fnet_width": 200,
        "train_fnet_depth": 4,
        "train_curriculum_steps": 20_000,
        "train_eval_every": 1000,
    },
}


@dataclass(frozen=True)
class LeapsSettings:
    """The typed configuration of a LEAPS method; the training takes the sampler's
    ``rate_floor``, ``schedule`` and ``mcmc_rule`` (:data:`SHARED_KEYS`)."""

    network: dict
    sampler: CTMCConfig
    training: TrainConfig

    @classmethod
    def from_flat(cls, architecture: str, flat: dict) -> LeapsSettings:
        """Split a flat config (network keys, sampler keys, ``train_*`` keys; missing keys take
        their defaults) and validate every part."""
        sampler = CTMCConfig(**{k: flat[k] for k in SAMPLER_KEYS if k in flat})
        train = {k[len("train_") :]: flat[k] for k in TRAIN_KEYS if k in flat}
        shared = {k: getattr(sampler, k) for k in SHARED_KEYS}
        network = {k: v for k, v in flat.items() if k not in SAMPLER_KEYS and k not in TRAIN_KEYS}
        return cls(checked_hyper(architecture, network), sampler, TrainConfig(**train, **shared))

    def config(self) -> dict:
        """The flat config: network keys, sampler keys and ``train_*`` keys."""
        training = self.training.config()
        prefixed = {f"train_{k}": v for k, v in training.items() if k not in SHARED_KEYS}
        return {**self.network, **self.sampler.config(), **prefixed}


def training_part(config: dict) -> dict:
    """``config`` without :data:`SAMPLING_ONLY_KEYS`: everything that determines the training."""
    return {k: v for k, v in config.items() if k not in SAMPLING_ONLY_KEYS}


def config_differences(stored: dict, wanted: dict) -> str:
    """``key: checkpoint A, this method B`` for every key whose values differ (or is missing)."""
    missing = "(absent)"
    keys = sorted(
        k for k in set(stored) | set(wanted) if stored.get(k, missing) != wanted.get(k, missing)
    )
    return "; ".join(
        f"{k}: checkpoint {stored.get(k, missing)!r}, this method {wanted.get(k, missing)!r}"
        for k in keys
    )


def budgeted_training(config: TrainConfig, train_steps: int | None) -> TrainConfig:
    """``config`` with a step budget replacing its step count (the budget wins, as for every
    method); the curriculum is scaled with it, so that it ends at the same fraction of training."""
    if train_steps is None:
        return config
    curriculum = round(config.curriculum_steps * train_steps / config.steps)
    return replace(config, steps=train_steps, curriculum_steps=curriculum)


@dataclass
class LeapsMethod(Adapter):
    benchmark: str | None = None
    """The benchmark name, recorded in checkpoints when known (``leapsbench train`` sets it)."""
    params: dict | None = None
    fnet: dict | None = None
    network: object = None
    model: object = None
    steps_done: int = 0
    """Training steps the params have had; ``fit`` continues the LR schedule and curriculum."""
    network_evaluations: int | None = 0
    """Network passes the params' training took (None: not known, e.g. an older checkpoint)."""
    fine_tuning: dict | None = None
    """Provenance of a fine-tuning (:mod:`.finetune`): the file it started from and what was
    spent here; saved in the checkpoint's JSON."""
    trains: ClassVar[bool] = True
    KEY_HINTS: ClassVar[dict[str, str]] = {
        f"train_{k}": f"training uses the sampler's {k} (set that instead)" for k in SHARED_KEYS
    }

    @classmethod
    def defaults(cls, name: str, preset: str) -> dict:
        architecture = ARCHITECTURE_OF[name]
        network = default_hyper(
            architecture, "paper" if preset == "paper" and architecture == "conv" else None
        )
        return LeapsSettings.from_flat(architecture, {**network, **PRESETS[preset]}).config()

    @classmethod
    def key_types(cls, name: str) -> dict:
        training = field_types(TrainConfig, exclude=SHARED_KEYS)
        architecture = ARCHITECTURE_OF[name]
        optional = conv.OPTIONAL_TYPES if architecture == "conv" else {}
        return {
            **value_types(default_hyper(architecture)),
            **optional,
            **SAMPLER_KEY_TYPES,
            **{f"train_{k}": types for k, types in training.items()},
        }

    @classmethod
    def settings_from(cls, name: str, flat: dict) -> LeapsSettings:
        return LeapsSettings.from_flat(ARCHITECTURE_OF[name], flat)

    @property
    def param_count(self) -> int | None:
        if self.params is None:
            return None
        return param_count(self.params) + (param_count(self.fnet) if self.fnet else 0)

    @property
    def training_config(self) -> dict:
        """The config without the sampling-only keys: the checkpoint cache's key
        (``harness.runner.cache_entry``), and what a loaded checkpoint must match."""
        return training_part(self.config)

    def fit(self, model, backend, rng, budget, progress=None) -> dict:
        """Train from scratch, or continue from loaded params (``load`` then ``fit`` resumes at
        step ``steps_done``); ``budget.train_steps`` replaces the preset's total step count
        (:func:`budgeted_training`), ``budget.train_seconds`` stops training when it is up."""
        budget = budget or Budget()
        train_config = budgeted_training(self.settings.training, budget.train_steps)
        before = self.network_evaluations
        if self.params is None:
            architecture = ARCHITECTURE_OF[self.name]
            if architecture == "conv":
                not_on_graphs("the locally equivariant convolution", model)
            self.network = make_network(architecture, model, **self.settings.network)
            before = 0
        self.model = model
        seed = int(rng.seed_sequence.generate_state(1)[0])
        start_params = self.params if self.params is not None else self.network.init_params(seed)
        device = str(backend.device) if backend.name == "torch" else "cpu"
        start = time.perf_counter()
        self.params, self.fnet, history = train_leaps(
            self.network,
            start_params,
            model,
            train_config,
            seed,
            device,
            fnet=self.fnet,
            max_seconds=budget.train_seconds,
            progress=progress,
            checkpoint=self.training_checkpoint,
            start_step=self.steps_done,
        )
        self.steps_done = history["steps_done"]
        counted = (before, history["network_evaluations"])
        self.network_evaluations = None if None in counted else sum(counted)
        loss = history["loss"]
        resumed = history["resumed_seconds"]  # spent before a kill, from the training state
        return {
            "train_seconds": time.perf_counter() - start + resumed,
            "resumed_train_seconds": resumed,
            "train_steps": len(loss),
            "steps_done": self.steps_done,
            "train_network_evaluations": self.network_evaluations,
            "train_cpu_seconds": history["cpu_seconds"],
            "final_loss": float(loss[-1]) if len(loss) else None,
            "eval": history["eval"].tolist(),  # rows (step, ess_fraction, log_z)
        }

    def use_checkpoint(self, path, model, overrides=(), other_beta=False) -> dict:
        """Sample the trained network at ``path`` (the LEAPS authors' .ckpt or a leapsbench
        checkpoint, :func:`.transfer.read_trained_network`) instead of training, carried to
        ``model``'s size (and, with ``other_beta``, its couplings) by :func:`.transfer.transfer`;
        returns its provenance with ``transferred`` and ``trained_for``.  ``overrides`` (the keys
        set on this method) may only be sampler keys and :data:`.transfer.TRANSFER_KEYS`."""
        trained = read_trained_network(path)
        if self.name != f"leaps-{trained.network.architecture}":
            raise ValueError(
                f"checkpoint {path} holds a leaps-{trained.network.architecture} network: "
                f"use --method leaps-{trained.network.architecture}, not {self.name}"
            )
        fixed = sorted(k for k in overrides if k not in SAMPLER_KEYS + TRANSFER_KEYS)
        if fixed:
            raise ValueError(
                f"{fixed} cannot be set with a checkpoint (its network is fixed and not trained "
                f"here); sampler keys can: {', '.join(SAMPLER_KEYS + TRANSFER_KEYS)}"
            )
        hyper = {k: dict(overrides)[k] for k in TRANSFER_KEYS if k in overrides}
        try:
            moved = transfer(trained, model, other_beta=other_beta, hyper=hyper)
        except ValueError as err:
            raise ValueError(f"checkpoint {path}: {err}") from None
        self.network, self.params, self.model = moved.network, moved.params, model
        self.steps_done = int(moved.info.get("steps_done") or 0)
        self.network_evaluations = moved.info.get("network_evaluations")
        sampler = self.settings.sampler
        if sampler.chunk_walkers is None and sampler.resample_threshold is None:
            sampler = replace(sampler, chunk_walkers=CHUNK_WALKERS)
        self.settings = replace(self.settings, network=dict(moved.network.hyper), sampler=sampler)
        return moved.info

    def sample(self, model, backend, rng, budget, progress=None):
        if self.params is None:
            raise RuntimeError(f"{self.name}: call fit (or load a checkpoint) before sample")
        if self.network.architecture == "conv":
            not_on_graphs("the locally equivariant convolution", model)
        sampler = self.settings.sampler
        if budget is not None and budget.n_samples is not None:
            sampler = replace(sampler, n_walkers=budget.n_samples)
        params = params_to(backend, self.params)
        seconds = getattr(budget, "sample_seconds", None)
        if seconds is None:
            return leaps_sample(self.network, params, model, backend, rng, sampler, progress)
        return self._sample_for(seconds, params, model, backend, rng, sampler)

    def _sample_for(self, seconds, params, model, backend, rng, sampler):
        """Chunks of whole islands (``timed.sample_for``) until ``seconds`` have passed; the
        first has min(B, FIRST_TIMED_CHUNK) walkers rounded up to an island."""
        island, islands = island_chunks(sampler.smc, sampler.n_walkers)

        def draw(n):
            chunk = replace(sampler, n_walkers=n, n_islands=islands(n))
            return leaps_sample(self.network, params, model, backend, rng, chunk)

        first = -(-min(sampler.n_walkers, FIRST_TIMED_CHUNK) // island) * island
        return sample_for(seconds, draw, first, model.log_z0, island, backend, MIN_WALKERS)

    def save(self, path) -> None:
        sampler, training = self.settings.sampler, self.settings.training
        save_checkpoint(
            path,
            self.params,
            self.network,
            self.model,
            {
                "method": self.name,
                "preset": self.preset,
                "benchmark": self.benchmark,
                "config": self.config,
                "sampler": sampler.config(),
                "training": training.config(),
                "schedule": get_schedule(sampler.schedule).config(),
                "steps_done": self.steps_done,
                "network_evaluations": self.network_evaluations,
                **({"fine_tuning": self.fine_tuning} if self.fine_tuning else {}),
            },
            arrays={"fnet": self.fnet} if self.fnet else None,
        )

    def load(self, path, model) -> None:
        """Params, F-net and steps done from the checkpoint at ``path``; refused (naming every
        differing key with both values) when it was trained with another config.  Sampling-only
        keys may differ: the checkpoint is then sampled with this method's sampler settings."""
        params, network, metadata = load_checkpoint(path, model)
        stored = training_part(metadata["extra"].get("config") or {})
        if stored != self.training_config:
            raise ValueError(
                f"checkpoint {path} was trained with another {self.name} config: "
                f"{config_differences(stored, self.training_config)}"
            )
        self.params, self.network, self.model = params, network, model
        self.fnet = metadata["arrays"].get("fnet")
        self.steps_done = int(metadata["extra"]["steps_done"])
        self.network_evaluations = metadata["extra"].get("network_evaluations")


METHODS = {name: LeapsMethod for name in ARCHITECTURE_OF}


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> LeapsMethod:
    """A LEAPS method at ``preset``; overrides are sampler keys, ``train_*`` keys or network
    hyperparameters of the architecture."""
    return build_method(METHODS, "LEAPS", name, preset, overrides)
