"""Activation functions g and their first three derivatives (science.md §1).

The Hessian at the optimum needs g and g'; the population Hessian (Stein's lemma) needs up to
g'''; training away from the optimum needs g''. Each activation carries all four so every
consumer uses the same definitions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.polynomial import polynomial as npoly
from scipy.special import erf as _erf

from .errors import InputError

Array = np.ndarray

ACTIVATION_HELP = ("linear, quadratic, cubic, power:K (z^K, K >= 1), "
                   "poly:c0,c1,... (sum c_m z^m), erf (erf(z/sqrt 2)), tanh")


@dataclass(frozen=True)
class Activation:
    """g and its derivatives, plus what the rank theory needs to know about it."""

    name: str                      # canonical spelling, parseable by parse_activation
    derivs: tuple[Callable[[Array], Array], ...] = field(repr=False, compare=False)
    coefficients: tuple[float, ...] | None = None   # polynomial coefficients c_m (None: not a polynomial)
    quadrature_nodes: int | None = None   # Gauss–Hermite nodes that integrate it exactly (polynomials)
    shared: Callable[[Array], tuple] | None = field(default=None, repr=False, compare=False)

    def g(self, z: Array) -> Array:
        return self.derivs[0](z)

    def d(self, z: Array, order: int) -> Array:
        """The order-th derivative of g (0 <= order <= 3)."""
        return self.derivs[order](z)

    def all_derivatives(self, z: Array) -> tuple[Array, Array, Array, Array]:
        """(g and its first three derivatives) at z, sharing work where the activation allows (tanh, erf)."""
        if self.shared is not None:
            return self.shared(z)
        return tuple(f(z) for f in self.derivs)

    @property
    def is_linear(self) -> bool:
        return self.coefficients == (0.0, 1.0)

    @property
    def degree(self) -> int | None:
        return None if self.coefficients is None else len(self.coefficients) - 1

    @property
    def monomial_power(self) -> int | None:
        """k if g is c·z^k with a single nonzero coefficient, else None (rank table of §4)."""
        if self.coefficients is None:
            return None
        nonzero = [m for m, c in enumerate(self.coefficients) if c != 0.0]
        return nonzero[0] if len(nonzero) == 1 else None


def _polynomial(name: str, coeffs: list[float]) -> Activation:
    while len(coeffs) > 1 and coeffs[-1] == 0.0:
        coeffs = coeffs[:-1]
    if all(c == 0.0 for c in coeffs):
        raise InputError(f"activation {name!r} is identically zero; give at least one nonzero coefficient")
    series = [np.asarray(coeffs, dtype=float)]
    for _ in range(3):
        series.append(npoly.polyder(series[-1]) if len(series[-1]) > 1 else np.zeros(1))
    derivs = tuple((lambda z, c=c: npoly.polyval(z, c)) for c in series)
    degree = len(coeffs) - 1
    # Integrands are products of two derivatives: degree <= 2*degree, exact when 2Q > 2*degree.
    return Activation(name, derivs, tuple(float(c) for c in coeffs), quadrature_nodes=degree + 2)


_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _erf_derivs():
    def g1(z):
        return _SQRT_2_OVER_PI * np.exp(-0.5 * np.square(z))
    return (lambda z: _erf(z / _SQRT2), g1,
            lambda z: -z * g1(z), lambda z: (np.square(z) - 1.0) * g1(z))



def _erf_shared(z):
    g1 = _SQRT_2_OVER_PI * np.exp(-0.5 * np.square(z))
    return _erf(z / _SQRT2), g1, -z * g1, (np.square(z) - 1.0) * g1


def _tanh_shared(z):
    t = np.tanh(z)
    t2 = t * t
    g1 = 1.0 - t2
    return t, g1, -2.0 * t * g1, (6.0 * t2 - 2.0) * g1


def _tanh_derivs():
    def g1(z):
        return 1.0 - np.square(np.tanh(z))
    def g2(z):
        t = np.tanh(z)
        return -2.0 * t * (1.0 - t * t)
    def g3(z):
        t2 = np.square(np.tanh(z))
        return (6.0 * t2 - 2.0) * (1.0 - t2)
    return (np.tanh, g1, g2, g3)


def parse_activation(spec: str) -> Activation:
    """Parse 'linear', 'quadratic', 'cubic', 'power:K', 'poly:c0,c1,...', 'erf' or 'tanh'."""
    text = str(spec).strip().lower()
    if text == "linear":
        return _polynomial("linear", [0.0, 1.0])
    if text == "quadratic":
        return _polynomial("quadratic", [0.0, 0.0, 1.0])
    if text == "cubic":
        return _polynomial("cubic", [0.0, 0.0, 0.0, 1.0])
    if text == "erf":
        return Activation("erf", _erf_derivs(), None, shared=_erf_shared)
    if text == "tanh":
        return Activation("tanh", _tanh_derivs(), None, shared=_tanh_shared)
    if text.startswith("power:"):
        try:
            k = int(text[6:])
        except ValueError:
            raise InputError(f"activation {spec!r}: the power must be a whole number, e.g. power:4") from None
        if k < 1 or k > 12:
            raise InputError(f"activation {spec!r}: the power must be between 1 and 12")
        return _polynomial(f"power:{k}", [0.0] * k + [1.0])
    if text.startswith("poly:"):
        try:
            coeffs = [float(c) for c in text[5:].split(",")]
        except ValueError:
            raise InputError(f"activation {spec!r}: coefficients must be numbers, e.g. poly:0,1,0.5") from None
        if not all(math.isfinite(c) for c in coeffs):
            raise InputError(f"activation {spec!r}: coefficients must be finite")
        if len(coeffs) > 13:
            raise InputError(f"activation {spec!r}: at most degree 12 is supported")
        return _polynomial("poly:" + ",".join(f"{c:g}" for c in coeffs), coeffs)
    raise InputError(f"unknown activation {spec!r}; choose one of: {ACTIVATION_HELP}")
