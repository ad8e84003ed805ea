"""``leapsbench compare BASE NEW [--threshold 0.25] [--n-sigma 3] [--speed-threshold R]``.

Exits 1 when NEW is worse than BASE beyond the thresholds (see
:mod:`leapsbench.harness.compare`), 0 otherwise; prints a markdown report (regressions only,
every metric with ``--all``) and always the total-time ratio NEW/BASE, judged only with
``--speed-threshold``.
"""

from __future__ import annotations

import statistics

from .options import real

HELP = "Compare two result sets per benchmark/method/backend; non-zero exit on regression."


def add_arguments(parser) -> None:
    parser.add_argument("base", help="baseline results (directory or .csv/.json)")
    parser.add_argument("new", help="new results (directory or .csv/.json)")
    parser.add_argument(
        "--threshold",
        type=real(0),
        default=0.25,
        help="allowed relative quality loss (default 0.25)",
    )
    parser.add_argument(
        "--n-sigma",
        type=real(0),
        default=3.0,
        help="allowed loss in combined error bars (default 3)",
    )
    parser.add_argument(
        "--speed-threshold",
        type=real(0),
        default=None,
        help="allowed relative slow-down of total time (default: not checked)",
    )
    parser.add_argument("--all", action="store_true", help="print every metric, not only failures")


def _speed_line(ratios: list[float], threshold: float | None) -> str:
    """The total-time ratio NEW/BASE over groups (median and range), and whether it was judged."""
    judged = "not judged" if threshold is None else f"judged at --speed-threshold {threshold}"
    if not ratios:
        return f"speed: no group has a total time in both BASE and NEW ({judged})"
    ratios = sorted(ratios)
    median = statistics.median(ratios)
    return (
        f"speed: total time NEW/BASE median {median:.3g} over {len(ratios)} group(s) "
        f"(range {ratios[0]:.3g}–{ratios[-1]:.3g}; {judged})"
    )


def run(args) -> int:
    from leapsbench.harness.compare import compare_results
    from leapsbench.harness.store import load_rows
    from leapsbench.harness.tables import GROUP

    report = compare_results(
        load_rows(args.base),
        load_rows(args.new),
        threshold=args.threshold,
        n_sigma=args.n_sigma,
        speed_threshold=args.speed_threshold,
    )
    if args.all or not report.ok:
        shown = report if args.all else type(report)(report.regressions)
        print(shown.to_markdown())
    n_groups = len({tuple(e[k] for k in GROUP) for e in report.entries})
    verdict = "OK" if report.ok else f"{len(report.regressions)} regression(s)"
    print(f"compared {n_groups} group(s) of {'/'.join(GROUP)}: {verdict}")
    print(_speed_line(report.speed_ratios(), args.speed_threshold))
    return 0 if report.ok else 1
