"""The device check cannot rot: ``.ci/gpu --cpu-dry-run`` runs every step of the GPU check on
torch-CPU and numpy at tiny sizes through the same code and report writer, here into a
temporary folder (installing nothing), and the JSON and ``summary.md`` it writes have the
structure that a GPU run will fill.  Plus the pieces a GPU run needs when something goes
wrong: failures read from the JUnit report, a step marked as timed out, usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leapsbench.devicecheck.plan import GPU_PLAN, STEP_SECONDS
from leapsbench.devicecheck.record import StepRecord, mark_step, read_step
from leapsbench.devicecheck.suite import junit_results
from leapsbench.devicecheck.summary import render

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "gpu"
CHECKPOINT = ROOT.parent / "shared" / "leaps-authors" / "ising_final.ckpt"


def _env() -> dict:
    """This interpreter's ``python`` first on PATH (the script calls ``python``)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "OMP_NUM_THREADS": "1", "PATH": path}


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-dry-run")
    done = subprocess.run(
        ["bash", str(SCRIPT), "--cpu-dry-run", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout


def test_every_step_ran_and_summary_has_every_section(dry_run):
    out, stdout = dry_run
    for step in ("environment", "tests", "parity", "throughput"):
        assert read_step(out, step)["status"] in ("ok", "skipped"), step
    summary = (out / "summary.md").read_text()
    for heading in (
        "## Environment",
        "## Steps",
        "## 1. Tests",
        "## 2. Parity",
        "## 3. Throughput",
    ):
        assert heading in summary
    assert "## Not run" in summary
    assert "nan" not in summary.lower() and "± 0 " not in summary
    assert "every step ok" in stdout


def test_tests_step_lists_counts(dry_run):
    result = read_step(dry_run[0], "tests")["entries"][-1]
    assert result["passed"] > 0 and result["failed"] == 0 and result["failures"] == []


def test_parity_rows_beside_the_cpu_rows(dry_run):
    out = dry_run[0]
    step = read_step(out, "parity")
    if not CHECKPOINT.is_file():
        assert step["status"] == "skipped" and step["not_run"]
        return
    entries = step["entries"]
    assert {(e["backend"], e["label"]) for e in entries} == {
        (b, run.label) for b in ("torch", "numpy") for run in GPU_PLAN.parity
    }
    for e in entries:
        assert e["status"] == "ok", e["error"]
        assert 0 < e["ess_fraction"] <= 1 and e["walkers"] >= 2 and e["seconds_per_1000x100"] > 0
        assert e["cpu"]["walkers"] >= 256  # the committed CPU rows of the same settings
    rows = list((out / "parity-rows" / "rows").glob("*.json"))
    assert len(rows) == len(entries)


def test_throughput_has_every_measurement(dry_run):
    entries = read_step(dry_run[0], "throughput")["entries"]
    sweeps = [e for e in entries if e["what"].startswith("checkerboard")]
    assert len(sweeps) == 2 * 2 * 2  # backends × rules × sizes
    assert all(e["flips_per_ps"] > 0 for e in sweeps)
    whats = {e["what"] for e in entries}
    assert {"Swendsen-Wang", "LE-conv forward (paper network)"} <= whats
    train = next(e for e in entries if e["what"].startswith("LEAPS training"))
    assert train["seconds_per_step"] > 0 and train["mean_seconds_per_step"] >= 0
    suite = next(e for e in entries if e["what"].startswith("run --suite paper"))
    assert suite["hours_leaps_conv"] > 0 and "leaps-mlp" in suite["methods_not_costed"]


def test_the_gpu_budgets_fit_eight_minutes():
    assert sum(STEP_SECONDS.values()) <= 8 * 60
    assert (
        sum(run.seconds for run in GPU_PLAN.parity) * len(GPU_PLAN.backends)
        < STEP_SECONDS["parity"]
    )


def test_junit_failures_are_listed(tmp_path):
    xml = tmp_path / "t.xml"
    xml.write_text(
        '<testsuites><testsuite><testcase classname="tests.a" name="ok"/>'
        '<testcase classname="tests.a" name="bad[cupy]"><failure message="assert 1 == 2&#10;'
        'more">trace</failure></testcase><testcase classname="tests.b" name="s">'
        '<skipped message="no"/></testcase></testsuite></testsuites>'
    )
    result = junit_results(xml)
    assert (result["passed"], result["failed"], result["skipped"]) == (1, 1, 1)
    assert result["failures"] == [{"test": "tests.a::bad[cupy]", "message": "assert 1 == 2"}]


def test_a_timed_out_step_keeps_what_it_measured(tmp_path):
    record = StepRecord(tmp_path, "throughput", "gpu")
    record.add(
        {
            "what": "Swendsen-Wang",
            "backend": "cupy",
            "device": "0",
            "L": 256,
            "chains": 16,
            "sweeps_per_second": 2.0,
            "chain_sweeps_per_second": 32.0,
            "seconds_per_sweep": 0.5,
            "sweeps_timed": 3,
        }
    )
    mark_step(tmp_path, "throughput", "gpu", "timed out", "after its limit of 110 s")
    step = read_step(tmp_path, "throughput")
    assert step["status"] == "timed out" and len(step["entries"]) == 1
    summary = render(tmp_path)
    assert "step throughput: timed out after its limit of 110 s" in summary
    assert "Swendsen–Wang, cupy (0), L = 256" in summary
    assert "step parity: not run" in summary


@pytest.mark.parametrize("args", [["--steps", "1,5", "x"], ["--steps", "two", "x"], []])
def test_usage_errors_exit_2(args):
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "usage" in done.stderr or "--steps" in done.stderr


def test_gpu_run_without_a_device_stops_with_the_reason(tmp_path):
    """On this CPU the real check must stop at once, naming what is missing (exit 3)."""
    done = subprocess.run(
        ["bash", str(SCRIPT), "--no-install", "--steps", "3", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "sees no CUDA device" in done.stdout and "no usable device" in done.stderr
    step = json.loads((tmp_path / "environment.json").read_text())
    assert step["status"] == "failed" and step["not_run"]
    assert not (tmp_path / "throughput.json").exists()


def test_a_failing_measurement_is_recorded_and_the_step_goes_on(tmp_path):
    record = StepRecord(tmp_path, "throughput", "gpu")

    def out_of_memory():
        raise RuntimeError("CUDA out of memory. Tried to allocate 80.00 GiB")

    assert record.attempt("heatbath sweeps at L = 1024 on cupy", out_of_memory) is None
    assert record.attempt("next", lambda: {"what": "x"}, backend="cupy") == {
        "backend": "cupy",
        "what": "x",
    }
    step = read_step(tmp_path, "throughput")
    assert step["not_run"] == [
        {
            "what": "heatbath sweeps at L = 1024 on cupy",
            "why": "RuntimeError: CUDA out of memory. Tried to allocate 80.00 GiB",
        }
    ]
    assert "heatbath sweeps at L = 1024 on cupy: RuntimeError" in render(tmp_path)
