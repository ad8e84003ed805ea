"""Test-only helpers for the Dask executor tests (not part of the package).

``fake-die``: a method whose ``sample`` kills its worker process (os._exit) the first time it
runs for a given marker directory, and succeeds (like ``fake-is``) on the retry.
``fake-always-die``: kills its worker every time.  :class:`RegisterFakes` is a worker plugin that
registers these and harness_fakes' methods on every worker, including restarted ones.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import harness_fakes
from distributed.diagnostics.plugin import WorkerPlugin

NAMES = ("fake-die", "fake-always-die")
TESTS_DIR = str(Path(__file__).parent)


class DyingMethod(harness_fakes.FakeMethod):
    def sample(self, model, backend, rng, budget, progress=None):
        marker = Path(self.config["marker"]) / f"{self.name}-died"
        if self.name == "fake-always-die" or not marker.exists():
            marker.touch()
            os._exit(1)
        return harness_fakes.FakeMethod("fake-is", {"n": self.config["n"]}).sample(
            model, backend, rng, budget, progress
        )


def make(name, preset="quick", overrides=None):
    overrides = dict(overrides or {})
    return DyingMethod(name, {"n": 2000, **overrides})


def register(modules: dict) -> None:
    """Point the method registry ``modules`` at the fakes."""
    for name in harness_fakes.NAMES:
        modules[name] = "harness_fakes"
    for name in NAMES:
        modules[name] = "dask_fakes"


class RegisterFakes(WorkerPlugin):
    """Dask worker plugin: make tests/ importable and register the fake methods."""

    name = "leapsbench-test-fakes"

    def setup(self, worker):
        if TESTS_DIR not in sys.path:
            sys.path.insert(0, TESTS_DIR)
        from leapsbench.harness import methods

        register(methods.METHOD_MODULES)
