"""Random number generators: one adapter per backend over its native generator.

Every adapter is seeded from a :class:`numpy.random.SeedSequence`, so that a ``(seed, run)`` pair
is reproducible on a given backend, and :meth:`Rng.spawn` gives independent child streams.
Only ``uniform``, ``integers``, ``bits32`` and ``normal`` are native; ``categorical`` and
``choice`` are built on ``uniform`` by inverse-CDF sampling in array-API ops.

``bits32`` gives raw random 32-bit patterns (int32, every one of the 2³² values with probability
2⁻³²), drawn as half as many full-range 64-bit integers and viewed as int32 pairs: the cheapest
random numbers each library has (cheaper than float32 uniforms on numpy and torch's CPU), for
kernels that compare them with integer thresholds.

torch on the CPU draws ``bits32`` and ``integers`` from numpy's PCG64 (seeded like
:class:`NumpyRng`, so they repeat the numpy backend's draws of the same seed), shared without a
copy by ``torch.from_numpy``: torch's CPU generator (mt19937) takes longer than numpy's for the
same bits and for small integers (its int64 draws against numpy's int8 ones), most of a local
MCMC sweep's random-number cost.  Its ``uniform`` and ``normal`` stay torch's own.
Measurements: docs/perf.md.
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod

import numpy as np

from .backend import Backend


class Rng(ABC):
    """Random streams on ``backend``'s device; all draws are arrays of that backend."""

    def __init__(self, backend: Backend, seed_sequence: np.random.SeedSequence):
        self.backend = backend
        self.seed_sequence = seed_sequence

    @abstractmethod
    def uniform(self, shape, dtype=None):
        """Uniform draws on [0, 1) of ``shape`` (dtype defaults to the backend's float dtype)."""

    @abstractmethod
    def integers(self, low: int, high: int, shape, dtype=None):
        """Uniform integers on [low, high) as int64, or as the backend's integer ``dtype``
        (a small one is cheaper to draw: numpy draws int8 from bytes)."""

    @abstractmethod
    def normal(self, shape, dtype=None):
        """Standard normal draws."""

    @abstractmethod
    def bits32(self, shape):
        """Independent uniform random 32-bit patterns as int32 of ``shape``."""

    def get_state(self):
        """The generator's whole state, of tensors and plain containers (saved training states
        are loaded with ``torch.load(weights_only=True)``), for :meth:`set_state`."""
        raise NotImplementedError(f"{type(self).__name__} does not save its state")

    def set_state(self, state) -> None:
        """Continue from a state of :meth:`get_state`."""
        raise NotImplementedError(f"{type(self).__name__} does not restore a state")

    def spawn(self, n: int) -> list[Rng]:
        """``n`` independent child generators of the same backend."""
        return [type(self)(self.backend, child) for child in self.seed_sequence.spawn(n)]

    def categorical(self, probs, axis: int = -1):
        """One index per row drawn with (unnormalised, non-negative) weights ``probs`` on ``axis``.

        Inverse CDF: index = #{k : C_k < u · C_last}, with C the cumulative sum along ``axis``.
        """
        xp = self.backend.xp
        probs = xp.moveaxis(probs, axis, -1) if axis != -1 else probs
        cdf = xp.cumulative_sum(probs, axis=-1)
        u = self.uniform(probs.shape[:-1] + (1,), dtype=cdf.dtype) * cdf[..., -1:]
        index = xp.sum(xp.astype(cdf <= u, self.backend.int_dtype), axis=-1)
        return xp.minimum(index, probs.shape[-1] - 1)

    def categorical_logits(self, logits, axis: int = -1):
        """Like :meth:`categorical` with log-weights: p_k ∝ exp(logits_k)."""
        xp = self.backend.xp
        return self.categorical(xp.exp(logits - xp.max(logits, axis=axis, keepdims=True)), axis)

    def choice(self, probs, size: int):
        """``size`` indices drawn i.i.d. from the 1-D weights ``probs`` (multinomial resampling)."""
        xp = self.backend.xp
        cdf = xp.cumulative_sum(probs)
        u = self.uniform((size,), dtype=cdf.dtype) * cdf[-1]
        index = xp.searchsorted(cdf, u, side="right")
        return xp.minimum(xp.astype(index, self.backend.int_dtype), probs.shape[0] - 1)


def host_bits32(generator: np.random.Generator, shape) -> np.ndarray:
    """int32 random bits of ``shape``: the bit generator's raw 64-bit outputs viewed as int32
    pairs (``random_raw``: the draws of ``integers(0, 2**64, dtype=uint64)``, without its
    range handling, which costs most for small draws)."""
    n = math.prod(shape)
    words = generator.bit_generator.random_raw((n + 1) // 2)
    return words.view(np.int32)[:n].reshape(shape)


class NumpyRng(Rng):
    def __init__(self, backend, seed_sequence):
        super().__init__(backend, seed_sequence)
        self.generator = np.random.Generator(np.random.PCG64(seed_sequence))

    def get_state(self):
        return self.generator.bit_generator.state

    def set_state(self, state) -> None:
        self.generator.bit_generator.state = state

    def uniform(self, shape, dtype=None):
        dtype = dtype or self.backend.dtype
        return self.generator.random(shape, dtype=np.dtype(dtype))

    def integers(self, low, high, shape, dtype=None):
        return self.generator.integers(low, high, size=shape, dtype=dtype or np.int64)

    def normal(self, shape, dtype=None):
        dtype = dtype or self.backend.dtype
        return self.generator.standard_normal(shape, dtype=np.dtype(dtype))

    def bits32(self, shape):
        return host_bits32(self.generator, shape)


class HostRng(NumpyRng):
    """Draws on the host with numpy and moves them to the device (array-api-strict)."""

    def uniform(self, shape, dtype=None):
        """float32 draws are made in float32 (a float64 draw rounded to float32 can be 1.0)."""
        dtype = dtype or self.backend.dtype
        host_dtype = np.float32 if dtype == self.backend.xp.float32 else np.float64
        host = self.generator.random(shape, dtype=host_dtype)
        return self.backend.asarray(host, dtype=dtype)

    def integers(self, low, high, shape, dtype=None):
        return self.backend.asarray(super().integers(low, high, shape), dtype=dtype)

    def normal(self, shape, dtype=None):
        dtype = dtype or self.backend.dtype
        return self.backend.asarray(self.generator.standard_normal(shape), dtype=dtype)

    def bits32(self, shape):
        return self.backend.asarray(super().bits32(shape))


class TorchRng(Rng):
    def __init__(self, backend, seed_sequence):
        super().__init__(backend, seed_sequence)
        import torch

        self.generator = torch.Generator(device=backend.device)
        self.generator.manual_seed(int(seed_sequence.generate_state(1, np.uint64)[0] >> 1))
        on_cpu = torch.device(backend.device).type == "cpu"
        self.host = np.random.Generator(np.random.PCG64(seed_sequence)) if on_cpu else None

    def get_state(self):
        """torch's generator state and, on the CPU, the host PCG64's state (a dict)."""
        host = None if self.host is None else self.host.bit_generator.state
        return {"torch": self.generator.get_state(), "host": host}

    def set_state(self, state) -> None:
        """Also accepts torch's generator state alone (saved before the host generator
        existed: the host generator then keeps its state)."""
        if not isinstance(state, dict):
            self.generator.set_state(state)
            return
        self.generator.set_state(state["torch"])
        if self.host is not None and state["host"] is not None:
            self.host.bit_generator.state = state["host"]

    def uniform(self, shape, dtype=None):
        import torch

        dtype = dtype or self.backend.dtype
        return torch.rand(
            tuple(shape), generator=self.generator, dtype=dtype, device=self.backend.device
        )

    def integers(self, low, high, shape, dtype=None):
        import torch

        dtype = dtype or torch.int64
        if self.host is not None:
            draws = self.host.integers(low, high, tuple(shape), _numpy_dtype(dtype))
            return torch.from_numpy(draws)
        return torch.randint(
            low,
            high,
            tuple(shape),
            generator=self.generator,
            dtype=dtype,
            device=self.backend.device,
        )

    def normal(self, shape, dtype=None):
        import torch

        dtype = dtype or self.backend.dtype
        return torch.randn(
            tuple(shape), generator=self.generator, dtype=dtype, device=self.backend.device
        )

    def bits32(self, shape):
        """Full-range int64 draws (numpy's on the CPU, else ``random_(−2⁶³)``: all 64 bits
        random) viewed as int32."""
        import torch

        if self.host is not None:
            return torch.from_numpy(host_bits32(self.host, shape))
        n = math.prod(shape)
        words = torch.empty((n + 1) // 2, dtype=torch.int64, device=self.backend.device)
        words.random_(-(2**63), None, generator=self.generator)
        return words.view(torch.int32)[:n].reshape(tuple(shape))


@functools.cache
def _numpy_dtype(torch_dtype) -> np.dtype:
    """numpy's dtype of a torch dtype (cached: asked per draw)."""
    import torch

    return torch.empty((), dtype=torch_dtype).numpy().dtype


class CupyRng(Rng):
    def __init__(self, backend, seed_sequence):
        super().__init__(backend, seed_sequence)
        import cupy

        with cupy.cuda.Device(backend.device.id):
            self.generator = cupy.random.default_rng(
                int(seed_sequence.generate_state(1, np.uint64)[0] >> 1)
            )

    def _on_device(self):
        import cupy

        return cupy.cuda.Device(self.backend.device.id)

    def uniform(self, shape, dtype=None):
        with self._on_device():
            return self.generator.random(shape, dtype=dtype or self.backend.dtype)

    def integers(self, low, high, shape, dtype=None):
        import cupy

        with self._on_device():
            return self.generator.integers(low, high, size=shape, dtype=dtype or cupy.int64)

    def normal(self, shape, dtype=None):
        with self._on_device():
            return self.generator.standard_normal(shape, dtype=dtype or self.backend.dtype)

    def bits32(self, shape):
        import cupy

        with self._on_device():
            draws = self.generator.integers(-(2**31), 2**31, size=shape, dtype=cupy.int64)
            return draws.astype(cupy.int32)


_RNG_TYPES = {"numpy": NumpyRng, "torch": TorchRng, "cupy": CupyRng, "array-api-strict": HostRng}


def is_seed(value) -> bool:
    """True for a non-negative integer (a Python or numpy int, not a bool, float or string)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def make_rng(backend: Backend, seed) -> Rng:
    """An Rng for ``backend`` from an int seed, a SeedSequence, or an existing Rng (returned)."""
    if isinstance(seed, Rng):
        return seed
    if not isinstance(seed, np.random.SeedSequence):
        if not is_seed(seed):
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        seed = np.random.SeedSequence(int(seed))
    return _RNG_TYPES[backend.name](backend, seed)
