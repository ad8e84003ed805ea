"""The Pfaffian, and its exact β-derivative, of a block-cyclic skew-symmetric matrix A(β).

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

For the eliminated blocks log|Pf(S)| = ½ log|det S| from an LU factorisation (LAPACK, via scipy)
and the sign of Pf(S) from pfapack's Parlett–Reid Pfaffian of S scaled by |det S|^(−1/m)
(|Pf| ≈ 1: no overflow); these blocks must be well conditioned (in the EA solver their
Pfaffians are ± partition functions of cylinders, never 0).  The last block T may be singular (Pf(A)
crosses zero as β varies), where ½ Pf tr(T⁻¹ dT) from an LU is inaccurate, so T is
block-diagonalised skew-symmetrically instead: from the eigenvectors w_k = (v_k + i u_k)/√2 of
the Hermitian iT with eigenvalues λ_k > 0, T = Σ_k λ_k (u_k v_kᵀ − v_k u_kᵀ), O = [u₁ v₁ u₂ v₂ …],

    Pf(T) = det O · Π_k λ_k,     dPf(T) = det O · Σ_k (u_kᵀ dT v_k) Π_{l≠k} λ_l,

both smooth through Pf(T) = 0.  The pair of the smallest λ (whose eigenvectors mix when λ ≈ 0)
is taken as the real plane (p, q) that the eigenvectors of ±λ_min span, with signed λ = pᵀ T q
(when λ_min is separated from the next λ; a degenerate λ_min is not near 0 and keeps its own).
So the result is Pf(A) = value · e^{log_scale} and dPf(A)/dβ = d_value · e^{log_scale}.
Cost: O(n m³), dense BLAS on m × m blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScaledPfaffian:
    """Pf(A) = value · exp(log_scale) and dPf(A)/dβ = d_value · exp(log_scale)."""

    log_scale: float
    value: float
    d_value: float


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


SEPARATION = 1e-6
"""λ_min counts as separated from the next λ (relative to λ_max) above this gap."""


def _smallest_plane(w_pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real orthonormal (p, q) spanning the eigenvectors of the eigenvalues ±λ_min of iT: their
    eigenvectors mix when λ_min ≈ 0, but the real plane they span is well defined."""
    basis = np.linalg.svd(np.concatenate([w_pair.real, w_pair.imag], axis=1))[0]
    return basis[:, 0], basis[:, 1]


def _last_block(T: np.ndarray, dT: np.ndarray) -> ScaledPfaffian:
    """Pf(T) and dPf(T) by the skew block-diagonalisation of the module docstring."""
    m, half = T.shape[0], T.shape[0] // 2
    T, dT = 0.5 * (T - T.T), 0.5 * (dT - dT.T)  # exactly skew: iT exactly Hermitian
    eigenvalues, vectors = np.linalg.eigh(1j * T)  # ascending: −λ…, ±λ_min, …λ
    w = vectors[:, half + 1 :] * np.sqrt(2.0)
    u, v = w.imag, w.real  # iT w = λ w: T v = λ u, T u = −λ v, so uᵀ T v = λ
    lam_min = eigenvalues[half]
    if half > 1 and eigenvalues[half + 1] - lam_min > SEPARATION * eigenvalues[-1]:
        p, q = _smallest_plane(vectors[:, half - 1 : half + 1])
        lam_min = p @ T @ q  # signed
    else:  # the smallest λ is degenerate (e.g. β = 0): its own eigenvector is accurate
        q, p = vectors[:, half].real * np.sqrt(2.0), vectors[:, half].imag * np.sqrt(2.0)
    u, v = np.column_stack([u, p]), np.column_stack([v, q])
    lam = np.append(eigenvalues[half + 1 :], lam_min)
    d_lam = np.einsum("ik,ij,jk->k", u, dT, v)
    orientation = float(np.sign(np.linalg.det(np.stack([u, v], axis=2).reshape(m, m))))
    log_scale = float(np.sum(np.log(lam[:-1])))
    value = orientation * lam[-1]
    d_value = orientation * (d_lam[-1] + lam[-1] * np.sum(d_lam[:-1] / lam[:-1]))
    return ScaledPfaffian(log_scale, float(value), float(d_value))


def block_cyclic_pfaffian(diag, d_diag, up, d_up) -> ScaledPfaffian:
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
    last = _last_block(T, dT)
    return ScaledPfaffian(
        log_abs + last.log_scale, sign * last.value, sign * (d_log * last.value + last.d_value)
    )
