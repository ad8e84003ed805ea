"""``leapsbench methods [--format table|json] [--check]``: every method and where it comes from.

    leapsbench methods
    leapsbench methods --check --format json

One line per method: the built-in family module, or the plug-in's distribution and version
with its entry point (group ``leapsbench.methods``), and whether the suites run it.  Listing
imports no plug-in; ``--check`` also builds each plug-in at the quick preset, so that one that
fails to import or whose ``make`` fails shows its error.  A plug-in that cannot be used (a clash
with a built-in name, two distributions registering one name, a failed ``--check``) is listed
with its error, and the exit status is then 1.
"""

from __future__ import annotations

import json
import sys

HELP = "List every method (built-in family or plug-in distribution and version)."


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--check", action="store_true", help="also build every plug-in (imports its module)"
    )


def method_records(check: bool = False) -> list[dict]:
    """One dict per method: ``method``, ``in_suites`` and its origin
    (:func:`leapsbench.harness.methods.method_origin`), or ``kind`` "error" and the ``error``."""
    from leapsbench.harness import methods
    from leapsbench.harness.plugins import PluginError

    records = []
    for name in dict.fromkeys(methods.ALL_METHODS + methods.plugin_names()):
        record = {"method": name, "in_suites": name in methods.SUITE_METHODS}
        try:
            record.update(methods.method_origin(name))
            if check and record["kind"] == "plugin":
                methods.make_method(name)
        except PluginError as err:
            record.update(kind="error", error=str(err))
        records.append(record)
    return records


def _origin(record: dict) -> str:
    from rich.markup import escape

    if record["kind"] == "builtin":
        return f"built-in ({record['family']})"
    if record["kind"] == "error":
        return f"[red]error[/]: {escape(record['error'])}"
    return f"{record['distribution']} {record['version']}"


def _print_table(records: list[dict]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table("method", "from", "entry point", "suites")
    for record in records:
        suites = "yes" if record["in_suites"] else "when named"
        entry = escape(record.get("value") or "")
        table.add_row(escape(record["method"]), _origin(record), entry, suites)
    Console(width=None if sys.stdout.isatty() else 140).print(table)


def run(args) -> int:
    records = method_records(args.check)
    if args.format == "json":
        print(json.dumps(records, indent=2))
    else:
        _print_table(records)
    return 1 if any(r["kind"] == "error" for r in records) else 0
