"""TwoBo as published on Edwards–Anderson spin glasses: the first layer is the two-body fields
ξ^i_l = Σ_{j<i} J_lj s_j of the instance, q is normalised, draws follow q, and a trained q gives
log Ẑ and ⟨E⟩ (importance weights) within their error bars of enumeration."""

import itertools

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines.autoregressive import twobo
from leapsbench.baselines.autoregressive.method import make
from leapsbench.baselines.autoregressive.network import make_net
from scipy import stats

from leapsbench.harness.benchmarks import get_benchmark
from leapsbench.harness.runner import make_spec, run_task
from leapsbench.method import Budget, NotApplicable
from leapsbench.models import potts

SMALL = ("ea-L3-b1.0-i0", "ea-L3-b1.0-i1-open", "ea-gauss-L4x3-b0.7-i2", "ea-L4-b1.0-i3-open")
Z_MAX = 4.0


def _model(name):
    return get_benchmark(name).model


def _all_states(model):
    values = itertools.product(range(model.q), repeat=model.n_sites)
    return model.from_values(np.array(list(values), dtype=np.int8).reshape(-1, *model.shape))


def _params(net, seed, scale=3.0):
    return {k: scale * v for k, v in net.init_params(seed).items()}


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("depth", [0, 2])
def test_log_q_is_normalised(name, depth):
    model = _model(name)
    net = make_net("twobo-published", model, depth=depth, width=4)
    log_q = net.log_prob(_params(net, depth), model, _all_states(model))
    assert np.exp(log_q).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", SMALL[:2])
def test_first_layer_is_the_two_body_fields(name):
    """z_i = Σ_f w_if x1_if + c_i with x1 = (β(ξ^i_i + h), ξ^i_{F_i[1:]}), ξ^i_l from the
    model's own local field of the spins before i (later spins set to 0)."""
    model = _model(name)
    net = make_net("twobo-published", model)
    params = _params(net, 1, scale=50.0)
    x = model.from_values(np.random.default_rng(0).integers(0, 2, (5, *model.shape)))
    log_cond, _ = net._log_conditionals(np, params, model.to_values(x).reshape(5, -1), 0.7)
    index = twobo._frontier(twobo._neighbours(model.shape, model.lattice.periodic))[0]
    s = x.reshape(5, -1).astype(np.float64)
    for i in range(1, model.n_sites):
        earlier = np.where(np.arange(model.n_sites) < i, s, 0.0).reshape(x.shape)
        xi = (model.local_field(earlier) - model.h).reshape(5, -1)[:, index[i]]
        x1 = np.concatenate([0.7 * (xi[:, :1] + model.h), xi[:, 1:]], axis=1)
        valid = np.unique(index[i], return_index=True)[1]  # padding repeats site i
        z = x1[:, np.sort(valid)] @ params["w"][i, np.sort(valid)] + params["c"][i]
        np.testing.assert_allclose(log_cond[:, i, 0] - log_cond[:, i, 1], z, atol=1e-10)


def test_samples_follow_log_q():
    """χ² goodness of fit of 20000 draws against the exact table of q (fixed seed)."""
    model = _model("ea-L3-b1.0-i1-open")
    net = make_net("twobo-published", model, depth=1, width=3)
    params = _params(net, 2, scale=1.0)
    states = _all_states(model)
    expected = np.exp(net.log_prob(params, model, states)) * 20000
    backend = get_backend("numpy")
    draws = net.sample(params, model, backend, backend.rng(3), 20000)
    index = {state.tobytes(): k for k, state in enumerate(states)}
    counts = np.bincount([index[d.tobytes()] for d in draws], minlength=len(states))
    keep = expected >= 5
    observed = np.append(counts[keep], counts[~keep].sum())
    wanted = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(observed, wanted).pvalue > 1e-3


@pytest.mark.parametrize("bench", ["ea-L3-b1.0-i0", "ea-L4-b1.0-i1-open", "ea-L4-b0.7-i2"])
def test_trained_estimates_match_enumeration(bench, tmp_path):
    """log Ẑ and ⟨E⟩/N from importance weights within Z_MAX error bars of enumeration."""
    overrides = {"steps": 150, "batch": 128, "n_samples": 4000}
    spec = make_spec(bench, "twobo-published", seed=3, overrides=overrides, cache_dir=tmp_path)
    row = run_task(spec)
    assert row["status"] == "ok", row["error"]
    assert row["reference_source"] == "enumeration"
    assert row["log_z_err"] > 0 and row["energy_err"] > 0
    assert row["log_z_error"] <= Z_MAX * row["log_z_err"], (row["log_z"], row["log_z_ref"])
    assert row["delta_energy"] <= Z_MAX * row["energy_err"], (row["energy"], row["energy_ref"])
    assert row["ess"] > 0.1 * row["n_samples"]  # a useful proposal, not a collapsed one


def test_refuses_models_without_ising_pairs():
    with pytest.raises(NotApplicable, match="needs ±1 spins"):
        make_net("twobo-published", potts(3, 3, 2, beta=1.0))
    assert make("twobo-published").settings.z2 is False  # as published


@pytest.mark.parametrize(("arch", "hyper"), [("twobo", {"width": 3}), ("twobo-published", {})])
@pytest.mark.parametrize("name", ["ea-L4-b1.0-i3-open", "ea-gauss-L4x3-b0.7-i2"])
def test_site_logits_are_the_full_pass_at_one_site(arch, hyper, name):
    """Sampling evaluates site i's frontier only; it must give the full pass's conditional."""
    model = _model(name)
    net = make_net(arch, model, **{**hyper, **({"depth": 2} if arch != "twobo" else {})})
    params = _params(net, 5)
    values = np.random.default_rng(1).integers(0, 2, (6, model.n_sites))
    full, _ = net._log_conditionals(np, params, values, 0.8)
    for i in range(model.n_sites):
        site = net._site_log_conditional(np, params, values, 0.8, i)
        np.testing.assert_allclose(site, full[:, i, :], rtol=0, atol=1e-12)


def test_checkpoint_round_trip(numpy_backend, tmp_path):
    model = _model("ea-L3-b1.0-i1-open")
    overrides = {"steps": 3, "batch": 16, "depth": 1}
    method = make("twobo-published", "quick", overrides)
    method.fit(model, numpy_backend, numpy_backend.rng(0), Budget())
    method.save(tmp_path / "ck")
    loaded = make("twobo-published", "quick", overrides)
    loaded.load(tmp_path / "ck", model)
    states = _all_states(model)
    np.testing.assert_array_equal(
        loaded.net.log_prob(loaded.params, model, states),
        method.net.log_prob(method.params, model, states),
    )
