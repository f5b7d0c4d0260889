"""Eigenvalues (and optionally eigenvectors) of the Hessian at the optimum, and its rank.

At θ = θ* the Hessian is exactly the Gauss–Newton matrix H = JᵀJ/N (docs/methods.md §2), so its
eigenvalues are the squared singular values of J over N. They are taken from an SVD, or — for
large, nearly full-rank J — from JᵀJ with its small eigenvalues recomputed on J itself
(engine.gram), never from eigh(JᵀJ) alone: forming JᵀJ squares the condition number and the
small eigenvalues — the slow modes, the rank — are the ones that matter. The population
Hessian is never formed either: its two invariant pieces are (engine.population).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import Activation
from .errors import InputError
from .jobs import JobState, null_state
from .model import Teacher, jacobian
from .rank import rank_upper_bound
from .threads import blas_threads
from .gram import gram_eigenvalues
from .population import quadrature_rule, reduced_population_hessian, uses_quadrature

EPS = np.finfo(np.float64).eps
GRAM_MIN_P = 1000      # from here on (N ≥ P) the refined Gram route beats an SVD (benchmarks/)


@dataclass(frozen=True)
class Spectrum:
    """All P eigenvalues of H ascending (zeros included), with the numerical rank.

    `singular_values` are those of J (sample mode, descending, length P, zero-padded) or √λ
    (population mode), so the rank view can draw them with the tolerance on one scale.
    """
    eigenvalues: np.ndarray
    rank: int
    rank_tolerance: float          # in eigenvalue units: λ > rank_tolerance counts toward the rank
    singular_values: np.ndarray
    singular_tolerance: float      # the same threshold on the singular-value scale
    w2_norm_sq: float
    mode: str                      # "sample" or "population"
    n_samples: int | None
    eigenvectors: np.ndarray | None = field(default=None, repr=False)   # columns match eigenvalues
    quadrature_nodes: int | None = None   # population mode: quadrature nodes per dimension, or
                                          # None where the expectations are in closed form

    def rank_at(self, tolerance: float) -> int:
        """Rank for another tolerance in eigenvalue units (the GUI's draggable line)."""
        return int(np.count_nonzero(self.eigenvalues > tolerance))

    def eigen_tolerance(self, singular_tolerance: float) -> float:
        """A tolerance on the singular-value scale in eigenvalue units: σ²/N (sample mode, σ a
        singular value of J) or σ² (population mode, σ = √λ)."""
        return singular_tolerance ** 2 / (self.n_samples if self.mode == "sample" else 1)


def _sample_from_singular_values(sv: np.ndarray, p: int, n: int, rtol: float | None,
                                 w2_norm_sq: float, vt: np.ndarray | None) -> Spectrum:
    sv_full = np.zeros(p)
    sv_full[: sv.size] = np.sort(sv)[::-1]
    rtol = max(n, p) * EPS if rtol is None else rtol
    tol_sv = rtol * sv_full[0]
    eig = sv_full[::-1] ** 2 / n
    vectors = None if vt is None else vt[::-1].T.copy()
    return Spectrum(eig, int(np.count_nonzero(sv_full > tol_sv)), tol_sv ** 2 / n, sv_full,
                    tol_sv, w2_norm_sq, "sample", n, vectors)


def linear_singular_values(teacher: Teacher, X: np.ndarray) -> np.ndarray:
    """Nonzero singular values of J for g(z) = z without forming J (P×N) — the fast path.

    J = X Aᵀ with AᵀA = M = ‖W2‖² I + W1ᵀW1 (Ni×Ni), so J's singular values are those of X Rᵀ,
    M = RᵀR (Cholesky): cost N·Ni² instead of N·P·min(N, P).
    """
    W1, W2 = teacher.W1, teacher.W2
    M = W1.T @ W1
    M[np.diag_indices_from(M)] += W2 @ W2
    try:
        L = np.linalg.cholesky(require_finite(M))   # M = L Lᵀ, so J's singular values are X L's
    except np.linalg.LinAlgError:
        # M singular (W2 = 0 and rank W1 < Ni): any square root serves, M = (V√μ)(V√μ)ᵀ
        # (eigenvalues at rounding level are zero: their square roots would pass as rank)
        mu, V = np.linalg.eigh(M)
        mu[mu <= mu.size * EPS * max(mu[-1], 0.0)] = 0.0
        L = V * np.sqrt(mu)
    return np.linalg.svd(X @ L, compute_uv=False)


def _right_singular_vectors(J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Singular values and all P right singular vectors of J (rows of Vᵀ), null space included.

    Through a QR first, so the N×P left factor U — never needed — is never computed: for
    N ≫ P that is most of the work of a plain SVD with vectors.
    """
    n, p = J.shape
    if n >= p:
        _, sv, vt = np.linalg.svd(np.linalg.qr(J, mode="r"))
        return sv, vt
    # Jᵀ = Q R: J = R_nᵀ Q_nᵀ with R_n = U_r Σ V_rᵀ, so J's right singular vectors are Q_n U_r,
    # and the rest of Q spans J's null space (the dynamics need a full basis).
    Q, R = np.linalg.qr(J.T, mode="complete")
    ur, sv, _ = np.linalg.svd(R[:n])
    return sv, np.vstack([(Q[:, :n] @ ur).T, Q[:, n:].T])


NOT_FINITE = ("the Hessian is not finite in float64 (g or its derivatives overflow at these "
              "weights); use smaller coefficients, weights or --sigma1")


def require_finite(a: np.ndarray) -> np.ndarray:
    """LAPACK fails on (or returns garbage for) inf and NaN: say why before calling it."""
    if not np.all(np.isfinite(a)):
        raise InputError(NOT_FINITE)
    return a


def sample_spectrum(teacher: Teacher, act: Activation, X: np.ndarray, rtol: float | None = None,
                    vectors: bool = False, state: JobState | None = None) -> Spectrum:
    """Spectrum of H = JᵀJ/N from N inputs X (N×Ni), with BLAS threads for its size."""
    n, p = X.shape[0], teacher.n_params
    flops = n * teacher.ni ** 2 if act.is_linear and not vectors else n * p * min(n, p)
    with blas_threads(flops):
        return _sample_spectrum(teacher, act, X, rtol, vectors, state)


def _sample_spectrum(teacher, act, X, rtol, vectors, state) -> Spectrum:
    state = state or null_state()
    n, p = X.shape[0], teacher.n_params
    if act.is_linear and not vectors:
        sv = state.run_interruptible(lambda: linear_singular_values(teacher, X))
        return _sample_from_singular_values(sv, p, n, rtol, teacher.w2_norm_sq, None)
    J = require_finite(jacobian(teacher, act, X))
    state.check()
    if vectors:
        sv, vt = state.run_interruptible(lambda: _right_singular_vectors(J))
        return _sample_from_singular_values(sv, p, n, rtol, teacher.w2_norm_sq, vt)
    # numpy's linalg releases the GIL for the factorisation (scipy's f2py wrappers hold it
    # throughout), which is what lets run_interruptible return on cancel mid-call. It still
    # holds it for stretches of ~0.1 s on tall matrices (copies): the GUI therefore runs the
    # engine in a child process (gui/engine_process.py).
    sv = None
    if n >= p >= GRAM_MIN_P and p - rank_upper_bound(act, teacher.ni, teacher.nh, n) <= p // 4:
        # Large and (nearly) full rank: JᵀJ's eigenvalues, the small ones refined on J itself
        # (engine.gram) — 3–4× faster than an SVD at P ≈ 10⁴, as accurate.
        lam = gram_eigenvalues(J, state)
        if lam is not None:
            sv = np.sqrt(np.clip(lam[::-1], 0.0, None))
    if sv is None:
        if n < p:
            # Kernel trick: J = L Q with L (N×N) the Cholesky factor of the kernel J Jᵀ,
            # obtained by a QR of Jᵀ without forming J Jᵀ (which would square the condition).
            def values():
                return np.linalg.svd(np.linalg.qr(J.T, mode="r"), compute_uv=False)
        else:
            def values():
                return np.linalg.svd(J, compute_uv=False)
        sv = state.run_interruptible(values)
    return _sample_from_singular_values(sv, p, n, rtol, teacher.w2_norm_sq, None)


def population_spectrum(teacher: Teacher, act: Activation, rtol: float | None = None,
                        vectors: bool = False, nodes: int | None = None,
                        state: JobState | None = None) -> Spectrum:
    """Spectrum of the population Hessian (N → ∞): no sampling noise, no data."""
    r = min(teacher.ni, teacher.nh)
    with blas_threads(float(teacher.nh * r + teacher.nh) ** 3):
        return _population_spectrum(teacher, act, rtol, vectors, nodes, state)


def _population_spectrum(teacher, act, rtol, vectors, nodes, state) -> Spectrum:
    state = state or null_state()
    p = teacher.n_params
    vecs, q = None, None
    if act.is_linear and not vectors:
        # Nonzero eigenvalues are those of M = ‖W2‖² I + W1ᵀW1: ‖W2‖² + (singular values of W1)².
        s = teacher.w2_norm_sq
        mu = np.zeros(teacher.ni)
        sw = np.linalg.svd(require_finite(teacher.W1), compute_uv=False)
        mu[: sw.size] = sw ** 2
        eig = np.zeros(p)
        eig[p - teacher.ni:] = np.sort(s + mu)
    else:
        # Closed-form expectations where they exist, else quadrature (q: its nodes); then the
        # two invariant pieces (population.ReducedHessian): never the P×P matrix.
        q = quadrature_rule(teacher, act, nodes)[2] if uses_quadrature(act, nodes) else None
        red = reduced_population_hessian(teacher, act, q, state)
        require_finite(red.core), require_finite(red.A)
        if vectors:
            eig, vecs = red.eigenpairs(state)
        else:
            eig = red.eigenvalues(state)
    rtol = p * EPS if rtol is None else rtol
    tol = rtol * max(eig[-1], 0.0)
    sv = np.sqrt(np.clip(eig[::-1], 0.0, None))
    return Spectrum(eig, int(np.count_nonzero(eig > tol)), tol, sv, float(np.sqrt(tol)),
                    teacher.w2_norm_sq, "population", None, vecs, q)


def sample_hessian(teacher: Teacher, act: Activation, X: np.ndarray) -> np.ndarray:
    """Dense H = JᵀJ/N: for tests and small problems only (the spectrum never forms it)."""
    J = jacobian(teacher, act, X)
    return J.T @ J / X.shape[0]
