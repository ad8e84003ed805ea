"""Checkpoints of trained samplers' networks: ``<prefix>.npz`` (arrays) + ``<prefix>.json``.

One format for every trained family (LEAPS, the autoregressive baselines); the family gives the
function that rebuilds its network from the stored config (``rebuild``).  The format name
``leapsbench-leaps-checkpoint`` is kept from when only LEAPS wrote it (files in caches use it).

The npz holds the network parameters under their names and optional named groups of further
arrays (e.g. the LEAPS F-net) as ``<group>/<name>``.  The JSON holds the network config
(architecture, hyperparameters), the model config (kind, lattice, β, couplings), ``extra``
(schedule, training config, benchmark name, …), the group names (``arrays``), the package version
and ``params_sha256``, a SHA-256 over the name, dtype, shape and bytes of every array in the npz
(parameters and groups).  Both files are written atomically (temporary file + ``os.replace``),
the JSON last.  Loading checks the hash and, when a model is given, that it is the model the
checkpoint was made for.  Format version 2 added the array groups (version 1 files load as
having none).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from . import __version__
from .atomic import atomic_write
from .models import model_from_config, state_kind
from .params import param_count, params_to_numpy

FORMAT = "leapsbench-leaps-checkpoint"
FORMAT_VERSION = 2
GROUP_SEPARATOR = "/"


def checkpoint_paths(path) -> tuple[Path, Path]:
    """(npz, json) paths for a prefix, either file, or a directory (``<dir>/checkpoint.*``)."""
    path = Path(path)
    if path.is_dir() or str(path).endswith(os.sep):
        path = path / "checkpoint"
    elif path.suffix in (".npz", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".npz"), path.with_name(path.name + ".json")


def params_hash(params: dict[str, np.ndarray]) -> str:
    """SHA-256 hex digest over (name, dtype, shape, little-endian C-order bytes), sorted by name."""
    digest = hashlib.sha256()
    for name in sorted(params):
        value = np.ascontiguousarray(params[name])
        value = value.astype(value.dtype.newbyteorder("<"), copy=False)
        digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def describe_model(config: dict) -> str:
    """A short name such as ``ising 4x4 beta=0.44`` or ``potts q=3 8x8 open beta=1``."""
    kind = config.get("model", "?")
    parts = [kind if kind != "potts" else f"potts q={config.get('q')}"]
    parts.append(f"{config.get('Lx')}x{config.get('Ly')}")
    if not config.get("periodic", True):
        parts.append("open")
    parts.append(f"beta={config.get('beta')}")
    if config.get("J", 1.0) != 1.0:
        parts.append(f"J={config.get('J')}")
    if config.get("h", 0.0):
        parts.append(f"h={config.get('h')}")
    return " ".join(parts)


def _with_groups(host: dict, arrays: dict[str, dict]) -> dict:
    """The npz contents: the parameters and every group's arrays as ``<group>/<name>``."""
    stored = dict(host)
    for group, members in arrays.items():
        names = [group, *members]
        if any(not name or GROUP_SEPARATOR in name for name in names) or any(
            GROUP_SEPARATOR in name for name in host
        ):
            raise ValueError(
                f"array group and parameter names must be non-empty and free of "
                f"{GROUP_SEPARATOR!r}; got group {group!r} with {sorted(members)}"
            )
        for name, value in params_to_numpy(members).items():
            stored[f"{group}{GROUP_SEPARATOR}{name}"] = value
    return stored


def save_checkpoint(
    path,
    params: dict,
    network,
    model,
    extra: dict | None = None,
    arrays: dict[str, dict] | None = None,
):
    """Write ``params`` (any backend), the array groups ``arrays`` ({group: {name: array}}) and
    metadata; returns the (npz, json) paths.

    ``network`` is any network with ``param_shapes()``, ``config()``, ``kind``, ``q`` and
    ``shape`` (a LEAPS network, an autoregressive baseline's).
    """
    npz_path, json_path = checkpoint_paths(path)
    if not all(hasattr(network, name) for name in ("param_shapes", "config", "kind", "q", "shape")):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    host = params_to_numpy(params)
    expected = network.param_shapes()
    got = {name: tuple(value.shape) for name, value in host.items()}
    if got != expected:
        raise ValueError(f"params do not fit the network: expected shapes {expected}, got {got}")
    stored = _with_groups(host, arrays or {})
    if (state_kind(model), model.q, tuple(model.shape)) != (network.kind, network.q, network.shape):
        raise ValueError(
            f"network is for {network.kind} q={network.q} {network.shape}, "
            f"model is {describe_model(model.config())}"
        )
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "network": network.config(),
        "model": model.config(),
        "param_count": param_count(host),
        "params_file": npz_path.name,
        "params_sha256": params_hash(stored),
        "arrays": {group: sorted(members) for group, members in (arrays or {}).items()},
        "leapsbench_version": __version__,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "extra": dict(extra or {}),
    }
    try:
        text = json.dumps(metadata, indent=2, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"checkpoint extra must be JSON-serialisable (finite numbers): {err}"
        ) from None
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(npz_path, lambda handle: np.savez(handle, **stored))
    atomic_write(json_path, lambda handle: handle.write((text + "\n").encode()))
    return npz_path, json_path


def unreadable(file, err: Exception) -> ValueError:
    """The error for a file that exists but cannot be read: names it and says how to recover."""
    return ValueError(
        f"{file} is truncated or corrupt ({type(err).__name__}: {err}); delete it (or the whole "
        f"cache entry {Path(file).parent}) and train again"
    )


def _read_files(npz_path: Path, json_path: Path) -> tuple[dict, dict]:
    """(metadata, stored arrays) of a checkpoint, checked against its format and hash."""
    for file in (json_path, npz_path):
        if not file.is_file():
            raise ValueError(f"checkpoint file {file} does not exist")
    try:
        metadata = json.loads(json_path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise unreadable(json_path, err) from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        found = metadata.get("format") if isinstance(metadata, dict) else None
        raise ValueError(f"{json_path} is not a {FORMAT} file (format={found!r})")
    try:
        with np.load(npz_path, allow_pickle=False) as data:
            stored = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise unreadable(npz_path, err) from None
    digest = params_hash(stored)
    if digest != metadata.get("params_sha256"):
        raise ValueError(
            f"checkpoint {npz_path} is corrupt or was replaced: its params hash {digest[:12]}… "
            f"differs from {str(metadata.get('params_sha256'))[:12]}… recorded in "
            f"{json_path.name}; delete the checkpoint (or its cache entry) and train again"
        )
    return metadata, stored


def load_checkpoint(path, model, rebuild):
    """``(params, network, metadata)``; params are numpy arrays (use ``params_to`` to move them)
    and ``metadata["arrays"]`` the array groups as {group: {name: numpy array}}.

    ``rebuild(config, model)`` makes the network from its stored config (the family's own
    function); ``model`` None rebuilds the model from the JSON.  Raises ValueError when the files
    are missing, unreadable or inconsistent (hash), or when ``model`` is not the model the
    checkpoint was made for (the message names both).
    """
    npz_path, json_path = checkpoint_paths(path)
    metadata, stored = _read_files(npz_path, json_path)
    params = {name: value for name, value in stored.items() if GROUP_SEPARATOR not in name}
    groups = {group: {} for group in metadata.get("arrays", {})}
    for key, value in stored.items():
        if GROUP_SEPARATOR in key:
            group, name = key.split(GROUP_SEPARATOR, 1)
            groups.setdefault(group, {})[name] = value
    metadata = {**metadata, "arrays": groups}
    made_for = metadata["model"]
    if model is None:
        model = model_from_config(made_for)
    elif model.config() != made_for:
        have = model.config()
        keys = sorted(k for k in set(made_for) | set(have) if made_for.get(k) != have.get(k))
        raise ValueError(
            f"checkpoint is for {describe_model(made_for)}, got {describe_model(have)} "
            f"(differs in {', '.join(keys)})"
        )
    network = rebuild(metadata["network"], model)
    return params, network, metadata
