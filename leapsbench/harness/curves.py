"""Error against cost: the points of the curves and the "best method per budget" table.

The points are the cells of :func:`.tables.summarise` that have a total time budget T
(``budget_seconds``): one per benchmark × method (× variant, backend, device, dtype) × T, with
the mean over seeds of ΔMag, log-Z error, ESS/n, the seconds spent (``total_seconds``) and the
evaluations, each ± the standard error over seeds (std/√n; with one seed the run's own error bar).

The best method at a budget is the one with the lowest mean among the cells that are not
unreliable (:mod:`.reliability`) and ran at least :data:`MIN_SEEDS` seeds (fewer are listed, not
ranked); it is a "tie" with the runner-up when their difference is within
:data:`TIE_SIGMA` combined error bars, √(σ₁² + σ₂²).  A scored file's row (``leapsbench score``)
is a point only when it declared its seconds, at T = those seconds, and is named "(declared
cost)": its time was not measured here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .graph_benchmarks import is_spin_glass_name
from .tables import summarise

METRICS = (("ΔMag", "delta_mag"), ("log-Z err", "log_z_error"))
SPIN_GLASS_METRICS = (("ΔE", "delta_energy"), ("log-Z err", "log_z_error"))
"""A spin glass (``ea-…``) is ranked by ΔE in ΔMag's place, as its tables show."""
MIN_SEEDS = 3
TIE_SIGMA = 2.0


def curve_points(rows: list[dict]) -> pd.DataFrame:
    """The summary cells with a time budget and at least one successful seed."""
    if not rows:
        raise ValueError("no result rows to draw curves from")
    summary = summarise(rows)
    timed = summary["budget_seconds"].notna() & (summary["n_seeds"] > 0)
    return summary[timed].reset_index(drop=True)


def _best(cells: pd.DataFrame, key: str) -> str:
    """``method value ± err`` of the best ranked cell, ``tie with`` the runner-up when close."""
    ranked = cells[
        cells["unreliable"].isna() & (cells["n_seeds"] >= MIN_SEEDS) & np.isfinite(cells[key])
    ].sort_values(key)
    if ranked.empty:
        return "—"
    first = ranked.iloc[0]
    text = f"{_label(first)} {_value(first, key)}"
    if len(ranked) > 1:
        second = ranked.iloc[1]
        sigma = math.hypot(_finite(first[f"{key}_err"]), _finite(second[f"{key}_err"]))
        if second[key] - first[key] <= TIE_SIGMA * sigma:
            text += f" (tie with {_label(second)} {_value(second, key)})"
    return text


def _label(cell) -> str:
    """The method, marked when its time is declared (a scored file), not measured here."""
    return (
        f"{cell['method']} (declared cost)"
        if bool(cell.get("cost_declared", False))
        else cell["method"]
    )


def _finite(value) -> float:
    return float(value) if value is not None and np.isfinite(value) else 0.0


def _value(cell, key: str) -> str:
    err = cell[f"{key}_err"]
    if np.isfinite(err) and err > 0:
        return f"{cell[key]:.3g} ± {err:.1g}"
    return f"{cell[key]:.3g}"


def best_per_budget(points: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark × budget: the best method for each of :data:`METRICS` (spin
    glasses: :data:`SPIN_GLASS_METRICS`), and the methods left out of the ranking (unreliable or
    too few seeds)."""
    out = []
    for (bench, seconds), cells in points.groupby(["benchmark", "budget_seconds"], sort=False):
        record = {"benchmark": bench, "budget": f"{seconds:g} s"}
        for header, key in SPIN_GLASS_METRICS if is_spin_glass_name(bench) else METRICS:
            record[f"best {header}"] = _best(cells, key)
        left_out = cells[cells["unreliable"].notna() | (cells["n_seeds"] < MIN_SEEDS)]
        record["not ranked"] = ", ".join(
            f"{m} ({'unreliable' if pd.notna(u) else f'{n} seed' + 's' * (n != 1)})"
            for m, u, n in zip(
                left_out["method"], left_out["unreliable"], left_out["n_seeds"], strict=True
            )
        )
        out.append(record)
    frame = pd.DataFrame(out)
    return frame.sort_values(["benchmark", "budget"], key=_budget_sort_key, kind="stable")


def _budget_sort_key(column: pd.Series) -> pd.Series:
    if column.name == "budget":
        return column.str.removesuffix(" s").astype(float)
    return column.map({b: k for k, b in enumerate(column.unique())})


def render_best(points: pd.DataFrame) -> str:
    """The best-method-per-budget table as markdown."""
    table = best_per_budget(points)
    header = list(table.columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        cells = ("—" if pd.isna(row[c]) else str(row[c]) for c in header)  # a metric not ranked
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
