"""Signed log-Pfaffian, and its exact derivative, of a block-cyclic skew-symmetric matrix.

The matrix A(β) has n ≥ 2 diagonal blocks ``diag[k]`` = A_kk (m × m, m even, skew) and
couplings ``up[k]`` = A_{k,k+1 mod n} between cyclically adjacent blocks only (blocks 0 and n−1
are joined by ``up[n−1]``; for n = 2 both ``up`` blocks join the same pair).  Blocks are
eliminated in the order 1, 2, …, n−1, keeping block 0 last (an even permutation of A: m is even,
so the Pfaffian is unchanged).  With the current block's Schur complement S, its coupling
X = [B | C] to the next block and to block 0,

    Pf [[S, X], [−Xᵀ, Y]] = Pf(S) · Pf(Y + Xᵀ S⁻¹ X),

so Pf(A) = Π_k Pf(S_k) and the fill stays in the next block and block 0.  The derivative is
carried forward exactly alongside (forward-mode, no finite differences):

    d log Pf(S) = ½ tr(S⁻¹ dS),      d(Xᵀ S⁻¹ X) = dXᵀ W + Xᵀ S⁻¹ (dX − dS W),  W = S⁻¹ X.

log|Pf(S)| = ½ log|det S| from an LU factorisation (LAPACK, via scipy); the sign of Pf(S) from
pfapack's Parlett–Reid Pfaffian of S scaled by |det S|^(−1/m) (|Pf| ≈ 1: no overflow).  Cost:
O(n m³), dense BLAS on m × m blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SignedLogPfaffian:
    """Pf(A) = sign · exp(log_abs), and d log Pf(A) / dβ."""

    sign: float
    log_abs: float
    d_log: float


def _pfaffian_sign(S: np.ndarray, log_abs_det: float) -> float:
    from pfapack.ctypes import pfaffian

    value = pfaffian(S * np.exp(-log_abs_det / S.shape[0]))
    if not np.isfinite(value) or value == 0:
        raise FloatingPointError(f"Pfaffian of a {S.shape[0]}-block is {value!r} after scaling")
    return float(np.sign(value))


def _factor(S: np.ndarray, dS: np.ndarray):
    """(sign Pf(S), log|Pf(S)|, ½ tr(S⁻¹ dS), LU of S); refuses a singular block."""
    import scipy.linalg

    lu = scipy.linalg.lu_factor(S, check_finite=False)
    diag = np.abs(np.diag(lu[0]))
    if not np.all(diag > 0):
        raise FloatingPointError(
            f"singular {S.shape[0]} × {S.shape[0]} Schur block in the Pfaffian elimination"
        )
    log_abs_det = float(np.sum(np.log(diag)))
    d_log = 0.5 * float(np.trace(scipy.linalg.lu_solve(lu, dS, check_finite=False)))
    return _pfaffian_sign(S, log_abs_det), 0.5 * log_abs_det, d_log, lu


def _schur_update(lu, dS, X, dX):
    """(Xᵀ S⁻¹ X, its derivative) from the LU of S (module docstring)."""
    import scipy.linalg

    W = scipy.linalg.lu_solve(lu, X, check_finite=False)
    dW = scipy.linalg.lu_solve(lu, dX - dS @ W, check_finite=False)
    return X.T @ W, dX.T @ W + X.T @ dW


def block_cyclic_pfaffian(diag, d_diag, up, d_up) -> SignedLogPfaffian:
    """Signed log Pf(A) and d log Pf(A)/dβ of the block-cyclic A of the module docstring;
    ``d_diag``, ``d_up`` are dA/dβ in the same blocks."""
    n = len(diag)
    if n < 2 or not (len(d_diag) == len(up) == len(d_up) == n):
        raise ValueError(f"need n >= 2 blocks of each kind, got {n} diagonal blocks")
    m = diag[0].shape[0]
    S, dS, T, dT = diag[1], d_diag[1], diag[0], d_diag[0]
    C, dC = -up[0].T, -d_up[0].T  # A_{1,0}
    if n == 2:
        C, dC = C + up[1], dC + d_up[1]
    sign, log_abs, d_log = 1.0, 0.0, 0.0
    for k in range(1, n):
        s, la, dl, lu = _factor(S, dS)
        sign, log_abs, d_log = sign * s, log_abs + la, d_log + dl
        if k == n - 1:
            Y, dY = _schur_update(lu, dS, C, dC)
            T, dT = T + Y, dT + dY
            break
        Y, dY = _schur_update(lu, dS, np.hstack([up[k], C]), np.hstack([d_up[k], dC]))
        S, dS = diag[k + 1] + Y[:m, :m], d_diag[k + 1] + dY[:m, :m]
        C, dC = Y[:m, m:], dY[:m, m:]
        if k + 1 == n - 1:
            C, dC = C + up[n - 1], dC + d_up[n - 1]
        T, dT = T + Y[m:, m:], dT + dY[m:, m:]
    s, la, dl, _ = _factor(T, dT)
    return SignedLogPfaffian(sign * s, log_abs + la, d_log + dl)
