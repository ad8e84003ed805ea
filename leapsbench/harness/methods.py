"""The method registry: name → adapter module, imported lazily (docs/CONTRACTS.md).

Each module defines ``make(name, preset="quick", overrides=None)`` returning an object with
``name, config, param_count, fit(...), sample(...)`` and optionally ``save(path)``/``load(path,
model)``.  A method whose module is not installed yet fails with a clear RuntimeError.
"""

from __future__ import annotations

import importlib

METHOD_MODULES = {
    "leaps-mlp": "leapsbench.leaps.method",
    "leaps-attention": "leapsbench.leaps.method",
    "leaps-conv": "leapsbench.leaps.method",
    "metropolis": "leapsbench.baselines.mcmc_method",
    "heatbath": "leapsbench.baselines.mcmc_method",
    "swendsen-wang": "leapsbench.baselines.mcmc_method",
    "wolff": "leapsbench.baselines.mcmc_method",
    "ais": "leapsbench.baselines.annealing_method",
    "smc": "leapsbench.baselines.annealing_method",
    "van-made": "leapsbench.baselines.autoregressive.method",
    "van-pixelcnn": "leapsbench.baselines.autoregressive.method",
    "twobo": "leapsbench.baselines.autoregressive.method",
}
ALL_METHODS = tuple(METHOD_MODULES)
SUITE_METHODS = tuple(m for m in ALL_METHODS if m != "wolff")
"""The eleven methods of the benchmark suites (wolff is available on request)."""
PRESETS = ("quick", "paper")


def check_method(name: str) -> str:
    if name not in METHOD_MODULES:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(ALL_METHODS)}")
    return name


def make_method(name: str, preset: str = "quick", overrides: dict | None = None):
    """Build method ``name`` at ``preset`` with ``overrides`` through its adapter's ``make``."""
    module_name = METHOD_MODULES[check_method(name)]
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise RuntimeError(
            f"method {name!r} is not available: importing its adapter {module_name} failed ({err})"
        ) from err
    return module.make(name, preset, dict(overrides or {}))
