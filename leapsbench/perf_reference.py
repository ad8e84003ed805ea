"""Reference kernels for the ratio gates: the package's hot paths written directly in numpy or
torch (no array-API layer), plus a plain matmul as a machine-speed yardstick.

- Ising ΔE_i = 2 s_i (J Σ_{j∼i} s_j + h) on a torus (neighbour sum by four rolls);
- Potts ΔE_i(a) = −J (n_i(a) − n_i(x_i)), n_i(a) = #{j ∼ i : x_j = a} from a one-hot field;
- one checkerboard Metropolis sweep of Ising chains at β: for each colour c ∈ {0, 1} (sites with
  (i + j) mod 2 = c), flip s_i where u_i < exp(−β max(ΔE_i, 0)), u_i ~ U(0, 1), and count the
  accepted flips per chain (the acceptance fraction baselines.local.sweep returns);
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


def checkerboard_masks(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (Lx, Ly) masks of the even and odd sublattices."""
    parity = np.add.outer(np.arange(shape[0]), np.arange(shape[1])) % 2
    return parity == 0, parity == 1


def numpy_metropolis_sweep(x: np.ndarray, beta: float, rng: np.random.Generator):
    """One checkerboard Metropolis sweep of Ising chains x (B, Lx, Ly) int8:
    returns (new x, per-chain acceptance fraction), like baselines.local.sweep."""
    accepted = np.zeros(x.shape[0])
    for mask in checkerboard_masks(x.shape[1:]):
        u = rng.random(x.shape)
        flip = (u < np.exp(-beta * np.maximum(numpy_ising_delta_energy(x), 0.0))) & mask
        x = np.where(flip, -x, x).astype(np.int8)
        accepted += flip.sum(axis=(1, 2))
    return x, accepted / (x.shape[1] * x.shape[2])


def torch_ising_delta_energy(x, J: float = 1.0, h: float = 0.0):
    import torch

    s = x.to(torch.float64)
    nb = torch.roll(s, 1, 1) + torch.roll(s, -1, 1) + torch.roll(s, 1, 2) + torch.roll(s, -1, 2)
    return 2.0 * s * (J * nb + h)


def torch_metropolis_sweep(x, beta: float, generator):
    """:func:`numpy_metropolis_sweep` in torch (``generator`` a torch.Generator)."""
    import torch

    accepted = torch.zeros(x.shape[0], dtype=torch.float64, device=x.device)
    for mask in checkerboard_masks(tuple(x.shape[1:])):
        m = torch.as_tensor(mask, device=x.device)
        u = torch.rand(x.shape, generator=generator, dtype=torch.float64, device=x.device)
        delta = torch.clamp(torch_ising_delta_energy(x), min=0.0)
        flip = (u < torch.exp(-beta * delta)) & m
        x = torch.where(flip, -x, x)
        accepted += flip.sum(dim=(1, 2))
    return x, accepted / (x.shape[1] * x.shape[2])


def matmul(n: int, seed: int = 0):
    """A callable computing one (n × n) @ (n × n) float64 numpy product."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, n)), rng.random((n, n))
    return lambda: a @ b
