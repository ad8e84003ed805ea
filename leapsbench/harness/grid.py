"""Grids of runs through any ``concurrent.futures.Executor``-shaped object.

:class:`InlineExecutor` (the default) runs each task synchronously in this process, so the
adapters' per-run progress is shown; ``ProcessPoolExecutor(max_workers=N)`` runs N at a time; a
Dask ``Client`` offers the same ``submit``/``result`` shape.  Tasks are :func:`run_task` on plain
dict specs; rows come back as plain dicts and only this (client) process writes the store, one
atomic file per finished run, so Ctrl-C keeps every finished row and a rerun skips them.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor, Future, as_completed

from .rows import run_key
from .runner import make_spec, run_task


class InlineExecutor(Executor):
    """Runs each submitted task at once in the calling process; returns a finished Future."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


def make_grid(benchmarks, methods, backends=("numpy",), seeds=(0,), **common) -> list[dict]:
    """Specs for every benchmark × method × backend × seed (``common``: see make_spec)."""
    return [
        make_spec(b, m, backend=k, seed=s, **common)
        for b, m, k, s in itertools.product(benchmarks, methods, backends, seeds)
    ]


def run_grid(specs, store, executor=None, reporter=None, as_completed=as_completed) -> list[dict]:
    """Run the specs not yet in ``store``; returns the rows of all specs in order (stored + new).

    ``reporter`` (optional) gets ``start(n_total, n_skipped)``, ``run_started(spec)``,
    ``run_progress(done, total, **metrics)`` (in-process runs only) and ``run_finished(row)``.
    ``as_completed`` yields the executor's futures as they finish (pass
    ``distributed.as_completed`` for a Dask client).
    """
    executor = executor or InlineExecutor()
    inline = isinstance(executor, InlineExecutor)
    done = store.done_keys()
    todo = [s for s in specs if run_key(s) not in done]
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
