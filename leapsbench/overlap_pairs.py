"""The replica overlap ⟨q²⟩ from weighted independent samples: pairs (2k, 2k + 1) of a batch.

Two independent samples a, b with importance weights w_a, w_b are one weighted sample of the
product target p ⊗ p, with weight w_a w_b; so over the K pairs of a batch

    ⟨q²⟩ ≈ Σ_k W_k q²_k / Σ_k W_k,   W_k = w_{2k} w_{2k+1},   q_k = overlap(x_{2k}, x_{2k+1}),

self-normalised, with its delta-method error (:func:`leapsbench.estimators.weighted_mean`).
A sampler records three per-sample observables (:func:`pair_observables`): ``q2_pair`` (q² with
its partner), ``q2_partner_log_w`` (the partner's log weight) and ``q2_first`` (1 for the first
of a pair, 0 for the second and for an odd batch's last sample), so that batches concatenated in
any sizes (timed chunks, :func:`leapsbench.timed.merge_weighted`) keep their pairs
(:func:`pair_estimate`).  Resampled walkers share ancestors and are not independent: samplers
record no pairs then.  Only models whose order parameter is the overlap (spin glasses) record them.
"""

from __future__ import annotations

import numpy as np

from .estimators import weighted_mean


def pair_overlaps(model, x, backend) -> np.ndarray | None:
    """q² of the states ``x`` paired (2k, 2k + 1), (⌊B/2⌋,) numpy (independent chains or
    walkers; :mod:`leapsbench.baselines.chains`, :mod:`leapsbench.baselines.tempering` and
    :func:`pair_observables`); None for fewer than two states."""
    pairs = x.shape[0] // 2
    if not pairs:
        return None
    q = model.overlap(x[: 2 * pairs : 2, ...], x[1 : 2 * pairs : 2, ...])
    return np.asarray(backend.to_numpy(q * q), dtype=np.float64)


def pair_observables(model, x, log_w: np.ndarray, backend) -> dict[str, np.ndarray]:
    """The per-sample pair observables of the batch ``x`` (B, …) with host log weights (B,)
    (module docstring); {} when the model's order parameter is not the overlap or B < 2."""
    size = int(np.asarray(log_w).shape[0])
    if model.order_parameter != "q2" or size < 2:
        return {}
    pairs = size // 2
    q2 = np.zeros(size)
    q2[0 : 2 * pairs : 2] = q2[1 : 2 * pairs : 2] = pair_overlaps(model, x, backend)
    log_w = np.asarray(log_w, dtype=np.float64)
    partner = np.full(size, -np.inf)
    partner[0 : 2 * pairs : 2], partner[1 : 2 * pairs : 2] = (
        log_w[1 : 2 * pairs : 2],
        log_w[0 : 2 * pairs : 2],
    )
    first = np.zeros(size)
    first[0 : 2 * pairs : 2] = 1.0
    return {"q2_pair": q2, "q2_partner_log_w": partner, "q2_first": first}


def pair_estimate(observables: dict, log_weights: np.ndarray) -> tuple[float, float | None]:
    """⟨q²⟩ and its error from the pair observables of weighted samples (module docstring)."""
    first = np.asarray(observables["q2_first"]).ravel() > 0
    log_w = np.asarray(log_weights, dtype=np.float64).ravel()
    pair_log_w = log_w[first] + np.asarray(observables["q2_partner_log_w"]).ravel()[first]
    return weighted_mean(np.asarray(observables["q2_pair"]).ravel()[first], pair_log_w)
