"""The adapter that gives a plug-in method everything the harness calls (docs/CONTRACTS.md,
"Method adapters").

A plug-in's object needs only ``sample(model, backend, rng, budget, progress=None) -> Samples``.
:class:`PluginMethod` supplies what it leaves out:

* ``fit`` → nothing to train, returns {};  ``save``/``load`` → nothing to write or read;
* ``trains`` → True when the object defines ``fit``, ``save`` and ``load`` (then the runner
  caches it like a built-in trained method), unless the object says otherwise;
* ``config`` (the object's may be a dict or a method returning one) → the ``--set`` overrides
  the factory was given;  ``training_config`` → ``config``; either way plus the plug-in's
  identity (``distribution==version``), so that a new release of the plug-in never reuses an
  older release's cached training;
* ``param_count`` → None;  ``name``/``preset`` → the registry's name and the preset asked for.

It checks what comes back: ``sample`` must return a :class:`leapsbench.samples.Samples` with
observables "m" and "E", ``fit`` a dict (or None); otherwise a :class:`PluginError` names the
plug-in.  Exceptions the object raises (e.g. :class:`leapsbench.method.NotApplicable`) pass
through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leapsbench.samples import Samples

from .plugins import Plugin, PluginError, load_factory

TRAINING_METHODS = ("fit", "save", "load")


def build_plugin(plugin: Plugin, preset: str, overrides: dict) -> PluginMethod:
    """``make(plugin.name, preset, overrides)`` of the plug-in's factory, adapted."""
    factory = load_factory(plugin)
    try:
        inner = factory(plugin.name, preset, dict(overrides))
    except Exception as err:  # a plug-in's factory may raise anything
        raise PluginError(
            f"{plugin.label()}: make({plugin.name!r}, {preset!r}, {overrides!r}) raised "
            f"{type(err).__name__}: {err}"
        ) from err
    if not callable(getattr(inner, "sample", None)):
        raise PluginError(
            f"{plugin.label()}: make returned {type(inner).__name__} {inner!r:.80}, which has no "
            "method sample(model, backend, rng, budget, progress=None) -> Samples"
        )
    return PluginMethod(inner, plugin, preset, dict(overrides))


class PluginMethod:
    """A plug-in's method object with the harness's full method interface (module docstring)."""

    def __init__(self, inner, plugin: Plugin, preset: str, overrides: dict):
        self.inner, self.plugin = inner, plugin
        self.name, self.preset, self.overrides = plugin.name, preset, overrides
        defines = [callable(getattr(inner, m, None)) for m in TRAINING_METHODS]
        self.trains = bool(getattr(inner, "trains", all(defines)))
        if self.trains and not all(defines):
            missing = [m for m, ok in zip(TRAINING_METHODS, defines, strict=True) if not ok]
            raise PluginError(
                f"{plugin.label()}: the method trains but does not define {', '.join(missing)} "
                "(a trained method is cached with fit, save and load)"
            )
        self._training_checkpoint = None

    @property
    def config(self) -> dict[str, Any]:
        return self._own_dict("config", self.overrides)

    @property
    def training_config(self) -> dict[str, Any]:
        return {**self._own_dict("training_config", self.config), "plugin": self.plugin.identity}

    def _own_dict(self, key: str, default: dict) -> dict[str, Any]:
        """The object's ``key`` (a dict, or a method returning one), else ``default``."""
        own = getattr(self.inner, key, None)
        own = own() if callable(own) else own
        if own is None:
            return dict(default)
        if not isinstance(own, Mapping):
            raise PluginError(f"{self.plugin.label()}: {key} is a {type(own).__name__}, not a dict")
        return dict(own)

    @property
    def param_count(self) -> int | None:
        return getattr(self.inner, "param_count", None)

    @property
    def training_checkpoint(self) -> str | None:
        return self._training_checkpoint

    @training_checkpoint.setter
    def training_checkpoint(self, path: str | None) -> None:
        """Set by the runner before ``fit``; passed on to an object that keeps one."""
        self._training_checkpoint = path
        if hasattr(self.inner, "training_checkpoint"):
            self.inner.training_checkpoint = path

    def fit(self, model, backend, rng, budget, progress=None) -> dict[str, Any]:
        if not callable(getattr(self.inner, "fit", None)):
            return {}
        info = self.inner.fit(model, backend, rng, budget, progress=progress)
        if info is not None and not isinstance(info, dict):
            raise PluginError(
                f"{self.plugin.label()}: fit returned {type(info).__name__}, expected a dict of "
                "training diagnostics or None"
            )
        return info or {}

    def sample(self, model, backend, rng, budget, progress=None) -> Samples:
        samples = self.inner.sample(model, backend, rng, budget, progress=progress)
        if not isinstance(samples, Samples):
            raise PluginError(
                f"{self.plugin.label()}: sample returned {type(samples).__name__}, expected "
                "leapsbench.samples.Samples"
            )
        missing = {"m", "E"} - set(samples.observables)
        if missing:
            raise PluginError(
                f"{self.plugin.label()}: sample returned Samples without the observables "
                f"{sorted(missing)} (every method gives at least 'm' and 'E')"
            )
        return samples

    def save(self, path) -> None:
        if self.trains:
            self.inner.save(path)

    def load(self, path, model) -> None:
        if self.trains:
            self.inner.load(path, model)
