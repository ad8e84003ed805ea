"""Timing of a device call: warm-up, then repeats until ``min_seconds`` have passed."""

from __future__ import annotations

import time

MAX_REPEATS = 1000


def seconds_per_call(backend, fn, min_seconds: float, max_repeats: int = MAX_REPEATS) -> dict:
    """{"seconds": mean wall seconds per ``fn()`` call (backend synchronised), "calls": n}: one
    untimed warm-up call, then calls until ``min_seconds`` or ``max_repeats``."""
    fn()
    backend.synchronize()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        backend.synchronize()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or calls >= max_repeats:
            return {"seconds": elapsed / calls, "calls": calls}
