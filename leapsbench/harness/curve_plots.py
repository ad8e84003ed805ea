"""Figures of error against cost (matplotlib, imported lazily: ``pip install leapsbench[plot]``).

``curve_<benchmark>.<fmt>``: ΔMag, log-Z error and ESS/n against the cost (``x``: the wall
seconds spent, training + sampling; the process's CPU seconds; or the evaluations, sampling +
training network passes, a point whose training count is unknown left out; mean over seeds),
log-log, one line per method (:func:`.curves.curve_points`), error bars the standard error over
seeds (a method with fewer than :data:`.curves.MIN_SEEDS` seeds says so in the legend).  A
point whose runs are unreliable (:mod:`.reliability`) is drawn hollow and without error bar.
Results measured elsewhere are marks in their own units, never placed on our CPU-seconds
axis: horizontal dashed lines for the LEAPS paper listing's ΔMag (:data:`.paper.PAPER_MARK_LABEL`)
and, given ``marks`` rows (runs of the authors' released checkpoints), a dotted line per
sampler setting at its ΔMag and log-Z error, labelled with the authors' training steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .curves import MIN_SEEDS, curve_points
from .graph_benchmarks import is_spin_glass_name
from .paper import PAPER_DELTA_MAG, PAPER_MARK_LABEL
from .plots import _pyplot
from .tables import summarise

X_AXES = {
    "wall": ("total_seconds", "seconds spent (train + sample, wall clock)"),
    "cpu": ("cpu_seconds", "CPU seconds of the run's process"),
    "evaluations": ("n_total_evaluations", "evaluations (sampling + training network passes)"),
}
PANELS = (
    ("delta_mag", "ΔMag (lower is better)"),
    ("log_z_error", "log-Z error (lower is better)"),
    ("ess_fraction", "ESS / n (higher is better)"),
)
SPIN_GLASS_PANELS = (("delta_energy", "ΔE (lower is better)"), *PANELS[1:])
"""A spin glass (``ea-…``) shows ΔE = |⟨e⟩ − e_ref| in ΔMag's place, as its tables do."""


def plot_curves(
    rows: list[dict],
    outdir: Path | str,
    fmt: str = "png",
    x: str = "wall",
    marks: list[dict] | None = None,
) -> list[Path]:
    """Write one curve figure per benchmark of ``rows`` (module docstring); returns the paths
    (``curve_<benchmark>.<fmt>``, or ``curve_<x>_<benchmark>.<fmt>`` for another ``x``).
    ``marks``: rows of runs of the authors' checkpoints, drawn as lines (:func:`authors_marks`)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown figure format {fmt!r}; choose from png, svg")
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; choose from {', '.join(X_AXES)}")
    x_key, x_label = X_AXES[x]
    points = curve_points(rows)
    authors = authors_marks(marks or [])
    plt = _pyplot()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for bench, part in points.groupby("benchmark", sort=False):
        panels = SPIN_GLASS_PANELS if is_spin_glass_name(bench) else PANELS
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 7))
        palette = plt.get_cmap("tab20" if part["method"].nunique() > 10 else "tab10")
        colours = {m: palette(k % palette.N) for k, m in enumerate(part["method"].unique())}
        for ax, (key, title) in zip(axes, panels, strict=True):
            _panel(ax, part, key, colours, x_key)
            ax.set(title=title, xlabel=x_label)
            _marks(ax, key, bench, authors.get(bench, []))
        _legend(fig, axes)
        fig.suptitle(f"{bench}: error against cost (hollow: unreliable, no error bar)")
        name = f"curve_{bench}" if x == "wall" else f"curve_{x}_{bench}"
        fig.savefig(outdir / f"{name}.{fmt}")
        plt.close(fig)
        paths.append(outdir / f"{name}.{fmt}")
    return paths


def _legend(fig, axes) -> None:
    """One legend for the figure, below the panels: every line of every panel, once."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(entries.values(), entries.keys(), loc="lower center", ncol=2, fontsize=7)
    rows = -(-len(entries) // 2)
    fig.tight_layout(rect=(0, 0.01 + 0.021 * rows, 1, 0.95))


def _marks(ax, key: str, bench: str, authors: list) -> None:
    """The results measured elsewhere, as horizontal lines: the paper listing's ΔMag (dashed)
    and the authors' checkpoint runs (dotted, grey shades)."""
    if key == "delta_mag" and bench in PAPER_DELTA_MAG:
        ax.axhline(PAPER_DELTA_MAG[bench], color="k", ls="--", lw=1, label=PAPER_MARK_LABEL)
    for k, (label, values) in enumerate(authors):
        if np.isfinite(values[key]) and values[key] > 0:
            ax.axhline(values[key], color=f"{0.2 + 0.15 * (k % 4):.2f}", ls=":", label=label)


def _panel(ax, part, key: str, colours: dict, x_key: str) -> None:
    """One line per method (its colour in every panel) on log-log axes; unreliable points
    hollow, without error bars."""
    for method, cells in part.groupby("method", sort=False):
        cells = cells.sort_values(x_key)
        x, y = cells[x_key].to_numpy(float), cells[key].to_numpy(float)
        shown = np.isfinite(x) & np.isfinite(y) & (y > 0)
        if not shown.any():
            continue
        bad = cells["unreliable"].notna().to_numpy() & shown
        good = shown & ~bad
        err = np.where(good, cells[f"{key}_err"].to_numpy(float), np.nan)
        colour = colours[method]
        label = method if cells["n_seeds"].min() >= MIN_SEEDS else f"{method} ({_seeds(cells)})"
        ax.plot(x[shown], y[shown], "-", lw=1, color=colour, label=label)
        ax.errorbar(x[good], y[good], yerr=np.nan_to_num(err[good]), fmt="o", color=colour, ms=4)
        ax.plot(x[bad], y[bad], "o", mfc="none", color=colour, ms=6)
    ax.set_xscale("log")
    ax.set_yscale("log")


def _seeds(cells) -> str:
    """How few seeds a method's points rest on, for its legend entry."""
    fewest = int(cells["n_seeds"].min())
    return f"{fewest} seed{'s' if fewest > 1 else ''}; error bar the run's own"


def authors_marks(rows: list[dict]) -> dict[str, list[tuple[str, dict]]]:
    """Per benchmark, ``(label, {metric: mean})`` for each sampler setting of the authors'
    checkpoint runs among ``rows`` that is reliable (:mod:`.reliability`); the label names the
    authors' training steps (their GPU training, not our seconds), the setting, the backend and
    the dtype (runs of one setting on two backends are two marks)."""
    ours = [r for r in rows if r.get("source") == "authors" and r.get("status") == "ok"]
    if not ours:
        return {}
    steps = {r["benchmark"]: json.loads(r.get("fit_info") or "{}").get("global_step") for r in ours}
    marks: dict[str, list] = {}
    for _, cell in summarise(ours).iterrows():
        if isinstance(cell["unreliable"], str) or cell["n_seeds"] == 0:
            continue
        trained = f"{steps[cell['benchmark']]:,} training steps" if steps[cell["benchmark"]] else ""
        setting = cell["variant"].removeprefix("quick ").replace(" source=authors", "")
        where = f"{cell['backend']} {cell['dtype']}"
        label = f"authors' checkpoint ({trained}, GPU): {setting}, {where}, {cell['budget_label']}"
        values = {key: float(cell[key]) for key, _ in PANELS}
        values["delta_energy"] = float(cell["delta_energy"])
        marks.setdefault(cell["benchmark"], []).append((label, values))
    return marks
