"""One explicit thread setting for torch, so that results do not depend on the machine's cores.

torch's CPU kernels split reductions (matrix products, sums) over its intra-op threads, and the
order of a floating-point sum changes with their number: a training run with 2 threads diverges
from one with 1 after a few hundred steps (leaps-attention on potts-q3-L3-b1.0 reached ESS/n
0.011 instead of 0.682).  So every run and every training sets ``torch.set_num_threads(n)`` with
n = ``$LEAPSBENCH_THREADS`` (default :data:`DEFAULT_THREADS` = 1, the setting results/quick was
made with), whatever ``OMP_NUM_THREADS`` or the core count say; rows record n (``host``).  Set
it higher for speed, at the price of results that match only runs with the same n.  numpy's
BLAS does not split the summed axis of a product over threads, and numpy's reductions are
single-threaded, so numpy results need no setting.
"""

from __future__ import annotations

import os

ENV = "LEAPSBENCH_THREADS"
DEFAULT_THREADS = 1


def thread_setting() -> int:
    """n from ``$LEAPSBENCH_THREADS`` (a ValueError names a value that is not an integer >= 1)."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return DEFAULT_THREADS
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{ENV}={text!r} must be an integer >= 1 (torch's thread count)")
    return n


def fix_torch_threads() -> int:
    """``torch.set_num_threads(thread_setting())`` (torch imported here: call it only where
    torch is used); returns n."""
    import torch

    n = thread_setting()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
