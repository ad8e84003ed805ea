"""Which model class sweeps through which fast local kernel (an opt-in per class).

:func:`.local.sweep` asks :func:`registered_fast_kernel` for the kernel of the model's exact class
(a subclass, which may change the energy, is not covered by its parent's tables) and uses it
where it applies; every other model runs :func:`.local.model_sweep` from its own ΔE.  A model
class with a fast kernel of its own opts in with :func:`register_fast_kernel`.
"""

from __future__ import annotations

from leapsbench.models import Ising, Potts

from .local_fast import FastKernel
from .local_ising import IsingTables
from .local_potts import PottsTables

FAST_KERNELS: dict[type, FastKernel] = {Ising: IsingTables(), Potts: PottsTables()}


def register_fast_kernel(model_class: type, kernel: FastKernel) -> None:
    """Sweep models of exactly ``model_class`` with ``kernel`` where ``kernel.applies``."""
    if not isinstance(kernel, FastKernel):
        raise TypeError(f"a fast kernel must be a FastKernel, got {type(kernel).__name__}")
    FAST_KERNELS[model_class] = kernel


def registered_fast_kernel(model) -> FastKernel | None:
    """The kernel registered for ``type(model)`` if it applies to ``model``, else None."""
    kernel = FAST_KERNELS.get(type(model))
    return kernel if kernel is not None and kernel.applies(model) else None
