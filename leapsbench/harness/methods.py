"""The method registry, built from the family modules (docs/CONTRACTS.md, "Method adapters").

Each family module exports ``METHODS`` (name → adapter class) and ``make(name, preset,
overrides)``; adding a method is one family module plus one line in :data:`FAMILIES`.
"""

from __future__ import annotations

import importlib

FAMILIES = (
    "leapsbench.leaps.method",
    "leapsbench.baselines.mcmc_method",
    "leapsbench.baselines.tempering_method",
    "leapsbench.baselines.annealing_method",
    "leapsbench.baselines.autoregressive.method",
)
METHOD_MODULES = {
    name: family for family in FAMILIES for name in importlib.import_module(family).METHODS
}
"""Method name → the family module that builds it."""
ALL_METHODS = tuple(METHOD_MODULES)
ON_REQUEST = ("wolff",)
"""Methods run only when named (``--method wolff``), not in the suites."""
SUITE_METHODS = tuple(m for m in ALL_METHODS if m not in ON_REQUEST)


def check_method(name: str) -> str:
    if name not in METHOD_MODULES:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHOD_MODULES)}")
    return name


def make_method(name: str, preset: str = "quick", overrides: dict | None = None):
    """Build method ``name`` at ``preset`` with ``overrides`` through its family's ``make``."""
    module = importlib.import_module(METHOD_MODULES[check_method(name)])
    return module.make(name, preset, dict(overrides or {}))
