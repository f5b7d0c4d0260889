"""The population Hessian H_pop = E_x[j(x) j(x)ᵀ] (N → ∞) by 2-D Gauss–Hermite and Stein's lemma.

Every block of H_pop is an expectation over x ~ N(0, I); Stein's lemma (science.md §2) turns the
x and x xᵀ factors into derivatives of g, so only the two pre-activations (u_j, u_l), a 2-D
Gaussian with covariance [[C_jj, C_jl], [C_jl, C_ll]], C = W1 W1ᵀ, need integrating.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import roots_hermitenorm

from .activations import Activation
from .jobs import JobState, null_state
from .model import Teacher

# Bound the (neurons × Q × Q) work arrays to keep memory flat for tanh's Q = 256.
_MAX_CHUNK_ELEMENTS = 4_000_000
MAX_NODES = 2048   # beyond this (very wide σ1) a run would take minutes; accuracy then degrades


def hermite_rule(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[f(z)], z ~ N(0, 1): exact for polynomials of degree < 2q."""
    z, w = roots_hermitenorm(q)     # robust for large q, where numpy's hermegauss overflows
    return z, w / math.sqrt(2.0 * math.pi)


def default_nodes(teacher: Teacher, act: Activation) -> int:
    """Nodes per dimension for ~1e-13 accuracy at this teacher.

    Polynomials: exact at degree + 2. erf and tanh: the integrands g^(k)(√C_jj z) sharpen as
    the pre-activation variance C_jj grows (tanh's poles at ±iπ/2 move to ±iπ/(2√C_jj) in z),
    and Gauss–Hermite needs about Q ∝ C_jj nodes (measured: tests/test_hessian.py).
    """
    if act.coefficients is not None:
        return act.quadrature_nodes
    widest = float(np.max(np.einsum("jk,jk->j", teacher.W1, teacher.W1)))
    return int(min(MAX_NODES, 8 * math.ceil(act.quadrature_nodes * max(1.0, widest) / 8)))


def pair_expectations(teacher: Teacher, act: Activation, nodes: int | None = None,
                      state: JobState | None = None) -> dict[str, np.ndarray]:
    """Nh×Nh matrices E[g^(a)(u_j) g^(b)(u_l)] for the (a, b) pairs the Hessian blocks need.

    Keys 'ab': '00', '11', '20', '22', '13', '31' (digits are derivative orders at u_j, u_l).
    """
    state = state or null_state()
    q = nodes or default_nodes(teacher, act)
    z, w = hermite_rule(q)
    W1 = teacher.W1
    nh = W1.shape[0]
    C = W1 @ W1.T
    out = {k: np.empty((nh, nh)) for k in ("00", "11", "20", "22", "13", "31")}
    chunk = max(1, _MAX_CHUNK_ELEMENTS // (q * q))
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


def population_hessian(teacher: Teacher, act: Activation, nodes: int | None = None,
                       state: JobState | None = None) -> np.ndarray:
    """H_pop (P×P) in the parameter order of science.md §1: W1 row by row, then W2."""
    E = pair_expectations(teacher, act, nodes, state)
    W, W2 = teacher.W1, teacher.W2
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
