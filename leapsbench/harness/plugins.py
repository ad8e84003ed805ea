"""Methods defined outside leapsbench: entry points and ``module:callable`` specs.

A plug-in is a factory ``make(name, preset, overrides) -> method`` found either

* under the entry-point group :data:`GROUP` of an installed distribution
  (``[project.entry-points."leapsbench.methods"] my-sampler = "my_pkg.sampler:make"``; the
  method's name is the entry point's name), or
* given directly as ``--method my_pkg.sampler:make`` (the method's name is that spec), imported
  from ``sys.path`` and, failing that, the current directory.

Discovery reads the installed distributions' metadata once per process
(:func:`entry_point_plugins`, cached; ``cache_clear()`` after changing ``sys.path``) and imports
nothing: a plug-in's module is imported only when the method is built (:func:`load_factory`).
Every failure (a module that does not import, a factory that raises or returns an object without
``sample``) is a :class:`PluginError` naming the entry point and its distribution.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import re
import sys
from dataclasses import dataclass

GROUP = "leapsbench.methods"
SPEC = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
"""``module.path:attribute.path``, the shape of an entry point's value."""


class PluginError(ValueError):
    """A plug-in method that cannot be found, imported, built or used as a method."""


@dataclass(frozen=True)
class Plugin:
    """Where a plug-in method comes from: its method ``name``, the ``value`` ``module:callable``
    of its factory, the entry point (``"name = value"``, None for a spec given directly) and the
    distribution that installs it with its version (None when not installed, e.g. a module in
    the current directory)."""

    name: str
    value: str
    entry_point: str | None
    distribution: str | None
    version: str | None

    def label(self) -> str:
        """How error messages name this plug-in."""
        if self.entry_point is None:
            where = "given as --method module:callable"
        else:
            where = f"entry point {self.entry_point!r} in group {GROUP}"
        if self.distribution is not None:
            where += f" of distribution {self.distribution} {self.version}"
        return f"plug-in method {self.name!r} ({where})"

    def origin(self) -> dict:
        """The plug-in's provenance, as :func:`leapsbench.harness.methods.method_origin` gives
        it (``identity`` is ``distribution==version``, or the value when not installed)."""
        return {
            "kind": "plugin",
            "entry_point": self.entry_point,
            "value": self.value,
            "distribution": self.distribution,
            "version": self.version,
            "identity": self.identity,
        }

    @property
    def identity(self) -> str:
        if self.distribution is None:
            return self.value
        return f"{self.distribution}=={self.version}"


@functools.cache
def entry_point_plugins() -> dict[str, tuple[Plugin, ...]]:
    """Method name → the plug-ins registered under :data:`GROUP` with that name (normally one)."""
    found: dict[str, tuple[Plugin, ...]] = {}
    for ep in importlib.metadata.entry_points(group=GROUP):
        dist = ep.dist
        plugin = Plugin(
            name=ep.name,
            value=ep.value,
            entry_point=f"{ep.name} = {ep.value}",
            distribution=None if dist is None else dist.name,
            version=None if dist is None else dist.version,
        )
        found[ep.name] = (*found.get(ep.name, ()), plugin)
    return found


def is_spec(name: str) -> bool:
    """Whether ``name`` is a ``module:callable`` spec rather than a method name."""
    return SPEC.fullmatch(name) is not None


@functools.cache
def spec_plugin(spec: str) -> Plugin:
    """The plug-in of a ``module:callable`` given directly, with the distribution that installs
    its top-level package, if any (:func:`importlib.metadata.packages_distributions`)."""
    top = spec.split(".", 1)[0].split(":", 1)[0]
    dists = importlib.metadata.packages_distributions().get(top, [])
    dist = dists[0] if len(dists) == 1 else None
    version = None if dist is None else importlib.metadata.version(dist)
    return Plugin(name=spec, value=spec, entry_point=None, distribution=dist, version=version)


def find_plugin(name: str) -> Plugin | None:
    """The plug-in called ``name`` (a spec or an entry point's name), or None.  Two
    distributions registering the same name is a :class:`PluginError` naming both."""
    if is_spec(name):
        return spec_plugin(name)
    plugins = entry_point_plugins().get(name, ())
    if len(plugins) > 1:
        raise PluginError(
            f"method {name!r} is registered by {len(plugins)} plug-ins: "
            + "; ".join(p.label() for p in plugins)
            + " — uninstall one of them"
        )
    return plugins[0] if plugins else None


def load_factory(plugin: Plugin):
    """Import the plug-in's factory (a spec given directly is also looked for in the current
    directory); a :class:`PluginError` says why it cannot be used."""
    module_name, _, attribute = plugin.value.partition(":")
    if plugin.entry_point is None and os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.append(os.getcwd())
    try:
        factory = importlib.import_module(module_name)
        for part in attribute.split("."):
            factory = getattr(factory, part)
    except Exception as err:  # a plug-in's import may raise anything
        raise PluginError(
            f"{plugin.label()}: cannot import {plugin.value}: {type(err).__name__}: {err}"
        ) from err
    if not callable(factory):
        raise PluginError(
            f"{plugin.label()}: {plugin.value} is a {type(factory).__name__}, not a callable "
            "make(name, preset, overrides) -> method"
        )
    return factory
