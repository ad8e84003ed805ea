"""Issue 30, cost after a resume: a training killed and rerun reports the whole training cost
(seconds before the kill included, as the evaluations already were)."""

from __future__ import annotations

import time

import pytest
from leapsbench.backends import get_backend

from leapsbench.harness.methods import make_method
from leapsbench.harness.runner import fit_into_cache
from leapsbench.method import Budget
from leapsbench.models import ising

pytest.importorskip("torch")
SMALL = {
    "train_steps": 9,
    "train_walkers": 8,
    "train_horizon": 4,
    "train_pairs": 16,
    "train_buffer_rollouts": 3,
    "train_checkpoint_every": 3,
    "n_walkers": 16,
}
PAUSE = 0.4


class Killed(Exception):
    pass


def _fit(entry, progress=None, budget=None):
    method = make_method("leaps-mlp", "quick", SMALL)
    backend = get_backend("numpy")
    model = ising(2, 3, beta=0.6)
    rng = backend.rng(3)
    return fit_into_cache(method, entry, model, backend, rng, budget or Budget(), progress)


def test_resumed_training_reports_the_seconds_spent_before_the_kill(tmp_path):
    def slow_then_killed(step, total, **metrics):
        if step <= 3:
            time.sleep(PAUSE)
        if step == 5:
            raise Killed

    with pytest.raises(Killed):
        _fit(tmp_path / "entry", slow_then_killed)
    start = time.perf_counter()
    fit_info, seconds, reused = _fit(tmp_path / "entry")
    after = time.perf_counter() - start
    assert not reused and fit_info["steps_done"] == 9
    resumed = fit_info["resumed_train_seconds"]
    assert resumed >= 2 * PAUSE  # the sleeps of steps 1 and 2 precede the state of step 3
    assert seconds >= resumed
    assert seconds > after  # more than the rerun alone took


def test_resumed_training_keeps_the_total_time_budget(tmp_path):
    budget = Budget(train_seconds=1.6)

    def slow_then_killed(step, total, **metrics):
        if step == 4:
            raise Killed
        time.sleep(0.5)  # steps 1 and 2 end up in the state written at step 3

    with pytest.raises(Killed):
        _fit(tmp_path / "entry", slow_then_killed)
    steps = []

    def slow(step, total, **metrics):
        steps.append(step)
        time.sleep(0.3)

    fit_info, seconds, _ = _fit(tmp_path / "entry", slow, budget)
    # about 1 s of the 1.6 s was spent before the kill: the rerun has time for ~2 steps, not 5
    assert steps[0] == 4 and fit_info["steps_done"] <= 6
    assert fit_info["resumed_train_seconds"] >= 1.0 and seconds < 1.6 + 0.5
