"""Predicted Hessian rank at a generic teacher: the effective number of parameters (docs/methods.md §4).

A network with g(z) = z^k computes the symmetric tensor Σ_j W2_j w_j^{⊗k}, a point of the
Nh-th secant variety of the Veronese variety; rank H is that variety's dimension
(Alexander–Hirschowitz), with the quadratic formula and four exceptions below. An activation
that is not a polynomial reaches no finite space of forms: its rank is P, less one per neuron
when g is positively homogeneous (relu: g(c z) = c g(z) for c > 0 makes each neuron's
rescaling w_j → c w_j, W2_j → W2_j/c a symmetry), Nh·Ni. What g is — polynomial coefficients,
degree of homogeneity — comes from its registry entry (engine.activations).
"""
from __future__ import annotations

from math import comb

from .activations import Activation

# (Ni, k, Nh) where the secant variety is defective: dimension one less than expected.
AH_EXCEPTIONS = frozenset({(3, 4, 5), (4, 4, 9), (5, 4, 14), (5, 3, 7)})


def monomial_rank(k: int, ni: int, nh: int) -> int:
    """Rank of H for g(z) = c·z^k at a generic teacher, with unlimited data."""
    if k == 1:
        return ni
    if k == 2:
        return nh * ni - nh * (nh - 1) // 2 if nh <= ni else ni * (ni + 1) // 2
    r = min(nh * ni, comb(ni + k - 1, k))
    return r - 1 if (ni, k, nh) in AH_EXCEPTIONS else r


def quadratic_rank(c0: float, c1: float, ni: int, nh: int) -> int:
    """Rank of H for g(z) = c0 + c1 z + c2 z² (c2 ≠ 0) at a generic teacher, unlimited data.

    With c1 ≠ 0, completing the square, g = c2 (z + c1/2c2)² − const, the network computes the
    quadratic form, the linear form and the constant of Σ_j W2_j c2 (w_j·x + b)²: the pure z²
    count Nh·Ni − Nh(Nh−1)/2 gains the Nh directions of W2 (each neuron's linear term is
    independent), Nh(Ni + 1) − Nh(Nh−1)/2 while Nh ≤ Ni; beyond, all quadratic and linear
    forms, Ni(Ni+3)/2, plus the constant when c0 ≠ 0. With c1 = 0 it is the z² rank, plus one
    for the constant c0 Σ W2 when c0 ≠ 0. (docs/methods.md §4; measured for Ni ≤ 6, Nh ≤ 9.)"""
    if c1 == 0.0:
        return monomial_rank(2, ni, nh) + (c0 != 0.0)
    if nh <= ni:
        return nh * (ni + 1) - nh * (nh - 1) // 2
    return ni * (ni + 3) // 2 + (c0 != 0.0)


def non_polynomial_rank(act: Activation, ni: int, nh: int) -> int:
    """Rank of H at a generic teacher for g not a polynomial, unlimited data: P, less the Nh
    per-neuron rescalings when g is positively homogeneous (measured: tests/test_relu.py)."""
    return nh * ni if act.homogeneity is not None else nh * ni + nh


def predicted_rank(act: Activation, ni: int, nh: int, samples: int | None = None) -> int | None:
    """The rank theory predicts, capped by the data (≤ N); None where it predicts only a bound."""
    k = act.monomial_power
    if k is not None:
        r = monomial_rank(k, ni, nh)
    elif act.coefficients is None:      # not a polynomial (erf, tanh, relu, ...)
        r = non_polynomial_rank(act, ni, nh)
    elif act.degree == 2:               # c0 + c1 z + c2 z²
        r = quadratic_rank(act.coefficients[0], act.coefficients[1], ni, nh)
    else:                               # other polynomials: only an upper bound is known
        return None
    return r if samples is None else min(r, samples)


def rank_upper_bound(act: Activation, ni: int, nh: int, samples: int | None = None) -> int:
    """min(P, N, dimension of the function space the network can reach)."""
    p = nh * ni + nh
    bound = p if samples is None else min(p, samples)
    if act.coefficients is None:
        bound = min(bound, non_polynomial_rank(act, ni, nh))
    else:
        k = act.monomial_power
        if k is not None:
            bound = min(bound, monomial_rank(k, ni, nh))
        else:
            space = sum(comb(ni + m - 1, m) for m, c in enumerate(act.coefficients) if c != 0.0)
            bound = min(bound, space)
    return bound


def naive_rank(act: Activation, ni: int, nh: int, samples: int | None = None) -> int:
    """The count before Alexander–Hirschowitz: for g = z^k (k ≥ 2) min(Nh·Ni, C(Ni+k−1, k)) —
    every neuron loses its rescaling, and no more than the space of k-forms is reachable —
    capped by N; otherwise the upper bound. Where the true rank falls below it the sweep's
    "exceptions" measure shows the theorem's exceptions as single cells."""
    k = act.monomial_power if act.coefficients is not None else None
    if k is None or k < 2:
        return rank_upper_bound(act, ni, nh, samples)
    count = min(nh * ni, comb(ni + k - 1, k))
    return count if samples is None else min(count, samples)
