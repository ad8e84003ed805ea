"""Array backends: numpy, torch (CPU/CUDA), cupy and array-api-strict behind one interface."""

from .backend import Backend, get_backend
from .libraries import LOADERS, BackendUnavailable
from .rng import Rng, make_rng

KNOWN_BACKENDS = tuple(LOADERS)

__all__ = ["Backend", "BackendUnavailable", "KNOWN_BACKENDS", "Rng", "get_backend", "make_rng"]
