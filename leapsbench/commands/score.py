"""``leapsbench score``: score samples drawn anywhere, with the same estimators as ``run``.

    leapsbench score --benchmark potts-q4-L16-b0.9 --samples mine.npz --name my-sampler \
        --seconds 120 --hardware "1x A100"
    leapsbench score --benchmark ising-L15-b0.4407 --samples chains.npy --chains

FILE: ``.npz`` with ``x`` and at most one of ``log_weights``, ``log_q``; ``.npy`` (``x``); ``.pt``
(:mod:`leapsbench.harness.sample_files`).  What is computed: :mod:`leapsbench.harness.scoring`
and docs/metrics.md.  One row goes to ``--results`` (method = ``--name``, default the file's
stem; ``source`` external; the file's sha256; the declared cost, labelled declared), where
``table``, ``curve`` and ``compare`` read it beside the built-in methods' rows.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import DEFAULT_RESULTS
from .options import SEED, count, real

HELP = "Score a file of samples from any sampler (ΔMag, ESS, log-Z error) and store its row."


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, help="the benchmark the samples target")
    parser.add_argument("--samples", required=True, metavar="FILE", help=".npz, .npy or .pt")
    parser.add_argument(
        "--chains", action="store_true", help="x is (C, T, Lx, Ly): C Markov chains of T steps"
    )
    parser.add_argument("--name", default=None, help="method label (default: the file's stem)")
    parser.add_argument(
        "--seed", type=SEED, default=0, help="the sampler's seed, to pool files as seeds"
    )
    declared = parser.add_argument_group(
        "declared cost", "What the sampler spent, as declared by you (recorded as declared)."
    )
    declared.add_argument(
        "--seconds", type=real(0, low_open=True), default=None, help="total seconds"
    )
    declared.add_argument(
        "--train-seconds",
        type=real(0, low_open=True),
        default=None,
        help="the training part of --seconds",
    )
    declared.add_argument(
        "--evaluations", type=count(1), default=None, help="energy/network evaluations"
    )
    declared.add_argument("--hardware", default=None, help="where it ran, e.g. '1x A100'")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="results store directory")
    parser.add_argument("--format", choices=("table", "json"), default="table")


def run(args) -> int:
    from leapsbench.harness.rows import file_sha256
    from leapsbench.harness.sample_files import read_samples
    from leapsbench.harness.scoring import score
    from leapsbench.harness.store import ResultStore

    from .writable import check_writable_dir

    check_writable_dir(args.results, "--results")
    path = Path(args.samples)
    arrays = read_samples(path)
    row = score(
        args.benchmark,
        arrays["x"],
        arrays["log_weights"],
        arrays["log_q"],
        args.chains,
        name=args.name or path.stem,
        seed=args.seed,
        seconds=args.seconds,
        train_seconds=args.train_seconds,
        evaluations=args.evaluations,
        hardware=args.hardware,
        samples_sha256=file_sha256(str(path.resolve())),
        where=str(path),
    )
    store = ResultStore(args.results)
    store.add(row)
    store.export_csv()
    _print(row, args.format)
    return 0


def _print(row: dict, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(row, indent=2, default=str))
        return
    from rich.console import Console
    from rich.markup import escape

    from leapsbench.harness.report import missing_references, summary_table

    console = Console(width=140)
    console.print(summary_table([row], title="scored"))
    for line in missing_references([row]):
        console.print(escape(line), highlight=False)
    if row["unreliable"]:
        console.print(escape(f"unreliable: {row['unreliable']}"), highlight=False)
