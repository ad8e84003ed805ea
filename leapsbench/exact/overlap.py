"""The replica overlap of a spin model, exactly, from its enumerated Boltzmann table.

Two independent replicas a, b of ±1 spins have the overlap q = (1/N) Σ_i s_i^a s_i^b, so

    ⟨q²⟩ = (1/N²) Σ_{i,j} ⟨s_i s_j⟩²,   ⟨s_i s_j⟩ = Σ_x p(x) s_i(x) s_j(x),

the correlation matrix summed over all states in chunks (no Python loop over states).
"""

from __future__ import annotations

import numpy as np

from .enumerate import CHUNK_STATES, EnumerationResult


def overlap_q2(result: EnumerationResult) -> float:
    """Exact ⟨q²⟩ of two independent replicas of a ±1 spin model (module docstring)."""
    model = result.model
    if model.encoding != "spins":
        raise ValueError(
            f"the overlap q = (1/N) Σ s^a s^b is defined here for ±1 spins only, got a "
            f"{model.kind} model (encoding {model.encoding!r})"
        )
    n, total = model.n_sites, result.probabilities.shape[0]
    correlation = np.zeros((n, n))
    for start in range(0, total, CHUNK_STATES):
        stop = min(start + CHUNK_STATES, total)
        s = result.states(start, stop).reshape(stop - start, n).astype(np.float64)
        correlation += (s * result.probabilities[start:stop, None]).T @ s
    return float(np.sum(correlation**2) / n**2)
