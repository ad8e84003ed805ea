"""Autoregressive distributions q(x) = Π_i q(x_i | x_<i) over lattice values, on any backend.

The forward pass (log q and the conditionals) is written once in array-API ops: torch training
and sampling on numpy, torch, cupy or array-api-strict use the same code.  Sampling draws the N
conditionals in raster order, batched over samples.  With ``z2=True`` (Ising only) the
distribution is symmetrised, q_sym(x) = (q(x) + q(−x)) / 2, sampled by flipping a draw of q with
probability 1/2.  The conditionals may depend on the inverse temperature β (``beta``, the model's
unless given: training passes its annealed β); only the published TwoBo form uses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import array_api_compat
import array_api_extra as xpx
import numpy as np
from leapsbench.backends.numerics import logsumexp

from leapsbench.method import NotApplicable
from leapsbench.models import not_on_graphs, state_kind

from . import made, pixelcnn, twobo, twobo_published

ARCHITECTURES = {
    "made": made,
    "pixelcnn": pixelcnn,
    "twobo": twobo,
    "twobo-published": twobo_published,
}


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
    interaction: tuple | None = field(default=None, compare=False, repr=False)
    _consts: dict = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        check_hyper(self.architecture, self.hyper)
        if self.z2 and self.q != 2:
            raise ValueError(
                "the Z2 symmetry option applies to Ising models only (it flips q = 2 values "
                f"a → 1 − a), got q = {self.q}"
            )
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
            if isinstance(init, tuple) and init[0] == "fill":  # ("fill", value)
                out[name] = np.full(shape, float(init[1]))
            elif isinstance(init, tuple):  # ("first", std, value): N(0, std²) + value at [..., 0]
                out[name] = rng.normal(0.0, init[1], size=shape)
                out[name][..., 0] += init[2]
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
    def _inputs(self, xp, params, values):
        """The constants in the params' namespace, dtype and device, and one-hots (B, N, q)."""
        first = next(iter(params.values()))
        dtype, device = first.dtype, array_api_compat.device(first)
        consts = {
            k: xp.asarray(v, dtype=xp.int64 if v.dtype.kind == "i" else dtype, device=device)
            for k, v in self._consts.items()
        }
        return consts, xpx.one_hot(xp.astype(values, xp.int64), self.q, dtype=dtype, xp=xp)

    def _log_conditionals(self, xp, params, values, beta: float):
        """log q(x_i = a | x_<i) for every site and value, (B, N, q), from values (B, N), at β."""
        consts, onehot = self._inputs(xp, params, values)
        out = self.module.logits(xp, params, onehot, consts, self, beta)
        return out - logsumexp(xp, out, axis=-1, keepdims=True), onehot

    def _site_log_conditional(self, xp, params, values, beta: float, i: int):
        """log q(x_i = a | x_<i), (B, q): the module's ``site_logits`` where it has one (the
        sparse TwoBo forms: site i's frontier only), else site i of every conditional."""
        if not hasattr(self.module, "site_logits"):
            return self._log_conditionals(xp, params, values, beta)[0][:, i, :]
        consts, onehot = self._inputs(xp, params, values)
        out = self.module.site_logits(xp, params, onehot, consts, self, beta, i)
        return out - logsumexp(xp, out, axis=-1, keepdims=True)

    def _log_q_values(self, xp, params, values, beta: float):
        log_cond, onehot = self._log_conditionals(xp, params, values, beta)
        return xp.sum(log_cond * onehot, axis=(1, 2))

    def log_prob(self, params, model, x, xp=None, beta: float | None = None):
        """log q(x) (B,) for model states x (B, Lx, Ly); dtype of ``params``; at the model's β
        unless ``beta`` is given."""
        xp = xp or array_api_compat.array_namespace(next(iter(params.values())))
        beta = model.beta if beta is None else beta
        values = xp.reshape(model.to_values(x), (x.shape[0], self.n_sites))
        log_q = self._log_q_values(xp, params, values, beta)
        if not self.z2:
            return log_q
        log_q_flipped = self._log_q_values(xp, params, 1 - values, beta)
        return xp.logaddexp(log_q, log_q_flipped) - math.log(2.0)

    def sample(self, params, model, backend, rng, n: int, beta: float | None = None):
        """n states (n, Lx, Ly) drawn from q, site by site in raster order (at the model's β
        unless ``beta`` is given)."""
        xp = backend.xp
        beta = model.beta if beta is None else beta
        values = backend.zeros((n, self.n_sites), dtype=backend.int_dtype)
        sites = backend.arange(self.n_sites)
        for i in range(self.n_sites):
            draw = rng.categorical_logits(self._site_log_conditional(xp, params, values, beta, i))
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
    >= 1, or >= the module's ``HYPER_MIN``; an odd PixelCNN kernel)."""
    module = architecture_module(architecture)
    unknown = set(hyper) - set(module.DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown {architecture} hyperparameters {sorted(unknown)}; "
            f"known: {sorted(module.DEFAULTS)}"
        )
    for key, value in hyper.items():
        low = getattr(module, "HYPER_MIN", {}).get(key, 1)
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


def _pair_interaction(architecture: str, model) -> tuple:
    """The model's (K, f) pair form (``pair_interaction``); NotApplicable without one."""
    if not hasattr(model, "pair_interaction"):
        raise NotApplicable(
            f"{architecture} needs a pair Hamiltonian H = −Σ J_ij K(x_i, x_j) − Σ f(x_i) "
            f"(model.pair_interaction); {type(model).__name__} has none"
        )
    return model.pair_interaction()


def make_net(architecture: str, model, z2: bool = False, **hyper) -> AutoregressiveNet:
    """A network for ``model`` with the architecture's defaults updated by ``hyper``; the
    TwoBo forms also take the model's bond couplings, field and pair form."""
    module = architecture_module(architecture)
    if architecture in ("pixelcnn", "twobo", "twobo-published"):
        not_on_graphs(f"{architecture} (masked convolutions / lattice neighbours)", model)
    couplings, interaction = {}, None
    if getattr(module, "USES_COUPLINGS", False):
        interaction = _pair_interaction(architecture, model)
        bonds = model.bond_couplings()  # a float (uniform), else (N, 4) per bond
        couplings = {
            "J": bonds if isinstance(bonds, float) else bonds.tolist(),
            "h": float(getattr(model, "h", 0.0)),
            "beta": float(model.beta),
            "periodic": bool(model.lattice.periodic),
        }
    return AutoregressiveNet(
        architecture,
        {**module.DEFAULTS, **hyper},
        model.q,
        tuple(model.shape),
        state_kind(model),
        z2,
        couplings,
        interaction,
    )
