"""The results store: a directory of one JSON file per finished run, plus a CSV export.

``<dir>/rows/<sha256(run_key)[:16]>.json`` is written atomically (temp file + ``os.replace``)
as soon as a run finishes, so an interrupted grid (Ctrl-C, crash) keeps every finished row and
the next run skips them (:meth:`ResultStore.done_keys`).  Successful rows are never overwritten;
a failed row is replaced when its run is retried.  A row file that cannot be read (empty,
truncated, not a row) is skipped with a warning naming it, so one bad file does not break every
command; its run counts as not done.  ``<dir>/results.csv`` is regenerated from the rows by
:meth:`ResultStore.export_csv`.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

from leapsbench.atomic import atomic_write_text

from .runner import ROW_KEYS

DEFAULT_RESULTS_DIR = Path("results") / "runs"


def read_row(path: Path) -> dict | None:
    """The row stored in ``path``, or None (with a warning naming the file) if it is unreadable."""
    try:
        row = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        warnings.warn(f"skipping unreadable result row {path}: {err}", stacklevel=2)
        return None
    if not isinstance(row, dict) or "run_key" not in row:
        warnings.warn(f"skipping {path}: not a result row (no run_key)", stacklevel=2)
        return None
    return row


def _read_rows(paths) -> list[dict]:
    return [row for row in map(read_row, paths) if row is not None]


class ResultStore:
    """Append-only rows under ``directory`` (module docstring)."""

    def __init__(self, directory: Path | str = DEFAULT_RESULTS_DIR):
        self.directory = Path(directory)
        self.rows_dir = self.directory / "rows"

    def _path(self, key: str) -> Path:
        return self.rows_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def add(self, row: dict) -> Path:
        """Write ``row`` atomically; a finished (status ok) row already stored is kept."""
        path = self._path(row["run_key"])
        stored = read_row(path) if path.is_file() else None
        if stored is not None and stored.get("status") == "ok":
            return path
        atomic_write_text(path, json.dumps(row, sort_keys=True, default=str) + "\n")
        return path

    def rows(self) -> list[dict]:
        """Every readable stored row, oldest first (unreadable files: see the module docstring)."""
        if not self.rows_dir.is_dir():
            return []
        rows = _read_rows(self.rows_dir.glob("*.json"))
        return sorted(rows, key=lambda r: (r.get("finished_at") or "", r["run_key"]))

    def done_keys(self) -> set[str]:
        """Run keys of the rows that finished (successfully, or as not applicable)."""
        return {r["run_key"] for r in self.rows() if r.get("status") in ("ok", "n/a")}

    def export_csv(self) -> Path:
        """Write ``results.csv`` (one line per row, columns :data:`ROW_KEYS`) atomically."""
        import pandas as pd

        frame = pd.DataFrame(self.rows(), columns=list(ROW_KEYS))
        path = self.directory / "results.csv"
        atomic_write_text(path, frame.to_csv(index=False))
        return path


def load_rows(source: Path | str) -> list[dict]:
    """Rows from a store directory, a directory of row JSON files, or a .csv/.json file.

    A ValueError says so when ``source`` holds no rows.
    """
    source = Path(source)
    if source.is_dir():
        if (source / "rows").is_dir():
            rows = ResultStore(source).rows()
        elif (source / "results.csv").is_file():
            rows = load_rows(source / "results.csv")
        else:
            rows = _read_rows(sorted(source.glob("*.json")))
    elif source.is_file() and source.suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(source)
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    elif source.is_file():
        data = json.loads(source.read_text())
        rows = data if isinstance(data, list) else [data]
    else:
        raise ValueError(f"no results at {source}: expected a results directory or a .csv/.json")
    if not rows:
        raise ValueError(f"no result rows in {source}")
    return rows
