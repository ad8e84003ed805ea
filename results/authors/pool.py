"""Pool the seeds of each configuration (benchmark, backend, dtype, settings) in
results/authors/runs into one weighted sample, from the rows alone; seed s has n_s walkers:

    Ẑ = Σ_s n_s Ẑ_s / Σ_s n_s,  σ(Ẑ)/Ẑ = √(Σ_s (W_s σ_s)²) / Σ_s W_s   (σ_s: the row's error of
    log Ẑ_s),  W_s = n_s Ẑ_s  (the seed's total weight)
    ESS = (Σ_s W_s)² / Σ_s W_s²/ESS_s   (Kish over all walkers)
    ⟨m⟩ = Σ_s W_s m_s / Σ_s W_s,  σ² = Σ_s (W_s σ_{m,s})² / (Σ_s W_s)²

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


def main(directory: str) -> None:
    groups = defaultdict(list)
    for row in ResultStore(directory).rows():
        if row["status"] == "ok":
            overrides = json.dumps(json.loads(row["overrides"]), sort_keys=True)
            groups[(row["benchmark"], row["backend"], row["dtype"], overrides)].append(row)
    print(
        "| benchmark | backend | settings | seeds × walkers | ESS/n | ⟨m⟩ (reference) "
        "| log Ẑ − log Z |"
    )
    print("|---|---|---|---|---|---|---|")
    for (bench, backend, dtype, overrides), rows in groups.items():
        log_z = np.array([r["log_z"] for r in rows])
        err = np.array([r["log_z_err"] for r in rows])
        n = np.array([r["n_samples"] for r in rows], dtype=float)
        w = n * np.exp(log_z - log_z.max())  # W_s up to a common factor
        pooled = logsumexp(log_z, b=n) - np.log(n.sum())
        pooled_err = np.sqrt(np.sum((w * err) ** 2)) / w.sum()
        ess = w.sum() ** 2 / np.sum(w**2 / np.array([r["ess"] for r in rows]))
        mag = np.sum(w * [r["mag"] for r in rows]) / w.sum()
        mag_err = np.sqrt(np.sum((w * [r["mag_err"] for r in rows]) ** 2)) / w.sum()
        print(
            f"| {bench} | {backend} {dtype} | {overrides} | {_walkers(rows)} | "
            f"{ess / n.sum():.3f} | {mag:.3f} ± {mag_err:.3f} ({rows[0]['mag_ref']:.4f}) | "
            f"{pooled - rows[0]['log_z_ref']:+.2f} ± {pooled_err:.2f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/authors/runs")
