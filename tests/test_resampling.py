"""Resampling: systematic counts are ⌊nW⌋/⌈nW⌉, multinomial is unbiased, weights keep their mean,
backends agree given the same uniforms, bad parameters are refused."""

from __future__ import annotations

import numpy as np
import pytest

from leapsbench.estimators import kish_ess, log_mean_exp
from leapsbench.resampling import (
    ess_fraction,
    multinomial_ancestors,
    resample_ancestors,
    resample_if_needed,
    resample_islands,
    reset_weights,
    systematic_ancestors,
)


def _log_weights(n, seed=0, spread=2.0):
    return np.random.default_rng(seed).normal(scale=spread, size=n)


def _counts(ancestors, n):
    return np.bincount(np.asarray(ancestors), minlength=n)


@pytest.mark.parametrize("u", [0.0, 0.2, 0.5, 0.999999])
def test_systematic_counts_are_floor_or_ceil(backend, u):
    n = 37
    a = _log_weights(n)
    u = backend.asarray([u], dtype=backend.xp.float64)
    anc = systematic_ancestors(backend.from_numpy(a), u)
    counts = _counts(backend.to_numpy(anc), n)
    expected = n * np.exp(a - np.logaddexp.reduce(a))
    assert counts.sum() == n
    assert np.all(counts >= np.floor(expected - 1e-9))
    assert np.all(counts <= np.ceil(expected + 1e-9))
    assert np.all(np.diff(backend.to_numpy(anc)) >= 0)


def test_zero_weights_are_never_chosen(backend):
    a = np.array([-np.inf, 0.0, -np.inf, np.log(3.0), -np.inf])
    xp = backend.xp
    la = backend.from_numpy(a)
    for anc in (
        systematic_ancestors(la, backend.asarray([0.0], dtype=xp.float64)),
        multinomial_ancestors(la, backend.asarray(np.linspace(0, 0.9999, 5), dtype=xp.float64)),
    ):
        assert set(backend.to_numpy(anc).tolist()) <= {1, 3}


def test_backend_parity_given_the_same_uniforms(backend):
    n = 50
    a = _log_weights(n, seed=3)
    u_sys = np.array([0.3141])
    u_mult = np.random.default_rng(4).random(n)
    xp = backend.xp
    la = backend.from_numpy(a)
    sys_b = backend.to_numpy(systematic_ancestors(la, backend.asarray(u_sys, dtype=xp.float64)))
    mult_b = backend.to_numpy(multinomial_ancestors(la, backend.asarray(u_mult, dtype=xp.float64)))
    np.testing.assert_array_equal(sys_b, systematic_ancestors(a, u_sys))
    np.testing.assert_array_equal(mult_b, multinomial_ancestors(a, u_mult))
    assert sys_b.dtype == np.int64 and mult_b.dtype == np.int64


@pytest.mark.parametrize("scheme", ["systematic", "multinomial"])
def test_resampling_is_unbiased(numpy_backend, scheme):
    """E[#copies of i] = n W_i: mean counts over R draws within 4 standard errors."""
    n, reps = 20, 4000
    a = _log_weights(n, seed=5, spread=1.0)
    rng = numpy_backend.rng(11)
    counts = np.array([_counts(resample_ancestors(a, rng, scheme), n) for _ in range(reps)])
    expected = n * np.exp(a - np.logaddexp.reduce(a))
    err = counts.std(axis=0, ddof=1) / np.sqrt(reps)
    # Deterministic counts (nW integral) have zero spread; allow round-off there.
    assert np.all(np.abs(counts.mean(axis=0) - expected) <= 4 * err + 1e-9)


def test_reset_keeps_the_mean_weight(backend):
    a = _log_weights(64, seed=6)
    out = backend.to_numpy(reset_weights(backend.from_numpy(a)))
    assert out.shape == a.shape
    np.testing.assert_allclose(out, log_mean_exp(a), rtol=0, atol=1e-12)
    assert log_mean_exp(out) == pytest.approx(log_mean_exp(a), abs=1e-12)


def test_ess_fraction_matches_kish(backend):
    a = _log_weights(64, seed=7)
    got = float(ess_fraction(backend.from_numpy(a)))
    assert got == pytest.approx(kish_ess(a) / 64, rel=1e-12)
    assert float(ess_fraction(backend.zeros((10,)))) == pytest.approx(1.0, rel=1e-12)


def test_resample_if_needed_threshold(backend):
    rng = backend.rng(0)
    equal = backend.zeros((16,))
    kept = resample_if_needed(equal, rng, threshold=0.5)
    assert not kept.resampled and kept.log_weights is equal
    skewed = backend.from_numpy(_log_weights(16, seed=8, spread=4.0))
    frac = float(ess_fraction(skewed))
    assert frac < 0.5
    step = resample_if_needed(skewed, rng, threshold=0.5, scheme="multinomial")
    assert step.resampled and step.ess_fraction == pytest.approx(frac)
    assert backend.to_numpy(step.ancestors).shape == (16,)
    np.testing.assert_allclose(
        backend.to_numpy(step.log_weights), log_mean_exp(backend.to_numpy(skewed)), atol=1e-12
    )


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5, float("nan"), "half"])
def test_bad_threshold(numpy_backend, threshold):
    with pytest.raises(ValueError, match="threshold"):
        resample_if_needed(np.zeros(4), numpy_backend.rng(0), threshold=threshold)


def test_bad_scheme(numpy_backend):
    with pytest.raises(ValueError, match="stratified.*systematic, multinomial"):
        resample_ancestors(np.zeros(4), numpy_backend.rng(0), scheme="stratified")


def test_rows_match_one_population_at_a_time(backend):
    """(G, n) rows give each row's own ancestors, for both schemes, with the same uniforms."""
    G, n = 5, 12
    a = _log_weights(G * n, seed=9, spread=1.5).reshape(G, n)
    u_sys = np.random.default_rng(1).random((G, 1))
    u_mult = np.random.default_rng(2).random((G, n))
    xp = backend.xp
    rows = backend.from_numpy(a)
    got_sys = backend.to_numpy(systematic_ancestors(rows, backend.from_numpy(u_sys)))
    got_mult = backend.to_numpy(multinomial_ancestors(rows, backend.from_numpy(u_mult)))
    for g in range(G):
        np.testing.assert_array_equal(got_sys[g], systematic_ancestors(a[g], u_sys[g]))
        np.testing.assert_array_equal(got_mult[g], multinomial_ancestors(a[g], u_mult[g]))
    assert float(xp.max(ess_fraction(rows))) <= 1.0
    np.testing.assert_allclose(
        backend.to_numpy(ess_fraction(rows)), [kish_ess(r) / n for r in a], rtol=1e-12
    )


def test_islands_resample_only_below_threshold(backend):
    """Island 0 equal weights (kept), island 1 skewed (resampled within itself, mean kept)."""
    n = 8
    a = np.concatenate([np.zeros(n), _log_weights(n, seed=10, spread=5.0)])
    step = resample_islands(backend.from_numpy(a), backend.rng(0), 2, threshold=0.5)
    anc = backend.to_numpy(step.ancestors)
    np.testing.assert_array_equal(backend.to_numpy(step.resampled), [False, True])
    np.testing.assert_array_equal(anc[:n], np.arange(n))
    assert np.all((anc[n:] >= n) & (anc[n:] < 2 * n))
    out = backend.to_numpy(step.log_weights)
    np.testing.assert_array_equal(out[:n], a[:n])
    np.testing.assert_allclose(out[n:], log_mean_exp(a[n:]), atol=1e-12)
    assert log_mean_exp(out) == pytest.approx(log_mean_exp(a), abs=1e-12)
    assert backend.to_numpy(step.ess_fraction).shape == (2,)


def test_islands_must_divide_the_walkers(numpy_backend):
    with pytest.raises(ValueError, match="10 walkers cannot form 3 equal islands"):
        resample_islands(np.zeros(10), numpy_backend.rng(0), 3)
