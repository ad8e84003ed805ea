"""``leapsbench train``: train a LEAPS sampler on a benchmark and write its checkpoint.

    leapsbench train --benchmark ising-L4-b0.4407 --method leaps-conv [--preset quick]
                     [--steps N] [--seconds S] [--seed 0] [--out PATH] [--resume]

The checkpoint (.npz parameters + .json metadata) can be sampled on any backend with
``leapsbench run``; ``--resume`` continues training from an existing checkpoint at ``--out``.
While training, the state is saved every ``train_checkpoint_every`` steps to
``<out>.training-state.pt``; rerunning an interrupted command resumes from it.
"""

from __future__ import annotations

HELP = "Train a LEAPS sampler (PINN loss, torch) on a benchmark and save its checkpoint."
METHODS = ("leaps-conv", "leaps-mlp", "leaps-attention")


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, help="benchmark name, e.g. ising-L4-b0.4407")
    parser.add_argument("--method", default="leaps-conv", choices=METHODS)
    parser.add_argument("--preset", default="quick", choices=("quick", "paper"))
    parser.add_argument("--steps", type=int, default=None, help="training steps (budget)")
    parser.add_argument("--seconds", type=float, default=None, help="training time (budget)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="torch device for training (cpu, cuda)")
    parser.add_argument("--out", default=None, help="checkpoint path (default checkpoints/NAME)")
    parser.add_argument("--resume", action="store_true", help="continue from --out if it exists")


def run(args) -> int:
    from pathlib import Path

    from rich.progress import Progress

    from leapsbench.backends import get_backend
    from leapsbench.harness.benchmarks import get_benchmark
    from leapsbench.harness.method import Budget
    from leapsbench.leaps.checkpoint import checkpoint_paths
    from leapsbench.leaps.method import make

    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    spec = get_benchmark(args.benchmark)
    out = Path(args.out or f"checkpoints/{args.method}-{spec.name}-seed{args.seed}")
    method = make(args.method, args.preset)
    if args.resume and checkpoint_paths(out)[1].is_file():
        method.load(out, spec.model)
        print(f"resuming from {out}")
    method.training_checkpoint = f"{out}.training-state.pt"
    backend = get_backend("torch", device=args.device)
    budget = Budget(train_steps=args.steps, train_seconds=args.seconds)
    with Progress(transient=True) as bar:
        task = bar.add_task(f"training {args.method} on {spec.name}", total=None)

        def progress(done, total, **metrics):
            text = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            bar.update(task, completed=done, total=total, description=f"training {text}")

        info = method.fit(spec.model, backend, backend.rng(args.seed), budget, progress)
    method.save(out)
    print(
        f"trained {args.method} on {spec.name}: {info['train_steps']} steps in "
        f"{info['train_seconds']:.1f} s, final PINN loss {info['final_loss']:.4g}, "
        f"{method.param_count} parameters -> {out}"
    )
    return 0
