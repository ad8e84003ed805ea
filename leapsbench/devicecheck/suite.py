"""Step 1: the test suite's device parametrisations, failures listed.

Runs ``python -m pytest <selection> --junitxml OUTDIR/tests.xml`` with
``LEAPSBENCH_REQUIRE_BACKENDS`` set to the plan's backends (a missing one fails instead of
skipping); the slow statistical tests are included (a per-test ``--timeout`` keeps one from
holding the step).  The counts and every failure (test id and the first line of its message)
come from the JUnit XML, which pytest also writes when the step's time limit interrupts it
(SIGINT).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .plan import Plan
from .record import StepRecord

MESSAGE_CHARS = 300
GRACE_SECONDS = 10
"""Seconds pytest has to write its report after SIGINT (the step's limit leaves room for it)."""


def pytest_command(plan: Plan, junit: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *plan.test_selection,
        "--junitxml",
        str(junit),
    ]


def junit_results(path: Path) -> dict:
    """Counts (passed, failed, errors, skipped) and failures [{"test", "message"}] of a JUnit
    XML file."""
    root = ET.parse(path).getroot()
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures = []
    for case in root.iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        outcome = next(iter(case), None)
        tag = outcome.tag if outcome is not None else "passed"
        if tag in ("system-out", "system-err", "properties"):
            tag = "passed"
        key = {"failure": "failed", "error": "errors", "skipped": "skipped"}.get(tag, "passed")
        counts[key] += 1
        if key in ("failed", "errors"):
            message = (outcome.get("message") or outcome.text or "").strip().splitlines()
            failures.append({"test": test, "message": (message or [""])[0][:MESSAGE_CHARS]})
    return {**counts, "failures": failures}


def run_tests(plan: Plan, outdir: Path) -> None:
    """Step 1 (module docstring)."""
    record = StepRecord(outdir, "tests", plan.name)
    junit = Path(outdir) / "tests.xml"
    command = pytest_command(plan, junit)
    env = {**os.environ, "LEAPSBENCH_REQUIRE_BACKENDS": plan.require_backends}
    record.set(command=" ".join(command[1:]), require_backends=plan.require_backends)
    with open(Path(outdir) / "tests.log", "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        code, interrupted = _wait(proc, plan.test_timeout - GRACE_SECONDS)
    if not junit.is_file():
        record.skip("test results", f"pytest exited {code} without a JUnit report (tests.log)")
        record.finish("failed")
        return
    results = junit_results(junit)
    record.add({"what": "pytest", "exit_code": code, "interrupted": interrupted, **results})
    ok = not interrupted and (code == 0 or (code == 5 and not results["failures"]))
    record.finish("ok" if ok else "failed")


def _wait(proc: subprocess.Popen, seconds: float) -> tuple[int, bool]:
    """(exit code, interrupted): pytest gets SIGINT after ``seconds`` (or when this process is
    interrupted), then GRACE_SECONDS to write its report; SIGKILL after that."""
    try:
        return proc.wait(timeout=seconds), False
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=GRACE_SECONDS), True
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(), True
