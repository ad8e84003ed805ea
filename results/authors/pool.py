"""Pool the seeds of each configuration (benchmark, backend, dtype, settings) in
results/authors/runs into one weighted sample, from the rows alone; seed s has n_s walkers:

    Ẑ = Σ_s n_s Ẑ_s / Σ_s n_s,  σ(Ẑ)/Ẑ = √(Σ_s (W_s σ_s)²) / Σ_s W_s   (σ_s: the row's error of
    log Ẑ_s),  W_s = n_s Ẑ_s  (the seed's total weight)
    ESS = (Σ_s W_s)² / Σ_s W_s²/ESS_s   (Kish over all walkers)
    ⟨m⟩ = Σ_s W_s m_s / Σ_s W_s,  σ² = Σ_s (W_s σ_{m,s})² / (Σ_s W_s)²

and, with S ≥ 5 seeds, how many seeds have log Ẑ_s above log Z (for an unbiased, right-skewed
Ẑ typically fewer than half) and the error of log Ẑ from the spread of the seeds' own estimates
(it needs no error bar from inside a seed, so it also holds for heavy-tailed weights and for SMC
islands), with var(Ẑ_s) = c / n_s and N = Σ_s n_s:

    c = Σ_s n_s (Ẑ_s − Ẑ)² / (S − 1),  σ(log Ẑ) = √(c / N) / Ẑ

The steps sweep (second table): the same pooling per (family, steps), family = the weighting and
what it adds (checkerboard sites, SMC islands, MCMC sweeps), with the cost per walker in CPU
seconds and network evaluations and

    CPU s for ±0.1 = (walkers · CPU s per walker) · (σ(log Ẑ) / 0.1)²,

the CPU time the same configuration needs for a log-Z error bar of 0.1 (the estimator's own
delta-method error, which understates the spread of heavy-tailed weights: read it with ESS/n).

    python results/authors/pool.py results/authors/runs
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np
from scipy.special import logsumexp

from leapsbench.harness.store import ResultStore


def _walkers(rows) -> str:
    sizes = sorted({r["n_samples"] for r in rows})
    if len(sizes) == 1:
        return f"{len(rows)} × {sizes[0]}"
    return f"{len(rows)} seeds, {sum(r['n_samples'] for r in rows)} walkers"


def _latest(rows) -> dict:
    """The newest row: its references are the current ones (a reference made more precise later
    is recorded only in the rows that ran after it)."""
    return max(rows, key=lambda r: r.get("finished_at") or "")


def pooled(rows) -> dict:
    """The seeds of one configuration pooled by the formulas of the module docstring."""
    log_z = np.array([r["log_z"] for r in rows])
    err = np.array([r["log_z_err"] for r in rows])
    n = np.array([r["n_samples"] for r in rows], dtype=float)
    ratio = np.exp(log_z - log_z.max())  # Ẑ_s up to a common factor
    w = n * ratio  # W_s up to the same factor
    mean_ratio = np.sum(n * ratio) / n.sum()
    spread = np.sum(n * (ratio - mean_ratio) ** 2) / (len(rows) - 1) if len(rows) >= 5 else np.nan
    return {
        "n": n.sum(),
        "seeds_err": np.sqrt(spread / n.sum()) / mean_ratio,
        "seeds_above": f"{int(np.sum(log_z > _latest(rows)['log_z_ref']))}/{len(rows)} seeds above",
        "log_z_error": logsumexp(log_z, b=n) - np.log(n.sum()) - _latest(rows)["log_z_ref"],
        "log_z_err": np.sqrt(np.sum((w * err) ** 2)) / w.sum(),
        "ess_fraction": w.sum() ** 2 / np.sum(w**2 / np.array([r["ess"] for r in rows])) / n.sum(),
        "mag": np.sum(w * [r["mag"] for r in rows]) / w.sum(),
        "mag_err": np.sqrt(np.sum((w * [r["mag_err"] for r in rows]) ** 2)) / w.sum(),
    }


def _cpu_per_walker(rows) -> float:
    """CPU seconds per walker, from the runs of >= 256 walkers when there are any (the current
    LE-conv; session 1's 64-walker runs ran an older, 2-3x slower one)."""
    timed = [r for r in rows if r.get("cpu_seconds") is not None]
    large = [r for r in timed if r["n_samples"] >= 256] or timed
    return sum(r["cpu_seconds"] for r in large) / sum(r["n_samples"] for r in large)


def _seeds_err(p: dict) -> str:
    if np.isnan(p["seeds_err"]):
        return "fewer than 5 seeds"
    return f"± {p['seeds_err']:.2f}; {p['seeds_above']}"


def family(settings: dict) -> str:
    """The weighting and what it adds, without the number of steps."""
    parts = [settings.get("weights", "exact")]
    if settings.get("sites", "all") != "all":
        parts.append(f"{settings['sites']} sites")
    if settings.get("resample_threshold") is not None:
        threshold, islands = settings["resample_threshold"], settings.get("n_islands", 1)
        parts.append(f"SMC at ESS/n < {threshold}, {islands} islands")
    if settings.get("mcmc_sweeps"):
        parts.append(f"{settings['mcmc_sweeps']} MCMC sweep(s)")
    return ", ".join(parts)


def steps_sweep(groups) -> None:
    """The second table: one line per (benchmark, family, steps), numpy rows with CPU times."""
    print(
        "\n| benchmark | family | steps | walkers | ESS/n | ΔMag | log Ẑ − log Z "
        "| CPU s / walker | evaluations / walker | CPU s for ±0.1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    lines = []
    for (bench, backend, _, overrides), rows in groups.items():
        if backend != "numpy":
            continue
        settings = json.loads(overrides)
        p = pooled(rows)
        cpu = p["n"] * _cpu_per_walker(rows)
        counted = [r for r in rows if r.get("n_network_evaluations") is not None]
        evaluations = sum(r["n_network_evaluations"] / r["n_samples"] for r in counted) / len(
            counted
        )
        lines.append(
            (
                bench,
                family(settings),
                settings.get("n_steps", 100),
                (
                    f"{int(p['n'])} | {p['ess_fraction']:.3f} | "
                    f"{abs(p['mag'] - _latest(rows)['mag_ref']):.3f} ± {p['mag_err']:.3f} | "
                    f"{p['log_z_error']:+.2f} ± {p['log_z_err']:.2f} ({_seeds_err(p)}) | "
                    f"{cpu / p['n']:.2f} | "
                    f"{evaluations:.0f} | {cpu * (p['log_z_err'] / 0.1) ** 2:.0f}"
                ),
            )
        )
    for bench, fam, steps, cells in sorted(lines):
        print(f"| {bench} | {fam} | {steps} | {cells} |")


def main(directory: str) -> None:
    groups = defaultdict(list)
    for row in ResultStore(directory).rows():
        if row["status"] == "ok":
            overrides = json.dumps(json.loads(row["overrides"]), sort_keys=True)
            groups[(row["benchmark"], row["backend"], row["dtype"], overrides)].append(row)
    print(
        "| benchmark | backend | settings | seeds × walkers | ESS/n | ⟨m⟩ (reference) "
        "| log Ẑ − log Z | ± from the seeds' spread |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (bench, backend, dtype, overrides), rows in groups.items():
        p = pooled(rows)
        print(
            f"| {bench} | {backend} {dtype} | {overrides} | {_walkers(rows)} | "
            f"{p['ess_fraction']:.3f} | {p['mag']:.3f} ± {p['mag_err']:.3f} "
            f"({_latest(rows)['mag_ref']:.4f}) | {p['log_z_error']:+.2f} ± {p['log_z_err']:.2f} | "
            f"{_seeds_err(p)} |"
        )
    steps_sweep(groups)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/authors/runs")
