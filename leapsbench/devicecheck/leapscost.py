"""Step 3 (LEAPS part): the LE-conv forward per walker, one training step of the ``paper``
preset, and from them the wall time of ``leapsbench run --suite paper --preset paper``.

* Forward: the paper LE-conv (kernels 3, 5, 7, 9, 15, 20 channels) on an Ising L × L lattice,
  ``network.apply`` on W walkers (the paper preset's chunk of 250 on the GPU), float32 and
  float64: seconds per walker-forward and peak memory per walker.  Once more in float32 with
  the state-dependent kernel formed in blocks of :data:`GPU_BLOCK_ELEMENTS` instead of
  ``conv.BLOCK_ELEMENTS`` (2¹⁸, sized for a CPU cache): on a GPU each block costs a few kernel
  launches, so the CPU's block size may leave the forward launch-bound; the two figures say
  whether the block size should depend on the device.
* Training: ``leaps.train.train_leaps`` with the paper preset's TrainConfig (on torch-CUDA on
  the GPU, torch-CPU in the dry run), started at the end of the curriculum (step
  ``curriculum_steps``, full rollout horizon) so that its first step refreshes the replay buffer
  with a full rollout and the next ones are PINN steps on the buffer.  The step times are the
  gaps between the ``progress`` calls; the first includes the set-up (parameter copies, Adam)
  and first-call costs, so it overstates the refresh.  Mean step = PINN step + (first step −
  PINN step) / refresh_every.
* Suite: per benchmark, train_steps · mean step + n_walkers · (n_steps + 1) · forward (float64,
  ``run``'s default dtype), times the suite's benchmarks.  Only leaps-conv is costed: the
  suite's other methods are not measured here, and its Potts benchmarks are costed at the
  Ising figures.
"""

from __future__ import annotations

import contextlib
import statistics
import time

from leapsbench.harness.benchmarks import suite_benchmarks
from leapsbench.harness.methods import SUITE_METHODS
from leapsbench.leaps import conv
from leapsbench.leaps.method import make
from leapsbench.leaps.networks import make_network
from leapsbench.leaps.train import train_leaps
from leapsbench.models import ising
from leapsbench.params import params_to

from .memory import peak_bytes
from .plan import Plan
from .timing import seconds_per_call

BETA = 0.4407
GPU_BLOCK_ELEMENTS = 2**26
"""The alternative block size measured (256 MB of float32 per block temporary)."""


def _paper_method(plan: Plan):
    return make("leaps-conv", "paper", dict(plan.train_overrides))


@contextlib.contextmanager
def block_elements(value: int | None):
    """``conv.BLOCK_ELEMENTS`` set to ``value`` inside the block (None: left as it is)."""
    saved = conv.BLOCK_ELEMENTS
    conv.BLOCK_ELEMENTS = saved if value is None else value
    try:
        yield conv.BLOCK_ELEMENTS
    finally:
        conv.BLOCK_ELEMENTS = saved


def forward_cost(backend, plan: Plan, dtype: str, blocks: int | None = None) -> dict:
    """Seconds and peak bytes per walker of one paper LE-conv forward (module docstring)."""
    with block_elements(blocks) as used:
        return {**_forward_cost(backend, plan, dtype), "block_elements": used}


def _forward_cost(backend, plan: Plan, dtype: str) -> dict:
    model = ising(plan.forward_size, beta=BETA)
    network = make_network("conv", model, **_paper_method(plan).settings.network)
    params = params_to(backend, network.init_params(0), dtype)
    x = model.uniform_states(backend, backend.rng(0), plan.forward_walkers)
    xp = backend.xp
    t = xp.full((plan.forward_walkers,), 0.5, dtype=getattr(xp, dtype), device=backend.device)
    _, peak = peak_bytes(backend, lambda: network.apply(params, x, t))
    timed = seconds_per_call(backend, lambda: network.apply(params, x, t), plan.min_seconds)
    return {
        "what": "LE-conv forward (paper network)",
        "L": plan.forward_size,
        "dtype": dtype,
        "walkers": plan.forward_walkers,
        "seconds_per_walker": timed["seconds"] / plan.forward_walkers,
        "calls_timed": timed["calls"],
        "peak_bytes_per_walker": None if peak is None else peak // plan.forward_walkers,
    }


def training_cost(backend, plan: Plan) -> dict:
    """One refresh step and ``plan.train_steps − 1`` PINN steps of the paper preset."""
    method = _paper_method(plan)
    config = method.settings.training
    model = ising(plan.train_size, beta=BETA)
    network = make_network("conv", model, **method.settings.network)
    start = config.curriculum_steps - config.curriculum_steps % config.refresh_every
    stamps = [time.perf_counter()]

    def train():
        return train_leaps(
            network,
            network.init_params(0),
            model,
            config,
            seed=0,
            device=str(backend.device),
            max_steps=start + plan.train_steps,
            start_step=start,
            progress=lambda done, total, **metrics: stamps.append(time.perf_counter()),
        )

    _, peak = peak_bytes(backend, train)
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    pinn = statistics.median(gaps[1:]) if len(gaps) > 1 else gaps[0]
    return {
        "what": "LEAPS training step (paper preset)",
        "L": plan.train_size,
        "device": str(backend.device),
        "walkers": config.walkers,
        "pairs": config.pairs,
        "horizon": config.horizon,
        "seconds_first_step": gaps[0],
        "seconds_per_step": pinn,
        "mean_seconds_per_step": pinn + (gaps[0] - pinn) / config.refresh_every,
        "peak_bytes": peak,
    }


def paper_suite_seconds(train: dict, forward: dict, plan: Plan) -> dict:
    """The leaps-conv part of ``run --suite paper --preset paper`` (module docstring)."""
    config = _paper_method(plan).config
    training = config["train_steps"] * train["mean_seconds_per_step"]
    sampling = config["n_walkers"] * (config["n_steps"] + 1) * forward["seconds_per_walker"]
    benchmarks = suite_benchmarks("paper")
    return {
        "what": "run --suite paper --preset paper (leaps-conv part)",
        "benchmarks": len(benchmarks),
        "train_steps": config["train_steps"],
        "seconds_training_per_benchmark": training,
        "seconds_sampling_per_benchmark": sampling,
        "hours_leaps_conv": len(benchmarks) * (training + sampling) / 3600,
        "methods_not_costed": [m for m in SUITE_METHODS if m != "leaps-conv"],
    }
