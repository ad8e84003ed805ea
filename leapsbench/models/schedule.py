"""Annealing schedules β_t = β · λ(t) on t ∈ [0, 1], with λ(0) = 0 and λ(1) = 1.

The path is ρ_t ∝ exp(−β_t H): uniform at t = 0, the target at t = 1.  Schedules work on Python
floats and on arrays alike (arithmetic only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinearSchedule:
    """λ(t) = t."""

    name = "linear"

    def fraction(self, t):
        return t

    def dfraction(self, t):
        return 1.0 + 0.0 * t

    def config(self) -> dict:
        return {"name": self.name}


@dataclass(frozen=True)
class PowerSchedule:
    """λ(t) = t^p; p > 1 spends more time at high temperature."""

    power: float = 2.0
    name = "power"

    def __post_init__(self):
        if not self.power > 0:
            raise ValueError(f"power schedule needs power > 0, got {self.power!r}")

    def fraction(self, t):
        return t**self.power

    def dfraction(self, t):
        return self.power * t ** (self.power - 1)

    def config(self) -> dict:
        return {"name": self.name, "power": self.power}


SCHEDULES = {"linear": LinearSchedule, "power": PowerSchedule}


def get_schedule(name: str = "linear", **params):
    """A schedule by name (``linear``, ``power``), e.g. ``get_schedule("power", power=2)``."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULES)}")
    return SCHEDULES[name](**params)


def beta_at(model, schedule, t):
    """β_t = β · λ(t)."""
    return model.beta * schedule.fraction(t)


def dbeta_dt(model, schedule, t):
    """∂_t β_t = β · λ'(t)."""
    return model.beta * schedule.dfraction(t)
