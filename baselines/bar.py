"""log Z from a β ladder by Bennett's acceptance ratio (BAR) between neighbouring temperatures.

For ρ_k ∝ e^{−β_k E} with samples E_F from β_k and E_R from β_{k+1}, the reduced works are
w_F = (β_{k+1} − β_k) E_F and w_R = (β_k − β_{k+1}) E_R, and Δf = −log(Z_{k+1}/Z_k) solves

    Σ_F σ(−(M + w_F − Δf)) = Σ_R σ(−(−M + w_R + Δf)),   σ(t) = 1 / (1 + e^{−t}),  M = log(n_F/n_R)

(Bennett 1976; Shirts et al. 2003), monotone in Δf, solved by bracketing.  With β_0 = 0,
log Z(β_{K−1}) = N log 2 − Σ_k Δf_k.  The error bar is the jackknife over G = min(C,
:data:`JACKKNIFE_BLOCKS`) blocks of chains (leave one block out of every temperature's samples):
chains are independent, the samples within one are not; G + 1 ladder solves in all.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logsumexp


def bar_delta_f(w_f: np.ndarray, w_r: np.ndarray) -> float:
    """Δf of one pair of neighbours from the forward and reverse works (module docstring)."""
    w_f, w_r = np.ravel(w_f), np.ravel(w_r)
    shift = np.log(w_f.size / w_r.size)

    def imbalance(df: float) -> float:
        return float(np.sum(expit(-(shift + w_f - df))) - np.sum(expit(-(-shift + w_r + df))))

    # the one-sided (exponential averaging) estimates bound the root in practice; widen if not
    one_sided = (
        -(logsumexp(-w_f) - np.log(w_f.size)),
        logsumexp(-w_r) - np.log(w_r.size),
    )
    low, high = min(one_sided) - 1.0, max(one_sided) + 1.0
    while imbalance(low) > 0:
        low -= 2.0 * (high - low)
    while imbalance(high) < 0:
        high += 2.0 * (high - low)
    return float(brentq(imbalance, low, high, xtol=1e-12))


JACKKNIFE_BLOCKS = 8
"""At most this many leave-one-out estimates (blocks of chains), to bound the cost."""


def ladder_log_z(energies: np.ndarray, betas: np.ndarray, log_z0: float) -> float:
    """log Z(β_{K−1}) = log Z_0 − Σ_k Δf_k from energies (K, C, S) of K temperatures."""
    steps = np.diff(betas)
    return log_z0 - sum(
        bar_delta_f(step * energies[k], -step * energies[k + 1]) for k, step in enumerate(steps)
    )


def ladder_log_z_with_error(
    energies: np.ndarray, betas: np.ndarray, log_z0: float
) -> tuple[float, float | None]:
    """:func:`ladder_log_z` and its jackknife error over blocks of the C chains (None for one
    chain)."""
    if betas[0] != 0.0:
        raise ValueError(f"the ladder must start at beta = 0 for log Z, got {betas[0]}")
    value = ladder_log_z(energies, betas, log_z0)
    n_chains = energies.shape[1]
    if n_chains < 2:
        return value, None
    blocks = np.arange(n_chains) % min(n_chains, JACKKNIFE_BLOCKS)
    n_blocks = int(blocks.max()) + 1
    leave_one_out = np.array(
        [ladder_log_z(energies[:, blocks != g], betas, log_z0) for g in range(n_blocks)]
    )
    error = np.sqrt((n_blocks - 1) * np.mean((leave_one_out - leave_one_out.mean()) ** 2))
    return value, float(error)
