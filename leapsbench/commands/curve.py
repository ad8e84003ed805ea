"""``leapsbench curve``: error against cost — a grid of time budgets, curves and a best-per-budget
table.

    leapsbench curve --benchmark ising-L24-b0.4407 --method swendsen-wang --method smc \
        --seconds 1,3,10,30,100 --seed 0 --seed 1 --seed 2 --output results/curves

Runs every benchmark × method × budget × seed into the store (``--results``; resumable, one row
per run, ``--jobs`` / ``--executor dask`` as for ``run``; ``--no-run`` draws only what is
stored), then writes into ``--output``: ``curve_<benchmark>.png`` (ΔMag, log-Z error and ESS/n
against the seconds spent — or, with ``--x cpu`` / ``--x evaluations``, ``curve_cpu_…`` against
the CPU seconds or ``curve_evaluations_…`` against the evaluations — one line per method, error
bars from the spread over seeds;
:mod:`leapsbench.harness.curve_plots`; ``--marks DIR`` adds the runs of the LEAPS authors'
checkpoints stored in DIR as lines), ``best.md`` (the best method per budget;
:mod:`leapsbench.harness.curves`) and ``table.md`` (every cell, budgets apart).  Needs matplotlib
(``pip install 'leapsbench[plot]'``).
"""

from __future__ import annotations

from .run import add_grid_arguments

HELP = "Run a grid of --seconds budgets and draw error-versus-cost curves per benchmark."


def add_arguments(parser) -> None:
    add_grid_arguments(parser)
    parser.add_argument("--output", default="results/curves", help="figure and table directory")
    parser.add_argument("--figure-format", choices=("png", "svg"), default="png")
    parser.add_argument(
        "--x",
        action="append",
        choices=("wall", "cpu", "evaluations"),
        help="cost axis (repeatable; default wall: the seconds spent; cpu: the process's CPU "
        "seconds; evaluations: the machine-independent count)",
    )
    parser.add_argument(
        "--no-run", action="store_true", help="run nothing: draw the grid's stored rows"
    )
    parser.add_argument(
        "--marks",
        metavar="DIR",
        help="a results store with runs of the LEAPS authors' checkpoints (run --checkpoint): "
        "drawn as lines at their error, labelled with the authors' training steps",
    )


def run(args) -> int:
    from pathlib import Path

    from leapsbench.harness.curve_plots import plot_curves
    from leapsbench.harness.curves import curve_points, render_best
    from leapsbench.harness.tables import render

    from .run import build_specs, execute

    if not args.seconds:
        raise ValueError("curve needs time budgets: --seconds T[,T...] (e.g. --seconds 1,10,100)")
    rows = _stored_rows(args, build_specs(args)) if args.no_run else execute(args)
    if not rows:
        raise ValueError(f"no stored rows of this grid in {args.results}; run it without --no-run")
    output = Path(args.output)
    marks = _marks(args.marks)
    paths = []
    for x in args.x or ["wall"]:
        paths += plot_curves(rows, output, args.figure_format, x, marks)
    (output / "best.md").write_text(render_best(curve_points(rows)))
    (output / "table.md").write_text(render(rows, "markdown"))
    for path in [*paths, output / "best.md", output / "table.md"]:
        print(path)
    failed = [r for r in rows if r["status"] not in ("ok", "n/a")]
    return 1 if failed else 0


def _stored_rows(args, specs) -> list[dict]:
    from leapsbench.harness.rows import run_key
    from leapsbench.harness.store import ResultStore

    by_key = {row["run_key"]: row for row in ResultStore(args.results).rows()}
    return [by_key[key] for key in map(run_key, specs) if key in by_key]


def _marks(directory) -> list[dict]:
    """The rows of the store ``directory`` (``--marks``), or none without one."""
    from pathlib import Path

    from leapsbench.harness.store import ResultStore

    if directory is None:
        return []
    if not (Path(directory) / "rows").is_dir():
        raise ValueError(f"--marks {directory}: not a results store (no rows/ directory in it)")
    return ResultStore(directory).rows()
