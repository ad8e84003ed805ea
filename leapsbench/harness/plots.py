"""Figures from result rows (matplotlib, imported lazily: ``pip install leapsbench[plot]``).

* ``delta_mag_ess_<benchmark>``: ΔMag and ESS fraction per method (mean over seeds, error bars);
* ``ess_trace_<benchmark>``: ESS/n over annealing time for methods whose diagnostics have an
  ``ess_fraction`` trace (LEAPS, AIS, SMC);
* ``mag_hist_<benchmark>``: the weighted histogram of m per method, with ⟨m⟩_ref as a line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .tables import summarise


def _pyplot():
    try:
        import matplotlib
    except ModuleNotFoundError as err:
        raise RuntimeError(
            "leapsbench plot needs matplotlib: pip install 'leapsbench[plot]'"
        ) from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _json(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def plot_results(rows: list[dict], outdir: Path | str, fmt: str = "png") -> list[Path]:
    """Write the figures (module docstring) for every benchmark in ``rows``; returns the paths."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown figure format {fmt!r}; choose from png, svg")
    plt = _pyplot()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    summary = summarise(rows)
    paths = []
    for bench in summary["benchmark"].unique():
        part = summary[(summary["benchmark"] == bench) & (summary["n_seeds"] > 0)]
        bench_rows = [r for r in rows if r["benchmark"] == bench and r["status"] == "ok"]
        if part.empty:
            continue
        labels = [f"{m}\n{b}" for m, b in zip(part["method"], part["backend"], strict=True)]
        fig, axes = plt.subplots(1, 2, figsize=(max(6, 0.9 * len(labels) + 2), 4))
        for ax, key, title in (
            (axes[0], "delta_mag", "ΔMag (lower is better)"),
            (axes[1], "ess_fraction", "ESS / n (higher is better)"),
        ):
            ax.bar(range(len(labels)), part[key].fillna(0.0), yerr=part[f"{key}_err"].fillna(0.0))
            ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=7)
            ax.set_title(title)
        fig.suptitle(bench)
        paths.append(_save(fig, outdir / f"delta_mag_ess_{bench}.{fmt}", plt))

        traces = [(r, _json(r["diagnostics"]).get("ess_fraction")) for r in bench_rows]
        traces = [(r, t) for r, t in traces if isinstance(t, list) and len(t) > 1]
        if traces:
            fig, ax = plt.subplots(figsize=(6, 4))
            for r, trace in traces:
                t = np.linspace(0, 1, len(trace))
                ax.plot(t, trace, label=f"{r['method']} ({r['backend']}, s{r['seed']})")
            ax.set(xlabel="annealing time t", ylabel="ESS / n", title=bench, ylim=(0, 1.05))
            ax.legend(fontsize=7)
            paths.append(_save(fig, outdir / f"ess_trace_{bench}.{fmt}", plt))

        fig, ax = plt.subplots(figsize=(6, 4))
        for r in bench_rows:
            hist = _json(r["mag_histogram"])
            if hist:
                ax.stairs(hist["density"], hist["edges"], label=f"{r['method']} s{r['seed']}")
        ref = bench_rows[0]["mag_ref"] if bench_rows else None
        if ref is not None:
            ax.axvline(ref, color="k", linestyle="--", label="⟨m⟩ reference")
        ax.set(xlabel="m", ylabel="density", title=bench)
        ax.legend(fontsize=6)
        paths.append(_save(fig, outdir / f"mag_hist_{bench}.{fmt}", plt))
    return paths


def _save(fig, path: Path, plt) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
