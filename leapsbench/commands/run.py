"""``leapsbench run``: run a suite or one benchmark × method, store rows, print a table.

    leapsbench run --suite quick
    leapsbench run --benchmark ising-L4-b0.4407 --method metropolis --backend torch --seed 1 \
        --set n_chains=64 --format json
    leapsbench run --benchmark ising-L15-b0.4407 --method leaps-conv \
        --checkpoint ising_final.ckpt --set n_steps=100 --set weights=euler --n-samples 5000

Rows go to ``--results`` (default results/runs/), one atomic JSON per finished run; a rerun
skips finished runs (resume).  Trained models are cached in ``--cache`` (default
.leapsbench-cache/).
"""

from __future__ import annotations

import json
import sys

from . import DEFAULT_RESULTS
from .options import SEED, count, real

HELP = "Run benchmarks × methods × backends × seeds and print/store one result row per run."
FORMATS = ("table", "json", "csv")


def add_arguments(parser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--suite", help="a named suite: quick, exact, paper or authors")
    target.add_argument("--benchmark", action="append", help="benchmark name (repeatable)")
    parser.add_argument(
        "--method",
        action="append",
        help="method name (repeatable; default: every suite method, i.e. all but wolff)",
    )
    parser.add_argument(
        "--backend",
        action="append",
        help="numpy|torch|cupy|array-api-strict (repeatable; default numpy)",
    )
    parser.add_argument("--device", default=None, help="device, e.g. cpu or cuda")
    parser.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    parser.add_argument("--seed", type=SEED, action="append", help="seed (repeatable; default 0)")
    parser.add_argument(
        "--preset",
        default=None,
        choices=("quick", "paper"),
        help="method preset (default: paper for --suite paper, else quick)",
    )
    add_override_argument(parser)
    parser.add_argument(
        "--checkpoint",
        default=None,
        metavar="PATH",
        help="sample the LEAPS authors' trained network (malbergo/leaps ckpts/*.ckpt) with "
        "leaps-conv instead of training; --set takes sampler keys",
    )
    parser.add_argument(
        "--n-samples", type=count(1), default=None, help="budget: number of samples"
    )
    parser.add_argument("--train-steps", type=count(1), default=None, help="budget: training steps")
    parser.add_argument("--train-seconds", type=real(0), default=None, help="budget: train time")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="results store directory")
    parser.add_argument("--cache", default=".leapsbench-cache", help="checkpoint cache dir")
    parser.add_argument("--jobs", type=count(1), default=1, help="parallel runs (process pool)")
    # --- Dask executor (issue 11; leapsbench/harness/dask_executor.py) ---
    parser.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local: in-process / --jobs pool; dask: one task per run on a Dask cluster",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address (default: a LocalCluster of --jobs workers, if > 1)",
    )
    # --- end Dask ---
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_override_argument(parser) -> None:
    """``--set KEY=VALUE`` (repeatable) into ``args.overrides``; see :func:`parse_overrides`."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a method hyperparameter",
    )


def parse_overrides(items: list[str]) -> dict:
    """``["lr=1e-3", "rule=heatbath"]`` → {"lr": 0.001, "rule": "heatbath"} (JSON values)."""
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            out[key.strip()] = text
    return out


def build_specs(args) -> list[dict]:
    """Validate names up front (errors list the valid choices) and expand the grid."""
    from leapsbench.backends import KNOWN_BACKENDS
    from leapsbench.harness.benchmarks import get_benchmark, suite_benchmarks
    from leapsbench.harness.grid import make_grid
    from leapsbench.harness.methods import SUITE_METHODS, check_method, make_method

    from .writable import check_writable_dir

    names = suite_benchmarks(args.suite) if args.suite else args.benchmark
    benchmarks = list(dict.fromkeys(get_benchmark(name).name for name in names))  # canonical
    methods = [check_method(m) for m in (args.method or SUITE_METHODS)]
    backends = args.backend or ["numpy"]
    for name in backends:
        if name not in KNOWN_BACKENDS:
            raise ValueError(f"unknown backend {name!r}; choose from {', '.join(KNOWN_BACKENDS)}")
    budget = {
        k: v
        for k, v in (
            ("n_samples", args.n_samples),
            ("train_steps", args.train_steps),
            ("train_seconds", args.train_seconds),
        )
        if v is not None
    }
    preset = args.preset or ("paper" if args.suite == "paper" else "quick")
    overrides = parse_overrides(args.overrides)
    for method in methods:  # a typo in --set fails here, before any row is written
        make_method(method, preset, overrides)
    if args.checkpoint is not None:
        check_checkpoint(args.checkpoint, benchmarks, methods, overrides)
    check_writable_dir(args.results, "--results")
    check_writable_dir(args.cache, "--cache")
    return make_grid(
        benchmarks,
        methods,
        backends,
        args.seed or [0],
        preset=preset,
        device=args.device,
        dtype=args.dtype,
        overrides=overrides,
        budget=budget,
        cache_dir=args.cache,
        checkpoint=args.checkpoint,
    )


def check_checkpoint(path: str, benchmarks: list[str], methods: list[str], overrides) -> None:
    """An authors' checkpoint runs with leaps-conv alone, on the benchmark it was trained for,
    with sampler keys only: refused here, before any work, otherwise."""
    from leapsbench.harness.benchmarks import get_benchmark
    from leapsbench.leaps.method import make

    if methods != ["leaps-conv"]:
        raise ValueError(
            "--checkpoint samples an LE-conv network: use --method leaps-conv only, "
            f"got {', '.join(methods)}"
        )
    method = make("leaps-conv")
    for name in benchmarks:
        method.use_authors_checkpoint(path, get_benchmark(name).model, overrides)


def _print(rows: list[dict], fmt: str) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.markup import escape

    from leapsbench.harness.report import failures, missing_references, summary_table
    from leapsbench.harness.rows import ROW_KEYS

    if fmt == "json":
        print(json.dumps(rows[0] if len(rows) == 1 else rows, indent=2, default=str))
    elif fmt == "csv":
        print(pd.DataFrame(rows, columns=list(ROW_KEYS)).to_csv(index=False), end="")
    else:
        console = Console(width=None if sys.stdout.isatty() else 140)
        console.print(summary_table(rows))
        for line in missing_references(rows):
            console.print(escape(line), highlight=False)
        for line in failures(rows):
            console.print(f"[red]failed[/] {escape(line)}", highlight=False)


def run(args) -> int:
    from concurrent.futures import ProcessPoolExecutor

    from leapsbench.harness.grid import InlineExecutor, run_grid
    from leapsbench.harness.report import RichReporter
    from leapsbench.harness.store import ResultStore

    specs = build_specs(args)
    store = ResultStore(args.results)
    # --- Dask executor (issue 11) ---
    extra = {}
    if args.executor == "dask":
        from leapsbench.harness.dask_executor import DaskExecutor

        executor = DaskExecutor(args.scheduler, n_workers=args.jobs if args.jobs > 1 else None)
        extra = {"as_completed": executor.as_completed}
    elif args.scheduler is not None:
        raise ValueError(f"--scheduler {args.scheduler} needs --executor dask")
    else:
        executor = InlineExecutor() if args.jobs == 1 else ProcessPoolExecutor(args.jobs)
    # --- end Dask ---
    try:
        if args.no_progress:
            rows = run_grid(specs, store, executor, **extra)
        else:
            with RichReporter() as reporter:
                rows = run_grid(specs, store, executor, reporter, **extra)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        store.export_csv()
    _print(rows, args.format)
    return 0 if all(r["status"] in ("ok", "n/a") for r in rows) else 1
