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

relu, g(z) = max(0, z), through the arc-cosine kernel of degree 1 (Cho & Saul): with
D = ab − c² and θ = arccos(c/√(ab)) the angle between the two neurons,

    E00 = (√D + (π−θ) c)/(2π),        E11 = (π−θ)/(2π),           E22 = 1/(2π√D),
    E20 = √D/(2πa),                   E31 = −c/(2πa√D),           E13 = −c/(2πb√D),

from the same two relations (g″ = δ and g‴ = δ′ are distributions, and these are their finite
pair expectations for non-parallel neurons). E00 is evaluated as c/2 + (√D − θc)/(2π): the
second term is O(θ³), so rounding in θ near θ = 0 (which is of order √ε) costs nothing.
Parallel neurons — the diagonal j = l above all — make E22, E31, E13 infinite, but only in a
combination that is finite: the population Hessian uses them as E31 w_j w_jᵀ + E22 (w_j w_lᵀ +
w_l w_jᵀ) + E13 w_l w_lᵀ, and for w_l = s·w_j that is the w_j w_jᵀ coefficient of
E[x xᵀ step(u_j) step(u_l)] − E11 I. For s > 0 (the diagonal) that expectation is
E[x xᵀ step(u)] = I/2 = E11 I (x → −x swaps step(u) and step(−u), whose sum is 1), so the
coefficient is 0; for s < 0 step(u_j) step(u_l) = 0 almost surely, and it is 0 again. Likewise
E[relu(u) step(u) x] = E[relu(u) x] = w/2 by Stein's lemma, = (E20 + E11) w, so E20 = 0 there,
which is also the limit of √D/(2πa). So at parallel pairs the closed form uses the effective
values E22 = E31 = E13 = 0, E20 = 0, and E00, E11 their continuous limits (a/2 and 1/2 on the
diagonal; 0 and 0 for antiparallel neurons); docs/methods.md §2 has the argument at length.
g′(0) is taken as 0 (a set of measure zero).

tanh, softplus, sigmoid and gelu have no closed form here; the quadrature is their route.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.polynomial import polynomial as npoly

if TYPE_CHECKING:                      # the registry imports this module, not the reverse
    from .activations import Activation

KEYS = ("00", "11", "20", "22", "13", "31")
_TWO_OVER_PI = 2.0 / math.pi
_EPS = np.finfo(np.float64).eps
# A pair whose Gram determinant D = ab − c² is at most this multiple of ε·ab is parallel up to
# rounding (sin² of the angle between the neurons below ~1e-14): relu's effective values apply.
PARALLEL_RTOL = 16.0


def pair_expectations_closed(C: np.ndarray, act: "Activation") -> dict[str, np.ndarray] | None:
    """The Nh×Nh matrices of engine.population.pair_expectations (keys '00', '11', '20', '22',
    '13', '31'; digits are derivative orders at u_j, u_l) from C = W1 W1ᵀ alone, or None when
    `act` has no closed form (its registry entry says which)."""
    if act.expectations is None:
        return None
    return act.expectations(np.asarray(C, dtype=np.float64))


def erf_expectations(C: np.ndarray) -> dict[str, np.ndarray]:
    """The six pair expectations of g(z) = erf(z/√2) (module docstring)."""
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


def polynomial_expectations(C: np.ndarray, coefficients: tuple[float, ...]) -> dict[str, np.ndarray]:
    """The six pair expectations of g = Σ c_m z^m by Isserlis' theorem (module docstring)."""
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


def erf_pair(C_uv, C_uu, C_vv):
    """E[g(u) g(v)] for g = erf(z/√2) and a centred Gaussian pair (arrays broadcast):
    (2/π)·arcsin(C_uv / √((1 + C_uu)(1 + C_vv))), the argument clipped to [−1, 1] against rounding."""
    rho = C_uv / np.sqrt((1.0 + C_uu) * (1.0 + C_vv))
    return _TWO_OVER_PI * np.arcsin(np.clip(rho, -1.0, 1.0))


def _relu_geometry(C_uv, C_uu, C_vv):
    """(√(ab), D, θ, parallel) for covariances [[a, c], [c, b]]: D = ab − c² clipped at 0 and
    set to 0 where the pair is parallel up to rounding, θ = atan2(√D, c) ∈ [0, π]."""
    ab = C_uu * C_vv
    D = ab - C_uv * C_uv
    parallel = D <= PARALLEL_RTOL * _EPS * ab
    D = np.where(parallel, 0.0, D)
    theta = np.arctan2(np.sqrt(D), C_uv)
    return np.sqrt(ab), D, theta, parallel


def relu_pair(C_uv, C_uu, C_vv):
    """E[relu(u) relu(v)] for a centred Gaussian pair (arrays broadcast): the arc-cosine kernel
    (√D + (π−θ)c)/(2π), written c/2 + (√D − θc)/(2π) so that rounding in θ near 0 does not
    show. a/2 for identical neurons, 0 for antiparallel ones (and for a zero neuron)."""
    C_uv, C_uu, C_vv = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (C_uv, C_uu, C_vv)))
    _, D, theta, _ = _relu_geometry(C_uv, C_uu, C_vv)
    return 0.5 * C_uv + (np.sqrt(D) - theta * C_uv) / (2.0 * math.pi)


def relu_expectations(C: np.ndarray) -> dict[str, np.ndarray]:
    """The six pair expectations of relu (module docstring), with the effective values at
    parallel pairs (the diagonal j = l among them) that make the population Hessian exact."""
    d = np.diag(C).copy()
    a, b = d[:, None], d[None, :]
    root_ab, D, theta, parallel = _relu_geometry(C, a, b)
    np.fill_diagonal(parallel, True)     # the diagonal exactly, whatever C_jj·C_jj − C_jj² rounds to
    np.fill_diagonal(D, 0.0)
    np.fill_diagonal(theta, 0.0)
    two_pi = 2.0 * math.pi
    root_D = np.sqrt(D)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(parallel, 0.0, 1.0 / (two_pi * root_D))     # 1/(2π√D), 0 where parallel
        E20 = np.where(a > 0, root_D / (two_pi * a), 0.0)
        E31 = np.where(a > 0, -C * inv / a, 0.0)
        E13 = np.where(b > 0, -C * inv / b, 0.0)
    E00 = 0.5 * C + (root_D - theta * C) / two_pi
    E11 = np.where(root_ab > 0, (math.pi - theta) / two_pi, 0.0)   # a zero neuron: step(0) = 0
    return {"00": E00, "11": E11, "20": E20, "22": inv, "13": E13, "31": E31}
