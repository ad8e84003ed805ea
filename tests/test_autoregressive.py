"""Autoregressive baselines (MADE, PixelCNN, TwoBo): normalisation, masks, sampling law, parity."""

import itertools

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines.autoregressive.method import make
from leapsbench.baselines.autoregressive.network import make_net
from scipy import stats

from leapsbench.models import ising, potts
from leapsbench.params import params_to

ARCHS = [
    ("made", {"width": 8, "depth": 2}),
    ("pixelcnn", {"width": 4, "depth": 2, "periodic": 1}),
    ("pixelcnn", {"width": 4, "depth": 2, "periodic": 0}),
    ("twobo", {"width": 4}),
]
ARCH_IDS = ["made", "pixelcnn-periodic", "pixelcnn-zero", "twobo"]
CASES = [
    (ising(2, 3, beta=0.3, h=0.2), False),
    (ising(2, 3, beta=0.3), True),
    (ising(3, 2, beta=0.3, periodic=False), False),
    (potts(3, 2, 3, beta=1.0), False),
]
CASE_IDS = ["ising", "ising-z2", "ising-open", "potts3"]


def _all_states(model):
    values = itertools.product(range(model.q), repeat=model.n_sites)
    return model.from_values(np.array(list(values), dtype=np.int8).reshape(-1, *model.shape))


def _scaled_params(net, seed, scale=3.0):
    return {
        k: scale * v + (0.1 * seed if k == "beta" else 0.0)
        for k, v in net.init_params(seed).items()
    }


@pytest.mark.parametrize(("arch", "hyper"), ARCHS, ids=ARCH_IDS)
@pytest.mark.parametrize(("model", "z2"), CASES, ids=CASE_IDS)
def test_log_q_is_normalised(arch, hyper, model, z2):
    net = make_net(arch, model, z2=z2, **hyper)
    log_q = net.log_prob(_scaled_params(net, 0), model, _all_states(model))
    assert np.exp(log_q).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("arch", "hyper"), ARCHS, ids=ARCH_IDS)
@pytest.mark.parametrize(
    "model", [potts(3, 3, 3, beta=1.0), ising(3, 4, beta=0.4)], ids=["potts3", "ising"]
)
def test_conditionals_ignore_later_sites(arch, hyper, model):
    net = make_net(arch, model, **hyper)
    params = _scaled_params(net, 1, scale=10.0)  # make every weight matter
    rng = np.random.default_rng(0)
    values = rng.integers(0, model.q, (8, model.n_sites))
    base, _ = net._log_conditionals(np, params, values, model.beta)
    for i in range(model.n_sites):
        changed = values.copy()
        changed[:, i:] = (changed[:, i:] + rng.integers(1, model.q, changed[:, i:].shape)) % model.q
        moved, _ = net._log_conditionals(np, params, changed, model.beta)
        np.testing.assert_array_equal(moved[:, : i + 1], base[:, : i + 1])
        if i + 1 < model.n_sites:  # some later conditional does see site i
            assert not np.allclose(moved[:, i + 1 :], base[:, i + 1 :])


@pytest.mark.parametrize(("arch", "hyper"), ARCHS, ids=ARCH_IDS)
@pytest.mark.parametrize(("model", "z2"), CASES, ids=CASE_IDS)
def test_samples_follow_log_q(arch, hyper, model, z2):
    """χ² goodness of fit of 20000 draws against the exact table of q (fixed seed)."""
    net = make_net(arch, model, z2=z2, **hyper)
    params = _scaled_params(net, 2)
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


@pytest.mark.parametrize(("arch", "hyper"), ARCHS, ids=ARCH_IDS)
def test_backend_parity(backend, arch, hyper):
    for model in (potts(3, 3, 2, beta=1.0), ising(3, 3, beta=0.4, h=0.1)):
        net = make_net(arch, model, **hyper)
        params = _scaled_params(net, 4)
        states = _all_states(model)[:50]
        reference = net.log_prob(params, model, states)
        got = net.log_prob(params_to(backend, params), model, backend.asarray(states))
        np.testing.assert_allclose(backend.to_numpy(got), reference, rtol=0, atol=1e-12)
        draws = net.sample(params_to(backend, params), model, backend, backend.rng(0), 7)
        assert tuple(draws.shape) == (7, 3, 3 if model.kind == "ising" else 2)
        assert set(np.unique(backend.to_numpy(draws))) <= set(range(-1, model.q))


def test_bad_input():
    with pytest.raises(ValueError, match="not implemented; available: van-made"):
        make("van-rnn")
    with pytest.raises(ValueError, match="unknown preset"):
        make("twobo", "huge")
    with pytest.raises(ValueError, match="valid keys"):
        make("van-made", "quick", {"widht": 3})
    with pytest.raises(ValueError, match="Ising models only"):
        make_net("made", potts(3, 2, beta=1.0), z2=True)
    with pytest.raises(ValueError, match="unknown made hyperparameters"):
        make_net("made", ising(2, beta=0.1), heads=2)
    with pytest.raises(ValueError, match="kernel must be odd"):
        make_net("pixelcnn", ising(3, beta=0.1), kernel=2)
    with pytest.raises(ValueError, match="width must be an int >= 1"):
        make_net("twobo", ising(3, beta=0.1), width=0)
    with pytest.raises(ValueError, match="unknown autoregressive architecture 'rnn'"):
        make_net("rnn", ising(3, beta=0.1))
