"""Ratio gate: leapsbench's LE-conv forward against the LEAPS authors' own formulation of the
same network (tests/authors_reference.py, their src/nets/conv.py at eb3700c transcribed), both
in torch on the CPU, float32, at the authors' size (15 × 15 Ising, kernels 3, 5, 7, 9, 15, 20
channels, time MLP width 64) with 64 walkers.  Ours must stay at least 2.1× faster (the speed
the import was first measured at); the 2× slowed twin checks that the gate can fire.
"""

from __future__ import annotations

import numpy as np
import pytest

from leapsbench.perf import slowed

torch = pytest.importorskip("torch")

from authors_reference import synthetic_checkpoint, their_forward  # noqa: E402
from leapsbench.backends import get_backend  # noqa: E402

from leapsbench.leaps.authors import load_authors_checkpoint  # noqa: E402
from leapsbench.params import params_to  # noqa: E402

pytestmark = pytest.mark.perf

WALKERS = 64
THRESHOLD = 1 / 2.1
"""Our forward time / theirs: at most this."""


def _forwards(tmp_path):
    """(ours, theirs) as zero-argument float32 forwards on the same 64 states; first checked to
    compute the same scores in float64."""
    checkpoint = synthetic_checkpoint(
        "ising", L=15, kernels=(3, 5, 7, 9, 15), channels=20, time_width=64
    )
    path = tmp_path / "authors-size.ckpt"
    torch.save(checkpoint, path)
    network, params, model = load_authors_checkpoint(path)
    backend = get_backend("torch", device="cpu")
    spins = 1 - 2 * np.random.default_rng(0).integers(0, 2, (WALKERS, *model.shape))
    x = backend.asarray(spins.astype(np.int8), dtype=torch.int8)
    t = torch.full((WALKERS,), 0.5, dtype=torch.float64)
    with torch.no_grad():
        ours64 = network.apply(params_to(backend, params, "float64"), x[:2], t[:2])
        theirs64 = their_forward(checkpoint, x[:2], t[:2])
    scale = float(theirs64.abs().max())
    torch.testing.assert_close(ours64.sum(-1), theirs64, rtol=0, atol=1e-12 * scale)
    params32 = params_to(backend, params, "float32")
    t32 = t.to(torch.float32)

    @torch.no_grad()
    def ours():
        return network.apply(params32, x, t32)

    @torch.no_grad()
    def theirs():
        return their_forward(checkpoint, x, t32, dtype=torch.float32)

    return ours, theirs


def test_le_conv_forward_at_least_2p1x_faster_than_the_authors(ratio_gate, tmp_path):
    ours, theirs = _forwards(tmp_path)
    ratio_gate("le_conv_vs_authors_torch_L15", ours, theirs, THRESHOLD, repeats=5)


def test_le_conv_gate_fires_on_2x_slowdown(ratio_gate, tmp_path):
    ours, theirs = _forwards(tmp_path)
    ratio_gate("le_conv_vs_authors_torch_L15[2x]", slowed(ours), theirs, THRESHOLD, 3, "fire")
