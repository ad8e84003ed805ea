"""Result tables: one pivot per benchmark, rows methods, columns ΔMag / ESS / log-Z error / time
(spin glasses: ΔE and, where a ⟨q²⟩ reference and estimate exist, Δq² in ΔMag's place).

Runs are grouped by (benchmark, method, variant, budget, backend, device, dtype) — a float32 and a
float64 run, or runs at 1 s and at 10 s, are two cells, never two "seeds" of one — and the method
label names the variant, budget, backend, device and dtype whenever they vary within a benchmark (a
device still ``default``, of a run that stopped before its backend was resolved, is no variation).
Each cell is the mean over the group's distinct seeds (a seed stored twice counts once, its newest
row) ± the standard error std/√n (n ≥ 2 seeds); with one seed the run's own error bar is shown
(ΔMag: √(σ_m² + σ_ref²), log-Z error: σ_logẐ). The best value of each column at each budget is
marked (lowest ΔMag, log-Z error and time; highest ESS); training time is shown and compared only
for methods with parameters (or a declared training time).  Rows scored from files
(``leapsbench score``, ``source`` "external") carry a declared cost or none: a declared time is
shown marked "(declared)" and, like an unknown one, is never marked best.  A cell any of whose
runs is unreliable (:mod:`.reliability`: ESS < 10, or island error bars on too few islands)
shows its value without ±, marked "(unreliable)", is never marked best, and an "unreliable"
column (shown when a cell is) says why. The budget label is
``T=10 s`` for a total time budget, the budget's keys otherwise, ``preset`` for none (rows stored
before budgets were recorded: ``preset`` when their run key's hash says so, else ``budget?``). Rows
follow the method registry's order. Runs of the LEAPS authors' trained network (``source``
"authors", ``leapsbench run --checkpoint``) are their own variant, labelled ``leaps-conv (authors'
checkpoint)``, with training time "not ours" (their training, not timed here). For the six paper
benchmarks the paper's ΔMag is shown beside ours (:mod:`leapsbench.harness.paper`). LaTeX output
is pdflatex-safe (Δ and — become math and dashes).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from .graph_benchmarks import is_spin_glass_name
from .methods import ALL_METHODS
from .paper import PAPER_DELTA_MAG
from .reliability import unreliable_reason

COLUMNS = (
    # (header, row key, lower is better, own-error key)
    ("ΔMag", "delta_mag", True, "delta_mag_own_err"),
    ("ΔE", "delta_energy", True, "delta_energy_own_err"),
    ("Δq²", "delta_overlap_q2", True, "delta_overlap_q2_own_err"),
    ("ESS", "ess", False, None),
    ("ESS/n", "ess_fraction", False, None),
    ("log-Z err", "log_z_error", True, "log_z_err"),
    ("train s", "train_seconds", True, None),
    ("sample s", "sample_seconds", True, None),
    ("ESS/s", "ess_per_second", False, None),
)
SUMMARY_ONLY = (
    ("total s", "total_seconds", True, None),
    ("budget s", "budget_seconds", True, None),
    ("cpu s", "cpu_seconds", True, None),
    ("evaluations", "n_evaluations", True, None),
    ("total evaluations", "n_total_evaluations", True, None),
)
"""Summarised (for :mod:`.compare`) but not displayed."""
FORMATS = ("markdown", "csv", "latex")
GROUP = ("benchmark", "method", "variant", "budget_label", "backend", "device", "dtype")
"""The columns that tell runs apart; runs equal on all of them differ only in seed."""


NOT_OURS = "not ours"
"""The training-time cell of a run whose network was trained elsewhere (the authors')."""


def method_label(method: str, source) -> str:
    """``method``, or ``method (authors' checkpoint)`` for a run of the authors' network."""
    return f"{method} (authors' checkpoint)" if source == "authors" else str(method)


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def _total_evaluations(row: dict) -> float:
    """Sampling + training evaluations (NaN when the training's are not known)."""
    trains = (_number(row.get("param_count")) or 0) > 0 or row.get("source") == "plugin"
    training = row.get("n_train_evaluations") if trains else 0  # a plug-in's: 0, a count or None
    return _number(row.get("n_evaluations")) + _number(training)


def _column(frame: pd.DataFrame, key: str) -> pd.Series:
    """``frame[key]`` as floats (NaN for None), all NaN when rows lack the key (older rows)."""
    return frame[key].map(_number) if key in frame else pd.Series(np.nan, index=frame.index)


def shown_columns(bench: str) -> tuple:
    """The :data:`COLUMNS` a benchmark's table shows: for a spin glass (``ea-…``, ``ea3d-…``,
    ``rrg-…``: m is not its order parameter) the energy error ΔE and the overlap's Δq² in ΔMag's
    place, ΔMag otherwise."""
    spin_glass = is_spin_glass_name(bench)
    hidden = ("delta_mag",) if spin_glass else ("delta_energy", "delta_overlap_q2")
    return tuple(column for column in COLUMNS if column[1] not in hidden)


def _add_own_errors(frame: pd.DataFrame) -> None:
    """ΔMag's, ΔE's and Δq²'s own error bars, √(σ² + σ_ref²), as columns ``delta_*_own_err``."""
    pairs = (("delta_mag", "mag"), ("delta_energy", "energy"), ("delta_overlap_q2", "overlap_q2"))
    for delta, estimate in pairs:
        frame[f"{delta}_own_err"] = np.hypot(
            _column(frame, f"{estimate}_err"), _column(frame, f"{estimate}_ref_err").fillna(0.0)
        )


def summarise(rows: list[dict]) -> pd.DataFrame:
    """Mean and error over seeds per :data:`GROUP`; failed runs keep a status.

    ``n_seeds`` counts the distinct seeds among the group's successful runs (rows are taken in
    the order given, the store's oldest first, so a repeated seed keeps its newest row).
    """
    frame = pd.DataFrame(rows)
    frame["variant"] = [_variant(r) for r in rows]
    frame["budget_label"] = [budget_label(r) for r in rows]
    frame["unreliable"] = [unreliable_reason(r) for r in rows]
    frame["n_total_evaluations"] = [_total_evaluations(r) for r in rows]
    for _, key, _, _ in COLUMNS + SUMMARY_ONLY:
        frame[key] = frame[key].map(_number) if key in frame else np.nan
    _add_own_errors(frame)
    frame["log_z_err"] = frame["log_z_err"].map(_number)
    for column in GROUP:
        frame[column] = frame[column].fillna("—").astype(str) if column in frame else "—"
    out = []
    for group_key, group in frame.groupby(list(GROUP), sort=False):
        ok = group[group["status"] == "ok"].drop_duplicates("seed", keep="last")
        record = dict(zip(GROUP, group_key, strict=True))
        record["n_seeds"] = len(ok)
        record["source"] = group["source"].iloc[0] if "source" in group else None
        errors = group.loc[~group["status"].isin(("ok", "n/a")), "error"]
        not_applicable = group.loc[group["status"] == "n/a", "error"]
        record["status"] = "ok" if errors.empty else f"{len(errors)} failed: {errors.iloc[0]}"
        if errors.empty and not not_applicable.empty:
            record["status"] = f"n/a: {not_applicable.iloc[0]}"
        record["cost_declared"], trains = _cost_kind(group)
        for _, key, _, own in COLUMNS + SUMMARY_ONLY:
            values = ok[key].dropna() if trains or key != "train_seconds" else ok[key].iloc[:0]
            record[key] = values.mean() if len(values) else np.nan
            if len(values) >= 2:
                record[f"{key}_err"] = values.std(ddof=1) / math.sqrt(len(values))
            elif len(values) == 1 and own is not None:
                record[f"{key}_err"] = ok.loc[values.index, own].iloc[0]
            else:
                record[f"{key}_err"] = np.nan
        flagged = ok["unreliable"].dropna()
        record["unreliable"] = (
            f"unreliable in {len(flagged)}/{len(ok)} seeds ({flagged.iloc[0]})"
            if len(flagged)
            else None
        )
        record["paper_delta_mag"] = PAPER_DELTA_MAG.get(record["benchmark"], np.nan)
        out.append(record)
    summary = pd.DataFrame(out)
    registry = {name: k for k, name in enumerate(ALL_METHODS)}
    benchmarks = {name: k for k, name in enumerate(frame["benchmark"].unique())}
    order = sorted(
        summary.index,
        key=lambda k: (
            benchmarks[summary.at[k, "benchmark"]],
            _budget_order(summary.loc[k]),
            registry.get(summary.at[k, "method"], len(registry)),
        ),
    )
    return summary.loc[order].reset_index(drop=True)


def _cost_kind(group: pd.DataFrame) -> tuple[bool, bool]:
    """(declared?, trains?) of a group: a declared cost (a scored file's), and whether training
    time is shown (the method has parameters, declared a training time, or is a plug-in that
    trains: its ``n_train_evaluations`` is not 0)."""
    declared = "cost_declared" in group and bool(group["cost_declared"].fillna(False).any())
    trains = "param_count" in group and _number(group["param_count"].iloc[0]) > 0
    if "source" in group and (group["source"] == "plugin").any():  # a count, or None: it trained
        trains = trains or bool((group["n_train_evaluations"].map(_number) != 0).any())
    return declared, bool(trains or (declared and group["train_seconds"].notna().any()))


def _budget_order(record) -> tuple:
    """Cells without a time budget first, then by increasing seconds."""
    seconds = record["budget_seconds"]
    return (0, 0.0, record["budget_label"]) if np.isnan(seconds) else (1, seconds, "")


UNKNOWN_COST = "cost unknown"
"""The budget label of a scored file without a declared time (``leapsbench score``)."""


def budget_label(row: dict) -> str:
    """``T=10 s``, ``n_samples=4000 train_steps=300``, ``preset`` (no budget), ``budget?``
    (a row stored before budgets were recorded whose run key does not match an empty one) or
    :data:`UNKNOWN_COST` (a scored file that declared no time)."""
    budget = row.get("budget")
    if row.get("source") == "external" and budget in (None, "{}", {}):
        return UNKNOWN_COST
    if budget is None:
        return "preset" if _key_has_no_budget(row) else "budget?"
    budget = json.loads(budget) if isinstance(budget, str) else dict(budget)
    if not budget:
        return "preset"
    if "seconds" in budget:
        share = budget.get("train_share")
        return f"T={budget['seconds']:g} s" + ("" if share is None else f" share={share:g}")
    return " ".join(f"{k}={v:g}" for k, v in sorted(budget.items()))


def _key_has_no_budget(row: dict) -> bool:
    from .rows import config_hash

    overrides = row.get("overrides") or "{}"
    overrides = json.loads(overrides) if isinstance(overrides, str) else overrides
    expected = config_hash({"overrides": overrides, "budget": {}})
    return str(row.get("run_key", "")).endswith(expected)


def _variant(row: dict) -> str:
    """``preset`` plus the ``--set`` overrides, e.g. ``quick n_steps=50``."""
    overrides = row.get("overrides") or "{}"
    overrides = json.loads(overrides) if isinstance(overrides, str) else overrides
    source = row.get("source")
    source = [f"source={source}"] if source and source != row.get("preset") else []
    settings = [f"{k}={v}" for k, v in sorted(overrides.items())]
    return " ".join([str(row.get("preset")), *settings, *source])


UNRELIABLE = " (unreliable)"
DECLARED = " (declared)"
COST_KEYS = ("train_seconds", "sample_seconds", "ess_per_second")
"""Columns that measure cost: a declared (not measured) cost, of a scored file, is shown marked
:data:`DECLARED` and never ranked; an unknown one is "—" and never ranked."""


def _cell(value: float, err: float) -> str:
    if not np.isfinite(value):
        return "—"
    if np.isfinite(err) and err > 0:
        return f"{value:.3g} ± {err:.1g}"
    return f"{value:.3g}"


def benchmark_table(summary: pd.DataFrame, bench: str, mark=("**", "**")) -> pd.DataFrame:
    """The display table of one benchmark: formatted cells, best per column wrapped in ``mark``."""
    part = summary[summary["benchmark"] == bench]
    labels = [method_label(m, src) for m, src in zip(part["method"], part["source"], strict=True)]
    for key in GROUP[2:]:
        known = part[key][part[key] != "default"]  # a run that stopped before its device resolved
        if known.nunique() > 1:
            labels = [
                label if v == "default" else f"{label} ({v})"
                for label, v in zip(labels, part[key], strict=True)
            ]
    table = pd.DataFrame(index=pd.Index(labels, name="method"))
    flagged = part["unreliable"].notna().to_numpy()
    for header, key, lower, own in shown_columns(bench):  # own: an estimate with an error bar
        if key == "delta_overlap_q2" and not np.isfinite(part[key].to_numpy(dtype=float)).any():
            continue  # no ⟨q²⟩ reference, or no sampler gave ⟨q²⟩
        cells = _column_cells(part, key, lower, own is not None, flagged, mark)
        table[header] = cells
        if key == "delta_mag" and np.isfinite(part["paper_delta_mag"]).any():
            table["paper ΔMag (LEAPS)"] = [_cell(v, np.nan) for v in part["paper_delta_mag"]]
    table["seeds"] = part["n_seeds"].to_numpy()
    table["status"] = part["status"].to_numpy()
    if flagged.any():
        table["unreliable"] = ["" if pd.isna(r) else r for r in part["unreliable"]]
    return table


def _column_cells(part, key: str, lower: bool, estimate: bool, flagged, mark) -> list[str]:
    """One column's cells: value ± error; an unreliable estimate without ± and never best;
    training time "not ours" for an imported network; the best at each budget in ``mark``."""
    values = part[key].to_numpy(dtype=float)
    errors = part[f"{key}_err"].to_numpy(dtype=float)
    cells = [_cell(v, e) for v, e in zip(values, errors, strict=True)]
    if estimate:
        cells = [
            _cell(v, np.nan) + UNRELIABLE if bad and np.isfinite(v) else c
            for v, bad, c in zip(values, flagged, cells, strict=True)
        ]
    if key == "train_seconds":
        sources = part["source"]
        cells = [NOT_OURS if src == "authors" else c for c, src in zip(cells, sources, strict=True)]
    declared = np.zeros(len(part), bool)
    if key in COST_KEYS and "cost_declared" in part:
        declared = part["cost_declared"].fillna(False).to_numpy(dtype=bool)
        cells = [
            c + DECLARED if d and c != "—" else c for c, d in zip(cells, declared, strict=True)
        ]
    candidates = np.where((flagged & estimate) | declared, np.nan, values)
    for budget in part["budget_label"].unique():  # the best at each budget
        here = np.where(part["budget_label"].to_numpy() == budget, candidates, np.nan)
        if np.isfinite(here).sum() >= 2:
            best = np.nanargmin(here) if lower else np.nanargmax(here)
            cells[best] = f"{mark[0]}{cells[best]}{mark[1]}"
    return cells


def render(rows: list[dict], fmt: str = "markdown") -> str:
    """All benchmarks' tables as markdown (sections), LaTeX (tabulars) or one tidy CSV."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; choose from {', '.join(FORMATS)}")
    if not rows:
        raise ValueError("no result rows to tabulate")
    summary = summarise(rows)
    if fmt == "csv":
        return summary.to_csv(index=False)
    parts = []
    for bench in summary["benchmark"].unique():
        if fmt == "markdown":
            parts.append(f"### {bench}\n\n{_markdown(benchmark_table(summary, bench))}")
        else:
            table = benchmark_table(summary, bench, LATEX_BOLD)
            parts.append(f"% {bench}\n{_latex(table)}")
    return "\n\n".join(parts) + "\n"


def _markdown(table: pd.DataFrame) -> str:
    """A GitHub markdown table (no optional ``tabulate`` dependency)."""
    header = [table.index.name or ""] + list(table.columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, row in table.iterrows():
        lines.append("| " + " | ".join([str(label)] + [str(v) for v in row]) + " |")
    return "\n".join(lines)


LATEX_BOLD = (r"\textbf{", "}")
LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_"} | {"~": r"\textasciitilde{}", "^": r"\^{}"}
LATEX_UNICODE = {
    "—": "--",
    "–": "--",
    "−": "$-$",
    "±": r"$\pm$",
    "Δ": r"$\Delta$",
    "σ": r"$\sigma$",
    "β": r"$\beta$",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "√": r"$\surd$",
}
"""pdflatex-safe replacements: specials escaped first, then unicode symbols as math or dashes."""


def _tex(text) -> str:
    """``text`` for a pdflatex tabular (:data:`LATEX_SPECIAL`, then :data:`LATEX_UNICODE`); a cell
    wrapped in :data:`LATEX_BOLD` (the best of its column) keeps the wrapper."""
    text = str(text)
    start, end = LATEX_BOLD
    if text.startswith(start) and text.endswith(end):
        return start + _tex(text[len(start) : -len(end)]) + end
    text = "".join(LATEX_SPECIAL.get(c, c) for c in text)
    return "".join(LATEX_UNICODE.get(c, c) for c in text)


def _latex(table: pd.DataFrame) -> str:
    """A booktabs tabular (no jinja2 dependency), pdflatex-safe (:func:`_tex`)."""
    header = [table.index.name or ""] + list(table.columns)
    lines = [
        r"\begin{tabular}{l" + "r" * len(table.columns) + "}",
        r"\toprule",
        " & ".join(map(_tex, header)) + r" \\",
        r"\midrule",
    ]
    for label, row in table.iterrows():
        lines.append(" & ".join(_tex(v) for v in [label, *row]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)
