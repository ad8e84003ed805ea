"""The metrics of one run, computed here only, from a method's Samples (DESIGN.md "Metrics").

* ⟨m⟩: self-normalised weighted mean Σ w m / Σ w (weighted samples) or the mean over all chain
  steps; its error is the delta-method error (weighted), the spread between islands when
  resampling correlated the walkers (``Samples.islands``; none for one island), or
  std(chain means)/√n_chains (chains).
* ESS: Kish (Σ w)² / Σ w² for weighted samples; for chains n / τ_int with τ_int from
  :mod:`leapsbench.autocorr`, for m and for E, the smaller ESS reported (E only where m is not the
  model's ``order_parameter``: spin glasses, whose order parameter is the overlap — at low
  temperature the τ_int of |m| is that of the global flip s → −s, which no observable of H
  depends on).
* log Ẑ: the sampler's own ``log_z`` if it set one (SMC), else log Z_0 + log mean w.
* ⟨e⟩ = ⟨E⟩/N, the energy per site, estimated and with an error bar as ⟨m⟩; the replica
  overlap ⟨q²⟩ likewise where the sampler recorded it (observable "q2": pairs of independent
  chains — local Metropolis / heat-bath and parallel tempering on spin glasses; or pairs of
  independent weighted samples, :mod:`leapsbench.overlap_pairs` — AIS, LEAPS and the
  autoregressive networks when nothing was resampled).
* ΔMag = |⟨m⟩ − m_ref|, ΔE = |⟨e⟩ − e_ref|, Δq² = |⟨q²⟩ − q²_ref|, log-Z error =
  |log Ẑ − log Z_ref| (and per site): :func:`reference_columns`, which
  :mod:`.rescore` applies again to stored rows when a reference has improved.
* islands (resampled weighted samples): ``n_islands`` G and ``n_islands_effective``, the islands
  whose own Kish ESS exceeds :data:`.reliability.ISLAND_MIN_ESS` (see :mod:`.reliability`).

Honest numbers: ESS ≤ n (chains too short for an autocorrelation window: the ESS from the
spread of the chain means, the row flagged unreliable; with one chain an error, not a number);
an error bar that is not a finite positive number (one walker, one chain, no spread) is None —
no error bar — never "± 0" or NaN; a non-finite ⟨m⟩ or log Ẑ is an error.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from leapsbench import autocorr
from leapsbench.estimators import island_weighted_mean, kish_ess, log_z_estimate, weighted_mean
from leapsbench.overlap_pairs import pair_estimate

from .reliability import ISLAND_MIN_ESS, SHORT_CHAINS

HISTOGRAM_BINS = 20


def _float(value) -> float | None:
    return None if value is None else float(value)


def _error_bar(value) -> float | None:
    """``value`` if it is a finite positive number, else None (no error bar)."""
    return float(value) if value is not None and np.isfinite(value) and value > 0 else None


def _finite(name: str, value) -> float | None:
    if value is not None and not np.isfinite(value):
        raise ValueError(f"the sampler's {name} is {value} (non-finite weights or observables)")
    return _float(value)


def chain_ess(observables: dict[str, np.ndarray], keys=("m", "E")) -> tuple[float, str | None]:
    """(ESS, why it is unreliable or None): n / τ_int of each of ``keys`` (default m and E;
    chains × steps), the smallest.  Chains too short for an autocorrelation window: with >= 2
    chains the ESS from the spread of the chain means (:func:`leapsbench.autocorr.spread_ess`),
    flagged; with one chain a ValueError saying how many steps would do."""
    chains = [np.asarray(observables[k]) for k in keys]
    try:
        return float(min(autocorr.chain_ess(x, strict=True) for x in chains)), None
    except ValueError:
        if np.reshape(chains[0], (-1, chains[0].shape[-1])).shape[0] < 2:
            raise
    n_chains, n_steps = np.reshape(chains[0], (-1, chains[0].shape[-1])).shape
    reason = (
        f"{SHORT_CHAINS} for an autocorrelation window ({n_steps} steps): ESS from the spread "
        f"of {n_chains} chain means"
    )
    return float(min(autocorr.spread_ess(x) for x in chains)), reason


def magnetization_histogram(samples) -> dict:
    """Weighted histogram of m on [0, 1] (density), for plots against the reference."""
    m = np.asarray(samples.observables["m"], dtype=np.float64).ravel()
    weights = None
    if samples.is_weighted:
        log_w = np.asarray(samples.log_weights, dtype=np.float64)
        weights = np.exp(log_w - log_w.max())
    density, edges = np.histogram(
        m, bins=HISTOGRAM_BINS, range=(0.0, 1.0), weights=weights, density=True
    )
    return {"edges": edges.round(6).tolist(), "density": density.round(6).tolist()}


def effective_islands(log_weights: np.ndarray, n_islands: int) -> int:
    """How many of the G contiguous equal islands have Kish ESS (Σw)²/Σw² > ISLAND_MIN_ESS."""
    log_w = np.reshape(np.asarray(log_weights, dtype=np.float64), (n_islands, -1))
    ess = np.exp(2 * logsumexp(log_w, axis=1) - logsumexp(2 * log_w, axis=1))
    return int(np.sum(ess > ISLAND_MIN_ESS))


def sample_mean(samples, values: np.ndarray) -> tuple[float, float | None]:
    """⟨values⟩ and its error: weighted (delta method, or between islands) or over chains
    (std(chain means)/√n_chains; None for one chain)."""
    values = np.asarray(values, dtype=np.float64)
    if samples.is_weighted:
        log_w = np.asarray(samples.log_weights, dtype=np.float64).ravel()
        if samples.islands is None:
            return weighted_mean(values.ravel(), log_w)
        return island_weighted_mean(values.ravel(), log_w, samples.islands)
    chain_means = values.reshape(values.shape[0], -1).mean(axis=1)
    if chain_means.size < 2:
        return float(values.mean()), None
    return float(values.mean()), float(chain_means.std(ddof=1) / np.sqrt(chain_means.size))


def energy_columns(samples, model) -> dict:
    """``energy`` ⟨E⟩/N ± ``energy_err``."""
    energy, energy_err = sample_mean(samples, samples.observables["E"] / model.n_sites)
    return {"energy": _finite("<E>/N", energy), "energy_err": _error_bar(energy_err)}


def overlap_columns(samples) -> dict:
    """``overlap_q2`` ± ``overlap_q2_err`` where the samples hold "q2" (pairs of chains) or the
    pair observables of independent weighted samples (:mod:`leapsbench.overlap_pairs`)."""
    q2, q2_err = None, None
    if "q2" in samples.observables:
        q2, q2_err = sample_mean(samples, samples.observables["q2"])
    elif "q2_first" in samples.observables and samples.is_weighted and samples.islands is None:
        q2, q2_err = pair_estimate(samples.observables, samples.log_weights)
    return {"overlap_q2": _finite("<q^2>", q2), "overlap_q2_err": _error_bar(q2_err)}


def reference_columns(estimates: dict, reference, n_sites: int) -> dict:
    """The columns of a row that depend on its reference: each reference value with its error,
    ΔMag, ΔE and Δq² = |estimate − reference|, the log-Z error (and per site) and the
    reference's source; None where the estimate or the reference is missing.  ``estimates`` is
    a row (or anything with its "mag", "energy", "overlap_q2" and "log_z")."""

    def distance(key: str, ref):
        value = estimates.get(key)
        return None if value is None or ref is None else abs(value - ref)

    log_z_error = distance("log_z", reference.log_z)
    return {
        "mag_ref": reference.mag,
        "mag_ref_err": reference.mag_err,
        "delta_mag": distance("mag", reference.mag),
        "energy_ref": reference.energy,
        "energy_ref_err": reference.energy_err,
        "delta_energy": distance("energy", reference.energy),
        "overlap_q2_ref": reference.overlap_q2,
        "overlap_q2_ref_err": reference.overlap_q2_err,
        "delta_overlap_q2": distance("overlap_q2", reference.overlap_q2),
        "log_z_ref": reference.log_z,
        "log_z_error": log_z_error,
        "log_z_error_per_site": None if log_z_error is None else log_z_error / n_sites,
        "reference_source": reference.source,
    }


def compute_metrics(samples, model, reference) -> dict:
    """The quality columns of a result row (module docstring) from ``samples``."""
    m = np.asarray(samples.observables["m"], dtype=np.float64)
    n = int(m.size)
    mag, mag_err = sample_mean(samples, m)
    short = None
    if samples.is_weighted:
        log_w = np.asarray(samples.log_weights, dtype=np.float64).ravel()
        ess = kish_ess(log_w)
        log_z, log_z_err = log_z_estimate(log_w, model.log_z0)
    else:
        keys = ("m", "E") if model.order_parameter == "m" else ("E",)
        ess, short = chain_ess(samples.observables, keys)
        log_z, log_z_err = None, None
    if samples.log_z is not None:
        log_z, log_z_err = samples.log_z, samples.log_z_err
    mag, log_z = _finite("<m>", mag), _finite("log Z estimate", log_z)
    ess = None if ess is None or not np.isfinite(ess) else min(float(ess), n)
    row = {
        "n_samples": n,
        "mag": mag,
        "mag_err": _error_bar(mag_err),
        **energy_columns(samples, model),
        **overlap_columns(samples),
        "ess": ess,
        "ess_fraction": None if ess is None else ess / n,
        "log_z": log_z,
        "log_z_err": _error_bar(log_z_err),
        "n_islands": samples.islands,
        "n_islands_effective": None,
        "unreliable": short,
    }
    if samples.islands is not None and samples.is_weighted:
        row["n_islands_effective"] = effective_islands(samples.log_weights, samples.islands)
    row.update(reference_columns(row, reference, model.n_sites))
    return row
