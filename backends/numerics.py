"""Numerical helpers that the array API standard lacks, written once for every backend."""

from __future__ import annotations

import functools
import math
import operator
import sys

import numpy as np


def logsumexp(xp, a, axis=None, keepdims: bool = False):
    """log Σ exp(a) along ``axis``, stable for large |a| and for all entries equal to −∞."""
    amax = xp.max(a, axis=axis, keepdims=True)
    amax = xp.where(xp.isfinite(amax), amax, xp.zeros_like(amax))
    out = xp.log(xp.sum(xp.exp(a - amax), axis=axis, keepdims=True)) + amax
    if not keepdims:
        out = xp.squeeze(out, axis=axis) if axis is not None else xp.reshape(out, ())
    return out


def log_mean_exp(xp, a, axis=None, keepdims: bool = False):
    """log( (1/n) Σ exp(a) ) along ``axis``."""
    n = math.prod(a.shape) if axis is None else a.shape[axis]
    return logsumexp(xp, a, axis=axis, keepdims=keepdims) - math.log(n)


def take_rows(xp, a, index):
    """``a[index]`` along axis 0 for a 1-D integer ``index`` (int64 where not numpy): torch's
    ``index_select`` directly (array_api_compat's ``take`` first rewrites negative indices, an
    extra pass over the index), else ``take``."""
    if _library(xp) == "torch":
        return a.index_select(0, index)
    return xp.take(a, index, axis=0)


def permuted_copy(xp, a, axes):
    """A copy of ``a`` with its axes permuted to ``axes``, laid out in the new order (torch's
    ``permute`` is a strided view that elementwise results and reshapes inherit)."""
    moved = xp.permute_dims(a, axes)
    library = _library(xp)
    if library == "numpy":
        return np.ascontiguousarray(moved)
    if library == "torch":
        return moved.contiguous()
    return xp.asarray(moved, copy=True)


def lookup(xp, table, index):
    """``table[index]`` for a 1-D ``table`` and a non-negative integer ``index`` of any shape.

    numpy's ``take`` takes any shape and integer dtype (one call, no reshapes or casts: the
    per-call overhead matters for small arrays); elsewhere the flattened index goes through
    :func:`take_rows` (torch's ``index_select`` with int32 indices, faster than with int64 and
    a cheaper cast; int64 for ``take``).  Measurements of this module: docs/perf.md.
    """
    library = _library(xp)
    if library == "numpy":
        return xp.take(table, index)
    flat = xp.astype(xp.reshape(index, (-1,)), xp.int32 if library == "torch" else xp.int64)
    return xp.reshape(take_rows(xp, table, flat), tuple(index.shape))


def count_at_most_rows(xp, a, table, index):
    """#{rows r of the 2-D ``table`` : a ≤ table[r, index]} per element, int8 (``index``
    non-negative integers, ``a`` of ``index``'s shape).  numpy: one gather of every row, one
    comparison, one sum over the rows; torch: :func:`_torch_count_at_most_rows`; else per row
    :func:`lookup`."""
    library = _library(xp)
    if library == "numpy":
        return xp.sum(less_equal_int8(xp, a, xp.take(table, index, axis=1)), axis=0, dtype=xp.int8)
    if library == "torch":
        return _torch_count_at_most_rows(a, table, index)
    rows = [lookup(xp, table[r, ...], index) for r in range(table.shape[0])]
    total = less_equal_int8(xp, a, rows[0])
    for row in rows[1:]:
        total = total + less_equal_int8(xp, a, row)
    return total


def _torch_count_at_most_rows(a, table, index):
    """:func:`count_at_most_rows` on torch: one index cast, then per row a 1-D gather (several
    times faster than gathering along axis 1) and a comparison into an array of ``a``'s dtype
    (:func:`_compared_int8`), summed there; one cast to int8 at the end."""
    import torch

    flat, a = index.reshape(-1).to(torch.int32), a.reshape(-1)
    total, step = (torch.empty(a.shape, dtype=a.dtype, device=a.device) for _ in range(2))
    torch.le(a, table[0].index_select(0, flat), out=total)
    for row in table[1:]:
        torch.le(a, row.index_select(0, flat), out=step)
        total += step
    return total.to(torch.int8).reshape(index.shape)


def count_true(xp, mask, axis):
    """The number of True entries of the boolean ``mask`` along ``axis``.

    numpy and torch sum the booleans with an int32 accumulator, faster than numpy's
    ``count_nonzero`` (a bool conversion and an intp sum) and much faster than torch's (and its
    int64 sum of bools) on CPU; other libraries use ``count_nonzero``.
    """
    if _library(xp) in ("numpy", "torch"):
        return xp.sum(mask, axis=axis, dtype=xp.int32)
    return xp.count_nonzero(mask, axis=axis)


def as_int8(xp, mask):
    """The boolean ``mask`` as int8 0/1: a view on numpy and torch (both store a bool as one
    byte, 0 or 1), ``astype`` elsewhere."""
    if _library(xp) in ("numpy", "torch"):
        return mask.view(xp.int8)
    return xp.astype(mask, xp.int8)


def byte_pairs(xp) -> bool:
    """Whether :func:`as_int16_pairs` and its kin apply: numpy and torch (arrays whose memory
    can be viewed as another dtype) on a little-endian host (the first int8 of a pair is the
    low byte of its int16)."""
    return _library(xp) in ("numpy", "torch") and sys.byteorder == "little"


def as_int16_pairs(xp, x):
    """The int8 array ``x`` (last axis of even length) viewed as int16 words, one per pair of
    neighbouring elements of the last axis (:func:`byte_pairs` libraries; a copy first where
    ``x`` is not contiguous)."""
    contiguous = np.ascontiguousarray(x) if _library(xp) == "numpy" else x.contiguous()
    return contiguous.view(xp.int16)


def as_uint8(xp, x):
    """The int8 array ``x`` viewed as uint8 (two's complement bytes; :func:`byte_pairs`
    libraries, ``x`` contiguous)."""
    return x.view(xp.uint8)


def as_int8_bytes(xp, words):
    """The int16 array ``words`` viewed as int8, two per word (low byte first on a
    little-endian host; :func:`byte_pairs` libraries, ``words`` contiguous)."""
    return words.view(xp.int8)


@functools.cache
def _library(xp) -> str:
    """ "numpy", "torch" or "other" for an array-api-compat namespace (cached: checked per call
    of the small-array helpers below, where every microsecond shows)."""
    import array_api_compat

    if array_api_compat.is_numpy_namespace(xp):
        return "numpy"
    return "torch" if array_api_compat.is_torch_namespace(xp) else "other"


def _compared_int8(xp, compare, a, b):
    """``compare(a, b)`` (``operator.le`` or ``operator.eq``; ``b`` an array broadcastable with
    ``a`` or a Python scalar) as int8 0/1.  torch on the CPU compares in a vectorised loop only
    where the result is as wide as the operands: a bool result from 4-byte operands, or from an
    int8 array and a scalar, takes a scalar loop several times slower.  So on torch the
    comparison is written into an array of ``a``'s dtype, cast to int8 where that is wider,
    unless both operands are int8 arrays: that bool result is vectorised and viewed as int8."""
    if _library(xp) == "torch":
        import torch

        if a.dtype == torch.int8 and getattr(b, "dtype", None) == torch.int8:
            return compare(a, b).view(torch.int8)  # int8 operands: the bool loop vectorises
        shape = a.shape
        if getattr(b, "shape", shape) != shape:
            shape = torch.broadcast_shapes(shape, b.shape)
        out = torch.empty(shape, dtype=a.dtype, device=a.device)
        getattr(torch, compare.__name__)(a, b, out=out)  # torch.le, torch.eq
        return out if a.dtype == torch.int8 else out.to(torch.int8)
    return as_int8(xp, compare(a, b))


def less_equal_int8(xp, a, b):
    """(a ≤ b) as int8 0/1 (:func:`_compared_int8`)."""
    return _compared_int8(xp, operator.le, a, b)


def equal_int8(xp, a, b):
    """(a = b) as int8 0/1 (:func:`_compared_int8`)."""
    return _compared_int8(xp, operator.eq, a, b)
