"""Perf suite plumbing.

- ``perf`` marker: the ratio gates (tests/perf/test_gates.py).  They are deselected unless
  ``LEAPSBENCH_PERF=1`` (``.ci/perf`` sets it), so the normal test run never times anything;
  with it, glibc's malloc thresholds are pinned (leapsbench.perf.pin_allocator) so that
  kernel times do not depend on which tests ran before.
- ``ratio_gate`` fixture: measure a kernel against its reference (leapsbench.perf.measure_ratio),
  append the measurement as one JSON line to ``$LEAPSBENCH_PERF_RECORD`` (when set), and fail when
  the median ratio exceeds the threshold.
- The pytest-benchmark throughput benchmarks run only with ``--benchmark-only`` (``tox -e bench``;
  pyproject's addopts has ``--benchmark-skip``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leapsbench.perf import gate_message, measure_ratio, pin_allocator

PERF_ENABLED = os.environ.get("LEAPSBENCH_PERF", "") == "1"
if PERF_ENABLED:
    pin_allocator()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "perf: timing ratio gates; run only with LEAPSBENCH_PERF=1 (.ci/perf)"
    )


def pytest_collection_modifyitems(config, items):
    if PERF_ENABLED:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("perf") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _record(entry: dict) -> None:
    path = os.environ.get("LEAPSBENCH_PERF_RECORD")
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


@pytest.fixture
def ratio_gate(request):
    """``ratio_gate(name, kernel, reference, threshold, repeats=11, expect="pass",
    **options)``; ``options`` go to measure_ratio (``min_seconds``, ``clock``).

    ``expect="pass"`` asserts median ≤ threshold; ``expect="fire"`` (the injected-slowdown
    tests) asserts median > threshold.  Returns the RatioMeasurement.
    """

    def run(name, kernel, reference, threshold, repeats=11, expect="pass", **options):
        if expect not in ("pass", "fire"):
            raise ValueError(f"expect must be 'pass' or 'fire', got {expect!r}")
        m = measure_ratio(name, kernel, reference, repeats=repeats, **options)
        _record(
            {"test": request.node.nodeid, "threshold": threshold, "expect": expect, **m.to_dict()}
        )
        message = gate_message(m, threshold)
        if expect == "pass":
            assert m.median <= threshold, "gate fired: " + message
        else:
            assert m.median > threshold, "injected slowdown not caught: " + message
        return m

    return run
