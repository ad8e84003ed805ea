"""Harness adapter for LEAPS: ``make(name, preset, overrides)`` for leaps-mlp/-attention/-conv.

fit trains the network (and ∂_tF) by the PINN loss in torch (on CUDA when the backend is torch
on CUDA); sample runs the CTMC on any backend from the exported parameters.  Presets:

* quick — the architecture's default sizes, 300 training steps on 64-walker rollouts of 20 steps
  (seconds to a minute on a CPU for L ≤ 4), inference 50 steps × 1000 walkers, exact weights;
* paper — the authors' configuration (LE-conv kernels 3, 5, 7, 9, 15 with 20 channels, F-net
  1→200→200→200→200→1 in their code; lr 3e-4 × 0.995 every 1000 steps, 200 walkers, 400 pairs,
  100-rollout buffer refreshed every 100 steps, rollouts of h = 0.008 growing from 1 to 125 steps
  over the first 20k training steps, Metropolis sweeps during training, 100 inference steps) —
  meant for a GPU; inference runs the 10,000 walkers in chunks of 250 to bound memory.  Our
  F-net is the same MLP size but outputs ∂_tF_t (F_t = F_0 + ∫∂_tF).

``config`` is the full flat configuration: every network hyperparameter, every sampler key
(:class:`.ctmc.CTMCConfig`) and every ``train_*`` key (:class:`.train.TrainConfig`) with its
preset or default value.  Training trains the CTMC that is sampled: it takes ``rate_floor``,
``schedule`` and ``mcmc_rule`` from the sampler keys (there are no ``train_rate_floor``,
``train_schedule`` or ``train_mcmc_rule`` keys).
A checkpoint (``save``) records that config, the sampler and training configs, the schedule,
preset, benchmark and steps done in its JSON, and the F-net next to the parameters in the npz
(covered by the content hash).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from leapsbench.checkpoint import save_checkpoint
from leapsbench.models.schedule import get_schedule
from leapsbench.params import param_count, params_to

from .checkpoint import load_checkpoint
from .ctmc import CTMCConfig, leaps_sample
from .networks import default_hyper, make_network
from .train import TrainConfig, train_leaps

ARCHITECTURE_OF = {"leaps-mlp": "mlp", "leaps-attention": "attention", "leaps-conv": "conv"}
SAMPLER_KEYS = tuple(f.name for f in fields(CTMCConfig))
SHARED_KEYS = ("rate_floor", "schedule", "mcmc_rule")
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


def split_config(config: dict) -> tuple[CTMCConfig, TrainConfig, dict]:
    """(sampler config, training config, network hyperparameters) of a flat method config;
    the training config gets the sampler's ``rate_floor``, ``schedule`` and ``mcmc_rule``."""
    sampler = CTMCConfig(**{k: config[k] for k in SAMPLER_KEYS if k in config})
    train = {k[len("train_") :]: config[k] for k in TRAIN_KEYS if k in config}
    shared = {k: getattr(sampler, k) for k in SHARED_KEYS}
    hyper = {k: v for k, v in config.items() if k not in SAMPLER_KEYS and k not in TRAIN_KEYS}
    return sampler, TrainConfig(**train, **shared), hyper


def full_config(config: dict) -> dict:
    """``config`` completed with the default of every sampler and ``train_*`` key."""
    sampler, train, hyper = split_config(config)
    training = {f"train_{k}": v for k, v in train.config().items() if k not in SHARED_KEYS}
    return {**hyper, **sampler.config(), **training}


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


@dataclass
class LeapsMethod:
    name: str
    config: dict
    preset: str = "quick"
    benchmark: str | None = None
    """The benchmark name, recorded in checkpoints when known (``leapsbench train`` sets it)."""
    params: dict | None = None
    fnet: dict | None = None
    network: object = None
    model: object = None
    steps_done: int = 0
    """Training steps the params have had; ``fit`` continues the LR schedule and curriculum."""
    training_checkpoint: str | None = None
    """A file for the training state: written during ``fit`` and resumed from (train.py)."""

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

    def _split(self):
        return split_config(self.config)

    def fit(self, model, backend, rng, budget, progress=None) -> dict:
        """Train from scratch, or continue from loaded params (``load`` then ``fit`` resumes at
        step ``steps_done``; ``budget.train_steps`` bounds the total step count)."""
        _, train_config, hyper = self._split()
        if self.params is None:
            self.network = make_network(ARCHITECTURE_OF[self.name], model, **hyper)
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
            max_steps=getattr(budget, "train_steps", None),
            max_seconds=getattr(budget, "train_seconds", None),
            progress=progress,
            checkpoint=self.training_checkpoint,
            start_step=self.steps_done,
        )
        self.steps_done = history["steps_done"]
        loss = history["loss"]
        return {
            "train_seconds": time.perf_counter() - start,
            "train_steps": len(loss),
            "steps_done": self.steps_done,
            "final_loss": float(loss[-1]) if len(loss) else None,
            "eval": history["eval"].tolist(),  # rows (step, ess_fraction, log_z)
        }

    def sample(self, model, backend, rng, budget, progress=None):
        if self.params is None:
            raise RuntimeError(f"{self.name}: call fit (or load a checkpoint) before sample")
        sampler, _, _ = self._split()
        n = getattr(budget, "n_samples", None)
        if n is not None:
            sampler = CTMCConfig(**{**sampler.config(), "n_walkers": n})
        params = params_to(backend, self.params)
        return leaps_sample(self.network, params, model, backend, rng, sampler, progress)

    def save(self, path) -> None:
        sampler, train, _ = self._split()
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
                "training": train.config(),
                "schedule": get_schedule(sampler.schedule).config(),
                "steps_done": self.steps_done,
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


def make(name: str, preset: str = "quick", overrides: dict | None = None) -> LeapsMethod:
    """A LEAPS method at ``preset``; overrides are sampler keys, ``train_*`` keys or network
    hyperparameters of the architecture."""
    if name not in ARCHITECTURE_OF:
        raise ValueError(f"unknown LEAPS method {name!r}; known: {', '.join(ARCHITECTURE_OF)}")
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    architecture = ARCHITECTURE_OF[name]
    hyper = default_hyper(
        architecture, "paper" if preset == "paper" and architecture == "conv" else None
    )
    overrides = dict(overrides or {})
    shared = sorted(set(overrides) & {f"train_{k}" for k in SHARED_KEYS})
    if shared:
        raise ValueError(
            f"{name}: {', '.join(shared)} is not a key: training uses the sampler's "
            f"{', '.join(k[len('train_') :] for k in shared)} (set that instead)"
        )
    valid = set(SAMPLER_KEYS) | set(TRAIN_KEYS) | set(hyper)
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ValueError(f"unknown {name} override(s) {unknown}; valid keys: {sorted(valid)}")
    # full_config validates every value now, not after training
    config = full_config({**hyper, **PRESETS[preset], **overrides})
    return LeapsMethod(name=name, config=config, preset=preset)
