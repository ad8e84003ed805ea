"""The LEAPS authors' LE-conv in their own formulation, for tests and perf gates.

``their_forward`` is an independent torch transcription of the authors' published network
(github malbergo/leaps, src/nets/conv.py at eb3700c): a zero-padded masked first convolution
(their ``NewMaskedConv2d.forward`` calls ``F.conv2d(..., padding=k//2)``), circular
state-dependent layers (F.pad + F.unfold + einsum) with a 1 → T → T → k² time MLP, no feature
normalisation, and for Potts an ``nn.Embedding(max_norm=1.0)``.  ``synthetic_checkpoint`` builds
a Lightning-style checkpoint with their key names and shapes and random weights.
"""

from __future__ import annotations

import argparse

import torch

F = torch.nn.functional


def their_forward(checkpoint: dict, x, t, dtype=torch.float64):
    """The authors' network output in ``dtype``: Ising (B, L, L) flip scores, Potts (B, q, L, L)."""
    config = checkpoint["hyper_parameters"]["config"]
    sd = {
        k[len("net.network.") :]: v.to(dtype)
        for k, v in checkpoint["state_dict"].items()
        if k.startswith("net.network.")
    }
    t4 = t.to(dtype)[:, None, None, None]
    if config.model_class == "ising":
        u = x.to(dtype).unsqueeze(1)
    else:
        table = sd["emb.embedding.weight"]
        emb = torch.nn.Embedding(*table.shape, max_norm=1.0).to(dtype)
        with torch.no_grad():
            emb.weight.copy_(table)
            u = emb(x.long()).permute(0, 3, 1, 2)
    x_t = (1 + t4) * u
    k0 = config.kernel_sizes[0]
    weight = sd["initial_conv.weight"] * sd["initial_conv.mask"]
    h = F.conv2d(x_t, weight, None, padding=k0 // 2)  # zeros: their conv bypasses padding_mode
    for layer, k in enumerate(config.kernel_sizes[1:]):
        p = f"convs.{layer}."
        post = F.silu(h)
        padded = F.pad(u, (k // 2,) * 4, mode="circular")
        x_unfold = F.unfold(padded, kernel_size=k).reshape(
            u.shape[0], u.shape[1], k * k, *u.shape[2:]
        )
        a = F.silu(
            torch.einsum("bcjk,lic->blijk", post, sd[p + "A"])
            + sd[p + "b1"][None, :, :, None, None]
        )
        m = p + "mlp.mlp."
        z = F.silu(F.linear(t4.view(-1, 1), sd[m + "0.weight"], sd[m + "0.bias"]))
        z = F.silu(F.linear(z, sd[m + "2.weight"], sd[m + "2.bias"]))
        t_emb = F.linear(z, sd[m + "4.weight"], sd[m + "4.bias"])
        k_x = a + sd[p + "b2"][None, :, :, None, None] + t_emb[:, None, :, None, None]
        k_x[:, :, (k * k) // 2] = 0.0
        h = (k_x * x_unfold).sum(dim=2)
    if config.model_class == "ising":
        return torch.sum(sd["linear"][None, :, None, None] * h * x_t, dim=1)
    proj = torch.einsum("ck,bkhw->bchw", sd["linear"], h)
    return proj - proj.gather(dim=1, index=x.long().unsqueeze(1))


def _config(kind: str, L: int, kernels, channels: int) -> argparse.Namespace:
    common = dict(
        L=L, path="linear", J_0=0.0, J_1=1.0, mu_0=0.0, mu_1=0.0, B_0=0.0, B_1=0.0, arch="conv",
        kernel_sizes=list(kernels), num_channels=channels, F_hidden_sizes=[8, 8],
    )  # fmt: skip
    if kind == "ising":
        return argparse.Namespace(
            target="ising", model_class="ising", in_channels=1, beta_0=0.4, beta_1=0.4, **common
        )
    return argparse.Namespace(
        target="potts", model_class="potts", in_channels=channels, beta_0=1.0, beta_1=1.0,
        n_cat=3, embedding_type="grid_embedding", **common,
    )  # fmt: skip


def synthetic_checkpoint(kind: str, seed: int = 0, L: int = 7, kernels=(3, 5, 7), channels=4,
                         time_width=8) -> dict:  # fmt: skip
    """A Lightning-style checkpoint with the authors' keys and shapes and random weights."""
    gen = torch.Generator().manual_seed(seed)
    rand = lambda *shape, scale=0.5: scale * torch.randn(*shape, generator=gen)  # noqa: E731
    c, k0, q = channels, kernels[0], 3
    c_in = 1 if kind == "ising" else c
    mask = torch.ones(c, c_in, k0, k0)
    mask[..., k0 // 2, k0 // 2] = 0
    sd = {"net.network.linear": rand(c) if kind == "ising" else rand(q, c)}
    if kind == "potts":  # rows of norm 2, 0.5 and 1.3: max_norm renormalises two of them
        table = rand(q, c)
        sd["net.network.emb.embedding.weight"] = (
            table / table.norm(dim=1, keepdim=True) * (torch.tensor([[2.0], [0.5], [1.3]]))
        )
    sd["net.network.initial_conv.weight"] = rand(c, c_in, k0, k0)
    sd["net.network.initial_conv.mask"] = mask
    for layer, k in enumerate(kernels[1:]):
        p = f"net.network.convs.{layer}."
        sd.update({p + "A": rand(c, k * k, c), p + "b1": rand(c, k * k), p + "b2": rand(c, k * k)})
        m = p + "mlp.mlp."
        sd.update({m + "0.weight": rand(time_width, 1), m + "0.bias": rand(time_width)})
        sd.update({m + "2.weight": rand(time_width, time_width), m + "2.bias": rand(time_width)})
        sd.update({m + "4.weight": rand(k * k, time_width), m + "4.bias": rand(k * k)})
    sd.update({"F_t_net.net.0.weight": rand(8, 1), "F_t_net.net.0.bias": rand(8)})
    return {
        "epoch": 0,
        "global_step": 1234,
        "pytorch-lightning_version": "2.5.1",
        "state_dict": sd,
        "loops": {"fit_loop": {"state_dict": {}}},
        "callbacks": {"ModelCheckpoint{}": {"kth_value": torch.tensor(float("inf"))}},
        "optimizer_states": [],
        "lr_schedulers": [],
        "hparams_name": "kwargs",
        "hyper_parameters": {"config": _config(kind, L, kernels, channels)},
    }
