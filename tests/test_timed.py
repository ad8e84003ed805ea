"""Anytime sampling for a time budget (leapsbench.timed.sample_for), on a fake clock: each drawn
sample costs a known time, so the chunk sizes are exact."""

from __future__ import annotations

import numpy as np
import pytest

from leapsbench import timed
from leapsbench.samples import Samples


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(timed, "time", fake)
    return fake


def _drawer(clock, seconds_per_sample, drawn, slower_after=None, slowdown=1.0):
    """Each sample costs ``seconds_per_sample``, ``slowdown`` times more from sample
    ``slower_after`` on (the machine got busier under the run)."""

    def draw(n):
        before = sum(drawn)
        drawn.append(n)
        slow = 0 if slower_after is None else max(0, before + n - max(before, slower_after))
        clock.now += (n - slow) * seconds_per_sample + slow * seconds_per_sample * slowdown
        return Samples(observables={"m": np.zeros(n), "E": np.zeros(n)}, log_weights=np.zeros(n))

    return draw


def test_no_chunk_smaller_than_the_sampler_accepts(clock):
    """After a first chunk of 2 (0.2 s) with 0.15 s left, 0.9 · 0.15 · 10/s = 1.35 samples fit:
    a sampler that needs 2 gets no chunk of 1."""
    drawn = []
    samples = timed.sample_for(0.35, _drawer(clock, 0.1, drawn), 2, 0.0, smallest=2)
    assert drawn == [2]
    assert samples.n_samples == 2


def test_chunks_fill_the_budget(clock):
    """First 2 (0.2 s), then min(⌊0.5 · 9.8 · 10⌋, 4 · 2) = 8, then 32, then ⌊0.5 · 5.8 · 10⌋ =
    29: each chunk fills half the time left, until that is under 0.2 s (less than 2 samples)."""
    drawn = []
    samples = timed.sample_for(10.0, _drawer(clock, 0.1, drawn), 2, 0.0, smallest=2)
    assert drawn[:4] == [2, 8, 32, 29]
    assert samples.n_samples == sum(drawn)
    assert 9.5 <= clock.now <= 10.0


@pytest.mark.parametrize("slowdown", [1.5, 1.9])
def test_a_machine_that_slows_down_keeps_the_budget(clock, slowdown):
    """After a first quarter the samples take ``slowdown`` times as long: a chunk sized to fill
    0.9 of the time left at the old rate would end at 12.6 s (1.5×) of 10 s; chunks of half
    the time left end in time up to 2×."""
    drawn = []
    timed.sample_for(10.0, _drawer(clock, 0.1, drawn, 25, slowdown), 25, 0.0)
    assert 9.0 <= clock.now <= 10.0 + 1e-9
