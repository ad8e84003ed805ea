"""Locally equivariant networks G_t(x): the jump scores of the LEAPS rate matrix.

``G(x)[b, i, j, a]`` is the score for setting site (i, j) to value a; ``G[..., a = x_i] = 0`` and,
with τx = x with s_i = a (a ≠ x_i), the defining local equivariance holds:

    G(τx)[i, x_i] = −G(x)[i, a].

Each architecture (:mod:`.mlp`, :mod:`.attention`, :mod:`.conv`) computes per-site scores from
features that never depend on the site's own value x_i (at any depth); the readout then makes G
locally equivariant by construction:

- encoding "spins" (q = 2, spins s_i = ±1: Ising, spin glasses): G[i, −s_i] = s_i g_i(x) with g_i
  blind to s_i, so flipping s_i flips the sign;
- encoding "values" (value indices: Potts, any q-valued model): G[i, a] = P[i, a](x) − P[i, x_i](x)
  with P[i, ·] blind to x_i.

The encoding is the model's (``model.encoding``, :data:`leapsbench.models.ENCODINGS`); a network
never looks at which model it is for beyond q, the lattice shape and the encoding.

The forward pass ``Network.apply(params, x, t)`` is one pure function in array-API ops: params
may be numpy, torch (autograd flows), cupy or array-api-strict arrays, and G has their dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import array_api_compat
import numpy as np

from leapsbench.models import ENCODINGS, model_encoding

from . import attention, conv, mlp
from .hyper import resolve
from .layers import state_one_hot, time_column

ARCHITECTURES = {"mlp": mlp, "attention": attention, "conv": conv}


@dataclass(frozen=True)
class Network:
    """A locally equivariant network for one input encoding, q and lattice shape."""

    architecture: str
    hyper: dict
    q: int
    shape: tuple[int, int]
    encoding: str

    @property
    def n_sites(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def kind(self) -> str:
        """The encoding's stored name ("ising" for spins, "potts" for values; checkpoints)."""
        return ENCODINGS[self.encoding]

    @property
    def spins(self) -> bool:
        """True for ±1 spin inputs (one score per site), False for value indices (q scores)."""
        return self.encoding == "spins"

    @property
    def score_shape(self) -> tuple[int, ...]:
        """The per-site score shape of the architectures: () for spins, (q,) for values."""
        return () if self.spins else (self.q,)

    @property
    def _module(self):
        return ARCHITECTURES[self.architecture]

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: shape for name, (shape, _) in self._module.param_specs(self).items()}

    def init_params(self, seed: int) -> dict[str, np.ndarray]:
        """float64 parameters drawn N(0, std²) per tensor (std from the architecture)."""
        rng = np.random.default_rng(seed)
        return {
            name: rng.normal(0.0, std, size=shape) if std > 0 else np.zeros(shape)
            for name, (shape, std) in self._module.param_specs(self).items()
        }

    def apply(self, params: dict, x, t, xp=None):
        """G_t(x), shape (B, Lx, Ly, q), dtype of ``params``; x int8 states (B, Lx, Ly)."""
        self._check_params(params)
        first = next(iter(params.values()))
        xp = xp if xp is not None else array_api_compat.array_namespace(first)
        if x.ndim != 3 or tuple(x.shape[1:]) != self.shape:
            raise ValueError(
                f"x must have shape (B, {self.shape[0]}, {self.shape[1]}), got {tuple(x.shape)}"
            )
        dtype, device = first.dtype, array_api_compat.device(first)
        onehot = state_one_hot(xp, x, self.spins, self.q, dtype)
        spins = xp.astype(x, dtype) if self.spins else None
        tcol = time_column(xp, t, x.shape[0], dtype, device)
        scores = self._module.scores(xp, params, self, onehot, spins, tcol)
        if self.spins:
            return (1.0 - onehot) * xp.expand_dims(spins * scores, axis=-1)
        return scores - xp.sum(scores * onehot, axis=-1, keepdims=True)

    def _check_params(self, params: dict) -> None:
        expected = self.param_shapes()
        got = {name: tuple(value.shape) for name, value in params.items()}
        if got != expected:
            diff = sorted(
                f"{name}: expected {expected.get(name)}, got {got.get(name)}"
                for name in set(expected) | set(got)
                if expected.get(name) != got.get(name)
            )
            raise ValueError(f"params do not fit this {self.architecture} network: {diff}")

    def config(self) -> dict:
        """JSON-serialisable description; ``network_from_config(config, model)`` rebuilds it."""
        return {
            "architecture": self.architecture,
            "hyper": dict(self.hyper),
            "q": self.q,
            "shape": list(self.shape),
            "kind": self.kind,
        }


def make_network(architecture: str, model, **hyper) -> Network:
    """The ``architecture`` network for ``model`` (any model with ``q``, ``shape`` and an
    ``encoding``); ``preset=`` picks a preset.

    Hyperparameters per architecture: ``default_hyper(architecture)``; presets: ``PRESETS``.
    """
    full = checked_hyper(architecture, hyper)
    encoding = model_encoding(model)
    if encoding == "spins" and model.q != 2:
        raise ValueError(f"a model with encoding 'spins' must have q = 2, got q={model.q!r}")
    return Network(architecture, full, int(model.q), tuple(model.shape), encoding)


def checked_hyper(architecture: str, hyper: dict) -> dict:
    """Every hyperparameter of ``architecture``: its defaults updated by ``hyper`` (which may
    name a ``preset``), validated; a ValueError names an unknown key or a bad value."""
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {architecture!r}; allowed: {', '.join(ARCHITECTURES)}"
        )
    module = ARCHITECTURES[architecture]
    return module.check(resolve(architecture, module.DEFAULTS, module.PRESETS, hyper))


def default_hyper(architecture: str, preset: str | None = None) -> dict:
    """The hyperparameters ``make_network`` uses for ``architecture`` (and ``preset``)."""
    return checked_hyper(architecture, {} if preset is None else {"preset": preset})


def network_from_config(config: dict, model) -> Network:
    """Rebuild a network from ``Network.config()``; the model must have its encoding (stored as
    ``kind``, :data:`~leapsbench.models.ENCODINGS`), q and shape."""
    want = (config["kind"], int(config["q"]), tuple(config["shape"]))
    have = (ENCODINGS.get(getattr(model, "encoding", None)), int(model.q), tuple(model.shape))
    if want != have:
        raise ValueError(
            f"network was built for {want[0]} q={want[1]} {want[2][0]}x{want[2][1]}, "
            f"got {have[0]} q={have[1]} {have[2][0]}x{have[2][1]}"
        )
    return make_network(config["architecture"], model, **config["hyper"])
