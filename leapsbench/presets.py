"""Checks shared by the method adapters' ``make(name, preset, overrides)`` (docs/CONTRACTS.md).

A method is built from a named preset (a dict of hyperparameters) updated by ``--set key=value``
overrides; the keys of an override must be hyperparameters that the method has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def preset_settings(name: str, preset: str, presets: Mapping[str, dict]) -> dict:
    """A copy of ``presets[preset]``; a ValueError names the unknown preset and the known ones."""
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r} for {name}; known: {', '.join(presets)}")
    return dict(presets[preset])


def checked_overrides(name: str, overrides: Mapping | None, valid: Iterable[str]) -> dict:
    """A copy of ``overrides``; a ValueError names the keys that are not in ``valid``."""
    overrides, valid = dict(overrides or {}), list(valid)
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown {name} override(s) {', '.join(unknown)}; valid keys: {', '.join(valid)}"
        )
    return overrides
