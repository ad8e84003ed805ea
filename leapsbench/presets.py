"""How every method is built: :func:`build_method` (docs/CONTRACTS.md, "Method adapters").

A method is built from a named preset updated by ``--set key=value`` overrides.  The one
shared function checks the method name, the preset, that every override key is a
hyperparameter of the method and that its value has the key's type (:func:`typed_value`), then
lets the adapter class turn the flat settings into its typed, validated ``settings``.  An adapter
class offers three class methods:

* ``defaults(name, preset) -> dict``: the flat preset values of every key;
* ``key_types(name) -> dict``: key → tuple of allowed Python types (``type(None)`` for optional
  keys), in the order the error message lists them;
* ``settings_from(name, flat) -> settings``: the typed configuration (it checks the ranges).
"""

from __future__ import annotations

import math
import numbers
import typing
from collections.abc import Mapping

from leapsbench.smc import canonical_keys

PRESETS = ("quick", "paper")
TYPE_NAMES = {
    bool: "true or false",
    int: "an integer",
    float: "a finite number",
    str: "a string",
    list: "a list",
    dict: "a dict",
    type(None): "null",
}


def build_method(methods: Mapping[str, type], family: str, name: str, preset: str, overrides):
    """The adapter ``methods[name]`` at ``preset`` with ``overrides`` applied, validated once.

    ValueErrors name the unknown method, preset or key (with the known ones), or the key, value
    and expected type of a mistyped override."""
    if name not in methods:
        raise ValueError(
            f"unknown {family} method {name!r}: not implemented; available: {', '.join(methods)}"
        )
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} for {name}; known: {', '.join(PRESETS)}")
    adapter = methods[name]
    types = adapter.key_types(name)
    flat = dict(adapter.defaults(name, preset))
    overrides = canonical_keys(name, overrides, types)  # AIS's and LEAPS's SMC key spellings
    for key, value in checked_overrides(name, overrides, types, adapter.KEY_HINTS).items():
        flat[key] = typed_value(f"{name}: {key}", value, types[key])
    return adapter(name=name, preset=preset, settings=adapter.settings_from(name, flat))


def checked_overrides(name: str, overrides: Mapping | None, valid, hints=None) -> dict:
    """A copy of ``overrides``; a ValueError names the keys that are not in ``valid`` (with the
    hint of ``hints[key]`` for a key that is deliberately not one)."""
    overrides, valid = dict(overrides or {}), list(valid)
    refused = sorted(set(overrides) & set(hints or {}))
    if refused:
        raise ValueError("; ".join(f"{name}: {k} is not a key: {hints[k]}" for k in refused))
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown {name} override(s) {', '.join(unknown)}; valid keys: {', '.join(valid)}"
        )
    return overrides


def typed_value(key: str, value, allowed: tuple[type, ...]):
    """``value`` as one of the ``allowed`` types, or a ValueError naming key, value and type.

    bool is not an integer; an integral finite float (1e4) is accepted as an integer; a number
    must be finite; an integer is accepted as a float (converted); a tuple as a list."""
    if value is None and type(None) in allowed:
        return None
    if isinstance(value, bool):
        if bool in allowed:
            return value
    elif isinstance(value, numbers.Integral) and int in allowed:
        return int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value):
        if float in allowed:
            return float(value)
        if int in allowed and float(value).is_integer():
            return int(value)
    elif isinstance(value, (list, tuple)) and list in allowed:
        return list(value)
    elif type(value) in allowed and not isinstance(value, numbers.Real):
        return value
    expected = " or ".join(TYPE_NAMES[t] for t in allowed)
    raise ValueError(f"{key} must be {expected}, got {value!r} ({type(value).__name__})")


def field_types(config_class: type, exclude=()) -> dict[str, tuple[type, ...]]:
    """key → allowed types of the fields of a dataclass (``int | None`` → (int, NoneType))."""
    hints = typing.get_type_hints(config_class)
    return {
        key: typing.get_args(hint) or (hint,)
        for key, hint in hints.items()
        if key in config_class.__dataclass_fields__ and key not in exclude
    }


def value_types(values: Mapping) -> dict[str, tuple[type, ...]]:
    """key → (type of its value,) for hyperparameters known only by their defaults."""
    return {key: (list if isinstance(v, (list, tuple)) else type(v),) for key, v in values.items()}
