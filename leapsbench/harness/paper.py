"""The LEAPS paper's published ΔMag on its six benchmarks (shown beside ours in tables).

Source: Holderrieth, Albergo, Jaakkola, "LEAPS: A discrete neural sampler via locally equivariant
networks" (2025), benchmark listing in ../shared/papers/leaps-benchmark-listing.txt (from the
repository root; Ising L = 24, J = 1; Potts q = 4, L = 16, J = 1; ΔMag of LEAPS).
"""

from __future__ import annotations

PAPER_SOURCE = "Holderrieth, Albergo, Jaakkola 2025 (LEAPS), arXiv 2502.10843"

PAPER_DELTA_MAG = {
    "ising-L24-b0.28": 0.0018,
    "ising-L24-b0.4407": 0.059,
    "ising-L24-b0.6": 0.03,
    "potts-q4-L16-b0.9": 0.0057,
    "potts-q4-L16-b1.0986": 0.32,
    "potts-q4-L16-b1.3": 0.36,
}

PAPER_MARK_LABEL = "LEAPS, paper listing (GPU-trained; cost not stated in CPU-s)"
"""How curves label the listing's ΔMag: a result measured elsewhere, at a cost in other units."""
