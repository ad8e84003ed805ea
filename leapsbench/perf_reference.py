"""Reference kernels for the ratio gates: the package's hot paths written directly in numpy or
torch (no array-API layer).

- Ising ΔE_i = 2 s_i (J Σ_{j∼i} s_j + h) on a torus (neighbour sum by four rolls);
- Potts ΔE_i(a) = −J (n_i(a) − n_i(x_i)), n_i(a) = #{j ∼ i : x_j = a} from a one-hot field;
- one checkerboard Metropolis sweep of Ising chains at β, the algorithm of baselines.local
  (colour planes of rows, made through int16 words of site pairs, one draw of random 32-bit
  patterns per sweep compared with an int32 threshold table; its module docstring): for each
  colour c ∈ {0, 1} (sites with (i + j) mod 2 = c), flip s_i where
  b_i ≤ ⌈2³² p_i⌉ − 1 − 2³¹ with p_i = min(1, e^{−βΔE_i}) (½ at a tie ΔE_i = 0), and count
  the changed sites per chain (the acceptance fraction baselines.local.sweep returns);
- the LE-MLP's rates for Ising spins (leaps/mlp.py): e_i the one-hot of site i, τ = silu(t w + b),
  pre_l,i = Σ_j e_j U_j − e_i U_i + b_l + τ T_l (+ h_{l−1,i} W_l), h_l = silu(pre_l) with
  silu(z) = z (1 + tanh(z/2)) / 2, score_i = h_i w_out + b_out, and G_i = (1 − e_i) s_i score_i
  (the rate of flipping site i in the other value's slot).
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
    (J = 1, h = 0) at index s·n + 4, p = ½ at the tie s·n = 0 (as baselines.local)."""
    sn = np.arange(-4, 5)
    p = np.where(sn == 0, 0.5, np.exp(-2.0 * beta * np.maximum(sn, 0)))
    return np.clip(np.ceil(np.ldexp(p, 32)) - 1.0 - 2.0**31, -(2.0**31), 2.0**31 - 1).astype(
        np.int32
    )


def _byte_shifts(Lx: int, w: int) -> np.ndarray:
    """int16 (Lx, w): 0 on even rows, 8 on odd rows (the bit offset of black's site in the
    int16 word of a pair of sites)."""
    return np.repeat(np.arange(Lx)[:, None] % 2 * 8, w, axis=1).astype(np.int16)


def numpy_metropolis_sweep(x: np.ndarray, beta: float, rng: np.random.Generator):
    """One checkerboard Metropolis sweep of Ising chains x (B, Lx, Ly) int8 (Lx, Ly even) on
    colour planes, like baselines.local.sweep (each colour a (B, Lx, Ly/2) array of its sites
    row by row, to and from the states through int16 words of site pairs): returns (new x,
    per-chain acceptance fraction)."""
    B, Lx, Ly = x.shape
    w = Ly // 2
    shift = _byte_shifts(Lx, w)
    words = np.ascontiguousarray(x).view(np.int16)
    planes = [(words >> shift).astype(np.int8), (words >> (8 - shift)).astype(np.int8)]
    table = numpy_ising_table(beta)
    n_bits = 2 * planes[0].size
    draws = rng.integers(0, 2**64, (n_bits + 1) // 2, dtype=np.uint64)
    bits = draws.view(np.int32)[:n_bits].reshape(2, *planes[0].shape)
    for colour in (0, 1):
        o, s = planes[1 - colour], planes[colour]
        rows = np.concatenate([o[:, -1:], o, o[:, :1]], axis=1)
        p = o.reshape(B, Lx // 2, 2 * w)
        if colour == 0:
            pieces = [p[..., w - 1 : w], p[..., : w - 1], p[..., w + 1 :], p[..., w : w + 1]]
        else:
            pieces = [p[..., 1:w], p[..., :1], p[..., 2 * w - 1 :], p[..., w : 2 * w - 1]]
        across = np.concatenate(pieces, axis=-1).reshape(B, Lx, w)
        n = rows[:, :-2] + rows[:, 2:] + o + across
        flip = bits[colour] <= table[(s * n + 4).astype(np.intp)]
        planes[colour] = s * (1 - 2 * flip.astype(np.int8))
    black = planes[0].view(np.uint8).astype(np.int16) << shift
    white = planes[1].view(np.uint8).astype(np.int16) << (8 - shift)
    new = (black | white).view(np.int8)
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
    w = Ly // 2
    shift = torch.from_numpy(_byte_shifts(Lx, w)).to(x.device)
    words = x.contiguous().view(torch.int16)
    planes = [(words >> shift).to(torch.int8), (words >> (8 - shift)).to(torch.int8)]
    table = torch.as_tensor(numpy_ising_table(beta), device=x.device)
    n_bits = 2 * planes[0].numel()
    draws = torch.empty((n_bits + 1) // 2, dtype=torch.int64, device=x.device)
    draws.random_(-(2**63), None, generator=generator)
    bits = draws.view(torch.int32)[:n_bits].reshape(2, *planes[0].shape)
    for colour in (0, 1):
        o, s = planes[1 - colour], planes[colour]
        rows = torch.cat([o[:, -1:], o, o[:, :1]], dim=1)
        p = o.reshape(B, Lx // 2, 2 * w)
        sizes = (w - 1, 1, 1, w - 1) if colour == 0 else (1, w - 1, w - 1, 1)
        a, b, c, d = p.split(sizes, dim=-1)
        across = torch.cat([b, a, d, c], dim=-1).reshape(B, Lx, w)
        n = rows[:, :-2] + rows[:, 2:] + o + across
        index = (s * n + 4).to(torch.int32).reshape(-1)
        flip = bits[colour] <= table.index_select(0, index).reshape(s.shape)
        planes[colour] = s * (1 - 2 * flip.to(torch.int8))
    black = planes[0].view(torch.uint8).to(torch.int16) << shift
    white = planes[1].view(torch.uint8).to(torch.int16) << (8 - shift)
    new = (black | white).view(torch.int8)
    return new, (new != x).sum(dim=(1, 2), dtype=torch.int32) / (Lx * Ly)


def _silu(z: np.ndarray) -> np.ndarray:
    return z * (0.5 + 0.5 * np.tanh(0.5 * z))


def numpy_le_mlp_ising(params: dict, x: np.ndarray, t: float, depth: int) -> np.ndarray:
    """G_t(x) of the LE-MLP on Ising spins ``x`` (B, Lx, Ly), (B, Lx, Ly, 2) (module docstring);
    ``params`` the network's numpy parameters."""
    batch, lx, ly = x.shape
    e = np.stack([x == 1, x == -1], axis=-1).astype(np.float64).reshape(batch, lx * ly, 2)
    tau = _silu(np.full((batch, 1), t) * params["time.w"] + params["time.b"])
    h = None
    for layer in range(depth):
        u = params[f"layer{layer}.U"]
        total = e.reshape(batch, -1) @ u.reshape(-1, u.shape[-1])
        own = np.matmul(e.transpose(1, 0, 2), u).transpose(1, 0, 2)
        pre = total[:, None] - own + params[f"layer{layer}.b"]
        pre = pre + (tau @ params[f"layer{layer}.T"])[:, None]
        if h is not None:
            pre = pre + h @ params[f"layer{layer}.W"]
        h = _silu(pre)
    score = (h @ params["out.w"] + params["out.b"]).reshape(batch, lx, ly)
    onehot = e.reshape(batch, lx, ly, 2)
    return (1.0 - onehot) * (x * score)[..., None]
