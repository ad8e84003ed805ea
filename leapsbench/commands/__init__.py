"""Sub-commands of ``leapsbench`` (one module each: ``HELP``, ``add_arguments``, ``run``)."""

DEFAULT_RESULTS = "results/runs"


def add_results_argument(parser) -> None:
    """The optional positional RESULTS of the commands that read a results store."""
    parser.add_argument(
        "results",
        nargs="?",
        default=DEFAULT_RESULTS,
        help=f"results directory or .csv/.json file (default {DEFAULT_RESULTS})",
    )
