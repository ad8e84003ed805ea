"""Harness grids on a Dask LocalCluster of two worker processes (harness/dask_executor.py).

Skipped when dask.distributed is not installed, unless LEAPSBENCH_REQUIRE_DASK=1.
"""

from __future__ import annotations

import json
import os
import sys

import harness_fakes
import pytest

from leapsbench.harness import methods
from leapsbench.harness.grid import InlineExecutor, make_grid, run_grid
from leapsbench.harness.runner import make_spec
from leapsbench.harness.store import ResultStore

if os.environ.get("LEAPSBENCH_REQUIRE_DASK") == "1":
    import distributed
else:
    distributed = pytest.importorskip("distributed")
import dask  # noqa: E402
import dask_fakes  # noqa: E402

from leapsbench.harness.dask_executor import DaskExecutor, needs_gpu  # noqa: E402

QUALITY = (
    "mag",
    "mag_err",
    "delta_mag",
    "ess",
    "ess_fraction",
    "log_z",
    "log_z_err",
    "log_z_error",
    "n_samples",
    "status",
)
EXACT = ("n_samples", "status")
"""Equal in every process; the float columns are sums whose last ulp may depend on the number of
threads a worker's BLAS uses, so they are compared to a relative 1e-12."""
BENCHMARKS = ["ising-L4-b0.4407", "potts-q3-L3-b1.0"]
pytestmark = pytest.mark.timeout(300)
"""A test here takes seconds; one hung once in a futex wait (a full pytest at load ~5): past
300 s it fails with its stack instead of holding the run."""


@pytest.fixture(scope="module")
def client():
    # saturation 1.0: a worker holds only the task it runs, so a dying task cannot take queued
    # innocent tasks with it (docs/dask.md); allowed-failures 1: a poisonous task fails fast
    config = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with dask.config.set(config):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = distributed.Client(cluster)
    client.register_plugin(dask_fakes.RegisterFakes())
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def fakes(monkeypatch):
    dask_fakes.register(methods.METHOD_MODULES)
    yield
    for name in harness_fakes.NAMES + dask_fakes.NAMES:
        methods.METHOD_MODULES.pop(name, None)


def _quality(rows):
    return {row["run_key"]: {k: row[k] for k in QUALITY} for row in rows}


def assert_same_quality(rows, expected_rows):
    got, expected = _quality(rows), _quality(expected_rows)
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        for column, value in want.items():
            if column in EXACT or value is None:
                assert got[key][column] == value, (key, column)
            else:
                assert got[key][column] == pytest.approx(value, rel=1e-12, abs=0), (key, column)


def test_dask_grid_matches_in_process(client, fakes, tmp_path):
    specs = make_grid(
        BENCHMARKS, ["fake-is", "fake-broken"], ["numpy"], [0, 1], cache_dir=str(tmp_path / "cache")
    )
    inline = run_grid(specs, ResultStore(tmp_path / "inline"), InlineExecutor())
    executor = DaskExecutor(client=client)
    on_dask = run_grid(
        specs, ResultStore(tmp_path / "dask"), executor, as_completed=executor.as_completed
    )
    assert [r["run_key"] for r in on_dask] == [r["run_key"] for r in inline]
    assert_same_quality(on_dask, inline)
    assert {r["status"] for r in on_dask} == {"ok", "error"}  # fake-broken's error row kept
    # a rerun resubmits only the failed runs (the store's resume rule), not the finished ones
    submitted = []
    submit = executor.submit
    executor.submit = lambda fn, spec: submitted.append(spec) or submit(fn, spec)
    rerun = run_grid(
        specs, ResultStore(tmp_path / "dask"), executor, as_completed=executor.as_completed
    )
    assert_same_quality(rerun, inline)
    assert {s["method"] for s in submitted} == {"fake-broken"}


def test_dead_worker_loses_no_row(client, fakes, tmp_path):
    """fake-die kills its worker once (rescheduled, then succeeds); fake-always-die kills a
    worker every time (reported as an error row once allowed-failures is spent)."""
    common = dict(overrides={"marker": str(tmp_path)})
    specs = make_grid(BENCHMARKS, ["fake-is"], ["numpy"], [0, 1, 2])
    specs += [
        make_spec(BENCHMARKS[0], "fake-die", **common),
        make_spec(BENCHMARKS[0], "fake-always-die", **common),
    ]
    store = ResultStore(tmp_path / "rows")
    executor = DaskExecutor(client=client)
    rows = run_grid(specs, store, executor, as_completed=executor.as_completed)
    assert len(rows) == len(specs) == len(store.rows())
    failed = [(r["method"], r["error"]) for r in rows if r["status"] != "ok"]
    assert [m for m, _ in failed] == ["fake-always-die"], failed
    dead = next(r for r in rows if r["method"] == "fake-always-die")
    assert dead["status"] == "error" and "KilledWorker" in dead["error"]
    assert (tmp_path / "fake-die-died").exists()


def test_gpu_specs_request_the_gpu_resource(client):
    assert needs_gpu({"backend": "torch", "device": "cuda"})
    assert needs_gpu({"backend": "cupy", "device": "default"})
    assert not needs_gpu({"backend": "torch", "device": "cpu"})
    executor = DaskExecutor(client=client)
    spec = make_spec(BENCHMARKS[0], "metropolis", backend="torch", device="cuda")
    with pytest.raises(ValueError, match="needs a GPU but no Dask worker advertises"):
        executor.submit(lambda s: s, spec)


def test_bad_arguments_and_missing_extra(monkeypatch):
    with pytest.raises(ValueError, match="retries must be an integer >= 0"):
        DaskExecutor(retries=-1)
    with pytest.raises(ValueError, match="n_workers must be an integer >= 1"):
        DaskExecutor(n_workers=0)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(RuntimeError, match=r"pip install 'leapsbench\[dask\]'"):
        DaskExecutor()


def test_cli_run_on_a_dask_scheduler(client, fakes, tmp_path, capsys):
    from leapsbench.cli import main

    def run(*extra):
        return main(
            [
                "run",
                "--benchmark",
                BENCHMARKS[0],
                "--method",
                "fake-is",
                "--seed",
                "0",
                "--seed",
                "1",
                "--no-progress",
                "--format",
                "json",
                "--cache",
                str(tmp_path / "cache"),
                *extra,
            ]
        )

    address = client.scheduler.address
    assert run("--results", str(tmp_path / "d"), "--executor", "dask", "--scheduler", address) == 0
    on_dask = json.loads(capsys.readouterr().out)
    assert run("--results", str(tmp_path / "i")) == 0
    inline = json.loads(capsys.readouterr().out)
    assert_same_quality(on_dask, inline)
    assert len(inline) == 2
    assert run("--results", str(tmp_path / "x"), "--scheduler", address) == 2  # clean error
    assert "needs --executor dask" in capsys.readouterr().err
