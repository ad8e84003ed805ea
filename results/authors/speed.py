"""Forward-pass speed of the authors' 15 × 15 networks: leapsbench's LE-conv (numpy and torch,
float32) against the authors' own module (their src/nets/conv.py, run unchanged except for its
unused ``rotary_embedding_torch`` import), on this CPU, one thread.

    OMP_NUM_THREADS=1 python results/authors/speed.py --leaps-src PATH/TO/leaps/src/nets/conv.py \
        --ckpts ../shared/leaps-authors

Prints, per model and implementation, wall and CPU (process) seconds per walker-forward and the
extrapolation to 1000 walkers × 100 steps (101 forwards), after checking that their module and
ours agree on the same states (float64, relative 1e-12); then one whole CTMC step of ours
(``ctmc.step``: tau-leap move, one forward, float64 Euler weight increment) per walker, and its
extrapolation (100 steps and the first forward).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from leapsbench.backends import get_backend

from leapsbench.leaps import ctmc
from leapsbench.leaps.authors import load_authors_checkpoint
from leapsbench.params import params_to


def their_module(source: Path, checkpoint_path: Path, model):
    """The authors' rate-matrix module built from their source, with the checkpoint's weights."""
    code = source.read_text().replace("from rotary_embedding_torch import RotaryEmbedding", "")
    namespace: dict = {}
    exec(compile(code, str(source), "exec"), namespace)  # their file, as published
    with torch.serialization.safe_globals([argparse.Namespace]):
        raw = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    config = raw["hyper_parameters"]["config"]
    if model.kind == "ising":
        module = namespace["ConvSpinRateMatrix"](config.kernel_sizes, config.num_channels, 1)
    else:
        module = namespace["ConvPottsRateMatrix"](
            config.n_cat, config.kernel_sizes, config.num_channels, config.embedding_type
        )
    state = {k[len("net.") :]: v for k, v in raw["state_dict"].items() if k.startswith("net.")}
    module.load_state_dict(state)
    return module.eval()


def timed(fn, repeats: int) -> tuple[float, float]:
    """Best (wall, CPU) seconds of ``fn()`` over ``repeats`` calls after one warm-up."""
    fn()
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def measure(name: str, args) -> None:
    """Check their module against ours, then time both on ``args.walkers`` random states."""
    path = args.ckpts / f"{name}_final.ckpt"
    network, params, model = load_authors_checkpoint(path)
    theirs = their_module(args.leaps_src, path, model)
    values = np.random.default_rng(0).integers(0, model.q, (args.walkers, *model.shape))
    states = (1 - 2 * values if name == "ising" else values).astype(np.int8)
    x_theirs = torch.from_numpy(states).float() if name == "ising" else torch.from_numpy(values)
    t = torch.full((args.walkers,), 0.5)
    with torch.no_grad():
        x64 = x_theirs[:2].double() if name == "ising" else x_theirs[:2]
        reference = theirs.double()(x64, t[:2].double()).numpy()
        theirs.float()
    ours64 = network.apply(params, states[:2], 0.5)
    ours64 = ours64.sum(-1) if name == "ising" else np.moveaxis(ours64, -1, 1)
    error = np.abs(ours64 - reference).max() / np.abs(reference).max()
    print(f"{name}: their module vs ours, float64, max relative difference {error:.1e}")
    runs = {"theirs torch float32": (lambda: theirs(x_theirs, t), 101)}
    for backend_name in ("numpy", "torch"):
        backend = get_backend(backend_name, device="cpu" if backend_name == "torch" else None)
        p32, x = params_to(backend, params, "float32"), backend.asarray(states)
        runs[f"ours {backend_name} float32"] = (lambda p=p32, x=x: network.apply(p, x, 0.5), 101)
        step = _ctmc_step(backend, network, p32, model, args.walkers)
        runs[f"ours {backend_name} CTMC step"] = (step, 100)
    with torch.no_grad():
        for label, (fn, calls) in runs.items():
            wall, cpu = timed(fn, args.repeats)
            per = calls * 1000 / args.walkers  # 1000 walkers x 100 steps
            what = "walker-forward" if calls == 101 else "walker-step   "
            print(
                f"  {label:24s} {1e3 * wall / args.walkers:7.2f} ms wall, "
                f"{1e3 * cpu / args.walkers:7.2f} ms CPU per {what}; "
                f"1000 walkers x 100 steps: {wall * per:7.0f} s wall, {cpu * per:7.0f} s CPU"
            )


def _ctmc_step(backend, network, params, model, walkers: int):
    """One CTMC step (Euler weights, the authors' inference settings) of ``walkers`` walkers
    from step 51 of 100 (the state holds its scores, as in a run), as a zero-argument call."""
    config = ctmc.CTMCConfig(n_steps=100, n_walkers=walkers, weights="euler", rate_floor=0)
    dynamics = config.dynamics(network, params, model)
    rng = backend.rng(0)
    state = ctmc.init(rng, dynamics, walkers, backend)._replace(k=50)
    state, _ = ctmc.step(rng, state, dynamics)
    return lambda: ctmc.step(rng, state, dynamics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaps-src", type=Path, required=True, help="their src/nets/conv.py")
    parser.add_argument("--ckpts", type=Path, default=Path("../shared/leaps-authors"))
    parser.add_argument("--walkers", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in ("ising", "potts"):
        measure(name, args)


if __name__ == "__main__":
    main()
