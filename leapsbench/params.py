"""Network parameters as a flat dict {name: array}: moved between backends, counted.

Every trained sampler (LEAPS, the autoregressive baselines) keeps its parameters as numpy arrays
on the host and moves them to a backend to run; checkpoints (:mod:`leapsbench.checkpoint`) store
them as they are.
"""

from __future__ import annotations

import math

import numpy as np


def params_to(backend, params: dict, dtype=None) -> dict:
    """numpy params on ``backend`` (a Backend), as ``dtype`` (default: the backend's dtype).

    ``dtype`` is a dtype of the backend's namespace or its name ("float32", "float64").
    """
    if isinstance(dtype, str):
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        dtype = getattr(backend.xp, dtype)
    return {
        name: backend.from_numpy(np.asarray(value), dtype=dtype or backend.dtype)
        for name, value in params.items()
    }


def params_to_numpy(params: dict) -> dict[str, np.ndarray]:
    """Host float copies of params from any backend (torch tensors are detached)."""
    out = {}
    for name, value in params.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        elif hasattr(value, "get") and not isinstance(value, np.ndarray):
            value = value.get()
        elif not isinstance(value, np.ndarray):
            value = np.from_dlpack(value)
        out[name] = np.array(value, copy=True)
    return out


def param_count(params: dict) -> int:
    """Total number of scalar parameters."""
    return int(sum(math.prod(value.shape) for value in params.values()))
