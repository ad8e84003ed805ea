"""The colour-plane layout of the fast local kernels: a periodic lattice with even Lx and Ly held
as its two checkerboard colours, each a (B, Lx, Ly/2) array, so that ΔE, the random numbers and
the decisions are computed for the sites being updated only.

Row i of a colour holds that colour's sites of lattice row i in column order: black at columns
j ≡ i, white at j ≢ i (mod 2) (:func:`to_planes`).  The neighbours of a site of one colour are
sites of the other colour's array: at the same column index in the rows above and below (one
concatenation of the rows with the last and first row, read as two views), at the same index in
the same row, and one index left (even rows) or right (odd rows) in the same row for black, the
reverse for white (one concatenation of four slices of each pair of rows:
:func:`plane_neighbours`).  The conversion to and from the (B, Lx, Ly) states callers see happens
once per sweep: on numpy and torch through the int16 words of pairs of sites (a colour is a
shift by 0 or 8 bits per row and a cast to int8; back, the zero-extended bytes times 1 or 256,
or-ed), where strided int8 copies were the cost.  torch holds small batches of planes chains
last, (Lx, Ly/2, B), where the shifted neighbour arrays are one gather of runs of B bytes along
an outer axis (:func:`planes_order`).  A layout in which both horizontal neighbours are the same
shift needs reversed rows: arithmetic on negatively strided int8 arrays is slow on numpy, and
torch has no negative strides.  Measurements: docs/perf.md.
"""

from __future__ import annotations

import functools
import math

import array_api_compat
import numpy as np
from leapsbench.backends.numerics import (
    as_int8_bytes,
    as_int16_pairs,
    as_uint8,
    byte_pairs,
    permuted_copy,
    take_rows,
)

from .local_tables import cached_on


def has_planes(lattice) -> bool:
    """Whether :func:`to_planes` applies: a torus with even Lx and Ly."""
    return lattice.periodic and lattice.Lx % 2 == 0 and lattice.Ly % 2 == 0


def _is_torch(xp) -> bool:
    """Whether ``xp`` is torch, whose per-call costs differ from numpy's: ``stack`` and
    ``split`` are one dispatch each (numpy's ``stack`` is a Python function, slower than a
    concatenation of expanded views), and small batches of planes go chains last
    (:func:`planes_order`)."""
    return array_api_compat.is_torch_namespace(xp)


_NEW_AXIS_2 = (slice(None), slice(None), None, ...)


def _pair(xp, a, b):
    """a and b stacked on a new axis 2 (one concat on numpy)."""
    if _is_torch(xp):
        return xp.stack([a, b], axis=2)
    return xp.concat([a[_NEW_AXIS_2], b[_NEW_AXIS_2]], axis=2)


def _byte_shift_table(Lx: int, w: int, chains: int) -> np.ndarray:
    """int16 (Lx, w): 0 on even rows, 8 on odd rows (:func:`_byte_shifts`); (Lx, w, chains),
    the same for every chain, where ``chains`` > 0 (the planes chains last)."""
    table = np.repeat(np.arange(Lx)[:, None] % 2 * 8, w, axis=1).astype(np.int16)
    return np.repeat(table[..., None], chains, axis=2) if chains else table


def _byte_shifts(xp, device, Lx: int, w: int, chains: int = 0):
    """For the int16 words of a (B, Lx, 2w) int8 state (two sites each, the even column in the
    low byte): the right shifts (int16, (Lx, w), or (Lx, w, B) for words chains last) that bring
    black's byte to the low byte — 0 on even rows, 8 on odd rows — and white's, the reverse.
    Whole arrays, not broadcast from (Lx, 1) along a short last axis, where torch's shift is
    slow.  Cached (:func:`cached_on`)."""

    def make():
        black = _byte_shift_table(Lx, w, chains)
        return xp.asarray(black, device=device), xp.asarray(8 - black, device=device)

    return cached_on(xp, device, ("byte shifts", Lx, w, chains), make)


def _byte_factors(xp, device, Lx: int, w: int, chains: int = 0):
    """2^shift of :func:`_byte_shifts`: left shifts as products (faster than shifts on
    numpy); cached."""

    def make():
        black = _byte_shift_table(Lx, w, chains)
        return xp.asarray(1 << black, device=device), xp.asarray(1 << (8 - black), device=device)

    return cached_on(xp, device, ("byte factors", Lx, w, chains), make)


CHAINS_FIRST, CHAINS_LAST = (0, 1, 2), (1, 2, 0)
"""Axis orders of the colour planes: (B, Lx, w), or (Lx, w, B) with the chains innermost."""
_CHAINS_FIRST_AGAIN = (2, 0, 1)
"""The permutation that takes chains-last planes back to chains first."""
CHAINS_LAST_MAX_STATES = 50_000
"""torch holds the planes chains last up to this many sites in all (:func:`planes_order`)."""


def planes_order(xp, shape) -> tuple[int, ...]:
    """:data:`CHAINS_LAST` for torch where the B·Lx·Ly sites of ``shape`` are at most
    :data:`CHAINS_LAST_MAX_STATES`, else :data:`CHAINS_FIRST`.  Chains last, the three
    shifted neighbour arrays of :func:`plane_neighbours` are one gather of runs of B bytes
    along an outer axis, where chains first the neighbour in the same row is a concatenation
    along the last axis of runs of 1 and w − 1 bytes, several times dearer on torch than the
    same bytes along an outer axis.  The transpositions of the int16 words in
    :func:`to_planes` and :func:`from_planes` cost less than that only for small batches
    (the limit measured in docs/perf.md); numpy's per-call cost is low enough that chains
    first is never slower for it."""
    if _is_torch(xp) and math.prod(shape) <= CHAINS_LAST_MAX_STATES:
        return CHAINS_LAST
    return CHAINS_FIRST


def to_planes(xp, x, order=CHAINS_FIRST):
    """States (B, Lx, Ly) → (black, white), each (B, Lx, Ly/2) with its axes in ``order``
    (:func:`planes_order`): row i of a colour holds that colour's sites of lattice row i,
    black at columns j ≡ i, white at j ≢ i (mod 2) (module docstring).  Where int8 pairs can
    be viewed as int16 words (``byte_pairs``) a colour is one shift and one narrowing cast of
    those words; else (and for other dtypes) a stack of two strided views."""
    B, Lx, Ly = x.shape
    last = order != CHAINS_FIRST
    if byte_pairs(xp) and x.dtype == xp.int8:
        words = as_int16_pairs(xp, x)
        words = permuted_copy(xp, words, order) if last else words
        shifts = _byte_shifts(xp, array_api_compat.device(x), Lx, Ly // 2, B if last else 0)
        return tuple(xp.astype(words >> s, xp.int8) for s in shifts)
    if last:
        return tuple(permuted_copy(xp, plane, order) for plane in to_planes(xp, x))
    q = xp.reshape(x, (B, Lx // 2, 2, Ly // 2, 2))  # q[b, I, r, J, c] = x[b, 2I + r, 2J + c]
    black = _pair(xp, q[:, :, 0, :, 0], q[:, :, 1, :, 1])
    white = _pair(xp, q[:, :, 0, :, 1], q[:, :, 1, :, 0])
    shape = (B, Lx, Ly // 2)
    return xp.reshape(black, shape), xp.reshape(white, shape)


def from_planes(xp, black, white, order=CHAINS_FIRST):
    """The inverse of :func:`to_planes`: where ``byte_pairs``, the int16 words Σ byte · 2^shift
    (each colour's bytes zero-extended, multiplied by :func:`_byte_factors` in place, or-ed);
    else four strided assignments."""
    last = order != CHAINS_FIRST
    B, Lx, w = (black.shape[2], *black.shape[:2]) if last else black.shape
    if byte_pairs(xp) and black.dtype == xp.int8:
        factors = _byte_factors(xp, array_api_compat.device(black), Lx, w, B if last else 0)
        words, high = (xp.astype(as_uint8(xp, a), xp.int16) for a in (black, white))
        words *= factors[0]
        high *= factors[1]
        words |= high
        return as_int8_bytes(xp, permuted_copy(xp, words, _CHAINS_FIRST_AGAIN) if last else words)
    if last:
        planes = (permuted_copy(xp, a, _CHAINS_FIRST_AGAIN) for a in (black, white))
        return from_planes(xp, *planes)
    black, white = (xp.reshape(a, (B, Lx // 2, 2, w)) for a in (black, white))
    q = xp.empty((B, Lx // 2, 2, w, 2), dtype=black.dtype, device=array_api_compat.device(black))
    q[:, :, 0, :, 0] = black[:, :, 0, ...]
    q[:, :, 1, :, 1] = black[:, :, 1, ...]
    q[:, :, 0, :, 1] = white[:, :, 0, ...]
    q[:, :, 1, :, 0] = white[:, :, 1, ...]
    return xp.reshape(q, (B, Lx, 2 * w))


@functools.lru_cache(maxsize=64)
def _last_axis_slices(sizes: tuple[int, ...]) -> tuple:
    """Index tuples of consecutive pieces of ``sizes`` along the last axis."""
    ends = np.cumsum(sizes).tolist()
    return tuple((..., slice(end - size, end)) for size, end in zip(sizes, ends, strict=True))


def _split_last(xp, a, sizes: tuple[int, ...]):
    """``a`` cut along its last axis into consecutive pieces of ``sizes`` (torch: one
    ``split``, cheaper than one slicing per piece; else slices)."""
    if _is_torch(xp):
        return a.split(sizes, dim=-1)
    return tuple(a[cut] for cut in _last_axis_slices(sizes))


def _neighbour_index(xp, device, Lx: int, w: int, colour: int):
    """int64 (3·Lx·w,): for each site (i, k) of ``colour``'s planes, the flat index i·w + k of
    the other colour's site in the row above, in the row below and in the same row
    (:func:`plane_neighbours`): k − 1 on black's even and white's odd rows, k + 1 on the
    others (periodic).  Cached (:func:`cached_on`)."""

    def make():
        k, rows = np.arange(w), np.arange(Lx)[:, None]
        column = np.where(rows % 2 == colour, (k - 1) % w, (k + 1) % w)
        flat = [(rows - 1) % Lx * w + k, (rows + 1) % Lx * w + k, rows * w + column]
        return xp.asarray(np.stack(flat).reshape(-1), dtype=xp.int64, device=device)

    return cached_on(xp, device, ("neighbour index", Lx, w, colour), make)


def plane_neighbours(xp, other, colour: int, order=CHAINS_FIRST):
    """The four neighbours of every site of ``colour`` (0 black, 1 white), each an array shaped
    like the colour's planes (B, Lx, w), from the other colour's planes ``other`` O: the
    sites of the rows above and below, O rolled ±1 along the rows (two views of one
    concatenation of O with its last and first rows), the site of the same row and column
    index, O, and the other one of the same row, O[i, k − 1] on even and O[i, k + 1] on odd
    rows for black, the reverse for white (one concatenation of four slices of each pair of
    rows, an even row's w values and then an odd row's).  Chains last (``order``, the planes'
    axis order: :func:`planes_order`), the three shifted arrays are one gather of runs of B
    values (:func:`_neighbour_index`)."""
    if order != CHAINS_FIRST:
        Lx, w, B = other.shape
        index = _neighbour_index(xp, array_api_compat.device(other), Lx, w, colour)
        gathered = take_rows(xp, xp.reshape(other, (Lx * w, B)), index)
        gathered = xp.reshape(gathered, (3, Lx, w, B))
        return gathered[0, ...], gathered[1, ...], other, gathered[2, ...]
    B, Lx, w = other.shape
    rows = xp.concat([other[:, -1:, ...], other, other[:, :1, ...]], axis=1)
    pairs = xp.reshape(other, (B, Lx // 2, 2 * w))
    sizes = (w - 1, 1, 1, w - 1) if colour == 0 else (1, w - 1, w - 1, 1)
    a, b, c, d = _split_last(xp, pairs, sizes)
    across = xp.reshape(xp.concat([b, a, d, c], axis=-1), (B, Lx, w))
    return rows[:, :-2, ...], rows[:, 2:, ...], other, across
