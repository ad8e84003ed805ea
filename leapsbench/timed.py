"""Wall-clock budgets shared by the samplers: a deadline, and anytime sampling in chunks.

:class:`Deadline` runs from its creation; ``backend.synchronize()`` is called before each clock
read that decides whether to go on, so queued device work is counted.

:func:`sample_for` draws independent weighted chunks until the time is up: the first chunk has
``first`` samples (small, so that even a slow machine ends it in time); every later chunk is
sized from the rate r measured so far (samples drawn / seconds spent) to fill CHUNK_SHARE of the
time left, n = ⌊CHUNK_SHARE · t_left · r⌋, at most GROWTH times the previous chunk (a rate
measured on small chunks may be off), rounded down to a multiple of ``multiple``.  Filling only
part of what is left keeps the run within the budget when the machine slows down under it: a
chunk overruns only if its samples take more than 1/CHUNK_SHARE times as long as they did so far
(a single chunk filling SAFETY of the time overran at 1/SAFETY = 1.11 times; on a shared machine
AIS runs of 100 s took up to 133 s).  When less than one ``multiple`` fits that way but one fits
in SAFETY of the time left, the last chunk is that one ``multiple``; none is started when even
that does not fit.
The chunks are independent importance samples of one target, so they merge exactly
(:func:`merge_weighted`): observables and log weights are concatenated and
log Ẑ = log Z_0 + log mean exp(log w) over all of them; chunks of equal islands stay independent
islands of that size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .samples import Samples
from .smc import log_z_with_error

SAFETY = 0.9
"""Fraction of the time left that a planned run may fill (timing noise margin)."""
CHUNK_SHARE = 0.5
"""Fraction of the time left that the next chunk of :func:`sample_for` is sized to fill."""
GROWTH = 4
"""A chunk has at most this many times the samples of the previous one."""


@dataclass
class Deadline:
    """``seconds`` of wall time from creation (``start`` is a ``time.perf_counter`` reading)."""

    seconds: float
    backend: object = None
    start: float = field(default_factory=lambda: time.perf_counter())

    def elapsed(self) -> float:
        if self.backend is not None:
            self.backend.synchronize()
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        return self.seconds - self.elapsed()


def next_step_overruns(start: float, step_start: float, max_seconds: float) -> bool:
    """Would one more step as long as the last (begun at ``step_start``) end more than
    ``max_seconds`` after ``start``?  (perf_counter readings; training loops stop then.)"""
    now = time.perf_counter()
    return (now - start) + (now - step_start) > max_seconds


def units_that_fit(
    seconds_left: float, units_done: float, seconds_spent: float, share: float = SAFETY
) -> int:
    """⌊share · seconds_left · units_done / seconds_spent⌋ (0 when no time is left)."""
    if seconds_left <= 0:
        return 0
    rate = units_done / max(seconds_spent, 1e-9)
    return int(share * seconds_left * rate)


def _next_chunk(seconds_left: float, done: int, spent: float, last: int, multiple: int) -> int:
    """Samples in the next chunk of :func:`sample_for` (module docstring)."""
    n = min(units_that_fit(seconds_left, done, spent, CHUNK_SHARE), GROWTH * last)
    n -= n % multiple
    if n < multiple and units_that_fit(seconds_left, done, spent) >= multiple:
        return multiple
    return n


def sample_for(
    seconds: float,
    draw,
    first: int,
    log_z0: float,
    multiple: int = 1,
    backend=None,
    smallest: int = 1,
) -> Samples:
    """Weighted samples from ``draw(n) -> Samples`` chunks for ``seconds`` (module docstring);
    ``multiple`` is the island size when the sampler resamples within islands (else 1);
    ``smallest`` is the fewest samples ``draw`` accepts (no smaller chunk is started)."""
    deadline = Deadline(seconds, backend)
    parts, last = [draw(first)], first
    while True:
        done = sum(p.n_samples for p in parts)
        n = _next_chunk(deadline.remaining(), done, deadline.elapsed(), last, multiple)
        if n < max(multiple, smallest):
            break
        parts.append(draw(n))
        last = n
    merged = merge_weighted(parts, log_z0, multiple)
    merged.seconds = deadline.elapsed()
    return merged


def merge_weighted(parts: list[Samples], log_z0: float, island_size: int = 1) -> Samples:
    """One weighted sample from independent chunks (module docstring); diagnostics are the first
    chunk's plus ``n_time_chunks``; configurations ``x`` are not kept.  When any chunk resampled,
    the merged sample has n / ``island_size`` islands (a chunk that did not resample holds
    independent walkers, so its groups of ``island_size`` are independent islands too)."""
    if len(parts) == 1:
        return parts[0]
    if any(not p.is_weighted for p in parts):
        raise ValueError("only weighted samples merge by concatenation")
    log_w = np.concatenate([np.asarray(p.log_weights, dtype=np.float64) for p in parts])
    observables = {  # an observable some chunk lacks (pairs of a resampled one) is dropped
        key: np.concatenate([np.asarray(p.observables[key]).ravel() for p in parts])
        for key in parts[0].observables
        if all(key in p.observables for p in parts)
    }
    islands = log_w.size // island_size if any(p.islands for p in parts) else None
    log_z, log_z_err = log_z_with_error(log_w, log_z0, islands, islands is not None)
    return replace(
        parts[0],
        observables=observables,
        log_weights=log_w,
        log_z=None if parts[0].log_z is None else log_z,
        log_z_err=None if parts[0].log_z is None else log_z_err,
        x=None,
        n_evaluations=sum(p.n_evaluations for p in parts),
        n_network_evaluations=sum(p.n_network_evaluations for p in parts),
        diagnostics={**parts[0].diagnostics, "n_time_chunks": len(parts)},
        islands=islands,
    )
