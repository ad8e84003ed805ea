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


def _drawer(clock, seconds_per_sample, drawn):
    def draw(n):
        drawn.append(n)
        clock.now += n * seconds_per_sample
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
    """First 2 (0.2 s), then min(⌊0.9 · 9.8 · 10⌋, 4 · 2) = 8, then 32, then
    ⌊0.9 · 5.8 · 10⌋ = 52."""
    drawn = []
    samples = timed.sample_for(10.0, _drawer(clock, 0.1, drawn), 2, 0.0, smallest=2)
    assert drawn[:3] == [2, 8, 32]
    assert drawn[3] == 52
    assert samples.n_samples == sum(drawn)
    assert clock.now <= 10.0
