"""Validation of result rows and reference files read from disk (written by anyone).

A row (:func:`validate_row`) or a reference entry (:func:`read_reference`) that breaks a rule
is skipped with a warning naming the file and the field, never averaged into a table:

* rows: the key fields present, ``status`` one of :data:`STATUSES`, every number finite, the
  counts, times, error bars and ESS >= 0, ESS <= n_samples and ESS/n <= 1 (τ_int >= 1 and Kish
  ESS <= n), ``schema_version`` at most :data:`ROW_SCHEMA_VERSION` (a row without one is a
  version-1 row: read, its missing columns None);
* references: a JSON object whose ``mag`` / ``log_z`` entries, where present, are objects with a
  finite ``value`` and a finite ``error`` >= 0 (missing or null error: 0).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

from .rows import ROW_SCHEMA_VERSION

STATUSES = ("ok", "n/a", "error")
REQUIRED_KEYS = ("run_key", "benchmark", "method", "seed", "status")
"""A row without any of these cannot be grouped, counted or judged: it is skipped."""
FINITE_KEYS = ("seed", "mag", "mag_ref", "log_z", "log_z_ref", "energy", "energy_ref")
NON_NEGATIVE_KEYS = (
    "mag_err",
    "mag_ref_err",
    "delta_mag",
    "energy_err",
    "energy_ref_err",
    "delta_energy",
    "overlap_q2",
    "overlap_q2_err",
    "overlap_q2_ref",
    "overlap_q2_ref_err",
    "delta_overlap_q2",
    "ess",
    "ess_fraction",
    "ess_per_second",
    "log_z_err",
    "log_z_error",
    "log_z_error_per_site",
    "train_seconds",
    "sample_seconds",
    "total_seconds",
    "cpu_seconds",
    "budget_seconds",
    "n_samples",
    "n_evaluations",
    "n_network_evaluations",
    "n_energy_evaluations",
    "n_train_evaluations",
    "param_count",
    "n_islands",
    "n_islands_effective",
)
"""Numbers that must be finite and >= 0 where present (None: does not apply)."""
REFERENCE_KEYS = ("mag", "log_z", "energy_per_site", "overlap_q2")


def _number(value) -> float | None:
    """``value`` as a float, or None when it is not a number (bool is not one)."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _number_problems(row: dict) -> list[str]:
    problems = []
    for key in FINITE_KEYS + NON_NEGATIVE_KEYS:
        value = row.get(key)
        if value is None:
            continue
        number = _number(value)
        if number is None:
            problems.append(f"non-numeric {key}={value!r}")
        elif not math.isfinite(number):
            problems.append(f"non-finite {key}={value!r} (must be a finite number)")
        elif key in NON_NEGATIVE_KEYS and number < 0:
            problems.append(f"negative {key}={value!r} (must be >= 0)")
    return problems


def _ess_problems(row: dict) -> list[str]:
    ess, n = _number(row.get("ess")), _number(row.get("n_samples"))
    fraction = _number(row.get("ess_fraction"))
    problems = []
    if ess is not None and n is not None and ess > n * (1 + 1e-9):
        problems.append(f"ess={row['ess']!r} exceeds n_samples={row['n_samples']!r}")
    if fraction is not None and fraction > 1 + 1e-9:
        problems.append(f"ess_fraction={row['ess_fraction']!r} exceeds 1")
    return problems


def validate_row(row) -> list[str]:
    """Every rule (module docstring) that ``row`` breaks, each naming the field; [] if none."""
    if not isinstance(row, dict):
        return [f"not a result row (a {type(row).__name__})"]
    missing = [key for key in REQUIRED_KEYS if row.get(key) is None]
    if missing:
        return [f"not a result row (no {', '.join(missing)})"]
    version = row.get("schema_version")
    if version is not None and (_number(version) is None or not 1 <= _number(version)):
        return [f"schema_version={version!r} is not a row schema version (1, 2, ...)"]
    if version is not None and _number(version) > ROW_SCHEMA_VERSION:
        return [
            f"schema_version={version!r} is newer than this leapsbench reads (at most "
            f"{ROW_SCHEMA_VERSION}): upgrade leapsbench to read it"
        ]
    problems = []
    if row["status"] not in STATUSES:
        problems.append(f"status={row['status']!r} is not one of {', '.join(STATUSES)}")
    return problems + _number_problems(row) + _ess_problems(row)


def _entry(data: dict, key: str, path) -> tuple[float, float, str] | None:
    """(value, error, method) of reference entry ``key``, None (warned) if it is invalid."""
    entry = data.get(key)
    if entry is None or (isinstance(entry, dict) and entry.get("value") is None):
        return None
    if not isinstance(entry, dict):
        warnings.warn(
            f"ignoring {key} of reference {path}: not an object ({entry!r})", stacklevel=3
        )
        return None
    value, error = _number(entry["value"]), _number(entry.get("error") or 0.0)
    for field, raw, number, low in (
        ("value", entry["value"], value, -math.inf),
        ("error", entry.get("error"), error, 0.0),
    ):
        if number is None or not math.isfinite(number) or number < low:
            rule = "a finite number" + (" >= 0" if low == 0.0 else "")
            warnings.warn(
                f"ignoring {key} of reference {path}: {key}.{field}={raw!r} is not {rule}",
                stacklevel=3,
            )
            return None
    return value, error, str(entry.get("method", "stored"))


def read_reference(path) -> dict[str, tuple[float, float, str]]:
    """The valid entries {key: (value, error, method)} (:data:`REFERENCE_KEYS`) of the reference
    file at ``path`` ({} if there is none); a file that is not a JSON object, or an invalid
    entry, is skipped with a warning naming the file and the field (never a traceback)."""
    path = path if hasattr(path, "read_text") else Path(path)  # a Path or a package resource
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        warnings.warn(f"ignoring unreadable reference {path}: {err}", stacklevel=2)
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        warnings.warn(f"ignoring reference {path}: a JSON {kind}, not an object", stacklevel=2)
        return {}
    entries = {key: _entry(data, key, path) for key in REFERENCE_KEYS}
    return {key: entry for key, entry in entries.items() if entry is not None}
