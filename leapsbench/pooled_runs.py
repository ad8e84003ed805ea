"""Pool independent runs' estimates of one quantity, with a scale factor from their scatter.

k independent runs give x_i ± σ_i.  The pool is the inverse-variance mean

    x̄ = Σ w_i x_i / Σ w_i,   w_i = σ_i⁻²,   σ_in = (Σ w_i)^(−1/2),

and its error is σ_in scaled up where the runs scatter more than their error bars say (the
Birge ratio, the Particle Data Group's scale factor):

    χ² = Σ w_i (x_i − x̄)²,   S = max(1, sqrt(χ² / (k − 1))),   σ = S · σ_in.

S is never below 1: a scatter smaller than the error bars is no evidence that they are too large
(with a few runs it is mostly luck).  A systematic error that every run shares (a quadrature
error on the same grid) does not shrink by pooling: it is added in quadrature after,
σ_total = sqrt(σ² + σ_sys²).  Each run's value and error are kept (``runs``), so that pooling one
more run recomputes the pool from all of them, in any order.
"""

from __future__ import annotations

import math


def pool_estimates(runs: list[dict], systematic: float = 0.0) -> dict:
    """The pool of ``runs`` (each {"value", "error", ...}; errors statistical, > 0) with the
    shared ``systematic`` error (module docstring): {"value", "error", "internal_error",
    "scale_factor", "chi2", "runs"}."""
    if not runs:
        raise ValueError("pooling needs at least one run")
    for run in runs:
        if not (math.isfinite(run["value"]) and math.isfinite(run["error"]) and run["error"] > 0):
            raise ValueError(f"a pooled run needs a finite value and error > 0, got {run}")
    weights = [run["error"] ** -2 for run in runs]
    total = sum(weights)
    mean = sum(w * run["value"] for w, run in zip(weights, runs, strict=True)) / total
    chi2 = sum(w * (run["value"] - mean) ** 2 for w, run in zip(weights, runs, strict=True))
    internal = total**-0.5
    scale = max(1.0, math.sqrt(chi2 / (len(runs) - 1))) if len(runs) > 1 else 1.0
    return {
        "value": mean,
        "error": math.hypot(scale * internal, systematic),
        "internal_error": internal,
        "scale_factor": scale,
        "chi2": chi2,
        "runs": runs,
    }
