"""The results store: a directory of one JSON file per finished run, plus a CSV export.

``<dir>/rows/<sha256(run_key)[:16]>.json`` is written atomically (temp file + ``os.replace``)
as soon as a run finishes, so an interrupted grid (Ctrl-C, crash) keeps every finished row and
the next run skips them (:meth:`ResultStore.done_keys`).  Successful rows are never overwritten
by a run of the same code (``leapsbench rescore`` rewrites their reference columns only); a
failed row is replaced when its run is retried.  A row file that cannot be read (empty,
truncated, not a row) is skipped with a warning naming it, so one bad file does not break every
command; its run counts as not done.  So is a row that breaks a rule of
:mod:`.validate` (a negative ESS, a NaN, an unknown status, a newer schema), naming the
field.  ``<dir>/results.csv`` is regenerated from the rows by
:meth:`ResultStore.export_csv`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

from leapsbench.atomic import atomic_write_text

from .rows import ROW_KEYS
from .validate import validate_row

DEFAULT_RESULTS_DIR = Path("results") / "runs"


def row_problem(row) -> str | None:
    """Why ``row`` is not a usable result row (:func:`.validate.validate_row`), or None."""
    problems = validate_row(row)
    return "; ".join(problems) if problems else None


def valid_rows(rows, where) -> list[dict]:
    """The usable rows of ``rows``; each other one is skipped with a warning naming ``where``."""
    out = []
    for index, row in enumerate(rows):
        problem = row_problem(row)
        if problem is None:
            out.append({**dict.fromkeys(ROW_KEYS), **row})  # older schema: new columns None
        else:
            place = where if len(rows) == 1 else f"{where} (entry {index})"
            warnings.warn(f"skipping {place}: {problem}", stacklevel=3)
    return out


def read_row(path: Path) -> dict | None:
    """The row stored in ``path``, or None (with a warning naming the file) if it is unreadable."""
    try:
        row = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        warnings.warn(f"skipping unreadable result row {path}: {err}", stacklevel=2)
        return None
    rows = valid_rows([row], path)
    return rows[0] if rows else None


def _read_rows(paths) -> list[dict]:
    return [row for row in map(read_row, paths) if row is not None]


class ResultStore:
    """Append-only rows under ``directory`` (module docstring)."""

    def __init__(self, directory: Path | str = DEFAULT_RESULTS_DIR):
        self.directory = Path(directory)
        self.rows_dir = self.directory / "rows"

    def _check_rows_dir(self) -> bool:
        """Whether ``rows/`` exists; a ValueError names it when it is not a directory (a file,
        a symlink loop or a dangling link), which would otherwise read as an empty store."""
        rows = self.rows_dir
        try:
            if rows.is_dir():
                return True
            if not rows.exists() and not rows.is_symlink():
                return False
            os.stat(rows)  # a symlink loop or a dangling link raises here
            kind = "a file"
        except OSError as err:
            kind = f"unusable: {err.strerror}"
        raise ValueError(
            f"{rows} is not a directory ({kind}); the results store {self.directory} keeps its "
            "rows in a directory rows/ of JSON files: move it away or choose another --results"
        )

    def _path(self, key: str) -> Path:
        return self.rows_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def add(self, row: dict) -> Path:
        """Write ``row`` atomically; a finished (status ok) row already stored is kept unless
        other code computed it (its ``code_hash`` differs: a recomputed stale row replaces it).

        If the store cannot be written the row is not lost: it goes to a file in the system's
        temporary directory and a RuntimeError names both places.
        """
        self._check_rows_dir()
        path = self._path(row["run_key"])
        stored = read_row(path) if path.is_file() else None
        same_code = stored is not None and stored.get("code_hash") == row.get("code_hash")
        if same_code and stored.get("status") == "ok":
            return path
        text = json.dumps(row, sort_keys=True, default=str) + "\n"
        try:
            atomic_write_text(path, text)
        except OSError as err:
            fallback = Path(tempfile.mkdtemp(prefix="leapsbench-unsaved-")) / path.name
            fallback.write_text(text)
            raise RuntimeError(
                f"could not write the result row to {path} ({err}); it was saved to {fallback}"
                f" instead: copy it into {self.rows_dir} once the store is writable"
            ) from err
        return path

    def replace(self, row: dict) -> Path:
        """Write ``row`` over the stored row of its run key, atomically: for a row scored again
        against a better reference (:mod:`.rescore`), its estimates unchanged."""
        self._check_rows_dir()
        path = self._path(row["run_key"])
        atomic_write_text(path, json.dumps(row, sort_keys=True, default=str) + "\n")
        return path

    def rows(self) -> list[dict]:
        """Every readable stored row, oldest first (unreadable files: see the module docstring)."""
        if not self._check_rows_dir():
            return []
        rows = _read_rows(self.rows_dir.glob("*.json"))
        return sorted(rows, key=lambda r: (r.get("finished_at") or "", r["run_key"]))

    def done_rows(self) -> dict[str, dict]:
        """Run key → row of the rows that finished (successfully, or as not applicable)."""
        return {r["run_key"]: r for r in self.rows() if r.get("status") in ("ok", "n/a")}

    def done_keys(self) -> set[str]:
        """Run keys of the rows that finished (successfully, or as not applicable)."""
        return set(self.done_rows())

    def export_csv(self) -> Path:
        """Write ``results.csv`` (one line per row, columns :data:`ROW_KEYS`) atomically."""
        import pandas as pd

        frame = pd.DataFrame(self.rows(), columns=list(ROW_KEYS))
        path = self.directory / "results.csv"
        atomic_write_text(path, frame.to_csv(index=False))
        return path


def load_rows(source: Path | str) -> list[dict]:
    """Rows from a store directory, a directory of row JSON files, or a .csv/.json file.

    Entries that are not result rows are skipped with a warning naming the file; a ValueError
    says so when ``source`` holds no rows at all or cannot be read as results.
    """
    source = Path(source)
    if source.is_dir():
        if os.path.lexists(source / "rows"):  # a bad rows/ is named, not read as no rows
            rows = ResultStore(source).rows()
        elif (source / "results.csv").is_file():
            rows = load_rows(source / "results.csv")
        else:
            rows = _read_rows(sorted(source.glob("*.json")))
    elif source.is_file():
        rows = valid_rows(_read_file(source), source)
    else:
        raise ValueError(f"no results at {source}: expected a results directory or a .csv/.json")
    if not rows:
        raise ValueError(
            f"no result rows in {source}: expected a results store (a directory with rows/ or "
            "results.csv) or a .csv/.json of rows with run_key, benchmark, method, seed, status"
        )
    return rows


def _read_file(source: Path) -> list:
    """The entries of a .csv or .json file of rows; a ValueError names a file it cannot read."""
    try:
        if source.suffix == ".csv":
            import pandas as pd

            frame = pd.read_csv(source)
            return frame.astype(object).where(frame.notna(), None).to_dict("records")
        data = json.loads(source.read_text())
    except (UnicodeDecodeError, ValueError) as err:  # pandas' parser errors are ValueErrors
        kind = "CSV" if source.suffix == ".csv" else "JSON"
        raise ValueError(f"cannot read {source} as {kind} result rows: {err}") from None
    return data if isinstance(data, list) else [data]
