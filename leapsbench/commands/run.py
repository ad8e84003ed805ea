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
    add_grid_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="table")


def add_couplings_argument(parser) -> None:
    """``--couplings FILE``: a spin-glass instance from a file (``harness.instances``)."""
    parser.add_argument(
        "--couplings",
        default=None,
        metavar="FILE",
        help="spin-glass couplings (TwoBo's scipy.sparse .npz) for the benchmarks named "
        "ea-file-L<Lx>[x<Ly>]-b<beta>[-open]; they run as ea-file-<hash>-...",
    )


def add_grid_arguments(parser) -> None:
    """What selects and runs a grid (shared with ``leapsbench curve``)."""
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--suite", help="a named suite: quick, exact, paper, authors or spin-glass")
    target.add_argument("--benchmark", action="append", help="benchmark name (repeatable)")
    parser.add_argument(
        "--method",
        action="append",
        help="method name (repeatable; default: every suite method, i.e. all but wolff), "
        "including plug-ins: an entry point's name or module:callable (see leapsbench methods)",
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
    add_couplings_argument(parser)
    add_checkpoint_arguments(parser)
    add_budget_arguments(parser)
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="results store directory")
    parser.add_argument("--cache", default=".leapsbench-cache", help="checkpoint cache dir")
    parser.add_argument(
        "--no-train",
        action="store_true",
        help="sample trained checkpoints from --cache only; a run that would train fails",
    )
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
    add_control_arguments(parser)


def add_control_arguments(parser) -> None:
    """Progress bars, reuse of stored rows, confirmation of long grids."""
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--reuse-stale",
        action="store_true",
        help="reuse stored rows even when another version of the method's code computed them",
    )
    parser.add_argument(
        "--yes", action="store_true", help="start even a grid estimated to take hours on a CPU"
    )


def add_checkpoint_arguments(parser) -> None:
    """``--checkpoint`` (a trained network to sample) and ``--transfer-beta``."""
    parser.add_argument(
        "--checkpoint",
        default=None,
        metavar="PATH",
        help="sample a trained network instead of training: the LEAPS authors' "
        "(malbergo/leaps ckpts/*.ckpt) or a leapsbench checkpoint (train --out), on a benchmark "
        "of its model kind and q at any lattice size (LE-conv); --set takes sampler keys and "
        "first_padding",
    )
    parser.add_argument(
        "--transfer-beta",
        action="store_true",
        help="with --checkpoint: sample it also on a benchmark of other couplings (beta) than "
        "it was trained for",
    )


def add_budget_arguments(parser) -> None:
    """The budget flags: a budget replaces the preset's value for every method (it wins)."""
    budget = parser.add_argument_group(
        "budgets",
        "A budget replaces the preset's value, for every method alike: --n-samples is the number "
        "of samples (MCMC: chains x kept sweeps), --train-steps the total number of training "
        "steps. --seconds T is the total wall time of a run, training included: training gets "
        "at most --train-share x T (default 0.8; methods that do not train use none of it) and "
        "sampling the rest; MCMC runs sweeps until the time is up, AIS/SMC size their steps from "
        "a timing probe, trained methods draw sample chunks until the time is up. Several "
        "--seconds make several budgets (a curve). --seconds replaces the other budgets.",
    )
    budget.add_argument("--n-samples", type=count(1), default=None, help="number of samples")
    budget.add_argument("--train-steps", type=count(1), default=None, help="total training steps")
    budget.add_argument(
        "--train-seconds", type=real(0, low_open=True), default=None, help="training time (s)"
    )
    budget.add_argument(
        "--seconds",
        type=seconds_list,
        action="extend",
        default=None,
        metavar="T[,T...]",
        help="total wall time T of a run, training + sampling (repeatable or comma-separated)",
    )
    budget.add_argument(
        "--train-share",
        type=real(0, 1, low_open=True),
        default=None,
        help="share of --seconds that training may use (0 < share < 1; default 0.8)",
    )


def seconds_list(text: str) -> list[float]:
    """``"1,3,10"`` → [1.0, 3.0, 10.0], each a finite number of seconds > 0."""
    return [real(0, low_open=True)(part) for part in text.split(",")]


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
    from leapsbench.backends import KNOWN_BACKENDS, get_backend
    from leapsbench.harness.benchmarks import get_benchmark, suite_benchmarks, with_couplings_file
    from leapsbench.harness.grid import make_grid
    from leapsbench.harness.methods import SUITE_METHODS, check_method, make_method
    from leapsbench.threads import thread_setting

    from .writable import check_writable_dir

    thread_setting()  # a bad $LEAPSBENCH_THREADS is refused before any run
    names = suite_benchmarks(args.suite) if args.suite else args.benchmark
    if getattr(args, "couplings", None) is not None:
        named = [with_couplings_file(name, args.couplings) for name in names]
        if named == list(names):
            raise ValueError(
                "--couplings applies to benchmarks named ea-file-L<Lx>[x<Ly>]-b<beta>[-open], "
                f"got {', '.join(names)}"
            )
        names = named
    benchmarks = unique([get_benchmark(name).name for name in names], "--benchmark")  # canonical
    methods = unique([check_method(m) for m in (args.method or SUITE_METHODS)], "--method")
    backends = unique(args.backend or ["numpy"], "--backend")
    seeds = unique(args.seed or [0], "--seed")
    for name in backends:
        if name not in KNOWN_BACKENDS:
            raise ValueError(f"unknown backend {name!r}; choose from {', '.join(KNOWN_BACKENDS)}")
        if args.executor != "dask":  # a Dask worker may have a device that this client lacks
            get_backend(name, device=args.device, dtype=args.dtype)
    preset = args.preset or ("paper" if args.suite == "paper" else "quick")
    overrides = parse_overrides(args.overrides)
    for method in methods:  # a typo in --set fails here, before any row is written
        make_method(method, preset, overrides)
    if args.transfer_beta and args.checkpoint is None:
        raise ValueError("--transfer-beta needs --checkpoint")
    if args.checkpoint is not None:
        args.checkpoint = check_checkpoint(
            args.checkpoint, benchmarks, methods, overrides, args.transfer_beta
        )
    check_writable_dir(args.results, "--results")
    check_writable_dir(args.cache, "--cache")
    specs = []
    for budget in budgets(args):
        specs += make_grid(
            benchmarks,
            methods,
            backends,
            seeds,
            preset=preset,
            device=args.device,
            dtype=args.dtype,
            overrides=overrides,
            budget=budget,
            cache_dir=args.cache,
            no_train=args.no_train,
            checkpoint=args.checkpoint,
            transfer_beta=args.transfer_beta,
        )
    return specs


def unique(values: list, flag: str) -> list:
    """``values`` without repeats (first occurrence kept); a note on stderr names each repeat,
    so that a repeated flag never computes and prints the same run twice."""
    out = list(dict.fromkeys(values))
    for value in out:
        if (n := values.count(value)) > 1:
            print(
                f"leapsbench run: {flag} {value} given {n} times; running it once", file=sys.stderr
            )
    return out


def budgets(args) -> list[dict]:
    """The budget dicts of the grid: one per ``--seconds`` (shortest first, so that a stopped
    grid has whole budgets done), else one; each checked by ``Budget`` (conflicting budgets,
    e.g. --seconds with --n-samples, are refused before any run)."""
    from leapsbench.method import Budget

    given = {
        "n_samples": args.n_samples,
        "train_steps": args.train_steps,
        "train_seconds": args.train_seconds,
        "train_share": args.train_share,
    }
    given = {k: v for k, v in given.items() if v is not None}
    out = [{"seconds": t, **given} for t in sorted(set(args.seconds))] if args.seconds else [given]
    for budget in out:
        Budget(**budget)
    return out


def check_checkpoint(path: str, benchmarks, methods, overrides, transfer_beta) -> str:
    """The file that identifies the checkpoint at ``path`` (a leapsbench checkpoint's JSON, which
    records its parameters' hash, or the authors' .ckpt).  It runs with its own method alone, on
    benchmarks of its model kind and q (any size for an LE-conv; other couplings only with
    ``transfer_beta``), with sampler keys and first_padding only: refused here, before any work,
    otherwise."""
    from leapsbench.checkpoint import checkpoint_paths
    from leapsbench.harness.benchmarks import get_benchmark
    from leapsbench.leaps.method import make

    if len(methods) != 1 or not methods[0].startswith("leaps-"):
        raise ValueError(
            "--checkpoint samples one trained LEAPS network: give its --method (leaps-conv, "
            f"leaps-mlp or leaps-attention) only, got {', '.join(methods)}"
        )
    method = make(methods[0])
    for name in benchmarks:
        method.use_checkpoint(path, get_benchmark(name).model, overrides, transfer_beta)
    json_path = checkpoint_paths(path)[1]
    return str(json_path) if json_path.is_file() else path


def _print(rows: list[dict], fmt: str) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.markup import escape

    from leapsbench.harness.report import failures, missing_references, summary_table
    from leapsbench.harness.rows import ROW_KEYS

    if fmt in ("json", "csv"):
        for row in rows:
            if row["status"] == "error":  # one line; the traceback stays in the stored row
                print(f"leapsbench run: failed {_run_label(row)}: {row['error']}", file=sys.stderr)
        rows = [_without_traceback(row) for row in rows]
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


def _run_label(row: dict) -> str:
    return f"{row['benchmark']} {row['method']} seed {row['seed']}"


def _without_traceback(row: dict) -> dict:
    """``row`` as printed: a failed run's ``fit_info`` traceback left out (it stays stored)."""
    if row.get("status") != "error" or "traceback" not in str(row.get("fit_info") or ""):
        return row
    return dict(row, fit_info=json.dumps({"traceback": "(kept in the stored row)"}))


def execute(args) -> list[dict]:
    """Run the grid of ``args`` (finished runs in the store are skipped); its rows, in order."""
    from leapsbench.harness.grid import InlineExecutor, process_pool, run_grid
    from leapsbench.harness.report import RichReporter
    from leapsbench.harness.runner import warm_up
    from leapsbench.harness.store import ResultStore

    specs = build_specs(args)
    store = ResultStore(args.results)
    _check_cpu_hours(specs, store, args.yes)
    # --- Dask executor (issue 11) ---
    extra = {}
    if args.executor == "dask":
        from leapsbench.harness.dask_executor import DaskExecutor

        executor = DaskExecutor(args.scheduler, n_workers=args.jobs if args.jobs > 1 else None)
        extra = {"as_completed": executor.as_completed}
    elif args.scheduler is not None:
        raise ValueError(f"--scheduler {args.scheduler} needs --executor dask")
    else:
        executor = InlineExecutor() if args.jobs == 1 else process_pool(args.jobs)
    # --- end Dask ---
    if isinstance(executor, InlineExecutor):
        warm_up(specs)
    extra.update(reuse_stale=args.reuse_stale, note=_note)
    try:
        if args.no_progress:
            return run_grid(specs, store, executor, **extra)
        with RichReporter() as reporter:
            return run_grid(specs, store, executor, reporter, **extra)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        store.export_csv()


def _note(text: str) -> None:
    print(f"leapsbench run: {text}", file=sys.stderr)


def _check_cpu_hours(specs, store, confirmed: bool) -> None:
    """Paper presets on a CPU: say how many hours the runs not yet stored would take (an
    order-of-magnitude estimate, :mod:`leapsbench.harness.estimate`); refuse above HOURS_WARNING
    unless ``--yes``."""
    from leapsbench.harness.estimate import HOURS_WARNING, grid_hours
    from leapsbench.harness.rows import run_key

    done = store.done_keys()
    on_cpu = [
        s
        for s in specs
        if s["preset"] == "paper"
        and s["backend"] != "cupy"
        and not str(s["device"]).startswith("cuda")
        and run_key(s) not in done
    ]
    hours = grid_hours(on_cpu) if on_cpu else 0.0
    if hours <= HOURS_WARNING:
        return
    message = (
        f"{len(on_cpu)} runs at the paper presets on a CPU would take roughly {hours:.0f} hours "
        f"(an order-of-magnitude estimate from their evaluation counts; the paper presets are "
        f"meant for a GPU)"
    )
    if not confirmed:
        raise ValueError(
            f"{message}. Start anyway with --yes, or give time budgets (--seconds T), "
            "--preset quick, or a GPU (--backend torch --device cuda)"
        )
    print(f"leapsbench run: {message}; starting (--yes)", file=sys.stderr)


def run(args) -> int:
    rows = execute(args)
    _print(rows, args.format)
    return 0 if all(r["status"] in ("ok", "n/a") for r in rows) else 1
