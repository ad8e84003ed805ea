"""``leapsbench plot [RESULTS] [--output DIR] [--format png|svg]``: figures of stored results.

Needs matplotlib (``pip install 'leapsbench[plot]'``); see :mod:`leapsbench.harness.plots`.
"""

from __future__ import annotations

from . import add_results_argument

HELP = "Plot ΔMag/ESS per method, ESS over annealing time and magnetization histograms."


def add_arguments(parser) -> None:
    add_results_argument(parser)
    parser.add_argument("--output", default="results/plots", help="figure directory")
    parser.add_argument("--format", choices=("png", "svg"), default="png")


def run(args) -> int:
    from leapsbench.harness.plots import plot_results
    from leapsbench.harness.store import load_rows

    paths = plot_results(load_rows(args.results), args.output, args.format)
    for path in paths:
        print(path)
    return 0
