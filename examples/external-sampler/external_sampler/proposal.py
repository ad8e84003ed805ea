"""The mixture proposal of the example sampler, in plain numpy (no leapsbench import), so that
``write_score_file.py`` can draw from it without leapsbench installed.

With probability u (``uniform_share``) a uniform configuration, otherwise an "ordered" one around
a value k drawn uniformly from 0..q−1: each site equals k with probability a (``align``) and one
of the q−1 other values otherwise.  Exact log-probability, with c_k(x) the sites with value k:

    log q(x) = logsumexp( log u − N log q,
                          log((1−u)/q) + c_k(x) log a + (N − c_k(x)) log((1−a)/(q−1)), k = 0..q−1 )
"""

from __future__ import annotations

import math

import numpy as np


def propose(gen, q, n_sites, size, align, uniform_share):
    """``size`` value configurations (size, n_sites), int8, from the mixture proposal."""
    centre = gen.integers(0, q, size)[:, None]
    other = (centre + gen.integers(1, q, (size, n_sites))) % q  # one of the q - 1 others
    values = np.where(gen.random((size, n_sites)) < align, centre, other)
    uniform = gen.random(size) < uniform_share
    values[uniform] = gen.integers(0, q, (int(uniform.sum()), n_sites))
    return values.astype(np.int8)


def log_proposal(values, q, align, uniform_share):
    """log q(x) of each configuration (module docstring)."""
    n_sites = values.shape[1]
    counts = (values[:, :, None] == np.arange(q)).sum(axis=1)  # (size, q): c_k(x)
    ordered = counts * math.log(align) + (n_sites - counts) * math.log((1 - align) / (q - 1))
    ordered += math.log((1 - uniform_share) / q) if uniform_share < 1 else -math.inf
    uniform = np.full((len(values), 1), math.log(uniform_share) - n_sites * math.log(q))
    return np.logaddexp.reduce(np.concatenate([uniform, ordered], axis=1), axis=1)


def kish_ess(log_w):
    """(Σw)² / Σw², computed stably from log weights."""
    w = np.exp(log_w - log_w.max())
    return float(w.sum() ** 2 / (w**2).sum())
