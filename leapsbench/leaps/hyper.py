"""Validation of network hyperparameters: unknown keys and bad values raise a clear ValueError."""

from __future__ import annotations

import numbers


def resolve(architecture: str, defaults: dict, presets: dict, hyper: dict) -> dict:
    """``defaults`` updated by ``presets[hyper["preset"]]`` (if given), then by the other keys."""
    hyper = dict(hyper)
    preset = hyper.pop("preset", None)
    out = dict(defaults)
    if preset is not None:
        if preset not in presets:
            allowed = ", ".join(presets) or "none"
            raise ValueError(
                f"unknown {architecture} preset {preset!r}; allowed presets: {allowed}"
            )
        out.update(presets[preset])
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown {architecture} hyperparameter(s) {unknown}; allowed: "
            f"{', '.join(sorted(defaults))} (and 'preset')"
        )
    out.update(hyper)
    return out


def positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def positive_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1e6:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def kernel_sizes(value) -> list[int]:
    """A non-empty list of odd kernel sizes >= 3."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"kernel_sizes must be a list of odd integers >= 3, got {value!r}")
    sizes = list(value)
    if not sizes or any(
        isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 3 or k % 2 == 0
        for k in sizes
    ):
        raise ValueError(
            f"kernel_sizes must be a non-empty list of odd integers >= 3, got {value!r}"
        )
    return [int(k) for k in sizes]


def boolean(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def choice(name: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def optional_positive_float(name: str, value) -> float | None:
    """None, or a positive finite number."""
    return None if value is None else positive_float(name, value)
