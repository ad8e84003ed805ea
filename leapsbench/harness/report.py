"""Rich progress for a grid (one bar for the grid, one for the current run) and summary table."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

SUMMARY_COLUMNS = (
    ("benchmark", "benchmark", "{}"),
    ("method", "method", "{}"),
    ("backend", "backend", "{}"),
    ("seed", "seed", "{}"),
    ("ΔMag", "delta_mag", "{:.4f}"),
    ("ESS/n", "ess_fraction", "{:.3f}"),
    ("ΔlogZ", "log_z_error", "{:.3g}"),
    ("train s", "train_seconds", "{:.1f}"),
    ("samp s", "sample_seconds", "{:.2f}"),
    ("status", "status", "{}"),
)


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
        label = f"{spec['method']} on {spec['benchmark']} ({spec['backend']}, seed {spec['seed']})"
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
        if row["status"] == "n/a":
            self.console.print(f"{row['method']} on {row['benchmark']}: n/a ({row['error']})")
        elif row["status"] != "ok":
            self.console.print(
                f"[red]{row['method']} on {row['benchmark']} failed:[/] {row['error']}"
            )
        self.progress.advance(self.grid_task)


def summary_table(rows: list[dict], title: str = "results") -> Table:
    """A rich table with one line per row (ΔMag, ESS fraction, log-Z error, times, status)."""
    table = Table(title=title)
    for header, _, _ in SUMMARY_COLUMNS:
        table.add_column(header, justify="left" if header in ("benchmark", "method") else "right")
    for row in rows:
        cells = []
        for _, key, fmt in SUMMARY_COLUMNS:
            value = row.get(key)
            cells.append("—" if value is None else fmt.format(value))
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
