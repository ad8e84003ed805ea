"""``leapsbench train``: train a LEAPS sampler on a benchmark and write its checkpoint.

    leapsbench train --benchmark ising-L4-b0.4407 --method leaps-conv [--preset quick]
                     [--steps N] [--seconds S] [--seed 0] [--set KEY=VALUE]
                     [--cache .leapsbench-cache | --out DIR] [--resume CHECKPOINT]

By default the checkpoint goes into the entry of the ``leapsbench run`` checkpoint cache that a
run with the same benchmark, method, preset, ``--set`` overrides, seed and training budget
(``run --train-steps N`` / ``--train-seconds S``; the key ignores backend and ``--n-samples``)
would use, ``<cache>/<method>/<benchmark>/<hash>-seed<seed>/`` (``runner.cache_entry``), with the
``fit.json`` marker: that run then samples this checkpoint (on any backend) instead of
training.  The training itself is the one such a run does (``runner.fit_into_cache``): same
method config, same seed stream (the first of ``backend.rng(seed).spawn(2)``); an entry that
already has its marker is not trained again.  ``--out DIR`` writes elsewhere (``run`` does not
look there).  ``--resume CHECKPOINT`` starts from a saved checkpoint and continues its learning
rate schedule and curriculum at its step count; ``--steps`` counts the total, resumed steps
included.  While training, the state is saved every ``train_checkpoint_every`` steps to
``<entry>/training-state.pt``; rerunning an interrupted command (or the matching ``run``)
resumes from it.

``--init-from FILE`` fine-tunes (:mod:`leapsbench.leaps.finetune`): leaps-conv starts from the
network in FILE (the LEAPS authors' .ckpt or a leapsbench checkpoint, any lattice size and β;
Potts with more values gets fresh rows for them), the architecture is the file's (``--set``
takes training and sampler keys, and first_padding) and the F-net starts fresh.  The output
(default ``<cache>/leaps-conv/<benchmark>/init-<file sha256>-<config hash>-seed<seed>/``) holds
the training state and, after each call, the checkpoint (``run --checkpoint DIR`` samples it);
the same command again continues where the last one stopped, bit for bit (keep ``--steps`` and
``--set`` the same).  ``--seconds`` is the training's total wall time over all sittings (as for
any resumed training), so a sitting of S more seconds passes the recorded
``fine_tuning["train_wall_seconds_here"]`` + S (results/listing/run.sh does).  The
checkpoint's ``fine_tuning`` records the file started from (sha256) and the steps, network
evaluations and CPU seconds spent here; a line with the running ESS/n is printed at every
evaluation (``train_eval_every``).
"""

from __future__ import annotations

from .options import SEED, count, real
from .run import add_override_argument

HELP = "Train a LEAPS sampler (PINN loss, torch) on a benchmark and save its checkpoint."
METHODS = ("leaps-conv", "leaps-mlp", "leaps-attention")


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, help="benchmark name, e.g. ising-L4-b0.4407")
    parser.add_argument("--method", default="leaps-conv", choices=METHODS)
    parser.add_argument("--preset", default="quick", choices=("quick", "paper"))
    parser.add_argument(
        "--steps",
        type=count(1),
        default=None,
        help="total training steps (a budget: replaces the preset's step count)",
    )
    parser.add_argument(
        "--seconds", type=real(0, low_open=True), default=None, help="training time (budget)"
    )
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--device", default="cpu", help="torch device for training (cpu, cuda)")
    add_override_argument(parser)
    parser.add_argument("--cache", default=".leapsbench-cache", help="run's checkpoint cache dir")
    parser.add_argument("--out", default=None, help="checkpoint directory (default: cache entry)")
    parser.add_argument("--resume", default=None, metavar="CHECKPOINT", help="start from it")
    parser.add_argument(
        "--init-from",
        default=None,
        metavar="FILE",
        help="fine-tune: start leaps-conv from the network in FILE (an authors' .ckpt or a "
        "leapsbench checkpoint, any size); rerunning continues it",
    )
    parser.add_argument(
        "--fnet",
        choices=("fitted", "fresh"),
        default="fitted",
        help="with --init-from: the F-net's output layer fitted to the carried network on one "
        "rollout (default) or fresh",
    )


def run(args) -> int:
    from leapsbench.harness.benchmarks import get_benchmark
    from leapsbench.harness.methods import make_method

    from .run import parse_overrides

    spec = get_benchmark(args.benchmark)
    overrides = parse_overrides(args.overrides)
    method = make_method(args.method, args.preset, overrides)
    method.benchmark = spec.name
    if args.init_from is not None:
        return fine_tune(args, spec, method, overrides)
    return _train(args, spec, method, overrides)


def _train(args, spec, method, overrides) -> int:
    """``train``: the run's cache entry (or ``--out``), resumable (module docstring)."""
    from pathlib import Path

    from rich.progress import Progress

    from leapsbench.backends import get_backend
    from leapsbench.harness.runner import cache_entry, fit_into_cache, make_spec
    from leapsbench.method import Budget

    from .writable import check_writable_dir

    budget = {"train_steps": args.steps, "train_seconds": args.seconds}
    budget = {k: v for k, v in budget.items() if v is not None}  # as leapsbench run's budget
    out = Path(args.out or cache_entry(args.cache, method, spec.name, budget, args.seed))
    if args.resume is not None:
        method.load(resumable(args.resume), spec.model)
        print(f"resuming from {args.resume} at step {method.steps_done}")
    check_writable_dir(out, "--out" if args.out else "--cache")  # before the training
    backend = get_backend("torch", device=args.device)
    fit_rng = backend.rng(args.seed).spawn(2)[0]  # as harness.runner: (fit, sample) streams
    run_spec = make_spec(
        spec.name,
        args.method,
        preset=args.preset,
        backend="torch",
        device=args.device,
        seed=args.seed,
        overrides=overrides,
        budget=budget,
        cache_dir=args.cache,
    )
    record = {"spec": run_spec, "resumed_from": args.resume}
    with Progress(transient=True) as bar:
        task = bar.add_task(f"training {args.method} on {spec.name}", total=None)

        def progress(done, total, **metrics):
            text = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            bar.update(task, completed=done, total=total, description=f"training {text}")

        info, _, reused = fit_into_cache(
            method, out, spec.model, backend, fit_rng, Budget(**budget), progress, record
        )
    if reused:
        print(f"{out} already holds this trained {args.method} (fit.json): nothing to train")
        return 0
    if not (out / "fit.json").is_file():
        raise RuntimeError(f"trained {args.method}, but could not write its checkpoint to {out}")
    loss = "n/a" if info["final_loss"] is None else f"{info['final_loss']:.4g}"
    print(
        f"trained {args.method} on {spec.name}: {info['train_steps']} steps "
        f"(total {info['steps_done']}) in {info['train_seconds']:.1f} s, final loss {loss}, "
        f"{method.param_count} parameters -> {out}"
    )
    return 0


def fine_tune(args, spec, method, overrides) -> int:
    """``train --init-from``: fine-tune from the file's network (module docstring)."""
    from pathlib import Path

    from leapsbench.backends import get_backend
    from leapsbench.harness.rows import config_hash
    from leapsbench.leaps.finetune import record_spent, start_from
    from leapsbench.method import Budget

    from .writable import check_writable_dir

    if args.resume is not None:
        raise ValueError("--init-from and --resume exclude each other (rerun to continue)")
    init = start_from(method, args.init_from, spec.model, overrides, args.seed)
    key = config_hash({"config": method.training_config, "steps": args.steps})
    name = f"init-{init['sha256'][:12]}-{key}-seed{args.seed}"
    out = Path(args.out or Path(args.cache) / method.name / spec.name / name)
    check_writable_dir(out, "--out" if args.out else "--cache")
    method.training_checkpoint = str(out / "training-state.pt")
    method.fine_tuning["fnet"] = _fnet(method, spec.model, out, args)
    backend = get_backend("torch", device=args.device)
    fit_rng = backend.rng(args.seed).spawn(2)[0]

    def progress(done, total, **metrics):
        if "ess_fraction" in metrics:
            text = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            print(f"step {done}/{total} {text}", flush=True)

    info = method.fit(
        spec.model,
        backend,
        fit_rng,
        Budget(train_steps=args.steps, train_seconds=args.seconds),
        progress,
    )
    spent = record_spent(method, info)
    method.save(str(out))
    cpu = spent["cpu_seconds_here"]
    print(
        f"fine-tuned {method.name} on {spec.name} from {args.init_from}: "
        f"{spent['steps_here']} steps in all, "
        f"{'unknown' if cpu is None else f'{cpu:.1f}'} CPU s spent here -> {out}"
    )
    return 0


def _fnet(method, model, out, args) -> dict:
    """The F-net's provenance: fitted now (``--fnet fitted``, before the first sitting), fresh,
    or as recorded by the sitting before (the training state then holds the F-net)."""
    import json

    from leapsbench.leaps.finetune import fitted_fnet

    if (out / "training-state.pt").is_file():
        previous = out / "checkpoint.json"
        if previous.is_file():
            return json.loads(previous.read_text())["extra"]["fine_tuning"]["fnet"]
        return {"init": f"{args.fnet} (in the training state)"}
    if args.fnet == "fresh":
        return {"init": "fresh (init_fnet: dF/dt = 0 at the start)"}
    method.fnet, info = fitted_fnet(method, model, args.seed)
    print(f"F-net fitted on {info['states']} states: log Z estimate {info['log_z']:.4f}")
    return info


def resumable(path: str) -> str:
    """``path`` if it can be a leapsbench checkpoint; an authors' Lightning ``.ckpt`` (or any
    other zip that is not an .npz) is refused with the command that samples it."""
    import zipfile
    from pathlib import Path

    file = Path(path)
    foreign = file.suffix == ".ckpt" or (
        file.is_file() and file.suffix not in (".npz", ".json") and zipfile.is_zipfile(file)
    )
    if foreign:
        raise ValueError(
            f"{path} is a LEAPS authors' checkpoint, not a leapsbench one: sample it with "
            f"`leapsbench run --method leaps-conv --checkpoint {path}` (use `run --checkpoint`) "
            f"or fine-tune it with `train --init-from {path}`; "
            "--resume takes what `leapsbench train` wrote (a directory or its .npz/.json)"
        )
    return path
