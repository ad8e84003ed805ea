"""Chain averages of local sweeps, shared by the tests that check them against enumeration."""

from __future__ import annotations

import numpy as np
from leapsbench.baselines import local


def energy_per_site_mean(model, backend, rule: str, sweeps: int, burn_in: int = 100):
    """64 chains from uniform states (seed 3), ``sweeps`` local sweeps, the first ``burn_in``
    dropped: the mean energy per site over chains and its error, the spread of the chain
    means / √64."""
    rng = backend.rng(3)
    x = model.uniform_states(backend, rng, 64)
    energies = []
    for t in range(sweeps):
        x, _ = local.sweep(model, x, model.beta, rng, rule)
        if t >= burn_in:
            energies.append(model.energy(x) / model.n_sites)
    chain_means = np.mean(energies, axis=0)
    return chain_means.mean(), chain_means.std(ddof=1) / np.sqrt(chain_means.size)
