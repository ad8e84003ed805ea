"""Tables and integer thresholds of the fast local kernels: what they share.

On the square lattice ΔE takes few values (a site has at most :data:`MAX_NEIGHBOURS`
neighbours), so a fast kernel computes the acceptance (or heat-bath weight) of every value once
per (model, β, rule) from the formulas of :mod:`.local` and looks it up per site with ``take`` on
small int8 indices.  A move of probability p is accepted where b ≤ T, b a raw random 32-bit
pattern read as int32 (``Rng.bits32``, the cheapest draw of every library) and
T = ⌈2³² p⌉ − 1 − 2³¹ (:func:`probability_thresholds`), so P(accept) = ⌈2³² p⌉ / 2³² ∈
[p, p + 2⁻³²) (2⁻³² where p = 0).  Tables move to a backend once (:func:`cached_on`).
"""

from __future__ import annotations

import numpy as np

MAX_NEIGHBOURS = 4
"""Neighbours of a site on the square lattice (a 2-periodic axis counts one neighbour twice)."""

_ON_DEVICE: dict = {}
MAX_CACHED_ON_DEVICE = 512


def cached_on(xp, device, key, make):
    """``make()`` (a small array of namespace ``xp`` on ``device``), made once per (``key``,
    ``xp``, ``device``): moving a table to a device per sweep would cost more than the lookup.
    A device that is not hashable is keyed by its name; the cache is cleared when it holds
    :data:`MAX_CACHED_ON_DEVICE` entries."""
    try:
        full_key = (key, xp, device)
        return _ON_DEVICE[full_key]
    except KeyError:
        pass
    except TypeError:
        full_key = (key, xp, str(device))
        if full_key in _ON_DEVICE:
            return _ON_DEVICE[full_key]
    if len(_ON_DEVICE) >= MAX_CACHED_ON_DEVICE:
        _ON_DEVICE.clear()
    _ON_DEVICE[full_key] = made = make()
    return made


def cached_on_backend(backend, key, make):
    """:func:`cached_on` for ``backend``'s namespace and device."""
    return cached_on(backend.xp, backend.device, key, make)


def probability_thresholds(p: np.ndarray) -> np.ndarray:
    """int32 T = ⌈2³² p⌉ − 1 − 2³¹ (clipped to int32) of probabilities ``p``: an int32 of
    uniform random bits is ≤ T with probability ⌈2³² p⌉ / 2³² (p = 0 gives 2⁻³², p = 1 gives
    1)."""
    thresholds = np.ceil(np.ldexp(p, 32)) - 1.0 - 2.0**31
    return np.clip(thresholds, -(2.0**31), 2.0**31 - 1).astype(np.int32)


SMALL_INTS = (-2, MAX_NEIGHBOURS, MAX_NEIGHBOURS + 1, 2 * MAX_NEIGHBOURS + 1)


def small_ints(backend) -> dict:
    """0-d int8 arrays of the integers the decisions add to or multiply int8 arrays by
    (:data:`SMALL_INTS`): an operand of the array's dtype is cheaper than a Python int; cached."""
    xp = backend.xp
    return cached_on_backend(
        backend, "small ints", lambda: {v: backend.asarray(v, dtype=xp.int8) for v in SMALL_INTS}
    )


UNIFORM_BITS = 24
"""Bits of a float32 uniform: k · 2⁻²⁴ for k uniform on [0, 2²⁴), as numpy draws float32."""


def float32_uniforms(rng, shape):
    """float32 uniforms on [0, 1), k · 2⁻²⁴ with k the low 24 bits of ``Rng.bits32`` (exactly
    numpy's float32 draw; the bits are the cheaper draw on torch's CPU)."""
    xp = rng.backend.xp
    low = rng.bits32(tuple(shape)) & (2**UNIFORM_BITS - 1)
    return xp.astype(low, xp.float32) * (2.0**-UNIFORM_BITS)


def backend_thresholds(acceptance_table, model, beta: float, rule: str, backend):
    """int32 :func:`probability_thresholds` of ``acceptance_table(model, β, rule)`` (a numpy
    table of probabilities) on ``backend``; cached (:func:`cached_on`)."""

    def make():
        thresholds = probability_thresholds(acceptance_table(model, float(beta), rule))
        return backend.asarray(thresholds, dtype=backend.xp.int32)

    return cached_on_backend(backend, ("thresholds", model, beta, rule), make)


def backend_table(acceptance_table, model, beta: float, rule: str, backend, wide_below=0.0):
    """``acceptance_table(model, β, rule)`` on ``backend`` in float32, or in float64 where an
    entry is below ``wide_below`` (where float32 would lose precision or underflow); cached."""

    def make():
        table = acceptance_table(model, float(beta), rule)
        wide = table.min() < wide_below
        return backend.asarray(table, dtype=backend.xp.float64 if wide else backend.xp.float32)

    return cached_on_backend(backend, ("table", model, beta, rule), make)
