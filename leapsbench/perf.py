"""Ratio gates: a kernel's speed relative to a fixed reference kernel timed in the same process.

Absolute times on shared machines drift by tens of percent, but two kernels timed alternately
in one process see the same machine state, so their ratio is stable.  For repeat r = 1 … R

    ratio_r = (Σ_j t_kernel,rj / n_k) / (Σ_j t_reference,rj / n_r)     (single calls j)

where the n_k kernel calls and n_r reference calls of repeat r are interleaved one by one in
proportion (the side that is behind in its fraction done goes next; ties go to the kernel on even
repeats, to the reference on odd ones), so that a preemption or a change of machine load hits both
alike.  The gate statistic is the median of the R ratios (robust to a disturbed repeat).  A gate
passes when median ≤ threshold; thresholds come from the measured spread (docs/perf.md) and sit
below twice the typical median, so that a 2× slowdown of the kernel fires the gate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def pin_allocator(threshold_bytes: int = 32 * 1024 * 1024) -> bool:
    """Fix glibc malloc's mmap threshold (and disable trimming) for this process.

    By default glibc raises its mmap threshold dynamically as large blocks are freed, so whether
    a multi-MB temporary costs fresh page faults depends on what ran before: the same kernel
    then runs at two different speeds in one process (docs/perf.md, "Timings moved out of
    docstrings").  A fixed threshold makes that deterministic.
    Returns False (and changes nothing) where glibc's ``mallopt`` is unavailable.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, threshold_bytes)) and bool(
        mallopt(m_trim_threshold, 4 * threshold_bytes)
    )


def time_per_call(fn: Callable[[], object], inner: int) -> float:
    """Seconds per call of ``fn`` averaged over ``inner`` consecutive calls."""
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def calibrate(fn: Callable[[], object], min_seconds: float) -> int:
    """The number of calls (≥ 1) that makes one timing of ``fn`` last at least ``min_seconds``."""
    if not min_seconds > 0:
        raise ValueError(f"min_seconds must be > 0, got {min_seconds!r}")
    fn()  # warm-up: caches, lazy imports, allocator
    one = max(time_per_call(fn, 1), 1e-9)
    return max(1, min(10_000, int(min_seconds / one) + 1))


@dataclass(frozen=True)
class RatioMeasurement:
    """The R interleaved ratios of one gate and their summary."""

    name: str
    ratios: tuple[float, ...]
    kernel_seconds: float
    reference_seconds: float
    inner: tuple[int, int]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> float:
        """max/min of the ratios (1 = perfectly stable)."""
        return max(self.ratios) / min(self.ratios)

    def to_dict(self) -> dict:
        return {**asdict(self), "median": self.median, "spread": self.spread}


def measure_ratio(
    name: str,
    kernel: Callable[[], object],
    reference: Callable[[], object],
    repeats: int = 11,
    min_seconds: float = 0.05,
    clock: Callable[[], float] = time.perf_counter,
) -> RatioMeasurement:
    """Median-of-ratios timing of ``kernel`` against ``reference`` (see module docstring);
    n_k and n_r are chosen so that each side of a repeat lasts ≥ ``min_seconds``.

    Both callables must finish their work before returning (call ``backend.synchronize()``
    inside them on asynchronous devices).  ``clock``: wall time by default; for CPU-only kernels
    ``time.process_time`` (this process's CPU time) leaves out the time other processes take
    the core away, which on a shared machine is most of the spread of wall-time ratios between
    kernels of different kinds (docs/perf.md); it must not be used for device kernels.
    """
    _check_positive_int("repeats", repeats)
    n_k, n_r = calibrate(kernel, min_seconds), calibrate(reference, min_seconds)
    ratios, kernel_times, reference_times = [], [], []
    for r in range(repeats):
        j_k = j_r = 0
        t_k = t_r = 0.0
        while j_k < n_k or j_r < n_r:
            behind = j_k * n_r - j_r * n_k  # < 0: the kernel is behind
            if j_r == n_r or (j_k < n_k and (behind < 0 or (behind == 0 and r % 2 == 0))):
                t0 = clock()
                kernel()
                t_k += clock() - t0
                j_k += 1
            else:
                t0 = clock()
                reference()
                t_r += clock() - t0
                j_r += 1
        kernel_times.append(t_k / n_k)
        reference_times.append(t_r / n_r)
        ratios.append(kernel_times[-1] / reference_times[-1])
    return RatioMeasurement(
        name=name,
        ratios=tuple(ratios),
        kernel_seconds=statistics.median(kernel_times),
        reference_seconds=statistics.median(reference_times),
        inner=(n_k, n_r),
    )


def gate_message(measurement: RatioMeasurement, threshold: float) -> str:
    """One line for a failed (or reported) gate."""
    ratios = ", ".join(f"{r:.3g}" for r in sorted(measurement.ratios))
    return (
        f"{measurement.name}: median ratio {measurement.median:.3f} vs threshold {threshold:.3f} "
        f"(kernel {measurement.kernel_seconds * 1e3:.3g} ms, reference "
        f"{measurement.reference_seconds * 1e3:.3g} ms; ratios {ratios})"
    )


def slowed(fn: Callable[[], object], factor: int = 2) -> Callable[[], object]:
    """``fn`` run ``factor`` times per call: an injected slowdown to prove a gate can fire."""
    _check_positive_int("factor", factor)

    def run():
        out = None
        for _ in range(factor):
            out = fn()
        return out

    return run
