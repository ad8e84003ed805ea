"""Typed command-line values: every numeric option is parsed by one of these argparse types.

A bad value (``nan``, ``inf``, ``2.7`` for a count, a number out of range) stops argparse with
exit status 2 and a message that names the value and what is allowed, e.g.
``argument --threshold: got 'nan'; expected a finite number >= 0``, before any work starts.
"""

from __future__ import annotations

import argparse
import math


def _bounds(low, high, low_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"<= {high}")
    return " and ".join(parts)


def real(low: float | None = None, high: float | None = None, *, low_open: bool = False):
    """An argparse type: a finite float in [low, high] ((low, high] with ``low_open``)."""
    allowed = " ".join(filter(None, ("a finite number", _bounds(low, high, low_open))))

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (high is None or value <= high)
        if low is not None:
            ok = ok and (value > low if low_open else value >= low)
        if not ok:
            raise argparse.ArgumentTypeError(f"got {text!r}; expected {allowed}")
        return value

    parse.__name__ = allowed  # what argparse would name in its own messages
    return parse


def count(low: int = 0, high: int | None = None):
    """An argparse type: an integer in [low, high] (``2.7``, ``1e3`` or ``true`` are refused)."""
    allowed = " ".join(("an integer", _bounds(low, high, False)))

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text!r}; expected {allowed}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"got {text!r}; expected {allowed}")
        return value

    parse.__name__ = allowed
    return parse


SEED = count(0)
"""A random seed: a non-negative integer (numpy's SeedSequence takes any)."""
