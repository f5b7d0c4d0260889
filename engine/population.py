"""The population Hessian H_pop = E_x[j(x) j(x)ᵀ] (N → ∞) by 2-D Gauss–Hermite and Stein's lemma.

Every block of H_pop is an expectation over x ~ N(0, I); Stein's lemma (docs/methods.md §2) turns the
x and x xᵀ factors into derivatives of g, so only the two pre-activations (u_j, u_l), a 2-D
Gaussian with covariance [[C_jj, C_jl], [C_jl, C_ll]], C = W1 W1ᵀ, need integrating.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaincinv, roots_hermitenorm

from .activations import GAUSS_HERMITE, NO_QUADRATURE, Activation
from .errors import InputError
from .gaussian import pair_expectations_closed
from .jobs import JobState, null_state
from .model import Teacher

# Bound the (neurons × Q × Q) work arrays to keep memory flat for tanh's Q = 256 (also the
# landscape's quadrature, and the memory estimates of both).
MAX_CHUNK_ELEMENTS = 4_000_000
MAX_NODES = 2001   # the default rule's limit (σ1 ≈ 10× default): beyond, a run takes minutes
TRAPEZOID_HALF_WIDTH = 9.0
TRAPEZOID_SPACING = 0.2
EPS = np.finfo(np.float64).eps


def hermite_rule(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[f(z)], z ~ N(0, 1): exact for polynomials of degree < 2q."""
    z, w = roots_hermitenorm(q)     # robust for large q, where numpy's hermegauss overflows
    return z, w / math.sqrt(2.0 * math.pi)


def trapezoid_rule(q: int) -> tuple[np.ndarray, np.ndarray]:
    """q equally spaced nodes on [−Z, Z] with Gaussian weights, for E[f(z)], z ~ N(0, 1).

    For f analytic in a strip |Im z| < d the error falls like e^{−2πd/h} (h the spacing): no
    polynomial assumption, so it suits erf and tanh, whose steep saturation (and tanh's poles at
    ±iπ/2, docs/methods.md §2) make Gauss–Hermite need hundreds of nodes — measured 40–100× slower for
    the same 1e-14 accuracy. The tail beyond Z = 9 weighs e^{−40}.
    """
    z = np.linspace(-TRAPEZOID_HALF_WIDTH, TRAPEZOID_HALF_WIDTH, q)
    h = 2.0 * TRAPEZOID_HALF_WIDTH / (q - 1)     # not z[1] − z[0]: its rounding (~ε·Z) would
                                                 # scale every weight by up to 1 + 1e-13
    return z, h * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def quadrature_rule(teacher: Teacher, act: Activation, nodes: int | None = None):
    """The 1-D rule (nodes, weights) for this teacher, and its node count.

    The activation's registry entry names the rule. Polynomials: Gauss–Hermite with degree + 2
    nodes, exact. Smooth g (erf, tanh, softplus, sigmoid, gelu): the trapezoidal rule with
    spacing h = 0.2/√max(1, C_jj): in z the integrand g(√C_jj z) has its singularities (or
    steepest rise) at distance ∝ 1/√C_jj, so the spacing shrinks with the widest neuron
    (measured 3e-14 relative, tests/test_hessian.py). g with kinks (relu): refused.
    """
    require_quadrature(act)
    if act.quadrature == GAUSS_HERMITE:
        q = nodes or act.quadrature_nodes
        return hermite_rule(q) + (q,)
    if nodes is None:
        widest = float(np.max(np.einsum("jk,jk->j", teacher.W1, teacher.W1)))
        nodes = trapezoid_nodes(widest)
        if nodes > MAX_NODES:
            raise InputError(too_wide(widest, nodes))
    if nodes < 3:                 # no spacing to speak of: the 1- or 2-point Gaussian rule
        return hermite_rule(nodes) + (nodes,)
    return trapezoid_rule(nodes) + (nodes,)


def require_quadrature(act: Activation) -> None:
    """Refuse quadrature for an activation no node rule integrates (relu: g″ = δ, g‴ = δ′ at
    its kink), in one line that names the way out."""
    if act.quadrature is NO_QUADRATURE:
        raise InputError(f"--nodes: {act.name} has a kink where g″ and g‴ are Dirac deltas, "
                         f"which no quadrature rule integrates; its population Hessian is exact "
                         f"in closed form, so drop --nodes")


def trapezoid_nodes(widest: float) -> int:
    """Nodes of the trapezoidal rule for a widest neuron |w_j|² (see quadrature_rule); more
    than MAX_NODES means the default rule would be too coarse (or too slow) for this teacher."""
    if not math.isfinite(widest) or widest > 1e100:
        return 10 ** 60
    h = TRAPEZOID_SPACING / math.sqrt(max(1.0, widest))
    return 2 * math.ceil(TRAPEZOID_HALF_WIDTH / h) + 1


def too_wide(widest: float, nodes: int) -> str:
    """Why the default rule refuses a teacher, and the ways out."""
    need = f"{nodes} nodes per dimension" if nodes < 10 ** 12 else "more nodes than float64 allows"
    return (f"the widest neuron has |w|² = {widest:.3g}: its steep g′ needs {need} (at most "
            f"{MAX_NODES} by default, beyond which runs take minutes); use a smaller --sigma1, "
            f"or insist with --nodes (see its cost with --dry-run)")


def likely_nodes(act: Activation, ni: int, nh: int, sigma1: float, nodes: int | None = None,
                 teacher: Teacher | None = None) -> int:
    """The node count quadrature_rule will choose, without drawing the teacher: for random
    teachers the widest |w_j|² is taken at its 1 − 1/(100 Nh) quantile, σ1² χ²(Ni). 0 for an
    activation without a quadrature (its expectations are in closed form)."""
    if nodes is not None:
        require_quadrature(act)
        return nodes
    if act.quadrature is NO_QUADRATURE:
        return 0
    if act.quadrature == GAUSS_HERMITE:
        return act.quadrature_nodes
    if teacher is not None:
        return quadrature_rule(teacher, act)[2]
    return min(MAX_NODES, trapezoid_nodes(
        2.0 * sigma1 * sigma1 * float(gammaincinv(0.5 * ni, 1.0 - 0.01 / nh))))


def check_default_rule(act: Activation, ni: int, nh: int, sigma1: float,
                       teacher: Teacher | None = None) -> None:
    """Refuse before any work a problem whose teachers the default rule cannot resolve (their
    widest |w_j|² at its median over random teachers, or the given teacher's)."""
    if act.expectations is not None:    # closed form: no quadrature, nothing to resolve
        return
    if teacher is not None:
        widest = float(np.max(np.einsum("jk,jk->j", teacher.W1, teacher.W1)))
    else:
        widest = 2.0 * sigma1 * sigma1 * float(gammaincinv(0.5 * ni, 0.5 ** (1.0 / nh)))
    nodes = trapezoid_nodes(widest)
    if nodes > MAX_NODES:
        raise InputError(too_wide(widest, nodes))


def pair_expectations(teacher: Teacher, act: Activation, nodes: int | None = None,
                      state: JobState | None = None) -> dict[str, np.ndarray]:
    """Nh×Nh matrices E[g^(a)(u_j) g^(b)(u_l)] for the (a, b) pairs the Hessian blocks need.

    Keys 'ab': '00', '11', '20', '22', '13', '31' (digits are derivative orders at u_j, u_l).
    """
    state = state or null_state()
    z, w, q = quadrature_rule(teacher, act, nodes)
    W1 = teacher.W1
    nh = W1.shape[0]
    C = W1 @ W1.T
    out = {k: np.empty((nh, nh)) for k in ("00", "11", "20", "22", "13", "31")}
    chunk = max(1, MAX_CHUNK_ELEMENTS // (q * q))
    for j in range(nh):
        state.report(j / nh, f"quadrature, neuron {j + 1}/{nh}")
        # Factor the pair covariance as u_j = a z1, u_l = b z1 + c z2 (works when singular, l = j).
        a = math.sqrt(max(C[j, j], 0.0))
        b = C[j] / a if a > 0 else np.zeros(nh)
        c = np.sqrt(np.maximum(np.diag(C) - b * b, 0.0))
        wa = [w * d for d in act.all_derivatives(a * z)]           # weighted g^(k)(u_j), (Q,)
        for lo in range(0, nh, chunk):
            sl = slice(lo, min(nh, lo + chunk))
            u = b[sl, None, None] * z[None, :, None] + c[sl, None, None] * z[None, None, :]
            # Integrate out z2 first: B[k][l, p] = Σ_q w_q g^(k)(u_l(p, q)).
            B = [d @ w for d in act.all_derivatives(u)]
            for key in out:
                out[key][j, sl] = B[int(key[1])] @ wa[int(key[0])]
    state.report(1.0, "quadrature done")
    return out


def expectations(teacher: Teacher, act: Activation, nodes: int | None = None,
                 state: JobState | None = None) -> dict[str, np.ndarray]:
    """The pair expectations the Hessian needs: in closed form where the registry has one
    (engine.gaussian) unless `nodes` asks for quadrature, else by quadrature."""
    if nodes is None:
        closed = pair_expectations_closed(teacher.W1 @ teacher.W1.T, act)
        if closed is not None:
            return closed
    return pair_expectations(teacher, act, nodes, state)


def uses_quadrature(act: Activation, nodes: int | None) -> bool:
    """Whether `expectations` will integrate (no closed form, or --nodes given) rather than use
    a closed form."""
    return nodes is not None or act.expectations is None


def hessian_from_expectations(E: dict[str, np.ndarray], W: np.ndarray, W2: np.ndarray) -> np.ndarray:
    """H_pop (P×P) from the pair expectations, for first-layer rows W (Nh×d): W1 row by row,
    then W2 (docs/methods.md §1)."""
    nh, ni = W.shape
    p1 = nh * ni
    H = np.empty((p1 + nh, p1 + nh))

    # W1–W1: W2_j W2_l E[x xᵀ g'(u_j) g'(u_l)]
    #   = W2_j W2_l (E11 I + E31 w_j w_jᵀ + E22 (w_j w_lᵀ + w_l w_jᵀ) + E13 w_l w_lᵀ).
    B11 = np.einsum("jl,km->jklm", E["11"], np.eye(ni))
    B11 += np.einsum("jl,jk,jm->jklm", E["31"], W, W)
    B11 += np.einsum("jl,jk,lm->jklm", E["22"], W, W)
    B11 += np.einsum("jl,lk,jm->jklm", E["22"], W, W)
    B11 += np.einsum("jl,lk,lm->jklm", E["13"], W, W)
    B11 *= np.multiply.outer(W2, W2)[:, None, :, None]
    H[:p1, :p1] = B11.reshape(p1, p1)

    # W1_j–W2_l: E[W2_j g'(u_j) x g(u_l)] = W2_j (E20 w_j + E11 w_l).
    B12 = (np.einsum("jl,jk->jkl", E["20"], W) + np.einsum("jl,lk->jkl", E["11"], W))
    B12 *= W2[:, None, None]
    H[:p1, p1:] = B12.reshape(p1, nh)
    H[p1:, :p1] = H[:p1, p1:].T

    # W2–W2: E[g(u_j) g(u_l)].
    H[p1:, p1:] = E["00"]
    return 0.5 * (H + H.T)   # quadrature leaves asymmetry at rounding level


def population_hessian(teacher: Teacher, act: Activation, nodes: int | None = None,
                       state: JobState | None = None) -> np.ndarray:
    """H_pop (P×P) in the parameter order of docs/methods.md §1: W1 row by row, then W2."""
    return hessian_from_expectations(expectations(teacher, act, nodes, state), teacher.W1, teacher.W2)


# ----------------------------------------------------------------------------- the reduction

def row_basis(W1: np.ndarray) -> np.ndarray:
    """An orthonormal basis (Ni×r) of W1's row space, r its numerical rank (numpy's
    matrix_rank rule): economy SVD, Nh²·Ni work."""
    if W1.size == 0:
        return np.zeros((W1.shape[1], 0))
    _, s, vt = np.linalg.svd(W1, full_matrices=False)
    r = int(np.count_nonzero(s > s[0] * max(W1.shape) * EPS)) if s.size and s[0] > 0 else 0
    return vt[:r].T.copy()


def complement_basis(V: np.ndarray) -> np.ndarray:
    """An orthonormal basis (Ni×(Ni−r)) of the orthogonal complement of V's columns."""
    ni, r = V.shape
    if r == 0:
        return np.eye(ni)
    Q, _ = np.linalg.qr(V, mode="complete")
    return Q[:, r:]


@dataclass(frozen=True)
class ReducedHessian:
    """H_pop as two invariant pieces (docs/methods.md §2, "The invariant-subspace reduction").

    For every u orthogonal to W1's rows, the Nh vectors e_j ⊗ u (W1 coordinates only) span an
    invariant subspace on which H_pop acts as the Nh×Nh matrix `A` = (W2 W2ᵀ) ∘ E[g′(u_j) g′(u_l)]:
    every other Stein term carries a factor w·u = 0. That gives A's eigenvalues, each Ni − r
    times. The rest, span{e_j ⊗ v : v in the row space} ⊕ W2, is H_pop of the same network
    written in the row space's basis `basis` (Ni×r): `core`, (Nh·r + Nh)².
    """
    core: np.ndarray
    A: np.ndarray
    basis: np.ndarray
    ni: int

    @property
    def nh(self) -> int:
        return self.A.shape[0]

    @property
    def rank_w1(self) -> int:
        return self.basis.shape[1]

    @property
    def multiplicity(self) -> int:
        """How often each eigenvalue of A occurs: Ni − r."""
        return self.ni - self.rank_w1

    def eigenvalues(self, state: JobState | None = None) -> np.ndarray:
        """All P eigenvalues, ascending."""
        state = state or null_state()
        core = state.run_interruptible(lambda: np.linalg.eigvalsh(self.core))
        return np.sort(np.concatenate([core, np.repeat(np.linalg.eigvalsh(self.A), self.multiplicity)]))

    def eigenpairs(self, state: JobState | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All P eigenvalues ascending and their eigenvectors as dense P×P columns (P² memory):
        the core's mapped back from the row-space basis, A's as a ⊗ u over a basis of the
        complement."""
        state = state or null_state()
        nh, r, ni = self.nh, self.rank_w1, self.ni
        ec, yc = state.run_interruptible(lambda: np.linalg.eigh(self.core))
        ea, ya = np.linalg.eigh(self.A)
        w1 = np.einsum("jrk,ir->jik", yc[: nh * r].reshape(nh, r, -1), self.basis).reshape(nh * ni, -1)
        core = np.vstack([w1, yc[nh * r:]])
        U = complement_basis(self.basis)                               # ni × (ni − r)
        flat = np.einsum("ja,im->jiam", ya, U).reshape(nh * ni, nh * U.shape[1])
        free = np.vstack([flat, np.zeros((nh, flat.shape[1]))])
        values = np.concatenate([ec, np.repeat(ea, U.shape[1])])
        vectors = np.hstack([core, free])
        order = np.argsort(values, kind="stable")
        return values[order], vectors[:, order]


def reduced_population_hessian(teacher: Teacher, act: Activation, nodes: int | None = None,
                               state: JobState | None = None) -> ReducedHessian:
    """H_pop reduced to W1's row space (ReducedHessian): Nh·r + Nh instead of P = Nh·Ni + Nh
    rows, so Ni = 20 000, Nh = 10 is a 110×110 matrix and a 10×10 one."""
    E = expectations(teacher, act, nodes, state)
    V = row_basis(teacher.W1)
    core = hessian_from_expectations(E, teacher.W1 @ V, teacher.W2)
    A = np.multiply.outer(teacher.W2, teacher.W2) * E["11"]
    return ReducedHessian(core, 0.5 * (A + A.T), V, teacher.ni)
