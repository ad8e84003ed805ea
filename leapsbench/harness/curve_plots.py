"""Figures of error against cost (matplotlib, imported lazily: ``pip install leapsbench[plot]``).

``curve_<benchmark>.<fmt>``: ΔMag, log-Z error and ESS/n against the cost (``x``: the wall
seconds spent, training + sampling; the process's CPU seconds; or the evaluations; mean over
seeds), log-log, one line per method (:func:`.curves.curve_points`), error
bars the standard error over seeds.  A point whose runs are unreliable (:mod:`.reliability`) is
drawn hollow and without error bar.  Results measured elsewhere are marks in their own units,
never placed on our CPU-seconds axis: the LEAPS paper listing's ΔMag is a horizontal dashed line
labelled :data:`.paper.PAPER_MARK_LABEL`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .curves import curve_points
from .paper import PAPER_DELTA_MAG, PAPER_MARK_LABEL
from .plots import _pyplot, _save

X_AXES = {
    "wall": ("total_seconds", "seconds spent (train + sample, wall clock)"),
    "cpu": ("cpu_seconds", "CPU seconds of the run's process"),
    "evaluations": ("n_evaluations", "evaluations (energy + network, sampling)"),
}
PANELS = (
    ("delta_mag", "ΔMag (lower is better)"),
    ("log_z_error", "log-Z error (lower is better)"),
    ("ess_fraction", "ESS / n (higher is better)"),
)


def plot_curves(
    rows: list[dict], outdir: Path | str, fmt: str = "png", x: str = "wall"
) -> list[Path]:
    """Write one curve figure per benchmark of ``rows`` (module docstring); returns the paths
    (``curve_<benchmark>.<fmt>``, or ``curve_<x>_<benchmark>.<fmt>`` for another ``x``)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown figure format {fmt!r}; choose from png, svg")
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; choose from {', '.join(X_AXES)}")
    x_key, x_label = X_AXES[x]
    points = curve_points(rows)
    plt = _pyplot()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for bench, part in points.groupby("benchmark", sort=False):
        fig, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4.2))
        palette = plt.get_cmap("tab20" if part["method"].nunique() > 10 else "tab10")
        colours = {m: palette(k % palette.N) for k, m in enumerate(part["method"].unique())}
        for ax, (key, title) in zip(axes, PANELS, strict=True):
            _panel(ax, part, key, colours, x_key)
            ax.set(title=title, xlabel=x_label)
            if key == "delta_mag" and bench in PAPER_DELTA_MAG:
                ax.axhline(PAPER_DELTA_MAG[bench], color="k", ls="--", lw=1, label=PAPER_MARK_LABEL)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6)
        fig.suptitle(f"{bench}: error against cost (hollow: unreliable, no error bar)")
        name = f"curve_{bench}" if x == "wall" else f"curve_{x}_{bench}"
        paths.append(_save(fig, outdir / f"{name}.{fmt}", plt))
    return paths


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
        ax.plot(x[shown], y[shown], "-", lw=1, color=colour, label=method)
        ax.errorbar(x[good], y[good], yerr=np.nan_to_num(err[good]), fmt="o", color=colour, ms=4)
        ax.plot(x[bad], y[bad], "o", mfc="none", color=colour, ms=6)
    ax.set_xscale("log")
    ax.set_yscale("log")
