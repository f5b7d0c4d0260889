"""The activation registry: every activation g the project knows, declared once (docs/methods.md §1).

Each family (linear, quadratic, cubic, power:K, poly:c0,c1,..., erf, tanh) is one `Family`
entry in `FAMILIES`: how it is spelled and parsed, its label in the GUI, whether its spectrum
spans so many decades that a log λ axis is the sensible default, and the function that builds
its `Activation`. An `Activation` carries g and its first three derivatives (the Hessian at the
optimum needs g and g'; the population Hessian, by Stein's lemma, up to g'''; training needs g
and g' of the same pre-activations, computed together in place), each formula written once.

Activations pickle by their canonical spec string, so engine objects holding one (problems,
results) cross a process boundary as they are.
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
Derivatives = Callable[[Array], tuple[Array, Array, Array, Array]]
Training = Callable[[Array, bool], tuple[Array, "Array | None"]]

MAX_POWER = 12


@dataclass(frozen=True)
class Activation:
    """g and its derivatives, plus what the rank theory needs to know about it.

    name          canonical spec, parsed back by parse_activation (and used to pickle)
    family        the key of its Family in FAMILIES
    coefficients  polynomial coefficients c_m (None: not a polynomial)
    quadrature_nodes  Gauss–Hermite nodes that integrate it exactly (polynomials)
    """

    name: str
    family: str
    derivs: tuple[Callable[[Array], Array], ...] = field(repr=False, compare=False)
    all_at_once: Derivatives | None = field(default=None, repr=False, compare=False)
    training: Training | None = field(default=None, repr=False, compare=False)
    coefficients: tuple[float, ...] | None = None
    quadrature_nodes: int | None = None

    def __reduce__(self):
        return parse_activation, (self.name,)

    def g(self, z: Array) -> Array:
        return self.derivs[0](z)

    def d(self, z: Array, order: int) -> Array:
        """The order-th derivative of g (0 <= order <= 3)."""
        return self.derivs[order](z)

    def all_derivatives(self, z: Array) -> tuple[Array, Array, Array, Array]:
        """g and its first three derivatives at z, sharing work where the family allows."""
        if self.all_at_once is not None:
            return self.all_at_once(z)
        return tuple(f(z) for f in self.derivs)

    def value_and_slope(self, U: Array, slope: bool = True) -> tuple[Array, Array | None]:
        """(g(U), g'(U)) for training, overwriting U with g(U) where that saves a copy.

        g'(U) is None when it is not wanted, and for a linear g, whose slope is 1 everywhere."""
        if self.training is not None:
            return self.training(U, slope)
        return self.derivs[0](U), (self.derivs[1](U) if slope else None)

    @property
    def label(self) -> str:
        return FAMILIES[self.family].label

    @property
    def log_axis(self) -> bool:
        """Whether the spectrum is best seen on a log₁₀ λ axis (erf, tanh: many decades)."""
        return FAMILIES[self.family].log_axis

    @property
    def argument(self) -> str | None:
        """The part of the spec after 'family:' (power:4 → '4'), or None."""
        return self.name.split(":", 1)[1] if ":" in self.name else None

    @property
    def is_linear(self) -> bool:
        return self.coefficients == (0.0, 1.0)

    @property
    def degree(self) -> int | None:
        return None if self.coefficients is None else len(self.coefficients) - 1

    @property
    def monomial_power(self) -> int | None:
        """k if g is c·z^k with a single nonzero coefficient, else None (rank table, docs/methods.md §4)."""
        if self.coefficients is None:
            return None
        nonzero = [m for m, c in enumerate(self.coefficients) if c != 0.0]
        return nonzero[0] if len(nonzero) == 1 else None


# ----------------------------------------------------------------------------- polynomials

def _number(c: float) -> str:
    """Short and exact: %g where it round-trips, else the shortest repr."""
    short = f"{c:g}"
    return short if float(short) == c else repr(float(c))


def _polynomial(name: str, family: str, coeffs: list[float]) -> Activation:
    while len(coeffs) > 1 and coeffs[-1] == 0.0:
        coeffs = coeffs[:-1]
    if all(c == 0.0 for c in coeffs):
        raise InputError(f"activation {name!r} is identically zero; give at least one nonzero coefficient")
    series = [np.asarray(coeffs, dtype=float)]
    for _ in range(3):
        series.append(npoly.polyder(series[-1]) if len(series[-1]) > 1 else np.zeros(1))
    derivs = tuple((lambda z, c=c: npoly.polyval(z, c)) for c in series)
    training = _linear_training if [float(c) for c in coeffs] == [0.0, 1.0] else None
    degree = len(coeffs) - 1
    # Integrands are products of two derivatives: degree <= 2*degree, exact when 2Q > 2*degree.
    return Activation(name, family, derivs, None, training, tuple(float(c) for c in coeffs),
                      quadrature_nodes=degree + 2)


def _linear_training(U: Array, slope: bool) -> tuple[Array, None]:
    return U, None


def _fixed_polynomial(name: str, coeffs: list[float]):
    return lambda arg: _polynomial(name, name, list(coeffs))


def _power(arg: str) -> Activation:
    try:
        k = int(arg)
    except ValueError:
        raise InputError(f"activation 'power:{arg}': the power must be a whole number, e.g. power:4") from None
    if not 1 <= k <= MAX_POWER:
        raise InputError(f"activation 'power:{arg}': the power must be between 1 and {MAX_POWER}")
    return _polynomial(f"power:{k}", "power", [0.0] * k + [1.0])


def _poly(arg: str) -> Activation:
    spec = f"poly:{arg}"
    try:
        coeffs = [float(c) for c in arg.split(",")]
    except ValueError:
        raise InputError(f"activation {spec!r}: coefficients must be numbers, e.g. poly:0,1,0.5") from None
    if not all(math.isfinite(c) for c in coeffs):
        raise InputError(f"activation {spec!r}: coefficients must be finite")
    if len(coeffs) > MAX_POWER + 1:
        raise InputError(f"activation {spec!r}: at most degree {MAX_POWER} is supported")
    return _polynomial("poly:" + ",".join(_number(c) for c in coeffs), "poly", coeffs)


# ----------------------------------------------------------------------------- erf(z/√2)

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _erf_value(z: Array, out: Array | None = None) -> Array:
    """erf(z/√2); with out=z, in place."""
    if out is None:
        return _erf(np.multiply(z, _SQRT_HALF))
    np.multiply(z, _SQRT_HALF, out=out)
    return _erf(out, out=out)


def _erf_slope(z: Array) -> Array:
    """g'(z) = √(2/π) e^{−z²/2}."""
    s = np.square(np.asarray(z, dtype=float))
    s *= -0.5
    np.exp(s, out=s)
    s *= _SQRT_2_OVER_PI
    return s


def _erf_all(z: Array):
    g1 = _erf_slope(z)
    return _erf_value(z), g1, -z * g1, (np.square(z) - 1.0) * g1


def _erf_training(U: Array, slope: bool):
    G1 = _erf_slope(U) if slope else None
    return _erf_value(U, out=U), G1


def _erf_family(arg: str) -> Activation:
    derivs = (_erf_value, _erf_slope, lambda z: _erf_all(z)[2], lambda z: _erf_all(z)[3])
    return Activation("erf", "erf", derivs, _erf_all, _erf_training)


# ----------------------------------------------------------------------------- tanh

def _tanh_from_t(t: Array):
    """(g', g'', g''') of tanh written in t = tanh z."""
    g1 = 1.0 - t * t
    return g1, -2.0 * t * g1, (6.0 * t * t - 2.0) * g1


def _tanh_all(z: Array):
    t = np.tanh(z)
    return (t,) + _tanh_from_t(t)


def _tanh_training(U: Array, slope: bool):
    t = np.tanh(U, out=U)
    if not slope:
        return t, None
    G1 = np.square(t)
    np.subtract(1.0, G1, out=G1)
    return t, G1


def _tanh_family(arg: str) -> Activation:
    derivs = (np.tanh,) + tuple((lambda z, k=k: _tanh_from_t(np.tanh(z))[k]) for k in range(3))
    return Activation("tanh", "tanh", derivs, _tanh_all, _tanh_training)


# ----------------------------------------------------------------------------- the registry

@dataclass(frozen=True)
class Family:
    """One kind of activation: how it is written, shown and built.

    parameter: None, "integer" (power:K, between 1 and MAX_POWER) or "numbers" (poly:c0,c1,...);
    a GUI shows the matching input field, labelled `parameter_label`."""
    key: str
    label: str
    syntax: str
    build: Callable[[str | None], Activation] = field(repr=False, compare=False)
    log_axis: bool = False
    parameter: str | None = None
    parameter_label: str = ""
    example: str = ""

    def spec(self, argument=None) -> str:
        """The spec string for this family and an argument (4 → 'power:4')."""
        if self.parameter is None:
            return self.key
        if self.parameter == "numbers" and not isinstance(argument, str):
            argument = ",".join(_number(float(c)) for c in argument)
        return f"{self.key}:{argument}"


FAMILIES: dict[str, Family] = {f.key: f for f in (
    Family("erf", "erf(z/√2)", "erf (erf(z/sqrt 2))", _erf_family, log_axis=True),
    Family("tanh", "tanh z", "tanh", _tanh_family, log_axis=True),
    Family("linear", "linear  z", "linear", _fixed_polynomial("linear", [0.0, 1.0])),
    Family("quadratic", "quadratic  z²", "quadratic", _fixed_polynomial("quadratic", [0.0, 0.0, 1.0])),
    Family("cubic", "cubic  z³", "cubic", _fixed_polynomial("cubic", [0.0, 0.0, 0.0, 1.0])),
    Family("power", "power  z^k", f"power:K (z^K, 1 <= K <= {MAX_POWER})", _power,
           parameter="integer", parameter_label="power k", example="4"),
    Family("poly", "polynomial  Σ c_m z^m", "poly:c0,c1,... (sum c_m z^m)", _poly,
           parameter="numbers", parameter_label="coefficients", example="0,1,0.5"),
)}

ACTIVATION_HELP = ", ".join(f.syntax for f in FAMILIES.values())


def parse_activation(spec: str) -> Activation:
    """Parse a spec such as 'erf', 'power:4' or 'poly:0,1,0.5' (see FAMILIES)."""
    text = str(spec).strip().lower()
    key, colon, arg = text.partition(":")
    family = FAMILIES.get(key)
    if family is None or bool(colon) != (family.parameter is not None):
        raise InputError(f"unknown activation {spec!r}; choose one of: {ACTIVATION_HELP}")
    return family.build(arg if colon else None)
