"""Run harness grids on a Dask cluster (``leapsbench run --executor dask [--scheduler ADDRESS]``).

A ``distributed.Client`` already has the ``concurrent.futures.Executor`` shape that
:func:`leapsbench.harness.grid.run_grid` uses; :class:`DaskExecutor` adds what a grid needs:

- one task per (benchmark, method, backend, seed) spec, submitted with ``pure=False``;
- GPU specs (device ``cuda…`` or backend ``cupy``) request the worker resource ``GPU=1``, so each
  GPU runs one task at a time; CPU specs run on any worker.  Workers advertise GPUs with
  ``dask worker ADDRESS --resources GPU=1``; a GPU spec on a cluster without one is a ValueError;
- a task that raises is retried ``retries`` times; a task whose worker dies is rescheduled by the
  scheduler (``distributed.scheduler.allowed-failures`` times).  When both are spent, its row
  comes back with ``status="error"`` and the error — never silently dropped;
- results travel back to the client, which alone writes the store (run_grid), so a worker dying
  loses no finished row and a rerun skips finished rows.

With no scheduler address a ``LocalCluster`` of worker processes (one thread each) is started and
closed with the executor, with ``worker-saturation`` 1.0: a worker then holds only the task it
runs, so a task that kills its worker cannot count as a failure against queued innocent tasks
(set the same on a real cluster's scheduler).  Trained checkpoints go to the spec's
``cache_dir``, which must be a path every worker can read (a shared file system on a real
cluster).
"""

from __future__ import annotations

from concurrent.futures import Executor

from .rows import empty_row, run_key

EXTRA_HINT = "pip install 'leapsbench[dask]'"
CONNECT_TIMEOUT = 10.0
"""Seconds to reach a scheduler and finish Dask's handshake with it."""
GPU_RESOURCE = "GPU"


def _distributed():
    try:
        import distributed
    except ImportError as err:
        raise RuntimeError(
            f"--executor dask needs Dask distributed, which is not installed: {EXTRA_HINT}"
        ) from err
    return distributed


def needs_gpu(spec: dict) -> bool:
    """True for specs that run on a GPU: device ``cuda``/``cuda:N`` or the cupy backend."""
    return spec.get("backend") == "cupy" or str(spec.get("device", "")).startswith("cuda")


def failed_row(spec: dict, err: BaseException) -> dict:
    """The result row of a task that never returned one (worker lost, retries spent)."""
    row = empty_row(spec, status="error")
    row["error"] = f"{type(err).__name__} on the Dask cluster: {err}"
    return row


def _handshake(distributed, address: str) -> None:
    """Open a comm to ``address`` and finish Dask's handshake, all within
    :data:`CONNECT_TIMEOUT` seconds (``asyncio.wait_for`` cancels whatever is still waiting)."""
    import asyncio

    async def probe():
        comm = await distributed.comm.connect(address, timeout=CONNECT_TIMEOUT)
        await comm.close()

    asyncio.run(asyncio.wait_for(probe(), CONNECT_TIMEOUT))


def _connect(distributed, address: str):
    """A Client of the scheduler at ``address``, or a RuntimeError naming it, within
    :data:`CONNECT_TIMEOUT` seconds whatever answers there (an HTTP server made the client hang,
    another server made it try to allocate 3 EiB for a bogus frame length)."""
    try:
        _handshake(distributed, address)
        return distributed.Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except (Exception, MemoryError) as err:  # OSError, TimeoutError, a garbled handshake
        reason = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise RuntimeError(
            f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT:g} s "
            f"({reason[:200]}); give the address of a running `dask scheduler` (e.g. "
            "tcp://host:8786), or leave out --scheduler for a local cluster"
        ) from None


class _Settled:
    """A finished Dask future whose ``result()`` is the row, or the failed row on error."""

    def __init__(self, future, spec):
        self._future, self._spec = future, spec

    def result(self):
        try:
            return self._future.result()
        except Exception as err:
            if self._spec is None:
                raise
            return failed_row(self._spec, err)


class DaskExecutor(Executor):
    """``submit``/``as_completed``/``shutdown`` on a Dask cluster (see the module docstring).

    ``scheduler``: an address such as ``tcp://host:8786`` (None: start a LocalCluster with
    ``n_workers`` processes).  ``client``: use an existing ``distributed.Client`` instead.
    """

    def __init__(self, scheduler=None, *, n_workers=None, retries=1, client=None):
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
        if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
            raise ValueError(f"n_workers must be an integer >= 1, got {n_workers!r}")
        self._distributed = _distributed()
        self.retries = retries
        self._owned = []
        if client is None:
            if scheduler:
                client = _connect(self._distributed, scheduler)
            else:
                import dask

                with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
                    cluster = self._distributed.LocalCluster(
                        n_workers=n_workers, threads_per_worker=1, processes=True
                    )
                self._owned.append(cluster)
                client = self._distributed.Client(cluster)
            self._owned.insert(0, client)
        self.client = client
        self._specs, self._futures = {}, {}

    def _has_gpu_worker(self) -> bool:
        workers = self.client.scheduler_info()["workers"].values()
        return any(w.get("resources", {}).get(GPU_RESOURCE, 0) >= 1 for w in workers)

    def submit(self, fn, /, *args, **kwargs):
        spec = args[0] if args and isinstance(args[0], dict) and "benchmark" in args[0] else None
        resources = None
        if spec is not None and needs_gpu(spec):
            if not self._has_gpu_worker():
                raise ValueError(
                    f"run {run_key(spec)} needs a GPU but no Dask worker advertises the resource "
                    f"{GPU_RESOURCE}; start GPU workers with `dask worker ADDRESS --resources "
                    f"{GPU_RESOURCE}=1`"
                )
            resources = {GPU_RESOURCE: 1}
        future = self.client.submit(
            fn, *args, pure=False, retries=self.retries, resources=resources, **kwargs
        )
        self._specs[future.key], self._futures[future.key] = spec, future
        return future

    def as_completed(self, futures):
        """Yield each future as it finishes, wrapped so that ``result()`` never raises."""
        for future in self._distributed.as_completed(futures):
            self._futures.pop(future.key, None)
            yield _Settled(future, self._specs.pop(future.key, None))

    def shutdown(self, wait=True, *, cancel_futures=False):
        if cancel_futures and self._futures:
            self.client.cancel(list(self._futures.values()), force=True)
        self._futures, self._specs = {}, {}
        for owned in self._owned:
            owned.close()
        self._owned = []
