"""One run = one benchmark × method × preset × backend × device × seed → one plain-dict row.

:func:`run_task` takes and returns plain data (a picklable top-level function), so any
``concurrent.futures.Executor`` — in-process, a process pool, a Dask client — can run it; only
the client writes the results store.  It never raises for a failing method: the row then has
``status="error"`` and the message in ``error`` (``status="n/a"`` when the method does not apply
to the benchmark, :class:`.method.NotApplicable`).

Timing: ``backend.synchronize()`` before each clock read.  A method that ``trains`` is cached
under ``cache_dir/<method>/<benchmark>/<config-hash>-seed<seed>/`` by its ``save``/``load``
(``fit.json`` written last marks a complete checkpoint), so sampling on another backend, or with
other sampling-only settings, reuses the same training; its ``training_checkpoint`` is a file
there, so an interrupted training resumes.  A spec with ``no_train`` (``run --no-train``) samples
cached checkpoints only: a run that would have to train fails, naming the missing entry.
``ess_per_second`` = ESS / (train + sample seconds).  A run with ``checkpoint`` samples a network
trained elsewhere (the LEAPS authors' .ckpt or a leapsbench checkpoint, carried to the
benchmark's size, :mod:`leapsbench.leaps.transfer`): its ``source`` is "authors" or
"checkpoint", ``fit_info`` the checkpoint's provenance (sha256, steps, ``transferred``,
``trained_for``: the model it was trained for), ``train_seconds`` None (not timed here) and ESS/s
counts sampling only.  A plug-in method's row has ``source`` "plugin" and its distribution and
version (``plugin_distribution``, ``plugin_version``; :func:`.methods.origin_columns`).

A total time budget T (``budget["seconds"]``) is split by :func:`split_seconds`: ``fit`` gets
``Budget(train_seconds=share · T)`` (share ``budget["train_share"]``, default
:data:`TRAIN_SHARE`; methods that do not train return at once), and ``sample`` gets
``Budget(sample_seconds=T − training time spent)`` (at least :data:`MIN_SAMPLE_SHARE` · T), so
that train + sample ≈ T for every method.  The row records ``budget_seconds`` = T (None without
one) and what was spent (``train_seconds``, ``sample_seconds``, ``total_seconds``); its cost in
evaluations is split into ``n_network_evaluations`` and ``n_energy_evaluations`` (sampling), and
``n_train_evaluations`` counts the network passes of the training (0 for methods that do not
train, None where not known: the authors' training, or a checkpoint saved before counting).
``cpu_seconds`` is this process's CPU time over the run (on a shared machine it shows how much of
the wall time the run actually computed).
"""

from __future__ import annotations

import json
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from leapsbench.atomic import atomic_write_text
from leapsbench.checkpoint import unreadable
from leapsbench.method import Budget, NotApplicable
from leapsbench.threads import fix_torch_threads

from .benchmarks import get_benchmark
from .code_identity import code_identity
from .methods import make_method, origin_columns
from .metrics import compute_metrics, magnetization_histogram
from .provenance import git_commit, host, versions
from .reference_lookup import USER_REFERENCE_DIR, find_reference
from .reliability import unreliable_reason
from .rows import config_hash, empty_row, to_json

MAX_DIAGNOSTIC_SIZE = 4096


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
    no_train=False,
    checkpoint=None,
    transfer_beta=False,
) -> dict:
    """The plain-data description of one run (validated lazily by :func:`run_task`).

    ``no_train``: sample a checkpoint from ``cache_dir`` or fail, never train.  ``checkpoint``:
    the path of a trained network to sample instead of training (the authors' .ckpt or a
    leapsbench checkpoint, carried to the benchmark's size, :mod:`leapsbench.leaps.transfer`);
    ``transfer_beta``: it may have been trained at other couplings (β)."""
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
        "reference_dir": str(Path(reference_dir or USER_REFERENCE_DIR).resolve()),
        "no_train": bool(no_train),
        "checkpoint": None if checkpoint is None else str(Path(checkpoint).resolve()),
        "transfer_beta": bool(transfer_beta),
    }


def _small_diagnostics(diagnostics: dict) -> dict:
    out = {}
    for key, value in diagnostics.items():
        if isinstance(value, (int, float, str, bool, np.generic)) or value is None:
            out[key] = value
        elif isinstance(value, (np.ndarray, list, tuple)) and np.size(value) <= MAX_DIAGNOSTIC_SIZE:
            out[key] = np.asarray(value).tolist()
    return out


TRAINING_BUDGET = ("train_steps", "train_seconds", "seconds", "train_share")
TRAIN_SHARE = 0.8
"""Default share of a total time budget that training may use (``--train-share``)."""
MIN_SAMPLE_SHARE = 0.05
"""Sampling gets at least this share of a total budget, even after a training overrun."""


def warm_up(specs) -> None:
    """Import torch and its optimiser (seconds, once per process) before a grid with a method
    that trains, so that the first run's time budget is not charged with the process's set-up."""
    if any(make_method(s["method"], s["preset"], s["overrides"]).trains for s in specs):
        import torch

        torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # imports torch._dynamo


def split_seconds(budget: Budget, train_seconds: float | None = None) -> Budget:
    """The fit budget (``train_seconds`` None) or the sample budget (after ``train_seconds`` of
    training) of a total time budget; other budgets are passed on unchanged."""
    if budget.seconds is None:
        return budget
    total = budget.seconds
    if train_seconds is None:
        share = TRAIN_SHARE if budget.train_share is None else budget.train_share
        return Budget(train_seconds=share * total)
    return Budget(sample_seconds=max(total - train_seconds, MIN_SAMPLE_SHARE * total))


def cache_entry(
    cache_dir, method, benchmark: str, budget: dict, seed: int, stale_ok: bool = False
) -> Path:
    """``<cache_dir>/<method>/<benchmark>/<hash>-seed<seed>[-<code hash>]``: where a trained
    method is cached.

    The hash covers the method's ``training_config`` (LEAPS: its config without the
    sampling-only keys) and its training budget only, so runs that differ in backend, device,
    dtype, number of samples or sampling-only settings share one checkpoint.  The code's
    identity (:mod:`.code_identity`) is recorded in the entry's ``fit.json``: an entry trained
    by other code is not loaded (the training goes to ``…-seed<seed>-<code hash>`` beside it)
    unless ``stale_ok`` (``--no-train``, ``--reuse-stale``: reuse on purpose)."""
    training = {k: v for k, v in dict(budget).items() if k in TRAINING_BUDGET and v is not None}
    key = config_hash({"config": method.training_config, "budget": training})
    plain = Path(cache_dir) / method.name / benchmark / f"{key}-seed{seed}"
    code = code_identity(method.name)
    coded = plain.with_name(f"{plain.name}-{code['code_hash']}")
    if (coded / "fit.json").is_file():
        return coded
    if stale_ok or not (plain / "fit.json").is_file():
        return plain
    try:
        trained_by = json.loads((plain / "fit.json").read_text()).get("code")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return plain  # unreadable: fit_into_cache names the file and the way out
    return plain if trained_by == code else coded


def fit_into_cache(
    method, entry, model, backend, rng, budget, progress=None, record=None, no_train=False
) -> tuple[dict, float, bool]:
    """(fit diagnostics, train seconds, reused?) of ``method``.

    A method that ``trains`` is loaded from the cache directory ``entry`` when its ``fit.json``
    marker exists; otherwise (a RuntimeError with ``no_train``) it is fitted (timed between
    ``backend.synchronize()`` calls) with its training state in ``entry/training-state.pt``,
    saved to ``entry`` and the marker, with ``record`` added, written last (a failed write
    warns: the trained method is still usable).  ``entry`` None: nothing is cached."""
    cacheable = entry is not None and method.trains
    if cacheable:
        entry = Path(entry)
        marker = entry / "fit.json"
        if marker.is_file():
            saved = _read_marker(marker)
            method.load(str(entry), model)
            return saved["fit_info"], saved["train_seconds"], True
        method.training_checkpoint = str(entry / "training-state.pt")  # resumed from
    if method.trains and no_train:
        where = f"{marker} does not exist" if cacheable else "no cache directory given"
        raise RuntimeError(
            f"no trained {method.name} checkpoint for this run: {where} (--no-train samples "
            "cached checkpoints only; make one with leapsbench train --cache, with the run's "
            "--set and training budget)"
        )
    backend.synchronize()
    start = time.perf_counter()
    fit_info = method.fit(model, backend, rng, budget, progress=progress) or {}
    backend.synchronize()
    # a resumed training adds the seconds spent before it was killed (its training state's)
    seconds = time.perf_counter() - start + float(fit_info.get("resumed_train_seconds") or 0.0)
    if cacheable:
        code = code_identity(method.name)
        content = {"fit_info": fit_info, "train_seconds": seconds, "code": code, **(record or {})}
        marker_text = to_json(content)
        try:
            entry.mkdir(parents=True, exist_ok=True)
            method.save(str(entry))
            atomic_write_text(marker, marker_text)
        except OSError as err:  # the trained method is still here: sample it, keep the row
            warnings.warn(
                f"could not cache the trained {method.name} in {entry}: {err}", stacklevel=2
            )
    return json.loads(to_json(fit_info)), seconds, False


def _fit(method, spec, model, backend, rng, budget, progress) -> tuple[dict, float, bool]:
    """:func:`fit_into_cache` for a run: its cache entry, the fit share of its time budget."""
    entry = None
    if spec["cache_dir"]:
        cache_dir, budget_spec = spec["cache_dir"], spec["budget"]
        stale_ok = spec.get("no_train", False) or spec.get("reuse_stale", False)
        entry = cache_entry(
            cache_dir, method, spec["benchmark"], budget_spec, spec["seed"], stale_ok
        )
    fit_budget, record = split_seconds(budget), {"spec": spec}
    no_train = spec.get("no_train", False)
    return fit_into_cache(
        method, entry, model, backend, rng, fit_budget, progress, record, no_train=no_train
    )


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
    if backend.name == "torch":
        fix_torch_threads()  # sampling on torch: the same thread setting as training
    method = make_method(spec["method"], spec["preset"], spec["overrides"])
    row.update(origin_columns(spec["method"]))  # a plug-in's source, distribution and version
    budget = Budget(**spec["budget"])
    fit_rng, sample_rng = backend.rng(spec["seed"]).spawn(2)
    cpu_start = time.process_time()
    if spec.get("checkpoint"):  # a training done elsewhere: not timed here (train_seconds None)
        fit_info = method.use_checkpoint(
            spec["checkpoint"], model, spec["overrides"], spec.get("transfer_beta", False)
        )
        train_seconds, reused, row["source"] = None, True, fit_info["source"]
    else:
        fit_info, train_seconds, reused = _fit(
            method, spec, model, backend, fit_rng, budget, progress
        )
    backend.synchronize()
    start = time.perf_counter()
    sample_budget = split_seconds(budget, train_seconds or 0.0)
    samples = method.sample(model, backend, sample_rng, sample_budget, progress=progress)
    backend.synchronize()
    sample_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start

    reference = find_reference(bench.name, model, spec["reference_dir"])
    source = row["source"]
    row = compute_metrics(samples, model, reference)
    total = sample_seconds + (train_seconds or 0.0)  # an imported network's training is not ours
    row.update(
        train_seconds=train_seconds,
        sample_seconds=sample_seconds,
        total_seconds=total,
        cpu_seconds=cpu_seconds,
        ess_per_second=None if row["ess"] is None else row["ess"] / total,
        param_count=method.param_count,
        n_evaluations=int(samples.n_evaluations),
        n_network_evaluations=int(samples.n_network_evaluations),
        n_energy_evaluations=int(samples.n_evaluations - samples.n_network_evaluations),
        n_train_evaluations=_train_evaluations(method, fit_info, source),
        checkpoint_reused=reused,
        source=source,
        config=to_json(method.config),
        fit_info=to_json(fit_info),
        diagnostics=to_json(_small_diagnostics(samples.diagnostics)),
        mag_histogram=to_json(magnetization_histogram(samples)),
    )
    budget_seconds = spec["budget"].get("seconds")  # so that an overrun is flagged in the row
    row["unreliable"] = unreliable_reason({**row, "budget_seconds": budget_seconds, "status": "ok"})
    return row


def run_task(spec: dict, progress=None) -> dict:
    """Run ``spec`` (from :func:`make_spec`) and return its result row (keys :data:`ROW_KEYS`)."""
    row = empty_row(spec, status="ok")
    row.update(git_commit=git_commit(), host=to_json(host()))
    try:
        row.update(code_identity(spec["method"]))
        row.update(_execute(spec, progress, row))
    except NotApplicable as err:
        row["status"] = "n/a"
        row["error"] = str(err)
    except Exception as err:  # a failing method becomes a row, never a crashed grid
        row["status"] = "error"
        row["error"] = f"{type(err).__name__}: {err}"
        row["fit_info"] = to_json({"traceback": traceback.format_exc(limit=6)})
    row["versions"] = to_json(versions())
    row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return row


def _train_evaluations(method, fit_info: dict, source) -> int | None:
    """Network passes the method's training took (0 if it does not train, None if unknown)."""
    if not method.trains:
        return 0
    if source == "authors":
        return None
    if source == "checkpoint":
        return (fit_info or {}).get("network_evaluations")
    return (fit_info or {}).get("train_network_evaluations")
