"""Issue 30, tracebacks, hangs and orphans: a failed run prints one line (its traceback stays in
the stored row), a --scheduler address that is not a Dask scheduler fails within a bounded time
naming it (tiny local servers), and a SIGKILLed ``run --jobs 2`` leaves no worker running."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from leapsbench.cli import main
from leapsbench.harness.store import ResultStore

BENCH = "ising-L4-b0.4407"


def _argv(tmp_path, *extra):
    argv = ["run", "--results", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    return [*argv, "--no-progress", "--benchmark", BENCH, *extra]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_failed_run_prints_one_line_and_keeps_the_traceback_stored(
    fakes, tmp_path, capsys, monkeypatch, fmt
):
    monkeypatch.setattr("leapsbench.harness.runner.warm_up", lambda specs: None)  # no torch
    assert main(_argv(tmp_path, "--method", "fake-broken", "--format", fmt)) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    line = f"failed {BENCH} fake-broken seed 0: RuntimeError: this fake method always fails"
    assert line in captured.err
    (stored,) = ResultStore(tmp_path / "runs").rows()
    assert "Traceback" in json.loads(stored["fit_info"])["traceback"]


# --- scheduler addresses that answer but are not Dask schedulers ---


def _raw_server(payload: bytes) -> int:
    """A TCP server that sends ``payload`` (nothing: b"") to each client and keeps it open."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held = []

    def serve():
        while True:
            conn, _ = server.accept()
            conn.sendall(payload)
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _http_server() -> int:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


@pytest.mark.parametrize("kind", ["silent", "garbage", "http"])
def test_a_scheduler_address_that_is_not_dask_fails_in_bounded_time(
    fakes, tmp_path, capsys, monkeypatch, kind
):
    pytest.importorskip("distributed")
    from leapsbench.harness import dask_executor

    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1.5)
    port = {
        "silent": lambda: _raw_server(b""),
        "garbage": lambda: _raw_server(b"\xff" * 64),  # a frame length of ~2^64 bytes
        "http": _http_server,
    }[kind]()
    address = f"tcp://127.0.0.1:{port}"
    start = time.perf_counter()
    argv = _argv(tmp_path, "--method", "fake-is", "--executor", "dask", "--scheduler", address)
    assert main(argv) == 2
    assert time.perf_counter() - start < 8
    err = capsys.readouterr().err
    assert f"no Dask scheduler answered at {address} within 1.5 s" in err
    assert "Traceback" not in err


# --- SIGKILL of run --jobs 2: its workers die with it ---


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_sigkill_of_run_with_two_jobs_leaves_no_worker(tmp_path):
    argv = [sys.executable, "-m", "leapsbench", *_argv(tmp_path, "--method", "metropolis")]
    argv += ["--seed", "0", "--seed", "1", "--jobs", "2", "--seconds", "60"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    parent = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 40
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [p for p in _children(parent.pid) if _alive(p)]
        assert len(workers) >= 2, "the pool never started its workers"
        time.sleep(0.5)  # the workers are past their initializer
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers)), "workers outlived their SIGKILLed parent"
    finally:
        for pid in [parent.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
