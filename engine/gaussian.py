"""Closed forms of the pair expectations E[g^(p)(u_j) g^(q)(u_l)] that the population Hessian needs.

(u_j, u_l) is the centred Gaussian pair of docs/methods.md §2, with covariance
[[a, c], [c, b]] = [[C_jj, C_jl], [C_jl, C_ll]], C = W1 W1ᵀ. Where a closed form exists it
replaces the 2-D quadrature of engine.population.pair_expectations: exact up to rounding, and
its cost is a few operations per pair instead of Q² per pair.

erf, g(z) = erf(z/√2). Write F(a, b, c) = E[f(u_j) h(u_l)]. The Gaussian density p obeys
∂p/∂c = ∂²p/∂u_j∂u_l and ∂p/∂a = ½ ∂²p/∂u_j²; integrating by parts,

    ∂F/∂c = E[f′(u_j) h′(u_l)],     ∂F/∂a = ½ E[f″(u_j) h(u_l)].

Start from the known E00 = (2/π) arcsin(ρ), ρ = c/√((1+a)(1+b)), and let
D = (1+a)(1+b) − c² (≥ 1 + a + b > 0 for any covariance). Since 1 − ρ² = D/((1+a)(1+b)):

    E11 = ∂E00/∂c   = (2/π) D^{−1/2}
    E22 = ∂E11/∂c   = (2/π) c D^{−3/2}
    E20 = 2 ∂E00/∂a = −(2/π) c / ((1+a) √D)
    E31 = 2 ∂E11/∂a = −(2/π) (1+b) D^{−3/2},   and E13 by symmetry with (1+a).

(E31 = ∂E20/∂c as well, which checks the pair.) The diagonal j = l is a = b = c, D = 1 + 2a.

Polynomials, g = Σ c_m z^m. Isserlis' (Wick's) theorem counts the pairings of m copies of u_j
and n of u_l with k cross pairs:

    E[u_j^m u_l^n] = Σ_k  C(m,k) C(n,k) k! · c^k · (m−k−1)!! a^{(m−k)/2} · (n−k−1)!! b^{(n−k)/2},

k ≡ m ≡ n (mod 2), 0 ≤ k ≤ min(m, n), (−1)!! = 1; zero when m + n is odd. With d^p the
coefficients of g^(p), E[g^(p)(u_j) g^(q)(u_l)] = Σ_{m,n} d^p_m d^q_n E[u_j^m u_l^n], which is
a polynomial Σ T[i, k, l] a^i c^k b^l; it is evaluated as a Horner sum in c of Nh×Nh matrices
Pᵀ T[:, k, :] P, P[i, j] = C_jj^i, so the work is O(degree · Nh²) with no loop over pairs.

tanh has no closed form here; the quadrature stays its route.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.polynomial import polynomial as npoly

from .activations import Activation

KEYS = ("00", "11", "20", "22", "13", "31")
_TWO_OVER_PI = 2.0 / math.pi


def has_closed_form(act: Activation) -> bool:
    """erf and every polynomial; not tanh."""
    return act.family == "erf" or act.coefficients is not None


def pair_expectations_closed(C: np.ndarray, act: Activation) -> dict[str, np.ndarray] | None:
    """The Nh×Nh matrices of engine.population.pair_expectations (keys '00', '11', '20', '22',
    '13', '31'; digits are derivative orders at u_j, u_l) from C = W1 W1ᵀ alone, or None when
    `act` has no closed form (tanh)."""
    C = np.asarray(C, dtype=np.float64)
    if not has_closed_form(act):
        return None
    return _erf(C) if act.family == "erf" else _polynomial(C, act.coefficients)


def _erf(C: np.ndarray) -> dict[str, np.ndarray]:
    d = np.diag(C).copy()
    p = 1.0 + d
    # D = 1 + a + b + (ab − c²): the Gram determinant ab − c² is exactly 0 on the diagonal
    # (and small for near-parallel neurons), so it is kept apart from the O(1 + a + b) part.
    D = np.add.outer(p, d)
    D += np.outer(d, d) - C * C
    s = 1.0 / np.sqrt(p)
    rho = np.clip(C * s[:, None] * s[None, :], -1.0, 1.0)   # |ρ| ≤ 1 up to rounding
    r1 = _TWO_OVER_PI / np.sqrt(D)                           # (2/π) D^{−1/2}
    r3 = r1 / D                                              # (2/π) D^{−3/2}
    return {
        "00": _TWO_OVER_PI * np.arcsin(rho),
        "11": r1,
        "20": -C * r1 / p[:, None],
        "22": C * r3,
        "13": -r3 * p[:, None],
        "31": -r3 * p[None, :],
    }


def _double_factorial(n: int) -> int:
    return math.prod(range(n, 0, -2))      # 1 for n = 0 and n = −1


@lru_cache(maxsize=None)
def _isserlis(degree: int) -> np.ndarray:
    """K[m, n, k]: the number of Wick pairings of u_j^m u_l^n with k cross pairs (the
    coefficient of c^k a^{(m−k)/2} b^{(n−k)/2}); read-only, shared between calls."""
    K = np.zeros((degree + 1,) * 3)
    for m in range(degree + 1):
        for n in range(m % 2, degree + 1, 2):
            for k in range(m % 2, min(m, n) + 1, 2):
                K[m, n, k] = (math.comb(m, k) * math.comb(n, k) * math.factorial(k)
                              * _double_factorial(m - k - 1) * _double_factorial(n - k - 1))
    K.flags.writeable = False
    return K


def _polynomial(C: np.ndarray, coefficients: tuple[float, ...]) -> dict[str, np.ndarray]:
    deg = len(coefficients) - 1
    K = _isserlis(deg)
    # Coefficients of g, g', g'', g''', each padded to length deg + 1.
    dcoef = [np.asarray(coefficients, dtype=np.float64)]
    for _ in range(3):
        dcoef.append(npoly.polyder(dcoef[-1]) if len(dcoef[-1]) > 1 else np.zeros(1))
    dcoef = [np.pad(c, (0, deg + 1 - len(c))) for c in dcoef]
    # Map (m, n, k) to (i, k, l) with m = 2i + k, n = 2l + k: one-to-one where K ≠ 0.
    m, n, k = np.nonzero(K)
    i, l = (m - k) // 2, (n - k) // 2
    half = deg // 2
    P = np.diag(C)[None, :] ** np.arange(half + 1)[:, None]   # P[i, j] = C_jj^i
    out = {}
    for key in KEYS:
        T = np.zeros((half + 1, deg + 1, half + 1))
        T[i, k, l] = dcoef[int(key[0])][m] * dcoef[int(key[1])][n] * K[m, n, k]
        E = np.zeros_like(C)
        for kk in range(deg, -1, -1):                      # Horner in c = C_jl
            E *= C
            if T[:, kk, :].any():
                E += P.T @ T[:, kk, :] @ P
        out[key] = E
    return out
