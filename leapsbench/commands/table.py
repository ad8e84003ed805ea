"""``leapsbench table [RESULTS] [--format markdown|csv|latex] [--output FILE]``.

One pivot per benchmark (rows methods; ΔMag, ESS, log-Z error, times; mean ± error over seeds;
best per column marked; the paper's ΔMag beside ours on the six paper benchmarks).
"""

from __future__ import annotations

from . import add_results_argument

HELP = "Tabulate stored results per benchmark (markdown, csv or latex)."


def add_arguments(parser) -> None:
    add_results_argument(parser)
    parser.add_argument("--format", choices=("markdown", "csv", "latex"), default="markdown")
    parser.add_argument("--benchmark", action="append", help="only these benchmarks")
    parser.add_argument("--output", default=None, help="write to this file instead of stdout")


def run(args) -> int:
    from leapsbench.atomic import atomic_write_text
    from leapsbench.harness.benchmarks import get_benchmark
    from leapsbench.harness.store import load_rows
    from leapsbench.harness.tables import render

    rows = load_rows(args.results)
    if args.benchmark:
        wanted = {get_benchmark(name).name for name in args.benchmark}
        rows = [r for r in rows if r["benchmark"] in wanted]
    text = render(rows, args.format)
    if args.output:
        atomic_write_text(args.output, text)  # creates a missing directory
    else:
        print(text, end="")
    return 0
