"""Issue 29's LE-conv forward check: the authors' 15 x 15 Ising network, 64 walkers, float32,
numpy and torch in one process, CPU time per walker-forward (median of 7 forwards), then two
candidate forms of silu swapped into leaps.conv and timed interleaved with the current one:
numpy's z / (1 + exp(-z)) (the issue's 1.4x on Zen 3; float32 tolerance) and torch's in-place
silu (every z it gets in the forward is a temporary; bit for bit).  Results in docs/perf.md.
From the repository root:

    OMP_NUM_THREADS=1 python tests/perf/le_conv_forms.py [CHECKPOINT]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from leapsbench.backends import get_backend

from leapsbench.leaps import conv
from leapsbench.leaps.authors import load_authors_checkpoint
from leapsbench.params import params_to

WALKERS = 64
REPEATS = 3


def ms_per_walker(forward, reps: int = 7) -> float:
    forward()
    times = []
    for _ in range(reps):
        start = time.process_time()
        forward()
        times.append(time.process_time() - start)
    return float(np.median(times)) / WALKERS * 1e3


def exp_silu(xp, z):
    return z / (1 + xp.exp(-z))


def in_place_silu(xp, z):
    return torch.nn.functional.silu(z, inplace=True)


def forward_of(network, params, backend, x):
    params = params_to(backend, params, dtype=backend.xp.float32)
    x = backend.asarray(x, dtype=backend.state_dtype)

    def forward():
        with torch.no_grad():
            return backend.to_numpy(network.apply(params, x, 0.5))

    return forward


def compare(forward, candidate, name: str, rtol: float) -> None:
    """Current and candidate silu, interleaved REPEATS times; outputs checked to ``rtol``."""
    current, ref = conv.silu, forward()
    pairs = []
    for _ in range(REPEATS):
        conv.silu = current
        now = ms_per_walker(forward)
        conv.silu = candidate
        pairs.append((now, ms_per_walker(forward)))
        out = forward()
        np.testing.assert_allclose(out, ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    conv.silu = current
    text = ", ".join(f"{a:.2f} / {b:.2f} ({b / a:.3f})" for a, b in pairs)
    print(f"{name}: current / candidate ms per walker-forward (ratio): {text}")


def main() -> None:
    torch.set_num_threads(1)
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/leaps-authors/ising_final.ckpt"
    network, params, _ = load_authors_checkpoint(path)
    x = np.where(np.random.default_rng(0).random((WALKERS, 15, 15)) < 0.5, 1, -1).astype(np.int8)
    forwards = {
        name: forward_of(network, params, get_backend(name, dtype="float32"), x)
        for name in ("numpy", "torch")
    }
    for name, forward in forwards.items():
        print(f"{name}: {ms_per_walker(forward):.2f} ms per walker-forward (CPU, median of 7)")
    compare(forwards["numpy"], exp_silu, "numpy silu z/(1+exp(-z))", 1e-5)
    compare(forwards["torch"], in_place_silu, "torch silu in place", 0.0)


if __name__ == "__main__":
    main()
