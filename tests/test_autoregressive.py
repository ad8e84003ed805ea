"""Autoregressive baseline (VAN with MADE): normalisation, masks, sampling law, training, parity."""

import itertools

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines.autoregressive.method import make
from leapsbench.baselines.autoregressive.network import make_net
from scipy import stats

from leapsbench.exact.enumerate import enumerate_model
from leapsbench.harness.method import Budget
from leapsbench.leaps.networks import params_to
from leapsbench.models import ising, potts

CASES = [
    (ising(2, 3, beta=0.3), False),
    (ising(2, 3, beta=0.3), True),
    (potts(3, 2, 3, beta=1.0), False),
]


def _all_states(model):
    values = itertools.product(range(model.q), repeat=model.n_sites)
    return model.from_values(np.array(list(values), dtype=np.int8).reshape(-1, *model.shape))


@pytest.mark.parametrize(("model", "z2"), CASES, ids=["ising", "ising-z2", "potts3"])
def test_log_q_is_normalised(model, z2):
    net = make_net("made", model, z2=z2, width=8, depth=2)
    log_q = net.log_prob(net.init_params(0), model, _all_states(model))
    assert np.exp(log_q).sum() == pytest.approx(1.0, abs=1e-12)


def test_conditionals_ignore_later_sites():
    model = potts(3, 3, 3, beta=1.0)
    net = make_net("made", model, width=16, depth=2)
    params = {k: v * 10 for k, v in net.init_params(1).items()}  # make every weight matter
    rng = np.random.default_rng(0)
    values = rng.integers(0, 3, (4, model.n_sites))
    base, _ = net._log_conditionals(np, params, values)
    for i in range(model.n_sites):
        changed = values.copy()
        changed[:, i:] = rng.integers(0, 3, changed[:, i:].shape)
        moved, _ = net._log_conditionals(np, params, changed)
        np.testing.assert_array_equal(moved[:, : i + 1], base[:, : i + 1])
        if i + 1 < model.n_sites:  # the conditional of a later site does see site i
            assert not np.allclose(moved[:, i + 1 :], base[:, i + 1 :])


@pytest.mark.parametrize(("model", "z2"), CASES, ids=["ising", "ising-z2", "potts3"])
def test_samples_follow_log_q(model, z2):
    """χ² goodness of fit of 20000 draws against the exact table of q (fixed seed)."""
    net = make_net("made", model, z2=z2, width=8, depth=1)
    params = {k: 3 * v for k, v in net.init_params(2).items()}
    states = _all_states(model)
    expected = np.exp(net.log_prob(params, model, states))
    backend = get_backend("numpy")
    draws = net.sample(params, model, backend, backend.rng(3), 20000)
    index = {s.tobytes(): k for k, s in enumerate(states)}
    counts = np.bincount([index[d.tobytes()] for d in draws], minlength=len(states))
    keep = expected * 20000 >= 5
    observed, wanted = counts[keep], expected[keep] * 20000
    if not keep.all():  # pool the rare states into one bin
        observed = np.append(observed, counts[~keep].sum())
        wanted = np.append(wanted, expected[~keep].sum() * 20000)
    assert stats.chisquare(observed, wanted).pvalue > 1e-3


def test_backend_parity(backend):
    model = potts(3, 3, 2, beta=1.0)
    net = make_net("made", model, width=8, depth=2)
    params = net.init_params(4)
    states = _all_states(model)[:50]
    reference = net.log_prob(params, model, states)
    got = net.log_prob(params_to(backend, params), model, backend.asarray(states))
    np.testing.assert_allclose(backend.to_numpy(got), reference, rtol=0, atol=1e-12)
    draws = net.sample(params_to(backend, params), model, backend, backend.rng(0), 7)
    assert tuple(draws.shape) == (7, 3, 2)


def test_trained_made_estimates_log_z_within_error(tmp_path):
    model = ising(3, 3, beta=0.3)
    exact = enumerate_model(model)
    method = make("van-made", "quick", {"steps": 150})
    backend = get_backend("numpy")
    info = method.fit(model, backend, backend.rng(0), Budget())
    assert info["final_free_energy"] >= -exact.log_z - 0.05  # F_q ≥ −log Z up to noise
    samples = method.sample(model, backend, backend.rng(1), Budget(n_samples=4000))
    assert abs(samples.log_z - exact.log_z) < 4 * samples.log_z_err
    assert samples.diagnostics["free_energy"] >= -exact.log_z  # variational bound
    method.save(tmp_path / "van")
    again = make("van-made", "quick", {"steps": 150})
    again.load(tmp_path / "van", model)
    repeat = again.sample(model, backend, backend.rng(1), Budget(n_samples=4000))
    assert repeat.log_z == samples.log_z


def test_bad_input():
    with pytest.raises(ValueError, match="not implemented; available: van-made"):
        make("van-rnn")
    with pytest.raises(ValueError, match="valid keys"):
        make("van-made", "quick", {"widht": 3})
    with pytest.raises(ValueError, match="Ising models only"):
        make_net("made", potts(3, 2, beta=1.0), z2=True)
    with pytest.raises(ValueError, match="unknown made hyperparameters"):
        make_net("made", ising(2, beta=0.1), heads=2)
