"""Reference kernels for the ratio gates: the package's hot paths written directly in numpy or
torch (no array-API layer), plus a plain matmul as a machine-speed yardstick.

- Ising ΔE_i = 2 s_i (J Σ_{j∼i} s_j + h) on a torus (neighbour sum by four rolls);
- Potts ΔE_i(a) = −J (n_i(a) − n_i(x_i)), n_i(a) = #{j ∼ i : x_j = a} from a one-hot field;
- one checkerboard Metropolis sweep of Ising chains at β, the algorithm of baselines.local
  (colour planes, one draw of random 32-bit patterns per sweep compared with an int32 threshold
  table; its module docstring): for each colour c ∈ {0, 1} (sites with (i + j) mod 2 = c), flip
  s_i where b_i ≤ ⌈2³² min(1, e^{−βΔE_i})⌉ − 1 − 2³¹, and count the changed sites per chain (the
  acceptance fraction baselines.local.sweep returns);
- ``matmul(n)``: an (n × n) @ (n × n) float64 product.
"""

from __future__ import annotations

import numpy as np


def numpy_neighbour_sum(f: np.ndarray) -> np.ndarray:
    """Σ_{j∼i} f_j over axes 1, 2 on a torus."""
    return np.roll(f, 1, 1) + np.roll(f, -1, 1) + np.roll(f, 1, 2) + np.roll(f, -1, 2)


def numpy_ising_delta_energy(x: np.ndarray, J: float = 1.0, h: float = 0.0) -> np.ndarray:
    s = x.astype(np.float64)
    return 2.0 * s * (J * numpy_neighbour_sum(s) + h)


def numpy_potts_delta_energy(x: np.ndarray, q: int, J: float = 1.0) -> np.ndarray:
    onehot = (x[..., None] == np.arange(q, dtype=x.dtype)).astype(np.float64)
    counts = numpy_neighbour_sum(onehot)
    own = np.sum(counts * onehot, axis=-1, keepdims=True)
    return -J * (counts - own)


def numpy_ising_table(beta: float) -> np.ndarray:
    """int32 thresholds ⌈2³² p⌉ − 1 − 2³¹ of P(flip) = p = min(1, e^{−2β s·n}) of an Ising spin
    (J = 1, h = 0) at index s·n + 4."""
    p = np.exp(-2.0 * beta * np.maximum(np.arange(-4, 5), 0))
    return np.clip(np.ceil(np.ldexp(p, 32)) - 1.0 - 2.0**31, -(2.0**31), 2.0**31 - 1).astype(
        np.int32
    )


def numpy_metropolis_sweep(x: np.ndarray, beta: float, rng: np.random.Generator):
    """One checkerboard Metropolis sweep of Ising chains x (B, Lx, Ly) int8 (Lx, Ly even) on
    colour planes, like baselines.local.sweep: returns (new x, per-chain acceptance fraction)."""
    B, Lx, Ly = x.shape
    q = x.reshape(B, Lx // 2, 2, Ly // 2, 2)
    planes = [
        np.stack([q[:, :, 0, :, 0], q[:, :, 1, :, 1]], axis=1),
        np.stack([q[:, :, 0, :, 1], q[:, :, 1, :, 0]], axis=1),
    ]
    table = numpy_ising_table(beta)
    n_bits = 2 * planes[0].size
    words = rng.integers(0, 2**64, (n_bits + 1) // 2, dtype=np.uint64)
    bits = words.view(np.int32)[:n_bits].reshape(2, *planes[0].shape)
    for colour, shift in ((0, 1), (1, -1)):
        o, s = planes[1 - colour], planes[colour]
        vertical = np.stack([np.roll(o[:, 1], 1, axis=1), np.roll(o[:, 0], -1, axis=1)], axis=1)
        across = np.stack([np.roll(o[:, 0], shift, axis=2), np.roll(o[:, 1], -shift, axis=2)], 1)
        n = o + o[:, ::-1] + vertical + across
        flip = bits[colour] <= table[(s * n + 4).astype(np.intp)]
        planes[colour] = s * (1 - 2 * flip.astype(np.int8))
    out = np.empty_like(q)
    out[:, :, 0, :, 0], out[:, :, 1, :, 1] = planes[0][:, 0], planes[0][:, 1]
    out[:, :, 0, :, 1], out[:, :, 1, :, 0] = planes[1][:, 0], planes[1][:, 1]
    new = out.reshape(B, Lx, Ly)
    return new, np.sum(new != x, axis=(1, 2), dtype=np.int32) / (Lx * Ly)


def torch_ising_delta_energy(x, J: float = 1.0, h: float = 0.0):
    import torch

    s = x.to(torch.float64)
    nb = torch.roll(s, 1, 1) + torch.roll(s, -1, 1) + torch.roll(s, 1, 2) + torch.roll(s, -1, 2)
    return 2.0 * s * (J * nb + h)


def torch_metropolis_sweep(x, beta: float, generator):
    """:func:`numpy_metropolis_sweep` in torch (``generator`` a torch.Generator)."""
    import torch

    B, Lx, Ly = x.shape
    q = x.reshape(B, Lx // 2, 2, Ly // 2, 2)
    planes = [
        torch.stack([q[:, :, 0, :, 0], q[:, :, 1, :, 1]], dim=1),
        torch.stack([q[:, :, 0, :, 1], q[:, :, 1, :, 0]], dim=1),
    ]
    table = torch.as_tensor(numpy_ising_table(beta), device=x.device)
    n_bits = 2 * planes[0].numel()
    words = torch.empty((n_bits + 1) // 2, dtype=torch.int64, device=x.device)
    words.random_(-(2**63), None, generator=generator)
    bits = words.view(torch.int32)[:n_bits].reshape(2, *planes[0].shape)
    for colour, shift in ((0, 1), (1, -1)):
        o, s = planes[1 - colour], planes[colour]
        vertical = torch.stack([torch.roll(o[:, 1], 1, 1), torch.roll(o[:, 0], -1, 1)], dim=1)
        across = torch.stack([torch.roll(o[:, 0], shift, 2), torch.roll(o[:, 1], -shift, 2)], 1)
        n = o + o.flip(1) + vertical + across
        index = (s * n + 4).to(torch.int64).reshape(-1)
        flip = bits[colour] <= table.index_select(0, index).reshape(s.shape)
        planes[colour] = s * (1 - 2 * flip.to(torch.int8))
    out = torch.empty_like(q)
    out[:, :, 0, :, 0], out[:, :, 1, :, 1] = planes[0][:, 0], planes[0][:, 1]
    out[:, :, 0, :, 1], out[:, :, 1, :, 0] = planes[1][:, 0], planes[1][:, 1]
    new = out.reshape(B, Lx, Ly)
    return new, (new != x).sum(dim=(1, 2), dtype=torch.int32) / (Lx * Ly)


def matmul(n: int, seed: int = 0):
    """A callable computing one (n × n) @ (n × n) float64 numpy product."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, n)), rng.random((n, n))
    return lambda: a @ b
