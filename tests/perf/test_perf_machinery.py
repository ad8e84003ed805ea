"""The ratio-gate machinery itself (leapsbench.perf), in the normal test run: kernels that spin
for a known amount of this process's CPU time, timed with ``time.process_time``, give known
ratios whatever else the machine runs (sleep-based kernels overshoot by milliseconds under load)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from leapsbench.perf import calibrate, gate_message, measure_ratio, slowed


def _sleeper(seconds):
    return lambda: time.sleep(seconds)


def _spinner(cpu_seconds):
    """A kernel that burns ``cpu_seconds`` of this process's CPU time."""

    def spin():
        start = time.process_time()
        while time.process_time() - start < cpu_seconds:
            pass

    return spin


def _cpu_ratio(name, kernel, reference, repeats):
    return measure_ratio(
        name, kernel, reference, repeats=repeats, min_seconds=0.01, clock=time.process_time
    )


def test_measure_ratio_recovers_a_known_ratio():
    m = _cpu_ratio("spin", _spinner(0.004), _spinner(0.002), repeats=5)
    assert len(m.ratios) == 5
    assert 1.5 < m.median < 2.6  # the overshoot of a spin is one clock read
    assert m.spread >= 1.0
    assert "median ratio" in gate_message(m, 1.5)


def test_slowed_doubles_the_ratio():
    calls = []
    twice = slowed(lambda: calls.append(1), 2)
    twice()
    assert len(calls) == 2
    base = _cpu_ratio("b", _spinner(0.002), _spinner(0.002), repeats=3)
    slow = _cpu_ratio("s", slowed(_spinner(0.002)), _spinner(0.002), repeats=3)
    assert slow.median > 1.6 * base.median


def test_calibrate_reaches_min_seconds():
    n = calibrate(_sleeper(0.001), 0.01)
    assert 2 <= n <= 11


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_repeats_and_factor(bad):
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        measure_ratio("x", lambda: None, lambda: None, repeats=bad)
    with pytest.raises(ValueError, match="factor"):
        slowed(lambda: None, bad)


def test_bad_min_seconds():
    with pytest.raises(ValueError, match="min_seconds"):
        calibrate(lambda: None, 0)


def test_pin_allocator_in_a_subprocess():
    """(In a child process: pinning is process-global.)  True on Linux/glibc."""
    code = "from leapsbench.perf import pin_allocator; print(pin_allocator())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = {"True"} if sys.platform == "linux" else {"True", "False"}
    assert out.stdout.strip() in expected
