"""``leapsbench rescore [RESULTS] [--references DIR]``: score stored rows again against today's
references (:mod:`leapsbench.harness.rescore`), rewriting each changed row atomically; the
estimates are untouched, ``rescored_at`` records when.
"""

from __future__ import annotations

from . import add_results_argument

HELP = "Score stored rows again against today's references (estimates untouched)."


def add_arguments(parser) -> None:
    add_results_argument(parser)
    parser.add_argument(
        "--references",
        default=None,
        help="the user's reference folder searched first (default results/reference)",
    )


def run(args) -> int:
    from leapsbench.harness.rescore import rescore_rows
    from leapsbench.harness.store import ResultStore

    store = ResultStore(args.results)
    rows, changed = rescore_rows(store.rows(), args.references)
    for row in rows:
        if row.get("rescored_at"):
            store.replace(row)
    store.export_csv()
    print(f"{changed} of {len(rows)} rows scored against changed references -> {store.directory}")
    return 0
