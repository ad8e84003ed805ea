"""Device memory as the backends report it: free bytes and the peak of one call.

torch on CUDA: ``torch.cuda.mem_get_info`` and ``max_memory_allocated`` after
``reset_peak_memory_stats`` (the peak of live tensors).  CuPy: the runtime's free memory, and the
bytes the default pool holds after the call, emptied before it (at least the peak of live
arrays: the pool reuses freed blocks).  Free memory is read after both libraries' caches are
emptied (:func:`release_cached`).  numpy and torch on the CPU report neither (None).
"""

from __future__ import annotations

import sys


def _is_cuda_torch(backend) -> bool:
    return backend.name == "torch" and getattr(backend.device, "type", "cpu") == "cuda"


def release_cached() -> None:
    """Hand the blocks that torch's caching allocator and CuPy's pool keep back to the device,
    so that one library's cache does not shrink what the other sees as free."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        torch.cuda.empty_cache()
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()


def free_bytes(backend) -> int | None:
    """Device memory free for new arrays (after :func:`release_cached`), or None where the
    backend does not say."""
    if backend.name == "cupy" or _is_cuda_torch(backend):
        release_cached()
    if _is_cuda_torch(backend):
        import torch

        return int(torch.cuda.mem_get_info(backend.device)[0])
    if backend.name == "cupy":
        import cupy

        return int(cupy.cuda.runtime.memGetInfo()[0])
    return None


def peak_bytes(backend, fn):
    """(fn(), peak device bytes during the call or None); the backend is synchronised."""
    if _is_cuda_torch(backend):
        import torch

        torch.cuda.synchronize(backend.device)
        torch.cuda.reset_peak_memory_stats(backend.device)
        before = torch.cuda.memory_allocated(backend.device)
        out = fn()
        torch.cuda.synchronize(backend.device)
        return out, int(torch.cuda.max_memory_allocated(backend.device) - before)
    if backend.name == "cupy":
        import cupy

        pool = cupy.get_default_memory_pool()
        backend.synchronize()
        pool.free_all_blocks()
        before = pool.used_bytes()
        out = fn()
        backend.synchronize()
        return out, int(pool.total_bytes() - before)
    return fn(), None


def fitting_count(backend, bytes_each: int | None, wanted: int, share: float = 0.5) -> int:
    """min(wanted, ⌊share · free / bytes_each⌋), at least 1; ``wanted`` where nothing is known."""
    free = free_bytes(backend)
    if free is None or not bytes_each:
        return wanted
    return max(1, min(wanted, int(share * free / bytes_each)))
