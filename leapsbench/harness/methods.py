"""The method registry: the built-in families and the plug-ins (docs/CONTRACTS.md, "Method
adapters").

Each built-in family module exports ``METHODS`` (name → adapter class) and ``make(name, preset,
overrides)``; adding a built-in method is one family module plus one line in :data:`FAMILIES`.
Methods from outside (entry-point group ``leapsbench.methods``, or ``module:callable`` given as
the name; :mod:`.plugins`) are found lazily, on the first name that is not a built-in one, and
built through :mod:`.plugin_adapter`.  A plug-in may not take a built-in name.
"""

from __future__ import annotations

import importlib

from .plugin_adapter import build_plugin
from .plugins import GROUP, PluginError, entry_point_plugins, find_plugin

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
"""Built-in method name → the family module that builds it."""
ALL_METHODS = tuple(METHOD_MODULES)
ON_REQUEST = ("wolff", "twobo-published")
"""Methods run only when named (``--method wolff``), not in the suites."""
SUITE_METHODS = tuple(m for m in ALL_METHODS if m not in ON_REQUEST)


def _plugin(name: str):
    """The plug-in called ``name`` or None; a plug-in taking a built-in name is refused."""
    plugin = find_plugin(name)
    if plugin is not None and name in METHOD_MODULES:
        raise PluginError(
            f"{plugin.label()} clashes with the built-in method {name!r} "
            f"({METHOD_MODULES[name]}): rename the entry point"
        )
    return plugin


def plugin_names() -> tuple[str, ...]:
    """The names of the installed plug-in methods (entry points), in discovery order."""
    return tuple(entry_point_plugins())


def check_method(name: str) -> str:
    """``name`` if it is a built-in method or a plug-in, else a ValueError listing both."""
    if _plugin(name) is None and name not in METHOD_MODULES:
        plugins = plugin_names()
        installed = f"; plug-ins: {', '.join(plugins)}" if plugins else ""
        raise ValueError(
            f"unknown method {name!r}; choose from {', '.join(METHOD_MODULES)}{installed} "
            f"(or a plug-in: an entry point in group {GROUP}, or module:callable)"
        )
    return name


def make_method(name: str, preset: str = "quick", overrides: dict | None = None):
    """Build method ``name`` at ``preset`` with ``overrides`` through its family's ``make``
    (a plug-in: its factory, adapted by :class:`.plugin_adapter.PluginMethod`)."""
    plugin = _plugin(check_method(name))
    if plugin is not None:
        return build_plugin(plugin, preset, dict(overrides or {}))
    module = importlib.import_module(METHOD_MODULES[name])
    return module.make(name, preset, dict(overrides or {}))


def method_origin(name: str) -> dict:
    """Where method ``name`` comes from: ``{"kind": "builtin", "family": module}`` or a
    plug-in's ``{"kind": "plugin", "entry_point", "value", "distribution", "version",
    "identity"}`` (:meth:`.plugins.Plugin.origin`; identity ``distribution==version``)."""
    plugin = _plugin(check_method(name))
    if plugin is not None:
        return plugin.origin()
    return {"kind": "builtin", "family": METHOD_MODULES[name]}


def origin_columns(name: str) -> dict:
    """The row columns that record a plug-in's origin (``source`` "plugin", its distribution
    and version); {} for a built-in method."""
    origin = method_origin(name)
    if origin["kind"] != "plugin":
        return {}
    return {
        "source": "plugin",
        "plugin_distribution": origin["distribution"],
        "plugin_version": origin["version"],
    }
