"""Trained autoregressive baselines: log Ẑ within 4σ of enumeration, F_q bound, resume."""

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines.autoregressive.method import make

from leapsbench.exact.enumerate import enumerate_model
from leapsbench.method import Budget
from leapsbench.models import ising, potts


@pytest.mark.parametrize("name", ["van-made", "van-pixelcnn", "twobo"])
def test_trained_model_estimates_log_z_within_error(tmp_path, name):
    model = ising(3, 3, beta=0.3)
    exact = enumerate_model(model)
    method = make(name, "quick", {"steps": 120})
    backend = get_backend("numpy")
    seen = []
    info = method.fit(model, backend, backend.rng(0), Budget(), lambda *a, **k: seen.append(k))
    assert info["train_steps"] == 120 and set(seen[-1]) == {"F_q", "F_var", "ess_fraction"}
    samples = method.sample(model, backend, backend.rng(1), Budget(n_samples=4000))
    assert abs(samples.log_z - exact.log_z) < 4 * samples.log_z_err
    assert samples.diagnostics["free_energy"] >= -exact.log_z  # variational bound, exact in E_q
    assert method.param_count > 0
    assert samples.n_evaluations == 4000 * (model.n_sites + 1)  # total: N conditionals + log q
    method.save(tmp_path / name)
    again = make(name, "quick", {"steps": 120})
    again.load(tmp_path / name, model)
    repeat = again.sample(model, backend, backend.rng(1), Budget(n_samples=4000))
    assert repeat.log_z == samples.log_z
    resumed = again.fit(model, backend, backend.rng(0), Budget(train_steps=1))
    assert resumed["train_steps"] == 0 and resumed["steps_done"] == 120  # schedule finished


def test_resume_continues_the_schedule():
    model = potts(3, 2, 3, beta=0.5)
    method = make("twobo", "quick", {"steps": 10, "batch": 16})
    backend = get_backend("numpy")
    first = method.fit(model, backend, backend.rng(0), Budget(train_steps=4))
    second = method.fit(model, backend, backend.rng(1), Budget())
    assert (first["steps_done"], second["train_steps"], second["steps_done"]) == (4, 6, 10)
    # every step: 16 samples × (6 conditional passes + one scoring pass), all steps so far
    counted = (first["train_network_evaluations"], second["train_network_evaluations"])
    assert counted == (4 * 16 * 7, 10 * 16 * 7)
    assert np.isfinite(second["final_free_energy"])
