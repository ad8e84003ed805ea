"""Backends: resolution, errors, RNG reproducibility and statistics, numerics helpers."""

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.backends.numerics import (
    count_at_most_rows,
    equal_int8,
    less_equal_int8,
    log_mean_exp,
    logsumexp,
)


def test_unknown_backend_lists_known():
    with pytest.raises(ValueError, match="known backends: numpy, torch, cupy, array-api-strict"):
        get_backend("jax")


def test_unknown_dtype():
    with pytest.raises(ValueError, match="float16"):
        get_backend("numpy", dtype="float16")


def test_numpy_rejects_gpu():
    with pytest.raises(ValueError, match="CPU only"):
        get_backend("numpy", device="cuda")


def test_rng_reproducible_and_spawnable(backend):
    a = backend.to_numpy(backend.rng(7).uniform((5,)))
    b = backend.to_numpy(backend.rng(7).uniform((5,)))
    np.testing.assert_array_equal(a, b)
    c1, c2 = backend.rng(7).spawn(2)
    assert not np.allclose(backend.to_numpy(c1.uniform((5,))), backend.to_numpy(c2.uniform((5,))))


def test_categorical_frequencies(backend):
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    rng = backend.rng(0)
    n = 20000
    draws = backend.to_numpy(rng.categorical(backend.asarray(np.tile(probs, (n, 1)))))
    freq = np.bincount(draws, minlength=4) / n
    sigma = np.sqrt(probs * (1 - probs) / n)
    assert freq[1] == 0
    assert np.all(np.abs(freq - probs) <= 5 * sigma + 1e-12)
    picks = backend.to_numpy(rng.choice(backend.asarray(probs), n))
    assert np.all(np.abs(np.bincount(picks, minlength=4) / n - probs) <= 5 * sigma + 1e-12)


@pytest.mark.parametrize("shape", [(3, 5), (4, 1001)])
def test_bits32_are_uniform_reproducible_int32(backend, shape):
    """Every one of the 32 bits is 1 with probability 1/2 (5σ), the int32 patterns are spread
    over the whole range (both signs, |mean| / 2³¹ within 5σ), and a seed repeats its draws;
    odd sizes too (the draws are 64-bit words viewed as int32 pairs)."""
    bits = backend.rng(3).bits32(shape)
    assert bits.dtype == backend.xp.int32 and tuple(bits.shape) == shape
    np.testing.assert_array_equal(
        backend.to_numpy(bits), backend.to_numpy(backend.rng(3).bits32(shape))
    )
    draws = backend.to_numpy(backend.rng(4).bits32((200_000,))).astype(np.int64)
    sigma = 0.5 / np.sqrt(draws.size)
    ones = ((draws[:, None] & 0xFFFFFFFF) >> np.arange(32)) & 1
    assert np.all(np.abs(ones.mean(axis=0) - 0.5) < 5 * sigma)
    assert abs(draws.mean() / 2**31) < 5 * 2 * sigma / np.sqrt(3)


def test_rng_state_round_trip(backend):
    """get_state/set_state repeat every kind of draw (torch on the CPU keeps two generators:
    its own for uniform/normal, numpy's for bits32/integers); int8 integers stay in range."""
    if backend.name == "cupy":
        pytest.skip("CupyRng does not save its state")
    rng = backend.rng(5)
    rng.uniform((3,))
    state = rng.get_state()

    def draws():
        small = rng.integers(1, 4, (1000,), dtype=backend.xp.int8)
        assert small.dtype == backend.xp.int8
        assert set(np.unique(backend.to_numpy(small))) == {1, 2, 3}
        parts = (rng.uniform((4,)), rng.normal((4,)), rng.bits32((4,)), rng.integers(0, 9, (4,)))
        return [backend.to_numpy(part) for part in (small, *parts)]

    first = draws()
    rng.set_state(state)
    for a, b in zip(first, draws(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_arrays_live_on_the_backend_device(backend):
    x = backend.zeros((2, 3))
    assert str(x.device) == str(backend.device) or backend.name == "numpy"
    assert backend.rng(0).uniform((3,)).dtype == backend.dtype


def test_logsumexp_stable(backend):
    xp = backend.xp
    a = backend.asarray([[1000.0, 1000.0], [-np.inf, -np.inf]])
    out = backend.to_numpy(logsumexp(xp, a, axis=1))
    assert out[0] == pytest.approx(1000 + np.log(2))
    assert out[1] == -np.inf
    assert backend.to_numpy(log_mean_exp(xp, backend.asarray([0.0, 0.0]))) == pytest.approx(0.0)


def test_int8_comparisons_and_row_counts(backend):
    """less_equal_int8 / equal_int8 (int8 0/1, broadcasting, int8 and int32 operands, a Python
    scalar) and count_at_most_rows (#{r : a ≤ table[r, index]}) against direct numpy."""
    xp, rs = backend.xp, np.random.default_rng(5)
    a8, b8 = (rs.integers(-3, 4, (4, 6, 5)).astype(np.int8) for _ in range(2))
    a32 = rs.integers(-(2**31), 2**31, (4, 6, 5)).astype(np.int32)
    table = np.sort(rs.integers(-(2**31), 2**31, (3, 40)), axis=0)[::-1].astype(np.int32)
    index = rs.integers(0, 40, (4, 6, 5)).astype(np.int16)
    on = backend.from_numpy
    for got, want in (
        (less_equal_int8(xp, on(a8), on(b8)), a8 <= b8),
        (equal_int8(xp, on(a8), on(b8)), a8 == b8),
        (equal_int8(xp, on(a8), 2), a8 == 2),
        (
            less_equal_int8(xp, on(a32), on(table[0, :30].reshape(6, 5))),
            a32 <= table[0, :30].reshape(6, 5),
        ),
        (count_at_most_rows(xp, on(a32), on(table), on(index)), (a32 <= table[:, index]).sum(0)),
    ):
        assert got.dtype == xp.int8
        np.testing.assert_array_equal(backend.to_numpy(got), want.astype(np.int8))
