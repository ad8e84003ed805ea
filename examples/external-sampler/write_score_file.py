"""Write a score file for ``leapsbench score`` from plain numpy (leapsbench is not imported).

    python write_score_file.py --model ising --side 4 --beta 0.3 --out samples.npz
    leapsbench score --benchmark ising-L4-b0.3 --samples samples.npz --name my-sampler

The file is an .npz with ``x`` — (B, L, L) int8 states of the benchmark's model: Ising spins ±1,
Potts values 0..q−1 — and one of

* ``log_q`` (B,): the exact log-probability of each sample under the sampler that drew it
  (here the mixture proposal of external_sampler/proposal.py); leapsbench forms the weights
  −β H(x) − log q(x) itself; or
* ``log_weights`` (B,) (``--weights log_weights``): −β H(x) − log q(x) − N log q, so that
  N log q + log mean exp(log_weights) estimates log Z (H on the periodic L × L lattice, J = 1,
  no field: Ising H = −Σ_<ij> s_i s_j, Potts H = −Σ_<ij> δ(s_i, s_j)).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from external_sampler.proposal import log_proposal, propose


def energy(x: np.ndarray, model: str) -> np.ndarray:
    """H of each (L, L) state in ``x`` (B, L, L), periodic, J = 1, h = 0 (module docstring)."""
    right, down = np.roll(x, -1, axis=2), np.roll(x, -1, axis=1)
    if model == "ising":
        bonds = x.astype(np.int64) * right + x.astype(np.int64) * down
    else:
        bonds = (x == right).astype(np.int64) + (x == down)
    return -bonds.sum(axis=(1, 2)).astype(np.float64)


def score_arrays(model, side, beta, q, n, seed, weights, align=0.9, uniform_share=0.5) -> dict:
    """The arrays of a score file: ``x`` and ``log_q`` or ``log_weights`` (module docstring)."""
    q = 2 if model == "ising" else q
    gen = np.random.default_rng(seed)
    values = propose(gen, q, side * side, n, align, uniform_share)
    log_q = log_proposal(values, q, align, uniform_share)
    states = values.reshape(n, side, side)
    x = (1 - 2 * states).astype(np.int8) if model == "ising" else states
    if weights == "log_q":
        return {"x": x, "log_q": log_q}
    log_w = -beta * energy(x, model) - log_q - side * side * math.log(q)
    return {"x": x, "log_weights": log_w}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("ising", "potts"), default="ising")
    parser.add_argument("--q", type=int, default=3, help="Potts values (default 3)")
    parser.add_argument("--side", type=int, default=4, help="lattice side L (L x L)")
    parser.add_argument("--beta", type=float, default=0.3)
    parser.add_argument("--n", type=int, default=4000, help="number of samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", choices=("log_q", "log_weights"), default="log_q")
    parser.add_argument("--out", default="samples.npz")
    args = parser.parse_args(argv)
    arrays = score_arrays(args.model, args.side, args.beta, args.q, args.n, args.seed, args.weights)
    np.savez(args.out, **arrays)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v.shape} {v.dtype}" for k, v in arrays.items()))


if __name__ == "__main__":
    main()
