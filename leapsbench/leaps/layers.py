"""Array-API building blocks of the locally equivariant networks (one code path, every backend).

Everything here is a pure function of arrays through the namespace ``xp`` (numpy, torch with
autograd, cupy, array-api-strict): no array library is imported (numpy only builds index
tables on the host), every array is created with an explicit ``dtype=`` and ``device=``.

- ``silu(z) = z σ(z)``, written as ``z (1 + tanh(z/2)) / 2`` (no overflow for large |z|); on
  torch its fused kernel (the one place a library function is called directly: the formula
  takes five passes over the array; timings in docs/perf.md).
- ``stop_gradient``: torch ``detach`` (for constants such as a softmax's max, whose gradient
  cancels exactly but costs a third of the attention backward pass).
- ``time_features``: τ(t) = silu(t w + b), a width-T embedding of t ∈ [0, 1] shared by the layers.
- ``state_one_hot``: e_i = one-hot of the value index of site i (spins: value a ↔ spin 1 − 2a).
- ``kernel_offsets`` / ``unfold``: the k × k periodic neighbourhood without its centre, as the
  neighbours u_{i+d} (one gather with a host-side numpy index table); offsets d ≡ 0 modulo the
  lattice (a kernel wider than the lattice wraps onto the site itself) are dropped, so the centre
  stays masked on every lattice.
"""

from __future__ import annotations

import functools

import array_api_compat
import numpy as np

ISING_LEVELS = (1, -1)  # spin of value index 0 and 1 (encoding 'spins')


def silu(xp, z):
    """silu(z) = z σ(z) = z (1 + tanh(z/2)) / 2; torch's fused kernel on torch."""
    if array_api_compat.is_torch_namespace(xp):
        import torch

        return torch.nn.functional.silu(z)
    return z * (0.5 + 0.5 * xp.tanh(0.5 * z))


def stop_gradient(xp, a):
    """``a`` cut from autograd (torch ``detach``); other libraries have no autograd to cut."""
    return a.detach() if array_api_compat.is_torch_namespace(xp) else a


def time_column(xp, t, batch: int, dtype, device):
    """Times as a (B, 1) array: ``t`` is a Python float, a 0-d, (1,) or (B,) array."""
    t = xp.asarray(t, dtype=dtype, device=device)
    if t.ndim > 1 or (t.ndim == 1 and t.shape[0] not in (1, batch)):
        raise ValueError(f"t must be a float or an array of shape ({batch},), got shape {t.shape}")
    return xp.broadcast_to(xp.reshape(t, (-1, 1)), (batch, 1))


def time_features(xp, params, prefix: str, tcol):
    """τ(t) = silu(t w + b), shape (B, T), from ``{prefix}.w`` and ``{prefix}.b`` (both (T,))."""
    return silu(xp, tcol * params[f"{prefix}.w"] + params[f"{prefix}.b"])


def state_one_hot(xp, x, spins: bool, q: int, dtype):
    """(B, Lx, Ly, q) indicator of each site's value index; ``spins``: x holds ±1 spins (value 0
    is spin +1), else value indices."""
    levels = ISING_LEVELS if spins else tuple(range(q))
    levels = xp.asarray(levels, dtype=x.dtype, device=array_api_compat.device(x))
    return xp.astype(xp.expand_dims(x, axis=-1) == levels, dtype)


@functools.lru_cache(maxsize=256)
def kernel_offsets(kernel_size: int, shape: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """Offsets d of a k × k window, row-major, without every d ≡ (0, 0) modulo ``shape``."""
    r = kernel_size // 2
    lx, ly = shape
    return tuple(
        (dx, dy)
        for dx in range(-r, r + 1)
        for dy in range(-r, r + 1)
        if dx % lx != 0 or dy % ly != 0
    )


@functools.lru_cache(maxsize=256)
def neighbour_index(shape: tuple[int, int], offsets) -> np.ndarray:
    """(Lx·Ly·|D|,) flat index of the periodic neighbour i + d of every site i, offset d."""
    ix, iy = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    d = np.asarray(offsets).reshape(1, 1, -1, 2)
    jx, jy = (ix[..., None] + d[..., 0]) % shape[0], (iy[..., None] + d[..., 1]) % shape[1]
    return (jx * shape[1] + jy).reshape(-1)


def unfold(xp, u, offsets):
    """u_{i+d} (periodic) for every site i and offset d, (B, Lx, Ly, |D|, C); u is (B, Lx, Ly, C).

    One gather with a cached index (not |D| rolled copies stacked; docs/perf.md)."""
    batch, lx, ly, c = u.shape
    index = xp.asarray(neighbour_index((lx, ly), offsets), device=array_api_compat.device(u))
    neighbours = xp.take(xp.reshape(u, (batch, lx * ly, c)), index, axis=1)
    return xp.reshape(neighbours, (batch, lx, ly, len(offsets), c))
