"""Grids of runs through any ``concurrent.futures.Executor``-shaped object.

:class:`InlineExecutor` (the default) runs each task synchronously in this process, so the
adapters' per-run progress is shown; ``ProcessPoolExecutor(max_workers=N)`` runs N at a time; a
Dask ``Client`` offers the same ``submit``/``result`` shape.  Tasks are :func:`run_task` on plain
dict specs; rows come back as plain dicts and only this (client) process writes the store, one
atomic file per finished run, so Ctrl-C keeps every finished row and a rerun skips them.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from collections import Counter
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed

from .code_identity import code_identity
from .rows import run_key
from .runner import make_spec, run_task

CODE_KEYS = ("code_version", "code_hash")


class InlineExecutor(Executor):
    """Runs each submitted task at once in the calling process; returns a finished Future."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Process-pool initializer: on Linux ask the kernel to SIGKILL this worker when its parent
    dies (``prctl(PR_SET_PDEATHSIG)``), so a SIGKILLed ``run --jobs N`` leaves no worker running;
    exit at once if the parent is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def process_pool(n_workers: int) -> ProcessPoolExecutor:
    """A pool of ``n_workers`` processes that die with this one (:func:`die_with_parent`)."""
    return ProcessPoolExecutor(n_workers, initializer=die_with_parent, initargs=(os.getpid(),))


def make_grid(benchmarks, methods, backends=("numpy",), seeds=(0,), **common) -> list[dict]:
    """Specs for every benchmark × method × backend × seed (``common``: see make_spec)."""
    return [
        make_spec(b, m, backend=k, seed=s, **common)
        for b, m, k, s in itertools.product(benchmarks, methods, backends, seeds)
    ]


def _reusable(specs, store, reuse_stale: bool, note) -> list[dict]:
    """The specs to run: those without a finished row in ``store``, and those whose row was
    computed by other code (:mod:`.code_identity`) unless ``reuse_stale``; ``note(text)`` is
    told "reusing N rows computed by version X" / "recomputing N rows ..." per version."""
    done = store.done_rows()
    todo, reused, stale = [], Counter(), Counter()
    for spec in specs:
        row = done.get(run_key(spec))
        if row is None:
            todo.append(spec)
            continue
        label = _version_label(row)
        same = {k: row.get(k) for k in CODE_KEYS} == code_identity(spec["method"])
        if same or reuse_stale:
            reused[label] += 1
        else:
            stale[label] += 1
            todo.append(spec)
    for label, n in reused.items():
        note(f"reusing {n} row{'s' * (n != 1)} computed by version {label}")
    for label, n in stale.items():
        note(
            f"recomputing {n} row{'s' * (n != 1)} computed by version {label}, not by this code "
            "(--reuse-stale keeps them)"
        )
    return todo


def _version_label(row: dict) -> str:
    if row.get("code_hash") is None:
        return "unknown (a row from before code identities)"
    return f"{row.get('code_version')} (code {row['code_hash']})"


def run_grid(
    specs,
    store,
    executor=None,
    reporter=None,
    as_completed=as_completed,
    reuse_stale=False,
    note=lambda text: None,
) -> list[dict]:
    """Run the specs not yet in ``store`` (or stored by other code: :func:`_reusable`); returns
    the rows of all specs in order (stored + new).

    ``reporter`` (optional) gets ``start(n_total, n_skipped)``, ``run_started(spec)``,
    ``run_progress(done, total, **metrics)`` (in-process runs only) and ``run_finished(row)``.
    ``as_completed`` yields the executor's futures as they finish (pass
    ``distributed.as_completed`` for a Dask client).
    """
    executor = executor or InlineExecutor()
    inline = isinstance(executor, InlineExecutor)
    todo = _reusable(specs, store, reuse_stale, note)
    if reuse_stale:  # cached trainings by other code are reused too (runner.cache_entry)
        todo = [{**spec, "reuse_stale": True} for spec in todo]
    if reporter is not None:
        reporter.start(len(specs), len(specs) - len(todo))
    pending = []

    def finish(row):
        store.add(row)
        if reporter is not None:
            reporter.run_finished(row)

    try:
        for spec in todo:
            if inline:
                if reporter is not None:
                    reporter.run_started(spec)
                progress = None if reporter is None else reporter.run_progress
                finish(executor.submit(run_task, spec, progress).result())
            else:
                pending.append(executor.submit(run_task, spec))
        for future in as_completed(pending):
            finish(future.result())
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    by_key = {row["run_key"]: row for row in store.rows()}
    return [by_key[key] for key in map(run_key, specs) if key in by_key]
