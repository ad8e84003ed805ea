"""Lazy loaders of the array libraries leapsbench can run on.

Each loader imports its library only when asked, checks that the requested device exists, and
returns ``(namespace, device)`` where ``namespace`` is the array-api-compat namespace.  A missing
library raises :class:`BackendUnavailable` naming the extra that installs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class BackendUnavailable(RuntimeError):
    """The array library (or device) behind a backend is not usable on this machine."""


def _import(module: str, extra: str):
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise BackendUnavailable(
            f"backend needs the Python package {module!r}, which is not installed: "
            f"pip install 'leapsbench[{extra}]'"
        ) from err


def load_numpy(device: str | None) -> tuple[Any, Any]:
    import array_api_compat.numpy as xp

    if device not in (None, "cpu"):
        raise ValueError(f"numpy runs on the CPU only; got device={device!r} (allowed: 'cpu')")
    return xp, "cpu"


def load_torch(device: str | None) -> tuple[Any, Any]:
    torch = _import("torch", "torch")
    import array_api_compat.torch as xp

    try:
        dev = torch.device(device or "cpu")
    except RuntimeError as err:
        raise ValueError(f"unknown torch device {device!r}: {err}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable(
            f"device={device!r} asked for CUDA, but this torch ({torch.__version__}) sees no GPU; "
            "use device='cpu' or install a CUDA build of torch on a machine with a GPU"
        )
    return xp, dev


def load_cupy(device: str | None) -> tuple[Any, Any]:
    cupy = _import("cupy", "cupy-cuda12x")
    import array_api_compat.cupy as xp

    index = 0
    if device not in (None, "cuda"):
        if not str(device).startswith("cuda:"):
            raise ValueError(f"cupy runs on CUDA devices only; got device={device!r}")
        index = int(str(device).split(":", 1)[1])
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # cupy raises CUDARuntimeError without a driver
        raise BackendUnavailable(f"cupy is installed but no CUDA GPU is usable: {err}") from err
    if index >= count:
        raise BackendUnavailable(f"device={device!r} but cupy sees {count} GPU(s)")
    return xp, cupy.cuda.Device(index)


def load_array_api_strict(device: str | None) -> tuple[Any, Any]:
    strict = _import("array_api_strict", "strict")
    info = strict.__array_namespace_info__()
    if device is None:
        return strict, info.default_device()
    by_name = {repr(dev).split("'")[1]: dev for dev in info.devices()}
    if str(device) in by_name:
        return strict, by_name[str(device)]
    if device in by_name.values():
        return strict, device
    raise ValueError(
        f"unknown array-api-strict device {device!r}; known: {', '.join(sorted(by_name))}"
    )


LOADERS: dict[str, Callable[[str | None], tuple[Any, Any]]] = {
    "numpy": load_numpy,
    "torch": load_torch,
    "cupy": load_cupy,
    "array-api-strict": load_array_api_strict,
}
