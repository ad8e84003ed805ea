"""Read a file of samples for ``leapsbench score``: its arrays ``x`` and optional weights.

Formats: ``.npz`` with array ``x`` and at most one of ``log_weights``, ``log_q``
(``numpy.load(allow_pickle=False)``); ``.npy`` holding ``x`` alone; ``.pt`` holding a tensor
(``x``) or a dict of tensors with those names (``torch.load(weights_only=True)``, torch imported
only for it).  Any other array name is refused (a misspelt ``log_weights`` would otherwise score
weighted samples as exact draws).  Every error is a ValueError naming the file and what was
expected.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np

ARRAYS = ("x", "log_weights", "log_q")
SUFFIXES = (".npz", ".npy", ".pt")


def _load(path: Path):
    if path.suffix == ".pt":
        import torch

        return torch.load(path, map_location="cpu", weights_only=True)
    loaded = np.load(path, allow_pickle=False)
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            return {name: loaded[name] for name in loaded.files}
    return loaded


def _as_numpy(value, path: Path, name: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{path}: {name} is a {type(value).__name__}, expected an array")
    return value


def read_samples(path: Path | str) -> dict[str, np.ndarray | None]:
    """``{"x", "log_weights", "log_q"}`` from ``path`` (module docstring); absent ones None."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ValueError(f"{path}: unknown sample file type {path.suffix!r}; use .npz, .npy or .pt")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        loaded = _load(path)
    except (
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
    ) as err:
        kind = "a torch .pt file" if path.suffix == ".pt" else f"a numpy {path.suffix} file"
        reason = (str(err).splitlines() or [""])[0]  # torch's messages run to many lines
        if isinstance(err, pickle.UnpicklingError):
            reason = "not tensors saved by torch.save; only those load with weights_only=True"
        raise ValueError(
            f"{path}: cannot read it as {kind} ({type(err).__name__}: {reason})"
        ) from None
    if not isinstance(loaded, dict):
        loaded = {"x": loaded}
    unknown = sorted(set(loaded) - set(ARRAYS))
    if unknown:
        raise ValueError(
            f"{path}: unexpected arrays {', '.join(map(str, unknown))}; expected x and at most "
            "one of log_weights, log_q"
        )
    if "x" not in loaded:
        raise ValueError(f"{path}: no array x (the states); it holds {', '.join(loaded) or 'none'}")
    return {
        name: _as_numpy(loaded[name], path, name) if name in loaded else None for name in ARRAYS
    }
