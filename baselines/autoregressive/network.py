"""Autoregressive distributions q(x) = Π_i q(x_i | x_<i) over lattice values, on any backend.

The forward pass (log q and the conditionals) is written once in array-API ops: torch training
and sampling on numpy, torch, cupy or array-api-strict use the same code.  Sampling draws the N
conditionals in raster order, batched over samples.  With ``z2=True`` (Ising only) the
distribution is symmetrised, q_sym(x) = (q(x) + q(−x)) / 2, sampled by flipping a draw of q with
probability 1/2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import array_api_compat
import array_api_extra as xpx
import numpy as np
from leapsbench.backends.numerics import logsumexp

from leapsbench.models import not_on_graphs, state_kind

from . import made, pixelcnn, twobo
from .twobo import bond_couplings

ARCHITECTURES = {"made": made, "pixelcnn": pixelcnn, "twobo": twobo}


@dataclass(frozen=True)
class AutoregressiveNet:
    """An autoregressive network for a model kind, q and lattice shape."""

    architecture: str
    hyper: dict
    q: int
    shape: tuple[int, int]
    kind: str
    z2: bool = False
    couplings: dict = field(default_factory=dict)
    _consts: dict = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        check_hyper(self.architecture, self.hyper)
        if self.z2 and self.kind != "ising":
            raise ValueError("the Z2 symmetry option applies to Ising models only")
        object.__setattr__(self, "_consts", ARCHITECTURES[self.architecture].constants(self))

    @property
    def module(self):
        return ARCHITECTURES[self.architecture]

    @property
    def n_sites(self) -> int:
        return self.shape[0] * self.shape[1]

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: shape for name, (shape, _) in self.module.param_specs(self).items()}

    def init_params(self, seed: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        out = {}
        for name, (shape, init) in self.module.param_specs(self).items():
            if isinstance(init, tuple):  # ("fill", value)
                out[name] = np.full(shape, float(init[1]))
            else:
                out[name] = rng.normal(0.0, init, size=shape) if init > 0 else np.zeros(shape)
        return out

    def config(self) -> dict:
        return {
            "architecture": self.architecture,
            "hyper": dict(self.hyper),
            "q": self.q,
            "shape": list(self.shape),
            "kind": self.kind,
            "z2": self.z2,
            "couplings": dict(self.couplings),
        }

    # -- forward -------------------------------------------------------------------------
    def _log_conditionals(self, xp, params, values):
        """log q(x_i = a | x_<i) for every site and value, (B, N, q), from values (B, N)."""
        first = next(iter(params.values()))
        dtype, device = first.dtype, array_api_compat.device(first)
        consts = {
            k: xp.asarray(v, dtype=xp.int64 if v.dtype.kind == "i" else dtype, device=device)
            for k, v in self._consts.items()
        }
        onehot = xpx.one_hot(xp.astype(values, xp.int64), self.q, dtype=dtype, xp=xp)
        out = self.module.logits(xp, params, onehot, consts, self)
        return out - logsumexp(xp, out, axis=-1, keepdims=True), onehot

    def _log_q_values(self, xp, params, values):
        log_cond, onehot = self._log_conditionals(xp, params, values)
        return xp.sum(log_cond * onehot, axis=(1, 2))

    def log_prob(self, params, model, x, xp=None):
        """log q(x) (B,) for model states x (B, Lx, Ly); dtype of ``params``."""
        xp = xp or array_api_compat.array_namespace(next(iter(params.values())))
        values = xp.reshape(model.to_values(x), (x.shape[0], self.n_sites))
        log_q = self._log_q_values(xp, params, values)
        if not self.z2:
            return log_q
        log_q_flipped = self._log_q_values(xp, params, 1 - values)
        return xp.logaddexp(log_q, log_q_flipped) - math.log(2.0)

    def sample(self, params, model, backend, rng, n: int):
        """n states (n, Lx, Ly) drawn from q, site by site in raster order."""
        xp = backend.xp
        values = backend.zeros((n, self.n_sites), dtype=backend.int_dtype)
        sites = backend.arange(self.n_sites)
        for i in range(self.n_sites):
            log_cond, _ = self._log_conditionals(xp, params, values)
            draw = rng.categorical_logits(log_cond[:, i, :])
            values = xp.where(sites == i, draw[:, None], values)
        if self.z2:
            flip = rng.uniform((n, 1)) < 0.5
            values = xp.where(flip, 1 - values, values)
        values = xp.reshape(xp.astype(values, backend.state_dtype), (n, *self.shape))
        return model.from_values(values)


def architecture_module(architecture: str):
    """The module of ``architecture``; a ValueError names an unknown one and the known ones."""
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"unknown autoregressive architecture {architecture!r}; "
            f"known: {', '.join(ARCHITECTURES)}"
        )
    return ARCHITECTURES[architecture]


def check_hyper(architecture: str, hyper: dict) -> None:
    """A ValueError for an unknown architecture or hyperparameter, or a bad value (integers
    >= 1, >= 0 for ``periodic`` and MADE's ``depth``; an odd PixelCNN kernel)."""
    module = architecture_module(architecture)
    unknown = set(hyper) - set(module.DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown {architecture} hyperparameters {sorted(unknown)}; "
            f"known: {sorted(module.DEFAULTS)}"
        )
    for key, value in hyper.items():
        low = 0 if key == "periodic" or (key, architecture) == ("depth", "made") else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{architecture} {key} must be an int >= {low}, got {value!r}")
    if architecture == "pixelcnn" and hyper["kernel"] % 2 == 0:
        raise ValueError(f"pixelcnn kernel must be odd, got {hyper['kernel']}")


def net_from_config(config: dict, model) -> AutoregressiveNet:
    """Rebuild a network from ``config()`` for ``model`` (checkpoints)."""
    net = make_net(config["architecture"], model, z2=config["z2"], **config["hyper"])
    if config.get("couplings", {}) != net.couplings:
        raise ValueError(
            f"checkpoint network was built for couplings {config.get('couplings')}, "
            f"model has {net.couplings}"
        )
    return net


def make_net(architecture: str, model, z2: bool = False, **hyper) -> AutoregressiveNet:
    """A network for ``model`` with the architecture's defaults updated by ``hyper``."""
    defaults = architecture_module(architecture).DEFAULTS
    if architecture in ("pixelcnn", "twobo"):
        not_on_graphs(f"{architecture} (masked convolutions / lattice neighbours)", model)
    couplings = {}
    if architecture == "twobo":
        couplings = {
            "J": bond_couplings(model) if model.kind == "spin-glass" else float(model.J),
            "h": float(getattr(model, "h", 0.0)),
            "beta": float(model.beta),
            "periodic": bool(model.lattice.periodic),
        }
    return AutoregressiveNet(
        architecture,
        {**defaults, **hyper},
        model.q,
        tuple(model.shape),
        state_kind(model),
        z2,
        couplings,
    )
