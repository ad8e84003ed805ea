"""Import of the LEAPS authors' released LE-conv checkpoints (github malbergo/leaps, ckpts/).

Their files are PyTorch Lightning checkpoints: the network's state dict under ``state_dict``
(keys ``net.network.*``; the F-net ``F_t_net.*`` is not needed for sampling) and the training
configuration as an ``argparse.Namespace`` under ``hyper_parameters["config"]``.  They are read
with ``torch.load(weights_only=True)`` and only ``argparse.Namespace`` allow-listed: a file
that needs any other class is refused, never unpickled.

Their network (src/nets/conv.py at eb3700c) maps onto leapsbench's LE-conv (:mod:`.conv`) with
``feature_norm=False``, ``first_padding="zeros"`` (their masked 3 × 3 convolution calls
``F.conv2d(..., padding=k//2)`` and so bypasses ``padding_mode="circular"``) and, for Potts,
``embed_max_norm=1`` (their ``nn.Embedding(q, C, max_norm=1.0)``).  A k × k kernel position
(ki, kj) is the offset d = (ki − k//2, kj − k//2) (cross-correlation; F.unfold is row-major),
the centre dropped.  With their state-dependent layer's A[out, p, in], b1[out, p], b2[out, p]
and time MLP Linear(1, T) → SiLU → Linear(T, T) → SiLU → Linear(T, k²):

    layer.A[in, d, out] = A[out, p(d), in]      layer.b1[d, c] = b1[c, p(d)]  (b2 alike)
    layer.t1.w = W0[:, 0]   layer.t2.w = W2ᵀ   layer.t3.w = W4ᵀ[:, p(d)]   (biases alike)
    conv0.w[d, in, out] = weight[out, in, ki, kj]   out.w = linear (Ising) or linearᵀ (Potts)

Then ``network.apply(params, x, t)`` is their output: Ising G[..., a ≠ x_i] is their rate score
for flipping site i; Potts G[b, i, j, a] their score for setting (i, j) to a.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leapsbench.models import Ising, Lattice, Potts

from .layers import kernel_offsets
from .networks import Network, make_network

PREFIX = "net.network."
EXPECTED = (
    "a PyTorch Lightning checkpoint of the LEAPS authors' LE-conv network "
    "(github malbergo/leaps, ckpts/*.ckpt)"
)


@dataclass(frozen=True)
class AuthorsCheckpoint:
    """An imported checkpoint: the leapsbench network, its float64 numpy parameters, the model
    it was trained for, and the file's provenance."""

    network: Network
    params: dict
    model: Ising | Potts
    path: str
    sha256: str
    global_step: int | None
    lightning_version: str | None

    def provenance(self) -> dict:
        return {
            "source": "authors",
            "checkpoint": self.path,
            "checkpoint_sha256": self.sha256,
            "global_step": self.global_step,
            "pytorch_lightning_version": self.lightning_version,
        }


def load_authors_checkpoint(path) -> tuple[Network, dict, Ising | Potts]:
    """(network, params, model) of the authors' checkpoint at ``path`` (see the module doc)."""
    imported = read_authors_checkpoint(path)
    return imported.network, imported.params, imported.model


def read_authors_checkpoint(path) -> AuthorsCheckpoint:
    """The checkpoint at ``path`` with its provenance; ValueError naming the file otherwise."""
    path = Path(path)
    raw = _torch_load(path)
    config = _config(path, raw)
    model = _model(path, config)
    state = {k[len(PREFIX) :]: v for k, v in raw["state_dict"].items() if k.startswith(PREFIX)}
    network = _network(path, config, model, state)
    params = _params(path, network, state)
    step = raw.get("global_step")
    return AuthorsCheckpoint(
        network=network,
        params=params,
        model=model,
        path=str(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        global_step=int(step) if isinstance(step, int) else None,
        lightning_version=raw.get("pytorch-lightning_version"),
    )


def _torch_load(path: Path) -> dict:
    """torch.load with weights_only=True and only argparse.Namespace allow-listed."""
    import torch

    if not path.is_file():
        raise ValueError(f"authors' checkpoint {path} does not exist; expected {EXPECTED}")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path} was refused by the safe loader (weights_only, only argparse.Namespace "
            f"allowed): {_refusal(err)}; expected {EXPECTED}"
        ) from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as err:
        raise ValueError(
            f"{path} is not a readable PyTorch checkpoint ({type(err).__name__}: "
            f"{str(err).strip()[:200]}); expected {EXPECTED}"
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("state_dict"), dict):
        raise ValueError(f"{path} has no 'state_dict' entry; expected {EXPECTED}")
    return raw


def _refusal(err: Exception) -> str:
    """The reason in torch's weights-only refusal (the line after "WeightsUnpickler error:",
    e.g. an unsupported global), without its advice to load unsafely."""
    _, _, reason = str(err).partition("WeightsUnpickler error:")
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    return lines[0][:300] if lines else type(err).__name__


def _config(path: Path, raw: dict) -> argparse.Namespace:
    config = (raw.get("hyper_parameters") or {}).get("config")
    if not isinstance(config, argparse.Namespace):
        raise ValueError(
            f"{path} has no hyper_parameters['config'] (an argparse.Namespace); expected {EXPECTED}"
        )
    missing = [
        key
        for key in ("arch", "model_class", "L", "kernel_sizes", "num_channels", "path", "J_0")
        if not hasattr(config, key)
    ]
    if missing:
        raise ValueError(f"{path}: its config lacks {missing}; expected {EXPECTED}")
    if config.arch != "conv" or config.model_class not in ("ising", "potts"):
        raise ValueError(
            f"{path}: a {config.arch!r} network for model_class {config.model_class!r}; "
            f"supported: arch 'conv' with model_class 'ising' or 'potts'"
        )
    return config


def _model(path: Path, config: argparse.Namespace) -> Ising | Potts:
    """The target model; the path must be β_t = t β (their 'linear' path with J_0 = 0)."""
    get = lambda key, default=0.0: float(getattr(config, key, default))  # noqa: E731
    field = any(get(f"mu_{e}") for e in "01") and any(get(f"B_{e}") for e in "01")
    if config.path != "linear" or get("J_0") != 0 or get("beta_0") != get("beta_1") or field:
        raise ValueError(
            f"{path}: unsupported annealing path (path={config.path!r}, J_0={get('J_0')}, "
            f"beta_0={get('beta_0')}, beta_1={get('beta_1')}, field mu*B={field}); supported: "
            f"path 'linear', J_0 = 0, beta_0 = beta_1, no field"
        )
    lattice = Lattice(int(config.L), int(config.L))
    if config.model_class == "ising":
        return Ising(lattice, beta=get("beta_1"), J=get("J_1"))
    if getattr(config, "embedding_type", "grid_embedding") != "grid_embedding":
        raise ValueError(
            f"{path}: Potts embedding_type {config.embedding_type!r} is not supported; "
            f"supported: 'grid_embedding'"
        )
    return Potts(lattice, beta=get("beta_1"), J=get("J_1"), q=int(config.n_cat))


def _network(path: Path, config, model, state: dict) -> Network:
    key = "convs.0.mlp.mlp.0.weight"
    time_width = int(state[key].shape[0]) if key in state else 64
    kernels = [int(k) for k in config.kernel_sizes]
    for k in kernels:
        if len(kernel_offsets(k, model.shape)) != k * k - 1:
            raise ValueError(
                f"{path}: kernel size {k} is wider than the {model.shape[0]}x{model.shape[1]} "
                f"lattice; supported: kernel sizes up to the lattice size"
            )
    try:
        return make_network(
            "conv",
            model,
            kernel_sizes=kernels,
            channels=int(config.num_channels),
            time_width=time_width,
            feature_norm=False,
            first_padding="zeros",
            embed_max_norm=None if model.encoding == "spins" else 1.0,
        )
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _expected_shapes(network: Network) -> dict[str, tuple[int, ...]]:
    """Their state-dict keys (without ``net.network.``) and shapes for ``network``."""
    c, tw, q = network.hyper["channels"], network.hyper["time_width"], network.q
    kernels = network.hyper["kernel_sizes"]
    c_in = 1 if network.spins else c
    shapes = {
        "linear": (c,) if network.spins else (q, c),
        "initial_conv.weight": (c, c_in, kernels[0], kernels[0]),
        "initial_conv.mask": (c, c_in, kernels[0], kernels[0]),
    }
    if not network.spins:
        shapes["emb.embedding.weight"] = (q, c)
    for layer, k in enumerate(kernels[1:]):
        p = f"convs.{layer}."
        shapes.update({p + "A": (c, k * k, c), p + "b1": (c, k * k), p + "b2": (c, k * k)})
        m = p + "mlp.mlp."
        shapes.update({m + "0.weight": (tw, 1), m + "0.bias": (tw,), m + "2.weight": (tw, tw)})
        shapes.update({m + "2.bias": (tw,), m + "4.weight": (k * k, tw), m + "4.bias": (k * k,)})
    return shapes


def _checked_arrays(path: Path, network: Network, state: dict) -> dict[str, np.ndarray]:
    """Their tensors as float64 numpy arrays, every key present with its expected shape."""
    expected = _expected_shapes(network)
    problems = [f"missing {PREFIX}{k}" for k in expected if k not in state]
    problems += [f"unexpected {PREFIX}{k}" for k in state if k not in expected]
    problems += [
        f"{PREFIX}{k}: expected shape {shape}, got {tuple(state[k].shape)}"
        for k, shape in expected.items()
        if k in state and tuple(state[k].shape) != shape
    ]
    if problems:
        raise ValueError(
            f"{path}: its state dict does not fit an LE-conv with kernels "
            f"{network.hyper['kernel_sizes']} and {network.hyper['channels']} channels: "
            + "; ".join(problems[:8])
        )
    arrays = {k: state[k].detach().double().numpy() for k in expected}
    mask = np.ones(expected["initial_conv.mask"])
    mask[..., network.hyper["kernel_sizes"][0] // 2, network.hyper["kernel_sizes"][0] // 2] = 0
    if not np.array_equal(arrays["initial_conv.mask"], mask):
        raise ValueError(f"{path}: {PREFIX}initial_conv.mask is not the centre mask")
    return arrays


def _params(path: Path, network: Network, state: dict) -> dict[str, np.ndarray]:
    """leapsbench LE-conv parameters from their state dict (the map of the module doc)."""
    theirs = _checked_arrays(path, network, state)
    kernels = network.hyper["kernel_sizes"]
    keep0 = _positions(kernels[0])
    weight = theirs["initial_conv.weight"].reshape(*theirs["initial_conv.weight"].shape[:2], -1)
    params = {"conv0.w": np.transpose(weight[:, :, keep0], (2, 1, 0))}
    if not network.spins:
        params["embed"] = theirs["emb.embedding.weight"]
    for layer, k in enumerate(kernels[1:]):
        keep, p, ours = _positions(k), f"convs.{layer}.", f"layer{layer + 1}."
        m = p + "mlp.mlp."
        params[ours + "A"] = np.transpose(theirs[p + "A"][:, keep, :], (2, 1, 0))
        params[ours + "b1"] = theirs[p + "b1"][:, keep].T
        params[ours + "b2"] = theirs[p + "b2"][:, keep].T
        params[ours + "t1.w"] = theirs[m + "0.weight"][:, 0]
        params[ours + "t1.b"] = theirs[m + "0.bias"]
        params[ours + "t2.w"] = theirs[m + "2.weight"].T
        params[ours + "t2.b"] = theirs[m + "2.bias"]
        params[ours + "t3.w"] = theirs[m + "4.weight"][keep, :].T
        params[ours + "t3.b"] = theirs[m + "4.bias"][keep]
    linear = theirs["linear"]
    params["out.w"] = linear if network.spins else linear.T
    return {name: np.ascontiguousarray(value) for name, value in params.items()}


def _positions(k: int) -> list[int]:
    """Row-major kernel positions p = ki·k + kj without the centre: the order of
    :func:`.layers.kernel_offsets` when no offset wraps onto the site."""
    return [p for p in range(k * k) if p != (k * k) // 2]
