"""Samples drawn anywhere, scored like a run: arrays → :class:`.samples.Samples` → one result row.

``x`` holds states of the benchmark's model (Ising spins ±1, Potts values 0..q−1, any integer
dtype): (B, Lx, Ly) independent samples, or (C, T, Lx, Ly) with ``chains=True`` for C Markov
chains of T steps.  Weights, for independent samples, at most one of:

* ``log_weights`` (B,): log importance weights a_i such that log Z_0 + log mean exp(a) estimates
  log Z (Z_0 = q^N), as the built-in samplers' ``Samples.log_weights``;
* ``log_q`` (B,): the sampler's exact log-probability of each sample; then
  a_i = −βH(x_i) − log q(x_i) − log Z_0, so that log Z_0 + log mean exp(a) = log mean
  exp(−βH − log q), whose expectation under q is the log of Σ_x q(x) e^{−βH(x)}/q(x) = Z;
* neither: exact draws (equal weights, ESS = B, no log Ẑ).

The row is the runner's (:func:`.metrics.compute_metrics`, :func:`.reliability.unreliable_reason`):
method = the label, ``source`` "external", ``samples_sha256``, and the declared cost (seconds,
evaluations, hardware) with ``cost_declared`` true — declared, not measured; without a declared
cost the time columns are None and never ranked.  A bad array is a ValueError naming ``where``
(the file) and what was expected, before any row exists.
"""

from __future__ import annotations

import hashlib
import numbers
import time

import numpy as np

from leapsbench.samples import Samples

from .benchmarks import get_benchmark
from .metrics import compute_metrics, magnetization_histogram
from .provenance import git_commit, versions
from .reference_lookup import find_reference
from .reliability import unreliable_reason
from .rows import empty_row, to_json

SOURCE = "external"
SPEC = {
    "preset": "external",
    "backend": "numpy",
    "device": "cpu",
    "dtype": "float64",
    "overrides": {},
}
"""The run-spec fields of a scored row (the scoring's own backend; no overrides)."""
LOG_Q_TOLERANCE = 1e-9
"""log q(x) above this is not the log-probability of a discrete state (q ≤ 1)."""


def _check_integers(x: np.ndarray, where: str) -> None:
    """An integer array, or a float array of whole finite numbers."""
    if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{where}: x must be an integer array of states, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.integer):
        return
    if not np.isfinite(x).all():
        raise ValueError(f"{where}: x contains NaN or infinity; expected integer states")
    if not np.array_equal(x, np.round(x)):
        raise ValueError(f"{where}: x has non-integer values; expected integer states")


def _check_values(model, x: np.ndarray, where: str) -> None:
    """Spins ±1 for models stored as spins (0/1 value indices named as such; Ising, spin
    glasses), else values 0..q−1 (O(n) when they are; the distinct values are listed only in
    the error)."""
    if model.encoding == "spins":
        if np.all((x == 1) | (x == -1)):
            return
        if np.all((x == 0) | (x == 1)):
            raise ValueError(
                f"{where}: x holds 0/1 values, but Ising states are spins ±1 (convert with "
                "s = 1 − 2a, i.e. model.from_values(a), or s = 2a − 1)"
            )
        allowed = "spins -1 and +1"
    else:
        if x.min() >= 0 and x.max() < model.q:
            return
        allowed = f"Potts values 0..{model.q - 1}"
    values = np.unique(x)
    shown = ", ".join(str(v) for v in values[:8]) + (", ..." if values.size > 8 else "")
    raise ValueError(f"{where}: x has values {shown}; expected {allowed}")


def _check_shape(model, x: np.ndarray, chains: bool, where: str) -> None:
    """(B, Lx, Ly) or, with ``chains``, (C, T, Lx, Ly); the number of axes tells them apart."""
    lx, ly = model.shape
    if chains and x.ndim == 3:
        raise ValueError(
            f"{where}: x has shape {x.shape} (B, Lx, Ly): independent samples, but chains "
            f"(--chains) expect (C, T, {lx}, {ly})"
        )
    if not chains and x.ndim == 4:
        raise ValueError(
            f"{where}: x has shape {x.shape} (C, T, Lx, Ly): Markov chains; pass --chains "
            f"(chains=True), or give independent samples as (B, {lx}, {ly})"
        )
    expected = f"(C, T, {lx}, {ly})" if chains else f"(B, {lx}, {ly})"
    if x.ndim != (4 if chains else 3) or x.shape[-2:] != (lx, ly) or 0 in x.shape:
        raise ValueError(f"{where}: x has shape {x.shape}; expected {expected} for this benchmark")


def _weights(name: str, values, n: int, where: str) -> np.ndarray:
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_:
        raise ValueError(f"{where}: {name} must be a numeric array, got dtype {values.dtype}")
    values = values.astype(np.float64)
    if values.shape != (n,):
        raise ValueError(
            f"{where}: {name} has shape {values.shape}; expected ({n},), one per sample"
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(
            f"{where}: {name} has {bad.size} non-finite values (NaN or infinity), first at "
            f"index {bad[0]}: {values[bad[0]]}"
        )
    return values


def log_weights_of(model, x: np.ndarray, log_weights, log_q, where: str) -> np.ndarray | None:
    """The importance log weights of independent samples ``x`` (module docstring), or None."""
    if log_weights is not None and log_q is not None:
        raise ValueError(f"{where}: both log_weights and log_q given; give at most one")
    if log_weights is not None:
        return _weights("log_weights", log_weights, x.shape[0], where)
    if log_q is None:
        return None
    log_q = _weights("log_q", log_q, x.shape[0], where)
    if (log_q > LOG_Q_TOLERANCE).any():
        i = int(np.argmax(log_q))
        raise ValueError(
            f"{where}: log_q[{i}] = {log_q[i]:.6g} > 0, but a probability of a discrete state "
            "is at most 1 (log_q must be the exact normalised log-probability)"
        )
    return -model.beta * model.energy(x) - log_q - model.log_z0


def make_samples(model, x, log_weights=None, log_q=None, chains=False, where="x") -> Samples:
    """Validated :class:`Samples` of ``x`` (module docstring); a ValueError names ``where``."""
    x = np.asarray(x)
    _check_shape(model, x, chains, where)
    _check_integers(x, where)
    _check_values(model, x, where)
    if chains and (log_weights is not None or log_q is not None):
        raise ValueError(f"{where}: chains are unweighted; log_weights/log_q need (B, Lx, Ly)")
    states = x.reshape(-1, *model.shape).astype(np.int8)  # the values were checked above
    log_w = None if chains else log_weights_of(model, states, log_weights, log_q, where)
    observables = {"m": model.magnetization(states), "E": model.energy(states)}
    if chains:
        observables = {k: v.reshape(x.shape[:2]) for k, v in observables.items()}
    elif log_w is None:  # exact draws: equal weights
        log_w = np.zeros(x.shape[0])
    return Samples(observables=observables, log_weights=log_w)


def array_sha256(x, *arrays) -> str:
    """SHA-256 of the arrays' dtypes, shapes and bytes (the samples scored, file or not)."""
    digest = hashlib.sha256()
    for a in (x, *arrays):
        if a is not None:
            a = np.ascontiguousarray(a)
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(a.tobytes())
    return digest.hexdigest()


def _check_labels(name, hardware) -> None:
    """The method label is a non-empty string; so is the hardware, when given."""
    for key, value in (("name", name), ("hardware", hardware)):
        if not (isinstance(value, str) and value.strip()) and (key == "name" or value is not None):
            raise ValueError(f"{key} must be a non-empty string, got {value!r}")


def _declared_cost(seconds, train_seconds, evaluations) -> dict:
    """The cost columns of declared ``seconds`` (total, training included), ``train_seconds``
    (its training part; none when omitted) and ``evaluations`` (sampling); None when unknown."""
    for key, value in (("seconds", seconds), ("train_seconds", train_seconds)):
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if value is not None and not (real and 0 < value < np.inf):
            raise ValueError(f"declared {key} must be a finite number > 0, got {value!r}")
    if evaluations is not None and (
        isinstance(evaluations, bool)
        or not isinstance(evaluations, numbers.Integral)
        or evaluations < 1
    ):
        raise ValueError(f"declared evaluations must be a whole number >= 1, got {evaluations!r}")
    seconds, train_seconds = (None if v is None else float(v) for v in (seconds, train_seconds))
    if train_seconds is not None and (seconds is None or train_seconds > seconds):
        raise ValueError(
            f"train_seconds {train_seconds} needs a total seconds >= it (training is part of "
            f"the total), got seconds={seconds}"
        )
    return {
        "train_seconds": train_seconds,
        "sample_seconds": None if seconds is None else seconds - (train_seconds or 0.0),
        "total_seconds": seconds,
        "n_evaluations": None if evaluations is None else int(evaluations),
        "cost_declared": any(v is not None for v in (seconds, train_seconds, evaluations)),
    }


def score(
    benchmark: str,
    x,
    log_weights=None,
    log_q=None,
    chains: bool = False,
    *,
    name: str = "external",
    seed: int = 0,
    seconds: float | None = None,
    train_seconds: float | None = None,
    evaluations: int | None = None,
    hardware: str | None = None,
    samples_sha256: str | None = None,
    reference_dir=None,
    where: str = "x",
) -> dict:
    """The result row (keys :data:`.rows.ROW_KEYS`) of samples ``x`` of ``benchmark`` (module
    docstring); ``samples_sha256`` defaults to :func:`array_sha256` of the arrays."""
    _check_labels(name, hardware)
    bench = get_benchmark(benchmark)
    samples = make_samples(bench.model, x, log_weights, log_q, chains, where)
    cost = _declared_cost(seconds, train_seconds, evaluations)
    budget = {} if cost["total_seconds"] is None else {"seconds": cost["total_seconds"]}
    sha = samples_sha256 or array_sha256(np.asarray(x), log_weights, log_q)
    row = empty_row(
        {**SPEC, "benchmark": bench.name, "method": name, "seed": int(seed), "budget": budget},
        status="ok",
    )
    row["run_key"] += f"|samples-{sha[:16]}"
    row.update(
        compute_metrics(
            samples, bench.model, find_reference(bench.name, bench.model, reference_dir)
        )
    )
    if log_weights is None and log_q is None and not chains:  # exact draws: ESS = B, no log Z
        row.update(ess=float(row["n_samples"]), ess_fraction=1.0)
        row.update(log_z=None, log_z_err=None, log_z_error=None, log_z_error_per_site=None)
    row.update(cost)
    row.update(
        ess_per_second=None if seconds is None else row["ess"] / cost["total_seconds"],
        source=SOURCE,
        samples_sha256=sha,
        hardware=hardware,
        config=to_json({"weights": _weights_kind(log_weights, log_q, chains)}),
        fit_info=to_json({}),
        diagnostics=to_json({"shape": list(np.shape(x))}),
        mag_histogram=to_json(magnetization_histogram(samples)),
        git_commit=git_commit(),
        versions=to_json(versions()),
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    row["unreliable"] = unreliable_reason(row)
    return row


def _weights_kind(log_weights, log_q, chains: bool) -> str:
    if chains:
        return "chains"
    return "log_weights" if log_weights is not None else "log_q" if log_q is not None else "exact"
