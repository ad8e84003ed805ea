"""Carry a trained LEAPS network to another benchmark: another lattice size, another β (on
request) and, for training only, a Potts model with more values.

An LE-conv's parameters do not depend on the lattice size: its kernels are k × k windows and its
deeper layers compute the kernel at site i from site i's own features, so the same parameters
define the network on an L' × L' lattice, provided no kernel offset wraps onto the site itself at
either size (``kernel_offsets`` would then drop it and the parameter shapes would differ).  With
circular padding everywhere the network is translation equivariant, so on a lattice that tiles a
state m × m it gives that state's scores tiled m × m (tests/test_leaps_transfer.py).

The LE-MLP and attention networks have parameters tied to the size (a weight per site or per
site pair, a positional embedding): they transfer only to the model they were trained for.

The authors' networks pad their first (masked 3 × 3) layer with zeros.  Since a site's features
only ever combine its own earlier features with the *input* at other sites, that padding changes
the scores of the sites in the lattice's first and last rows and columns only (4L − 4 sites):
16 % of the sites at L = 24 instead of 25 % at L = 15.  Those rows are an artefact of where the
array starts on the torus; ``first_padding="circular"`` removes them, giving every site the
interior sites' function (what the network learned on 169 of 225 sites).  Which samples better
after a transfer is measured in results/listing/.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from leapsbench.checkpoint import checkpoint_paths, describe_model
from leapsbench.models import model_from_config

from .authors import read_authors_checkpoint
from .checkpoint import load_checkpoint
from .layers import kernel_offsets
from .networks import Network, make_network

TRANSFER_KEYS = ("first_padding",)
"""Network hyperparameters that may be changed on a trained network (they add no parameter)."""
NEW_VALUE_PARAMS = {"embed": 0, "out.w": 1}
"""Potts parameters with a value axis (name → axis): the rows of values the source lacks are
drawn fresh (:func:`transfer` with ``new_values``)."""


@dataclass(frozen=True)
class TrainedNetwork:
    """A trained network read from a file: the authors' .ckpt or a leapsbench checkpoint."""

    network: Network
    params: dict
    model: object
    fnet: dict | None
    provenance: dict


def read_trained_network(path) -> TrainedNetwork:
    """The network in ``path``: a leapsbench checkpoint (its .json, .npz, prefix or directory)
    when its JSON exists, else an authors' Lightning checkpoint (:mod:`.authors`)."""
    json_path = checkpoint_paths(path)[1]
    if not json_path.is_file():
        imported = read_authors_checkpoint(path)
        return TrainedNetwork(
            imported.network, imported.params, imported.model, None, imported.provenance()
        )
    params, network, metadata = load_checkpoint(path, None)
    extra = metadata["extra"]
    provenance = {
        "source": "checkpoint",
        "checkpoint": str(json_path),
        "checkpoint_sha256": hashlib.sha256(json_path.read_bytes()).hexdigest(),
        "params_sha256": metadata["params_sha256"],
        "benchmark": extra.get("benchmark"),
        "steps_done": extra.get("steps_done"),
        "network_evaluations": extra.get("network_evaluations"),
    }
    if extra.get("fine_tuning"):
        provenance["fine_tuning"] = extra["fine_tuning"]
    model = model_from_config(metadata["model"])
    fnet = metadata["arrays"].get("fnet")
    return TrainedNetwork(network, params, model, fnet, provenance)


@dataclass(frozen=True)
class Transferred:
    network: Network
    params: dict
    info: dict
    """The source's provenance plus ``transferred``, ``trained_for`` (its model's config) and
    what changed (``changes``)."""


def transfer(
    trained: TrainedNetwork,
    model,
    *,
    other_beta: bool = False,
    new_values: bool = False,
    hyper: dict | None = None,
    seed: int = 0,
) -> Transferred:
    """``trained``'s network for ``model``: refused (ValueError with the reason) for another model
    kind, another q (unless ``new_values``: Potts rows of the extra values drawn fresh with
    ``seed``), other couplings β, J, h or boundaries (unless ``other_beta``), another size for a
    size-tied network, or a kernel that wraps at one of the two sizes.  ``hyper`` may set
    :data:`TRANSFER_KEYS` (e.g. ``first_padding="circular"``)."""
    source, net = trained.model.config(), trained.network
    target = model.config()
    _check_kind(source, target, net, new_values)
    _check_couplings(source, target, other_beta)
    if tuple(model.shape) != net.shape:
        _check_size(net, tuple(model.shape))
    fixed = sorted(k for k in (hyper or {}) if k not in TRANSFER_KEYS)
    if fixed:
        raise ValueError(
            f"{fixed} cannot be changed on a trained network (its parameters fix them); "
            f"allowed: {', '.join(TRANSFER_KEYS)}"
        )
    network = make_network(net.architecture, model, **{**net.hyper, **(hyper or {})})
    params = _carried_params(trained.params, network, seed)
    changes = sorted(k for k in set(source) | set(target) if source.get(k) != target.get(k))
    hypers = set(network.hyper) | set(net.hyper)
    changes += [f"network.{k}" for k in sorted(hypers) if network.hyper.get(k) != net.hyper.get(k)]
    info = {
        **trained.provenance,
        "transferred": bool(changes),
        "trained_for": source,
        "changes": changes,
    }
    return Transferred(network, params, info)


def _check_kind(source: dict, target: dict, net: Network, new_values: bool) -> None:
    if source["model"] != target["model"]:
        raise ValueError(
            f"the network was trained for {describe_model(source)}: it cannot sample "
            f"{describe_model(target)} (another model kind)"
        )
    q_from, q_to = source.get("q", 2), target.get("q", 2)
    if q_from == q_to:
        return
    if not new_values or net.spins or q_to < q_from or net.architecture != "conv":
        raise ValueError(
            f"the network was trained for {describe_model(source)}: its q = {q_from} does not fit "
            f"{describe_model(target)} (q = {q_to}); only training (train --init-from) may start "
            f"a Potts LE-conv with more values from it"
        )


def _check_couplings(source: dict, target: dict, other_beta: bool) -> None:
    keys = (set(source) | set(target)) - {"Lx", "Ly", "q"}
    differ = sorted(k for k in keys if source.get(k) != target.get(k))
    if differ and not other_beta:
        raise ValueError(
            f"the network was trained for {describe_model(source)}, not for this benchmark's "
            f"{describe_model(target)} (differs in {', '.join(differ)}); run --transfer-beta "
            f"samples it there anyway"
        )


def _check_size(net: Network, shape: tuple[int, int]) -> None:
    if net.architecture != "conv":
        raise ValueError(
            f"a leaps-{net.architecture} network's parameters are tied to its "
            f"{net.shape[0]}x{net.shape[1]} lattice: it cannot be carried to {shape[0]}x{shape[1]} "
            f"(only LE-conv networks transfer to another size)"
        )
    for k in net.hyper["kernel_sizes"]:
        full = k * k - 1
        if len(kernel_offsets(k, net.shape)) != full or len(kernel_offsets(k, shape)) != full:
            raise ValueError(
                f"the LE-conv's {k}x{k} kernel wraps onto a site on the "
                f"{min(net.shape[0], shape[0])}-wide lattice, so its parameters differ between "
                f"{net.shape[0]}x{net.shape[1]} and {shape[0]}x{shape[1]}; it transfers only "
                f"between lattices at least {k} wide"
            )


def _carried_params(params: dict, network: Network, seed: int) -> dict:
    """``params`` for ``network``; a Potts value axis that grew is completed from fresh
    parameters (``network.init_params(seed)``)."""
    shapes = network.param_shapes()
    fresh = None
    out = {}
    for name, value in params.items():
        if tuple(value.shape) == shapes[name]:
            out[name] = np.array(value, copy=True)
            continue
        fresh = network.init_params(seed) if fresh is None else fresh
        axis = NEW_VALUE_PARAMS[name]
        extra = np.take(fresh[name], np.arange(value.shape[axis], shapes[name][axis]), axis=axis)
        out[name] = np.concatenate([value, extra], axis=axis)
    return out
