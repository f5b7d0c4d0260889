"""Eigenvalues of H = JᵀJ/N for tall J (N ≥ P) at the speed of the Gram matrix and the accuracy
of an SVD (docs/methods.md §2, "The Gram route, refined").

eigvalsh(JᵀJ) is 3–4× faster than an SVD of J at P ≈ 10⁴, but forming JᵀJ squares the condition
number: its eigenvalues carry absolute errors of order ε·λ_max, so those below ~1e-9·λ_max lose
their digits and exact zero modes come out as ±1e-16·λ_max noise, far above the rank
tolerance. Here JᵀJ is reduced to tridiagonal form once; all eigenvalues come from the
tridiagonal matrix, and eigenvectors only for the k eigenvalues below SUBSPACE·λ_max (back-
transformed with the Householder reflectors, blocked). Those k vectors span the small
eigenvalues' invariant subspace of the computed JᵀJ, to within ε·λ_max/gap; the singular
values of J restricted to that subspace (a Rayleigh–Ritz step on J itself, N×k) are accurate to
second order in that angle, and replace the Gram values below REFINE·λ_max.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import eigh_tridiagonal, eigvalsh_tridiagonal
from scipy.linalg.lapack import dsytrd, dsytrd_lwork

from .jobs import JobState, null_state

REFINE = 1e-9       # Gram eigenvalues below this × λ_max are replaced by Rayleigh–Ritz values
SUBSPACE = 1e-7     # ... computed on the subspace of those below this × λ_max (a 100× gap)
BLOCK = 64          # reflectors applied together (the blocked back-transformation)


def tridiagonal(G: np.ndarray):
    """(reflectors, tau, d, e) of G = Q T Qᵀ, T tridiagonal (LAPACK dsytrd, lower; G is
    overwritten)."""
    lwork, info = dsytrd_lwork(G.shape[0], lower=1)
    c, d, e, tau, info = dsytrd(G, lower=1, lwork=int(lwork), overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dsytrd failed (info {info})")
    return c, tau, d, e


def apply_q(c: np.ndarray, tau: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Q Z for the Q of dsytrd (lower): Q = H(0) H(1) … H(n−2), H(j) = I − τ_j v_j v_jᵀ with
    v_j = (0,…,0, 1 at j+1, c[j+2:, j]). Blocks of BLOCK reflectors as I − V T Vᵀ (the compact
    WY form, built like LAPACK's dlarft), applied last block first."""
    n = c.shape[0]
    Z = np.array(Z, dtype=float, copy=True)
    for b in range(((n - 1) // BLOCK) * BLOCK, -1, -BLOCK):
        js = range(b, min(b + BLOCK, n - 1))
        nb = len(js)
        if nb == 0:
            continue
        V = np.zeros((n - b - 1, nb))               # rows b+1 … n−1
        for i, j in enumerate(js):
            V[j - b, i] = 1.0
            V[j - b + 1:, i] = c[j + 2:, j]
        T = np.zeros((nb, nb))
        for i, j in enumerate(js):
            T[i, i] = tau[j]
            if i:
                T[:i, i] = -tau[j] * (T[:i, :i] @ (V[:, :i].T @ V[:, i]))
        rows = slice(b + 1, n)
        Z[rows] -= V @ (T @ (V.T @ Z[rows]))
    return Z


def gram_eigenvalues(J: np.ndarray, state: JobState | None = None,
                     max_subspace: float = 0.25) -> np.ndarray | None:
    """All P eigenvalues of JᵀJ (not divided by N), ascending, SVD-accurate at the small end;
    None when more than max_subspace·P of them are small (e.g. many zero modes): then the
    refinement would cost more than an SVD."""
    state = state or null_state()
    G = state.run_interruptible(lambda: J.T @ J)
    # G is symmetric: its transpose is the Fortran-ordered array LAPACK overwrites in place
    c, tau, d, e = state.run_interruptible(lambda: tridiagonal(G.T))
    lam = eigvalsh_tridiagonal(d, e)
    top = max(lam[-1], 0.0)
    k = int(np.count_nonzero(lam < SUBSPACE * top))
    m = int(np.count_nonzero(lam < REFINE * top))
    if m == 0:
        return lam
    if k > max_subspace * lam.size:
        return None
    _, Zt = eigh_tridiagonal(d, e, select="i", select_range=(0, k - 1))
    X = apply_q(c, tau, Zt)
    state.check()
    ritz = state.run_interruptible(lambda: np.linalg.svd(J @ X, compute_uv=False))
    lam[:m] = np.sort(ritz ** 2)[:m]
    return np.sort(lam)
