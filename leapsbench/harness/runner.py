"""One run = one benchmark × method × preset × backend × device × seed → one plain-dict row.

:func:`run_task` takes and returns plain data (a picklable top-level function), so any
``concurrent.futures.Executor`` — in-process, a process pool, a Dask client — can run it; only
the client writes the results store.  It never raises for a failing method: the row then has
``status="error"`` and the message in ``error`` (``status="n/a"`` when the method does not apply
to the benchmark, :class:`.method.NotApplicable`).

Timing: ``backend.synchronize()`` before each clock read.  A method that ``trains`` is cached
under ``cache_dir/<method>/<benchmark>/<config-hash>-seed<seed>/`` by its ``save``/``load``
(``fit.json`` written last marks a complete checkpoint), so sampling on another backend reuses
the same training; its ``training_checkpoint`` is a file there, so an interrupted training
resumes.  ``ess_per_second`` = ESS /
(train + sample seconds).  A run with ``checkpoint`` samples the LEAPS authors' trained network:
its ``source`` is "authors", ``fit_info`` the checkpoint's provenance (sha256, global_step),
``train_seconds`` None (their training, not timed here) and ESS/s counts sampling only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from leapsbench.atomic import atomic_write_text
from leapsbench.checkpoint import unreadable
from leapsbench.method import Budget, NotApplicable

from .benchmarks import get_benchmark
from .methods import make_method
from .metrics import compute_metrics, magnetization_histogram
from .provenance import git_commit, host, versions
from .reference import REFERENCE_DIR, find_reference

KEY_FIELDS = ("benchmark", "method", "preset", "backend", "device", "dtype", "seed")
MAX_DIAGNOSTIC_SIZE = 4096
ROW_KEYS = (
    "run_key",
    "benchmark",
    "method",
    "preset",
    "backend",
    "device",
    "dtype",
    "seed",
    "n_samples",
    "train_seconds",
    "sample_seconds",
    "total_seconds",
    "mag",
    "mag_err",
    "mag_ref",
    "mag_ref_err",
    "delta_mag",
    "ess",
    "ess_fraction",
    "ess_per_second",
    "log_z",
    "log_z_err",
    "log_z_ref",
    "log_z_error",
    "log_z_error_per_site",
    "reference_source",
    "param_count",
    "n_evaluations",
    "checkpoint_reused",
    "source",
    "versions",
    "git_commit",
    "host",
    "config",
    "overrides",
    "fit_info",
    "diagnostics",
    "mag_histogram",
    "status",
    "error",
    "finished_at",
)
"""Every row has exactly these keys (None where a value does not apply)."""


def _to_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=_plain)


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def config_hash(data: dict) -> str:
    """First 12 hex digits of the SHA-256 of ``data`` as canonical JSON."""
    return hashlib.sha256(_to_json(data).encode()).hexdigest()[:12]


def make_spec(
    benchmark,
    method,
    *,
    preset="quick",
    backend="numpy",
    device=None,
    dtype="float64",
    seed=0,
    overrides=None,
    budget=None,
    cache_dir=None,
    reference_dir=None,
    checkpoint=None,
) -> dict:
    """The plain-data description of one run (validated lazily by :func:`run_task`).

    ``checkpoint``: the path of an authors' trained network to sample instead of training
    (leaps-conv only, :mod:`leapsbench.leaps.authors`)."""
    return {
        "benchmark": benchmark,
        "method": method,
        "preset": preset,
        "backend": backend,
        "device": device or "default",
        "dtype": dtype,
        "seed": int(seed),
        "overrides": dict(overrides or {}),
        "budget": dict(budget or {}),
        "cache_dir": None if cache_dir is None else str(cache_dir),
        "reference_dir": str(reference_dir or REFERENCE_DIR),
        "checkpoint": None if checkpoint is None else str(Path(checkpoint).resolve()),
    }


def run_key(spec: dict) -> str:
    """benchmark/method/preset/backend/device/dtype/seed plus a hash of overrides and budget.

    ``device`` is the spec's (``"default"`` unless one was asked for), not the resolved device
    that the row's ``device`` column records, so the keys of stored rows stay valid.
    """
    parts = [str(spec[k]) for k in KEY_FIELDS]
    keyed = {"overrides": spec["overrides"], "budget": spec["budget"]}
    if spec.get("checkpoint"):  # absent from older specs: their keys stay as they were
        keyed["checkpoint_sha256"] = file_sha256(spec["checkpoint"])
    parts.append(config_hash(keyed))
    return "|".join(parts)


@functools.lru_cache(maxsize=16)
def file_sha256(path: str) -> str:
    """SHA-256 hex digest of the file at ``path``."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _small_diagnostics(diagnostics: dict) -> dict:
    out = {}
    for key, value in diagnostics.items():
        if isinstance(value, (int, float, str, bool, np.generic)) or value is None:
            out[key] = value
        elif isinstance(value, (np.ndarray, list, tuple)) and np.size(value) <= MAX_DIAGNOSTIC_SIZE:
            out[key] = np.asarray(value).tolist()
    return out


TRAINING_BUDGET = ("train_steps", "train_seconds")


def cache_entry(cache_dir, method, benchmark: str, budget: dict, seed: int) -> Path:
    """``<cache_dir>/<method>/<benchmark>/<hash>-seed<seed>``: where a trained method is cached.

    The hash covers the method's config and its training budget only, so runs that differ in
    backend, device, dtype or number of samples share one checkpoint."""
    training = {k: v for k, v in dict(budget).items() if k in TRAINING_BUDGET and v is not None}
    key = config_hash({"config": method.config, "budget": training})
    return Path(cache_dir) / method.name / benchmark / f"{key}-seed{seed}"


def _fit(method, spec, model, backend, rng, budget, progress) -> tuple[dict, float, bool]:
    """(fit diagnostics, train seconds, reused?) — from the checkpoint cache when possible."""
    cacheable = spec["cache_dir"] and method.trains
    if cacheable:
        path = cache_entry(
            spec["cache_dir"], method, spec["benchmark"], spec["budget"], spec["seed"]
        )
        marker = path / "fit.json"
        if marker.is_file():
            saved = _read_marker(marker)
            method.load(str(path), model)
            return saved["fit_info"], saved["train_seconds"], True
        method.training_checkpoint = str(path / "training-state.pt")  # resumed from
    backend.synchronize()
    start = time.perf_counter()
    fit_info = method.fit(model, backend, rng, budget, progress=progress) or {}
    backend.synchronize()
    seconds = time.perf_counter() - start
    if cacheable:
        marker_text = _to_json({"fit_info": fit_info, "train_seconds": seconds, "spec": spec})
        try:
            path.mkdir(parents=True, exist_ok=True)
            method.save(str(path))
            atomic_write_text(marker, marker_text)
        except OSError as err:  # the trained method is still here: sample it, keep the row
            warnings.warn(
                f"could not cache the trained {method.name} in {path}: {err}", stacklevel=2
            )
    return json.loads(_to_json(fit_info)), seconds, False


def _read_marker(marker: Path) -> dict:
    """The ``fit.json`` of a cache entry; a ValueError names the file and how to recover."""
    try:
        saved = json.loads(marker.read_text())
        return {"fit_info": saved["fit_info"], "train_seconds": float(saved["train_seconds"])}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise unreadable(marker, err) from None


def _execute(spec: dict, progress, row: dict) -> dict:
    """The measured part of a row; ``row["device"]`` is set to the resolved device as soon as the
    backend exists, so a run that fails later is grouped with its successful seeds."""
    from leapsbench.backends import get_backend

    bench = get_benchmark(spec["benchmark"])
    model = bench.model
    device = None if spec["device"] == "default" else spec["device"]
    backend = get_backend(spec["backend"], device=device, dtype=spec["dtype"])
    row["device"] = str(backend.device)
    method = make_method(spec["method"], spec["preset"], spec["overrides"])
    budget = Budget(**spec["budget"])
    fit_rng, sample_rng = backend.rng(spec["seed"]).spawn(2)
    if spec.get("checkpoint"):  # the authors' training: not ours, not timed (train_seconds None)
        fit_info = method.use_authors_checkpoint(spec["checkpoint"], model, spec["overrides"])
        train_seconds, reused, row["source"] = None, True, fit_info["source"]
    else:
        fit_info, train_seconds, reused = _fit(
            method, spec, model, backend, fit_rng, budget, progress
        )
    backend.synchronize()
    start = time.perf_counter()
    samples = method.sample(model, backend, sample_rng, budget, progress=progress)
    backend.synchronize()
    sample_seconds = time.perf_counter() - start

    reference = find_reference(bench.name, model, spec["reference_dir"])
    source = row["source"]
    row = compute_metrics(samples, model, reference)
    total = sample_seconds + (train_seconds or 0.0)  # an imported network's training is not ours
    row.update(
        train_seconds=train_seconds,
        sample_seconds=sample_seconds,
        total_seconds=total,
        ess_per_second=None if row["ess"] is None else row["ess"] / total,
        param_count=method.param_count,
        n_evaluations=int(samples.n_evaluations),
        checkpoint_reused=reused,
        source=source,
        config=_to_json(method.config),
        fit_info=_to_json(fit_info),
        diagnostics=_to_json(_small_diagnostics(samples.diagnostics)),
        mag_histogram=_to_json(magnetization_histogram(samples)),
    )
    return row


def run_task(spec: dict, progress=None) -> dict:
    """Run ``spec`` (from :func:`make_spec`) and return its result row (keys :data:`ROW_KEYS`)."""
    row = dict.fromkeys(ROW_KEYS)
    row.update({k: spec[k] for k in KEY_FIELDS})
    row.update(
        run_key=run_key(spec),
        overrides=_to_json(spec["overrides"]),
        status="ok",
        versions=None,
        git_commit=git_commit(),
        host=_to_json(host()),
    )
    try:
        row.update(_execute(spec, progress, row))
    except NotApplicable as err:
        row["status"] = "n/a"
        row["error"] = str(err)
    except Exception as err:  # a failing method becomes a row, never a crashed grid
        row["status"] = "error"
        row["error"] = f"{type(err).__name__}: {err}"
        row["fit_info"] = _to_json({"traceback": traceback.format_exc(limit=6)})
    row["versions"] = _to_json(versions())
    row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return row
