"""The frozen :class:`Backend` record, resolved once at the API boundary and passed down.

Kernels receive a Backend (or its ``xp``) and never import an array library themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .libraries import LOADERS

FLOAT_DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Backend:
    """An array library, a device on it and the default floating dtype.

    ``xp`` is the array-api-compat namespace; every array made through the backend lives on
    ``device``.  ``dtype`` is the floating dtype of estimators and energies (float64 by default).
    """

    name: str
    xp: Any
    device: Any
    dtype: Any

    # -- array creation, always with an explicit device and dtype --------------------------
    @property
    def int_dtype(self):
        return self.xp.int64

    @property
    def state_dtype(self):
        """Dtype of lattice configurations: Ising spins ±1 and Potts values 0..q-1."""
        return self.xp.int8

    def asarray(self, obj, dtype=None):
        """``obj`` (a scalar, a list, a numpy array or an array of this library) on the device."""
        return self.xp.asarray(obj, dtype=dtype, device=self.device)

    def zeros(self, shape, dtype=None):
        return self.xp.zeros(shape, dtype=dtype or self.dtype, device=self.device)

    def ones(self, shape, dtype=None):
        return self.xp.ones(shape, dtype=dtype or self.dtype, device=self.device)

    def full(self, shape, value, dtype=None):
        return self.xp.full(shape, value, dtype=dtype or self.dtype, device=self.device)

    def arange(self, *args, dtype=None):
        return self.xp.arange(*args, dtype=dtype or self.int_dtype, device=self.device)

    # -- transfer and timing ---------------------------------------------------------------
    def to_numpy(self, x) -> np.ndarray:
        """Copy ``x`` to a host numpy array (DLPack where the library allows it)."""
        if self.name == "torch":
            return x.detach().cpu().numpy()
        if self.name == "cupy":
            return x.get()
        if self.name == "array-api-strict":
            return np.from_dlpack(x)
        return np.asarray(x)

    def from_numpy(self, array: np.ndarray, dtype=None):
        """Move a host array onto this backend's device."""
        return self.asarray(np.ascontiguousarray(array), dtype=dtype)

    def synchronize(self) -> None:
        """Wait for queued device work, so that wall-clock timings are honest."""
        if self.name == "torch" and getattr(self.device, "type", "cpu") == "cuda":
            import torch

            torch.cuda.synchronize(self.device)
        elif self.name == "cupy":
            import cupy

            cupy.cuda.Device(self.device.id).synchronize()

    def rng(self, seed):
        """An :class:`~leapsbench.backends.rng.Rng` for this backend seeded by ``seed``."""
        from .rng import make_rng

        return make_rng(self, seed)

    def __repr__(self) -> str:
        dtype = str(self.dtype).rsplit(".", 1)[-1].strip("'>")
        return f"Backend({self.name!r}, device={self.device!s}, dtype={dtype})"


def get_backend(name: str = "numpy", device: str | None = None, dtype: str = "float64") -> Backend:
    """Resolve ``name`` (numpy, torch, cupy, array-api-strict) on ``device`` with ``dtype``.

    Raises ValueError for an unknown name, device or dtype, and
    :class:`~leapsbench.backends.libraries.BackendUnavailable` when the library or GPU is absent.
    """
    if isinstance(name, Backend):
        return name
    if name not in LOADERS:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(LOADERS)}")
    if dtype not in FLOAT_DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(FLOAT_DTYPES)}")
    xp, dev = LOADERS[name](device)
    return Backend(name=name, xp=xp, device=dev, dtype=getattr(xp, dtype))
