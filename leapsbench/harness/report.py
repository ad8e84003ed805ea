"""Rich progress for a grid (one bar for the grid, one for the current run) and summary table.

Text from runs (error messages, names) is passed through ``rich.markup.escape``, so brackets such
as ``pip install 'leapsbench[cupy-cuda12x]'`` are printed, not taken for markup.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .graph_benchmarks import is_spin_glass_name
from .tables import NOT_OURS, method_label

SUMMARY_COLUMNS = (
    ("benchmark", "benchmark", "{}"),
    ("method", "method", "{}"),
    ("backend", "backend", "{}"),
    ("seed", "seed", "{}"),
    ("ΔMag", "delta_mag", "{:.4f}"),
    ("ΔE", "delta_energy", "{:.4f}"),
    ("ESS/n", "ess_fraction", "{:.3f}"),
    ("ΔlogZ", "log_z_error", "{:.3g}"),
    ("train s", "train_seconds", "{:.1f}"),
    ("samp s", "sample_seconds", "{:.2f}"),
    ("status", "status", "{}"),
)
ERROR_OF = {"delta_mag": "mag_err", "delta_energy": "energy_err", "log_z_error": "log_z_err"}
"""The error bar printed beside a column: the estimate's own (the reference's is far smaller)."""


class RichReporter:
    """The ``reporter`` of :func:`leapsbench.harness.grid.run_grid`, drawing rich progress bars."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
            console=self.console,
        )
        self.grid_task = None
        self.run_task = None

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def start(self, n_total: int, n_skipped: int) -> None:
        info = f"{n_skipped} already stored" if n_skipped else ""
        self.grid_task = self.progress.add_task(
            "grid", total=n_total, completed=n_skipped, info=info
        )

    def run_started(self, spec: dict) -> None:
        label = escape(
            f"{spec['method']} on {spec['benchmark']} ({spec['backend']}, seed {spec['seed']})"
        )
        if self.run_task is None:
            self.run_task = self.progress.add_task(label, total=None, info="")
        else:
            self.progress.reset(self.run_task, description=label, total=None, info="")

    def run_progress(self, done: int, total: int, **metrics) -> None:
        if self.run_task is not None:
            info = " ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()
            )
            self.progress.update(self.run_task, completed=done, total=total, info=info)

    def run_finished(self, row: dict) -> None:
        run = escape(f"{row['method']} on {row['benchmark']}")
        if row["status"] == "n/a":
            self.console.print(f"{run}: n/a ({escape(str(row['error']))})")
        elif row["status"] != "ok":
            self.console.print(f"[red]{run} failed:[/] {escape(str(row['error']))}")
        self.progress.advance(self.grid_task)


def _shown(value):
    """``value`` as printed: None (a dash) for a missing or non-finite number."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary_table(rows: list[dict], title: str = "results") -> Table:
    """A rich table with one line per row (ΔMag, ESS fraction, log-Z error, times, status)."""
    table = Table(title=title)
    for header, _, _ in SUMMARY_COLUMNS:
        table.add_column(header, justify="left" if header in ("benchmark", "method") else "right")
    for row in rows:
        cells = []
        for _, key, fmt in SUMMARY_COLUMNS:
            value, error = _shown(row.get(key)), _shown(row.get(ERROR_OF.get(key, "")))
            text = "—" if value is None else fmt.format(value)
            if value is not None and error is not None and error > 0:  # never "± 0" or "± nan"
                text += f" ± {error:.2g}"
            if key == "method":
                text = method_label(value, row.get("source"))
            elif key == "train_seconds" and row.get("source") == "authors":
                text = NOT_OURS
            elif key == "train_seconds" and not (_shown(row.get("param_count")) or 0) > 0:
                text = "—"  # a method that does not train (as in the tables)
            cells.append(escape(text))
        if row.get("status") not in ("ok", "n/a"):
            cells[-1] = "[red]error[/]"
        table.add_row(*cells)
    return table


def failures(rows: list[dict]) -> list[str]:
    """One line per failed row: which run failed and why (not-applicable runs are not failures)."""
    return [
        f"{r['method']} on {r['benchmark']} ({r['backend']}, seed {r['seed']}): {r['error']}"
        for r in rows
        if r.get("status") not in ("ok", "n/a")
    ]


def missing_references(rows: list[dict]) -> list[str]:
    """One line per benchmark whose successful runs had no reference ⟨m⟩ (a spin glass, ``ea-…``,
    ``ea3d-…`` or ``rrg-…``: ⟨E⟩/N) and/or log Z, naming the metric left out (a method without a
    log-Z estimator is not a missing reference)."""
    missing: dict[str, list[str]] = {}
    for row in rows:
        if row.get("status") != "ok":
            continue
        names = missing.setdefault(row["benchmark"], [])
        spin_glass = is_spin_glass_name(row["benchmark"])
        first = ("energy_ref", "ΔE") if spin_glass else ("mag_ref", "ΔMag")
        for key, metric in (first, ("log_z_ref", "log-Z error")):
            if row.get(key) is None and metric not in names:
                names.append(metric)
    return [
        f"no reference for {bench}: {' and '.join(names)} not reported"
        for bench, names in missing.items()
        if names
    ]
