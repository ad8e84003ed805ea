"""The colour-plane layout of the fast local kernels (baselines/local_planes.py; exact checks: the
updates are tested against the site kernel in tests/test_local_fast.py, the chains against exact
enumeration in tests/test_mcmc.py): the round trip to (B, Lx, Ly), and that
``plane_neighbours`` gives every site of a colour exactly its four lattice neighbours."""

from types import SimpleNamespace

import numpy as np
import pytest
from leapsbench.baselines.local import checkerboard_masks, sweep
from leapsbench.baselines.local_planes import (
    CHAINS_FIRST,
    CHAINS_LAST,
    from_planes,
    has_planes,
    plane_neighbours,
    planes_order,
    to_planes,
)
from leapsbench.baselines.local_tables import cached_on

from leapsbench.models import Lattice, ising

SHAPES = [(2, 2), (4, 4), (4, 6), (6, 4), (8, 2)]
ORDERS = [CHAINS_FIRST, CHAINS_LAST]


def _labels(backend, shape, batch=3):
    """Distinct labels for every (chain, site): a wrong neighbour cannot look right."""
    return backend.from_numpy(np.arange(batch * shape[0] * shape[1]).reshape(batch, *shape))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("shape", SHAPES)
def test_planes_round_trip(backend, shape, order):
    x = _labels(backend, shape)
    back = from_planes(backend.xp, *to_planes(backend.xp, x, order), order)
    np.testing.assert_array_equal(backend.to_numpy(back), backend.to_numpy(x))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("shape", SHAPES)
def test_int8_planes_are_the_colour_sites(backend, shape, order):
    """int8 states (where numpy and torch take the int16 byte-pair path, every byte value
    present): row i of black holds x[i, j] for j ≡ i (mod 2), of white j ≢ i, in column order,
    with the axes in ``order``, and from_planes inverts to_planes."""
    rs = np.random.default_rng(sum(shape))
    states = rs.integers(-128, 128, (5, *shape)).astype(np.int8)
    states.reshape(-1)[:256] = np.arange(-128, 128)[: states.size]
    black, white = to_planes(backend.xp, backend.from_numpy(states), order)
    rows = np.arange(shape[0])[:, None]
    columns = 2 * np.arange(shape[1] // 2)[None, :]
    for plane, offset in ((black, rows % 2), (white, 1 - rows % 2)):
        want = np.transpose(states[:, rows, columns + offset], order)
        np.testing.assert_array_equal(backend.to_numpy(plane), want)
    back = backend.to_numpy(from_planes(backend.xp, black, white, order))
    np.testing.assert_array_equal(back, states)
    assert back.dtype == np.int8


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("shape", SHAPES)
def test_plane_neighbours_are_the_lattice_neighbours(backend, shape, order):
    """For each colour, the four neighbour arrays hold, site by site, the values of the four
    rolled lattices (as a multiset: a site's 4 labels sorted), and the colour's planes hold
    exactly the sites of that checkerboard mask (both axis orders)."""
    xp = backend.xp
    x = _labels(backend, shape)
    planes = to_planes(xp, x, order)
    rolls = [xp.roll(x, shift, axis=axis) for axis in (1, 2) for shift in (1, -1)]
    masks = checkerboard_masks(ising(*shape, beta=0.0), backend)
    for colour in (0, 1):
        got = np.sort(
            np.stack(
                [
                    backend.to_numpy(a)
                    for a in plane_neighbours(xp, planes[1 - colour], colour, order)
                ]
            ),
            axis=0,
        )
        rolled = [to_planes(xp, r, order)[colour] for r in rolls]
        want = np.sort(np.stack([backend.to_numpy(a) for a in rolled]), axis=0)
        np.testing.assert_array_equal(got, want)
        own = np.sort(backend.to_numpy(planes[colour]).reshape(-1))
        mask = backend.to_numpy(masks[colour])
        np.testing.assert_array_equal(own, np.sort(backend.to_numpy(x)[:, mask].reshape(-1)))


def test_planes_order_is_chains_last_for_small_torch_states_only(backend):
    """torch holds small batches chains last (its per-call cost), every other library and
    large batches chains first."""
    small, large = (64, 16, 16), (64, 64, 64)
    torch_like = backend.name == "torch"
    assert planes_order(backend.xp, small) == (CHAINS_LAST if torch_like else CHAINS_FIRST)
    assert planes_order(backend.xp, large) == CHAINS_FIRST


def test_has_planes():
    assert has_planes(Lattice(4, 6))
    assert not has_planes(Lattice(3, 4))
    assert not has_planes(Lattice(4, 4, periodic=False))


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_sweep_streams_are_reproducible_per_seed(backend, rule):
    """The same seed on the same backend gives the same sweep, bit for bit (both layouts)."""
    for shape in ((4, 6), (3, 4)):
        model = ising(*shape, beta=0.4)
        x = model.uniform_states(backend, backend.rng(1), 5)
        a, acc_a = sweep(model, x, model.beta, backend.rng(2), rule)
        b, acc_b = sweep(model, x, model.beta, backend.rng(2), rule)
        np.testing.assert_array_equal(backend.to_numpy(a), backend.to_numpy(b))
        np.testing.assert_array_equal(backend.to_numpy(acc_a), backend.to_numpy(acc_b))


def test_cached_on_makes_once_per_key_and_device(backend):
    """cached_on makes an array once per (key, namespace, device), also for a device that
    cannot be hashed (keyed by its name then), and apart per device."""
    made = []

    def make():
        made.append(1)
        return len(made)

    key = ("test", id(made))  # unique to this call: the cache outlives a test
    xp, device = backend.xp, backend.device
    assert cached_on(xp, device, key, make) == cached_on(xp, device, key, make) == 1
    unhashable = [SimpleNamespace(name=name) for name in ("a", "a", "b")]
    assert [cached_on(xp, d, key, make) for d in unhashable] == [2, 2, 3]
