"""The anatomy of a Hessian eigenvector, the symmetries behind the zero modes, and the NTK
(docs/methods.md §9).

For the GUI's "Modes view" and "Hessian structure" view: what a mode is made of (its W1 and W2
parts, how many parameters and which neurons carry it), which zero modes are symmetries of the
network, and the empirical neural tangent kernel, whose nonzero eigenvalues are H's.

Parameter order as everywhere (docs/methods.md §1): W1 row by row (neuron j's input weights
are entries j·Ni … j·Ni + Ni − 1), then W2.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from .activations import Activation
from .errors import InputError
from .model import Teacher, jacobian
from .spectrum import EPS, require_finite

# The symmetry map's derivative dT/dθ has Σ_k C(Ni+k−1, k) rows (one per distinct entry of
# each symmetric tensor T_k) and P columns: at most this many float64 (400 MB).
MAX_SYMMETRY_ELEMENTS = 50_000_000
# The kernel K is N×N: 8000² float64 is 512 MB (plus J, N×P).
MAX_NTK_SAMPLES = 8000


# ----------------------------------------------------------------------------- one vector

def _check_length(v: np.ndarray, ni: int, nh: int) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    p = nh * ni + nh
    if v.ndim != 1 or v.size != p:
        raise ValueError(f"a parameter vector for Ni={ni}, Nh={nh} has {p} entries; got shape {v.shape}")
    return v


def split(v: np.ndarray, ni: int, nh: int) -> tuple[np.ndarray, np.ndarray]:
    """(w1 (Nh×Ni), w2 (Nh,)): the W1 part of a parameter vector with neurons as rows, and
    its W2 part (copies, so a caller may keep them)."""
    v = _check_length(v, ni, nh)
    p1 = nh * ni
    return v[:p1].reshape(nh, ni).copy(), v[p1:].copy()


def flatten(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """The inverse of split: W1 row by row, then W2."""
    w1 = np.asarray(w1, dtype=float)
    w2 = np.asarray(w2, dtype=float)
    if w1.ndim != 2 or w2.shape != (w1.shape[0],):
        raise ValueError(f"w1 must be Nh×Ni and w2 of length Nh; got {w1.shape} and {w2.shape}")
    return np.concatenate([w1.ravel(), w2])


def participation_ratio(v: np.ndarray) -> float:
    """(Σ v²)² / Σ v⁴: the effective number of parameters a vector is spread over, 1 for a
    single parameter and P for all equal in magnitude. Scaled by max |v| first so that the
    fourth powers neither overflow nor underflow."""
    v = np.asarray(v, dtype=float).ravel()
    top = float(np.max(np.abs(v))) if v.size else 0.0
    if not top > 0.0 or not math.isfinite(top):
        raise ValueError("the participation ratio needs a nonzero, finite vector")
    u2 = np.square(v / top)
    return float(u2.sum() ** 2 / np.square(u2).sum())


def neuron_shares(v: np.ndarray, ni: int, nh: int) -> np.ndarray:
    """(Nh,) share of |v|² carried by each neuron j — its W1 row and its W2_j — summing to 1.

    A neuron is the natural unit of a two-layer network: the per-neuron rescaling symmetries
    live on one neuron each, and permuting neurons permutes these shares."""
    w1, w2 = split(v, ni, nh)
    per = np.einsum("ji,ji->j", w1, w1) + w2 * w2
    total = float(per.sum())
    if not total > 0.0 or not math.isfinite(total):
        raise ValueError("neuron shares need a nonzero, finite vector")
    return per / total


@dataclass(frozen=True, eq=False)
class ModeSummary:
    """What eigenvector k of H is made of.

    index         k, its position among the P eigenvalues in ascending order (0-based)
    n_params      P
    eigenvalue    λ_k
    is_zero       λ_k ≤ rank_tolerance: a zero mode (the loss does not change along it, §5)
    participation participation ratio of the eigenvector, between 1 and P
    shares        (Nh,) neuron shares of |v|², summing to 1
    w1, w2        the eigenvector split into its W1 part (Nh×Ni) and its W2 part (Nh,), with
                  the sign fixed so that its largest-magnitude entry is positive (an
                  eigenvector's sign is arbitrary; this keeps the display from flipping)
    """
    index: int
    n_params: int
    eigenvalue: float
    is_zero: bool
    participation: float
    shares: np.ndarray = field(repr=False)
    w1: np.ndarray = field(repr=False)
    w2: np.ndarray = field(repr=False)

    @property
    def position(self) -> str:
        """'k+1 of P', for display (1-based, ascending λ)."""
        return f"{self.index + 1} of {self.n_params}"

    @property
    def vector(self) -> np.ndarray:
        return flatten(self.w1, self.w2)


def describe_mode(eigenvalues: np.ndarray, eigenvectors: np.ndarray, k: int, ni: int, nh: int,
                  rank_tolerance: float) -> ModeSummary:
    """Summary of mode k of a spectrum (eigenvalues with eigenvectors as matching columns, as in
    Spectrum with vectors=True). Within a degenerate eigenvalue — the zero modes above all —
    the eigenvector is one arbitrary member of its eigenspace, and so is its anatomy."""
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    eigenvectors = np.asarray(eigenvectors, dtype=float)
    p = nh * ni + nh
    if eigenvectors.ndim != 2 or eigenvectors.shape[0] != p or eigenvectors.shape[1] != eigenvalues.size:
        raise ValueError(f"eigenvectors must be P×m with P={p} and m={eigenvalues.size} columns; "
                         f"got {eigenvectors.shape}")
    k = int(k)
    if not 0 <= k < eigenvalues.size:
        raise ValueError(f"mode {k} does not exist: there are {eigenvalues.size}")
    v = eigenvectors[:, k].copy()
    if v[np.argmax(np.abs(v))] < 0:
        v = -v
    w1, w2 = split(v, ni, nh)
    lam = float(eigenvalues[k])
    return ModeSummary(k, p, lam, bool(lam <= rank_tolerance), participation_ratio(v),
                       neuron_shares(v, ni, nh), w1, w2)


def gallery(eigenvalues: np.ndarray, rank_tolerance: float, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(slow, fast) indices into `eigenvalues`: the m smallest above the tolerance, slowest
    first, and the m largest above it, fastest first. Zero modes are in neither (they do not
    move, §5); the two overlap when fewer than 2m eigenvalues are above the tolerance."""
    lam = np.asarray(eigenvalues, dtype=float)
    order = np.argsort(lam, kind="stable")
    nonzero = order[lam[order] > rank_tolerance]
    m = max(0, int(m))
    return nonzero[:m].copy(), nonzero[::-1][:m].copy()


def structure_blocks(ni: int, nh: int) -> dict:
    """Block boundaries of H (P×P) for the heatmap, as half-open index ranges [lo, hi).

    'n_params' P, 'p1' P1 = Nh·Ni (where W2 starts); 'blocks': 'W1-W1', 'W1-W2', 'W2-W2' each
    ((row lo, row hi), (col lo, col hi)) — H is symmetric, so W2-W1 is the transpose of W1-W2;
    'neuron_edges': the Nh + 1 boundaries 0, Ni, 2Ni, …, P1 between neurons inside the W1
    block (neuron j's rows are [j·Ni, (j+1)·Ni)); 'neuron_centres': the middle of each, for
    tick labels."""
    ni, nh = int(ni), int(nh)
    p1 = nh * ni
    p = p1 + nh
    edges = tuple(j * ni for j in range(nh + 1))
    return {
        "n_params": p,
        "p1": p1,
        "blocks": {"W1-W1": ((0, p1), (0, p1)), "W1-W2": ((0, p1), (p1, p)),
                   "W2-W2": ((p1, p), (p1, p))},
        "neuron_edges": edges,
        "neuron_centres": tuple(0.5 * (a + b) for a, b in zip(edges[:-1], edges[1:])),
    }


# ----------------------------------------------------------------------------- symmetries

def rescaling_directions(teacher: Teacher, k: int) -> np.ndarray:
    """(P×Nh) the tangents of the per-neuron rescalings of a network whose g is homogeneous of
    degree k (z^k; relu with k = 1, for c > 0), one column a neuron:
    w_j → c w_j, W2_j → c^{−k} W2_j leaves W2_j g(w_j·x) unchanged, tangent δw_j = w_j,
    δW2_j = −k W2_j, zero elsewhere; normalised (a neuron with w_j = 0 and W2_j = 0 has no
    rescaling, and its column stays zero). The columns have disjoint supports, so they are
    orthonormal."""
    nh, ni = teacher.nh, teacher.ni
    p1 = nh * ni
    D = np.zeros((p1 + nh, nh))
    for j in range(nh):
        D[j * ni:(j + 1) * ni, j] = teacher.W1[j]
        D[p1 + j, j] = -k * teacher.W2[j]
        norm = np.linalg.norm(D[:, j])
        if norm > 0:
            D[:, j] /= norm
    return D


def _tensor_rows(ni: int, k: int) -> int:
    return math.comb(ni + k - 1, k)


def tensor_map_jacobian(teacher: Teacher, act: Activation) -> np.ndarray:
    """d(T_k)_{k: c_k ≠ 0} / dθ with T_k = Σ_j W2_j w_j^{⊗k}: one row per distinct entry
    (i1 ≤ … ≤ ik) of each symmetric tensor, P columns; each degree's block scaled to unit
    Frobenius norm (any nonzero weights leave the null space unchanged, §9).

    Entry (i1…ik) of T_k is Σ_j W2_j Π_p w_j[i_p]: its derivative in W2_j is the product, in
    w_j[i] it is W2_j Σ_{p: i_p = i} Π_{q ≠ p} w_j[i_q] (products leaving one factor out, from
    prefix and suffix products, so that a zero weight does not divide)."""
    if act.coefficients is None:
        raise ValueError("only polynomial activations have a tensor map")
    W1, W2 = teacher.W1, teacher.W2
    nh, ni = W1.shape
    p1, p = nh * ni, nh * ni + nh
    degrees = [m for m, c in enumerate(act.coefficients) if c != 0.0]
    rows = sum(_tensor_rows(ni, m) for m in degrees)
    if rows * p > MAX_SYMMETRY_ELEMENTS:
        raise InputError(f"the symmetry directions of this network need a {rows}×{p} matrix "
                         f"(more than {MAX_SYMMETRY_ELEMENTS:.0e} numbers); use fewer inputs, "
                         f"neurons or a lower degree")
    blocks = []
    for m in degrees:
        r = _tensor_rows(ni, m)
        D = np.zeros((r, p))
        if m == 0:
            D[:, p1:] = 1.0                                   # T_0 = Σ_j W2_j
        else:
            idx = np.array(list(itertools.combinations_with_replacement(range(ni), m)), dtype=np.intp)
            F = W1[:, idx]                                    # (nh, r, m): w_j[i_p]
            ones = np.ones((nh, r, 1))
            before = np.cumprod(np.concatenate([ones, F[:, :, :-1]], axis=2), axis=2)
            after = np.cumprod(np.concatenate([ones, F[:, :, :0:-1]], axis=2), axis=2)[:, :, ::-1]
            leave_one_out = before * after                    # Π_{q≠p} w_j[i_q]
            D[:, p1:] = (F[:, :, 0] * leave_one_out[:, :, 0]).T
            D1 = np.zeros((r, ni, nh))
            rr = np.arange(r)
            for q in range(m):                                # (r, i_q) pairs are distinct per q
                D1[rr, idx[:, q], :] += (leave_one_out[:, :, q] * W2[:, None]).T
            D[:, :p1] = D1.transpose(0, 2, 1).reshape(r, p1)
        norm = np.linalg.norm(D)
        blocks.append(D / norm if norm > 0 else D)
    return require_finite(np.vstack(blocks))


def _null_space(D: np.ndarray) -> np.ndarray:
    """Orthonormal basis (P×s) of D's null space: right singular vectors with σ at most
    max(shape)·ε·σ_max (numpy's matrix_rank rule, the one used for H, §4)."""
    r, p = D.shape
    if r >= p:
        _, sv, vt = np.linalg.svd(np.linalg.qr(D, mode="r"))
    else:
        _, sv, vt = np.linalg.svd(D, full_matrices=True)
    tol = max(r, p) * EPS * (sv[0] if sv.size else 0.0)
    rank = int(np.count_nonzero(sv > tol))
    return vt[rank:].T.copy()


def symmetry_directions(teacher: Teacher, act: Activation) -> np.ndarray | None:
    """(P×s) orthonormal basis of the directions along which the network's function does not
    change to first order. Polynomials: the null space of θ ↦ (T_k)_{k: c_k ≠ 0}, in
    population mode exactly the null space of H (§9). Other positively homogeneous g (relu):
    the Nh per-neuron rescalings, which are all of H's null space at a generic teacher
    (measured, §4). None for every other g: no symmetry, a full-rank H."""
    if act.coefficients is not None:
        return _null_space(tensor_map_jacobian(teacher, act))
    if act.homogeneity is not None:
        D = rescaling_directions(teacher, act.homogeneity)
        return D[:, np.linalg.norm(D, axis=0) > 0]
    return None


def _orthonormal(V: np.ndarray) -> np.ndarray:
    V = np.asarray(V, dtype=float)
    if V.ndim != 2:
        raise ValueError(f"expected a P×r matrix of column vectors; got shape {V.shape}")
    if V.shape[1] == 0:
        return V
    u, s, _ = np.linalg.svd(V, full_matrices=False)
    return u[:, s > max(V.shape) * EPS * s[0]] if s[0] > 0 else u[:, :0]


@dataclass(frozen=True)
class SymmetryCheck:
    """How the numerical null space of H compares with the symmetry directions.

    null_dim        zero modes of H (eigenvalues at or below the rank tolerance)
    symmetry_dim    dimension of the symmetry space (null space of dT/dθ)
    rescalings_dim  how many of those are per-neuron rescalings (z^k only; 0 otherwise)
    residual        sin of the largest angle between a zero mode and the symmetry space:
                    how far the null space of H lies outside it (0: every zero mode is a symmetry)
    missing         the converse: how far the symmetry space lies outside the null space of H
    """
    null_dim: int
    symmetry_dim: int
    rescalings_dim: int
    residual: float
    missing: float

    @property
    def agrees(self) -> bool:
        return self.null_dim == self.symmetry_dim

    def text(self) -> str:
        """One line for display, e.g. '12 zero modes = 12 symmetries (per-neuron rescalings:
        3); residual 3e-15, missing 2e-15'."""
        sign = "=" if self.agrees else "≠"
        return (f"{self.null_dim} zero modes {sign} {self.symmetry_dim} symmetries (per-neuron "
                f"rescalings: {self.rescalings_dim}); residual {self.residual:.0e}, "
                f"missing {self.missing:.0e}")


def _outside(V: np.ndarray, Q: np.ndarray) -> float:
    """‖(I − Q Qᵀ) V‖₂ for orthonormal V, Q: the largest distance from span Q of a unit vector
    of span V (at least the largest over V's columns, and independent of the basis chosen)."""
    if V.shape[1] == 0:
        return 0.0
    R = V - Q @ (Q.T @ V) if Q.shape[1] else V
    return float(np.linalg.norm(R, 2))


def symmetry_residual(null_vectors: np.ndarray, basis: np.ndarray,
                      rescalings_dim: int = 0) -> SymmetryCheck:
    """Compare a numerical null space of H (P×r, e.g. its eigenvectors below the rank
    tolerance) with a symmetry basis (P×s): `residual` measures the zero modes outside the
    symmetries, `missing` the symmetries outside the zero modes. Both inputs are
    orthonormalised first."""
    N = _orthonormal(null_vectors)
    Q = _orthonormal(basis)
    if N.shape[0] != Q.shape[0]:
        raise ValueError(f"null vectors ({N.shape[0]} rows) and basis ({Q.shape[0]} rows) differ in P")
    return SymmetryCheck(N.shape[1], Q.shape[1], int(rescalings_dim), _outside(N, Q), _outside(Q, N))


def check_symmetries(teacher: Teacher, act: Activation, eigenvalues: np.ndarray,
                     eigenvectors: np.ndarray, rank_tolerance: float) -> SymmetryCheck | None:
    """symmetry_residual for a spectrum with eigenvectors: its zero modes against this
    network's symmetry directions; None where g has none (erf, tanh, softplus, ...)."""
    basis = symmetry_directions(teacher, act)
    if basis is None:
        return None
    zero = np.asarray(eigenvalues) <= rank_tolerance
    k = act.homogeneity
    rescalings = 0
    if k is not None:
        rescalings = int(np.count_nonzero(np.linalg.norm(rescaling_directions(teacher, k), axis=0)))
    return symmetry_residual(np.asarray(eigenvectors)[:, zero], basis, rescalings)


# ----------------------------------------------------------------------------- the NTK

def ntk_eigenvalues(teacher: Teacher, act: Activation, X: np.ndarray) -> np.ndarray:
    """Ascending N eigenvalues of the empirical neural tangent kernel K = J Jᵀ / N (N×N).

    JᵀJ/N and J Jᵀ/N share their nonzero eigenvalues (both are σ_k²/N for the singular values
    σ_k of J), so these are H's nonzero eigenvalues padded with N − rank zeros, found here by
    eigvalsh of K itself: a route independent of the SVD the spectrum uses. Forming K squares
    J's condition number, so eigenvalues below ~N·ε·λ_max are rounding, not signal."""
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    if n > MAX_NTK_SAMPLES:
        raise InputError(f"the tangent kernel of {n} inputs is {n}×{n}; at most "
                         f"{MAX_NTK_SAMPLES} inputs are allowed (use fewer samples)")
    if n < 1:
        raise InputError("the tangent kernel needs at least one input")
    J = require_finite(jacobian(teacher, act, X))
    K = J @ J.T
    K /= n
    return np.linalg.eigvalsh(0.5 * (K + K.T))
