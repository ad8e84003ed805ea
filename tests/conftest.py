"""Backend fixtures: every backend-agnostic test runs on each installed backend.

Missing backends skip, unless listed in LEAPSBENCH_REQUIRE_BACKENDS (comma-separated ids such as
``numpy,torch,array-api-strict``), in which case their absence fails the test run.
array-api-strict also runs on its non-default device ``device1``, which catches a missing
``device=`` without a GPU.
"""

from __future__ import annotations

import os

import pytest
from leapsbench.backends import BackendUnavailable, get_backend

BACKEND_IDS = {
    "numpy": ("numpy", None),
    "torch": ("torch", "cpu"),
    "array-api-strict": ("array-api-strict", None),
    "array-api-strict:device1": ("array-api-strict", "device1"),
    "torch:cuda": ("torch", "cuda"),
    "cupy": ("cupy", None),
}


def required_backends() -> set[str]:
    return {
        b.strip() for b in os.environ.get("LEAPSBENCH_REQUIRE_BACKENDS", "").split(",") if b.strip()
    }


def _resolve(backend_id: str, dtype: str = "float64"):
    name, device = BACKEND_IDS[backend_id]
    try:
        return get_backend(name, device=device, dtype=dtype)
    except BackendUnavailable as err:
        if backend_id in required_backends():
            pytest.fail(f"required backend {backend_id} is unavailable: {err}")
        pytest.skip(f"backend {backend_id} unavailable: {err}")


@pytest.fixture(params=list(BACKEND_IDS))
def backend(request):
    """A float64 Backend for every backend id (skipped when not installed)."""
    return _resolve(request.param)


@pytest.fixture
def xp(backend):
    return backend.xp


@pytest.fixture
def numpy_backend():
    return get_backend("numpy")


def pytest_sessionstart(session):
    unknown = required_backends() - set(BACKEND_IDS)
    if unknown:
        raise pytest.UsageError(
            f"LEAPSBENCH_REQUIRE_BACKENDS names unknown backends {sorted(unknown)}; "
            f"known: {', '.join(BACKEND_IDS)}"
        )


@pytest.fixture
def fakes(monkeypatch):
    """Register the test-only fake methods (tests/harness_fakes.py) and reset their call
    counters."""
    import harness_fakes

    from leapsbench.harness import methods

    for name in harness_fakes.NAMES:
        monkeypatch.setitem(methods.METHOD_MODULES, name, "harness_fakes")
    harness_fakes.CALLS.update(fit=0, sample=0)
    return harness_fakes
