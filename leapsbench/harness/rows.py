"""The result row: its schema (:data:`ROW_KEYS`), its key (:func:`run_key`) and the empty row
of a spec (:func:`empty_row`), shared by the runner, the store and the Dask executor.

A run's ``run_key`` joins benchmark/method/preset/backend/device/dtype/seed as asked (device
``"default"`` unless given) plus a hash of the overrides and the budget.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

KEY_FIELDS = ("benchmark", "method", "preset", "backend", "device", "dtype", "seed")
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
    "cpu_seconds",
    "mag",
    "mag_err",
    "mag_ref",
    "mag_ref_err",
    "delta_mag",
    "energy",
    "energy_err",
    "energy_ref",
    "energy_ref_err",
    "delta_energy",
    "overlap_q2",
    "overlap_q2_err",
    "overlap_q2_ref",
    "overlap_q2_ref_err",
    "delta_overlap_q2",
    "ess",
    "ess_fraction",
    "ess_per_second",
    "n_islands",
    "n_islands_effective",
    "unreliable",
    "log_z",
    "log_z_err",
    "log_z_ref",
    "log_z_error",
    "log_z_error_per_site",
    "reference_source",
    "rescored_at",
    "param_count",
    "n_evaluations",
    "n_network_evaluations",
    "n_energy_evaluations",
    "n_train_evaluations",
    "budget",
    "budget_seconds",
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
    "samples_sha256",
    "hardware",
    "cost_declared",
    "plugin_distribution",
    "plugin_version",
    "schema_version",
    "code_version",
    "code_hash",
)
"""Every row has exactly these keys (None where a value does not apply)."""
ROW_SCHEMA_VERSION = 2
"""Version 2 added ``schema_version``, ``code_version`` and ``code_hash`` (rows without a
version are version 1: read, the new columns None; :mod:`.validate`)."""


def to_json(obj) -> str:
    """Canonical JSON (sorted keys; numpy arrays and scalars as lists and numbers)."""
    return json.dumps(obj, sort_keys=True, default=_plain)


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def config_hash(data: dict) -> str:
    """First 12 hex digits of the SHA-256 of ``data`` as canonical JSON."""
    return hashlib.sha256(to_json(data).encode()).hexdigest()[:12]


def run_key(spec: dict) -> str:
    """benchmark/method/preset/backend/device/dtype/seed plus a hash of overrides and budget
    (and of the checkpoint file's content, for a run that samples a given checkpoint).

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


def empty_row(spec: dict, status: str) -> dict:
    """The row of ``spec`` before any measurement: every key of :data:`ROW_KEYS`, the key fields,
    ``run_key``, the overrides and budget (JSON), the time budget and ``status``; None elsewhere."""
    row = dict.fromkeys(ROW_KEYS)
    row.update({k: spec[k] for k in KEY_FIELDS})
    row.update(
        run_key=run_key(spec),
        overrides=to_json(spec["overrides"]),
        budget=to_json(spec["budget"]),
        budget_seconds=spec["budget"].get("seconds"),
        status=status,
        schema_version=ROW_SCHEMA_VERSION,
    )
    return row
