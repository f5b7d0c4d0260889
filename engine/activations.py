"""The activation registry: every activation g the project knows, declared once (docs/methods.md §1).

Each family (linear, quadratic, cubic, power:K, poly:c0,c1,..., erf, tanh, relu, softplus,
sigmoid, gelu) is one `Family` entry in `FAMILIES`: how it is spelled and parsed, its label in
the GUI, whether its spectrum spans so many decades that a log λ axis is the sensible default,
and the function that builds its `Activation`. An `Activation` carries g and its first three
derivatives (the Hessian at the optimum needs g and g'; the population Hessian, by Stein's
lemma, up to g'''; training needs g and g' of the same pre-activations, computed together in
place), each formula written once — and every other per-activation fact the engine needs: the
closed-form pair expectations where they exist (engine.gaussian), which quadrature integrates
it otherwise (or that none does), its polynomial coefficients or their absence, its degree of
positive homogeneity (the per-neuron rescaling symmetry behind the rank, docs/methods.md §4),
and its landscape costs. Nothing else in the engine asks for an activation by name, so adding
one is adding its Family here.

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
from scipy.special import expit, log_expit, ndtr

from . import gaussian
from .errors import InputError

Array = np.ndarray
Derivatives = Callable[[Array], tuple[Array, Array, Array, Array]]
Training = Callable[[Array, bool], tuple[Array, "Array | None"]]

MAX_POWER = 12

# How the population expectations are integrated when there is no closed form, or --nodes asks
# for quadrature (engine.population.quadrature_rule): Gauss–Hermite with `quadrature_nodes`,
# exact for polynomials; the trapezoidal rule for smooth (analytic) g; or NO_QUADRATURE — g has
# kinks where g″, g‴ are Dirac deltas, which no node rule integrates (relu: closed form only).
GAUSS_HERMITE, TRAPEZOID, NO_QUADRATURE = "gauss-hermite", "trapezoid", None

# Landscape costs (engine.landscape), seconds per pre-activation g(u) in sample mode, measured
# on this engine (benchmarks/bench_landscape.py for erf, tanh and polynomials; for relu, softplus,
# sigmoid and gelu the time of g alone on 2·10⁶ values, 0.5, 22, 6 and 13 ns, plus the ~5 ns
# of the slice's own work per element): scipy's erf and softplus's log are the slow ones; a
# polynomial costs with its degree.
SECONDS_PER_DEGREE = 3e-9
SECONDS_PER_CLOSED_PAIR = 3.5e-8        # one neuron pair of a closed-form E[g(u) g(v)]


@dataclass(frozen=True)
class Activation:
    """g and its derivatives, plus what the rank theory needs to know about it.

    name          canonical spec, parsed back by parse_activation (and used to pickle)
    family        the key of its Family in FAMILIES
    coefficients  polynomial coefficients c_m (None: not a polynomial)
    quadrature    GAUSS_HERMITE, TRAPEZOID or NO_QUADRATURE (see those)
    quadrature_nodes  Gauss–Hermite nodes that integrate it exactly (polynomials)
    expectations  C = W1 W1ᵀ → the six pair expectations of the population Hessian in closed
                  form (engine.gaussian), or None: by quadrature
    pair_value    (C_uv, C_uu, C_vv) → E[g(u) g(v)] in closed form (the landscape's population
                  loss), or None: by quadrature
    homogeneity   k with g(c z) = c^k g(z) for every c > 0, or None: each neuron then has the
                  rescaling symmetry w_j → c w_j, W2_j → c^{−k} W2_j (docs/methods.md §4, §9)
    kinks         points where g is not smooth (its derivatives there are conventions)
    seconds_per_value  landscape, sample mode: seconds per pre-activation g(u)
    seconds_per_pair   landscape, population mode: seconds per neuron pair of pair_value
    """

    name: str
    family: str
    derivs: tuple[Callable[[Array], Array], ...] = field(repr=False, compare=False)
    all_at_once: Derivatives | None = field(default=None, repr=False, compare=False)
    training: Training | None = field(default=None, repr=False, compare=False)
    coefficients: tuple[float, ...] | None = None
    quadrature: str | None = TRAPEZOID
    quadrature_nodes: int | None = None
    expectations: Callable[[Array], dict] | None = field(default=None, repr=False, compare=False)
    pair_value: Callable[..., Array] | None = field(default=None, repr=False, compare=False)
    homogeneity: int | None = None
    kinks: tuple[float, ...] = ()
    seconds_per_value: float = 1e-8
    seconds_per_pair: float = SECONDS_PER_CLOSED_PAIR

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
        """Whether the spectrum is best seen on a log₁₀ λ axis (its Family says: many decades)."""
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
        return self.homogeneity if self.coefficients is not None else None


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
    coefficients = tuple(float(c) for c in coeffs)
    nonzero = [m for m, c in enumerate(coefficients) if c != 0.0]
    # Integrands are products of two derivatives: degree <= 2*degree, exact when 2Q > 2*degree.
    return Activation(name, family, derivs, None, training, coefficients,
                      quadrature=GAUSS_HERMITE, quadrature_nodes=degree + 2,
                      expectations=lambda C: gaussian.polynomial_expectations(C, coefficients),
                      homogeneity=nonzero[0] if len(nonzero) == 1 else None,
                      seconds_per_value=SECONDS_PER_DEGREE * (1 + degree))


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
    return Activation("erf", "erf", derivs, _erf_all, _erf_training,
                      expectations=gaussian.erf_expectations, pair_value=gaussian.erf_pair,
                      seconds_per_value=2.7e-8)


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
    return Activation("tanh", "tanh", derivs, _tanh_all, _tanh_training, seconds_per_value=7e-9)


# ----------------------------------------------------------------------------- relu

def _relu_value(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_slope(z: Array) -> Array:
    """The step: 1 for z > 0, and g′(0) = 0 (a set of measure zero; any value in [0, 1] would
    do for the Hessian, and 0 makes a zero neuron's expectations vanish)."""
    return np.greater(z, 0.0).astype(np.float64)


def _relu_curvature(z: Array) -> Array:
    """g″ and g‴ of relu away from its kink: 0. At the kink they are δ and δ′; the population
    Hessian accounts for those in closed form (engine.gaussian), never through this."""
    return np.zeros(np.shape(z))


def _relu_training(U: Array, slope: bool):
    G1 = _relu_slope(U) if slope else None
    return np.maximum(U, 0.0, out=U), G1


def _relu_family(arg: str) -> Activation:
    return Activation("relu", "relu", (_relu_value, _relu_slope, _relu_curvature, _relu_curvature),
                      None, _relu_training, quadrature=NO_QUADRATURE,
                      expectations=gaussian.relu_expectations, pair_value=gaussian.relu_pair,
                      homogeneity=1, kinks=(0.0,), seconds_per_value=6e-9)


# ----------------------------------------------------------------------------- softplus, sigmoid

def _logistic(z: Array) -> tuple[Array, Array]:
    """σ(z) and σ′(z) = σ(z)σ(−z): expit never overflows, and the product never cancels."""
    z = np.asarray(z, dtype=np.float64)
    s = expit(z)
    return s, s * expit(-z)


def _sigmoid_derivatives(s: Array, s1: Array) -> tuple[Array, Array, Array]:
    """(σ′, σ″, σ‴) = (s1, s1 (1 − 2σ), s1 (1 − 6 s1))."""
    return s1, s1 * (1.0 - 2.0 * s), s1 * (1.0 - 6.0 * s1)


def _softplus_all(z: Array):
    """log(1 + e^z) = −log σ(−z), which neither overflows nor loses digits for large |z|."""
    s, s1 = _logistic(z)
    d1, d2, _ = _sigmoid_derivatives(s, s1)
    return -log_expit(-np.asarray(z, dtype=np.float64)), s, d1, d2


def _sigmoid_all(z: Array):
    s, s1 = _logistic(z)
    return (s,) + _sigmoid_derivatives(s, s1)


def _softplus_training(U: Array, slope: bool):
    G1 = expit(U) if slope else None
    np.negative(U, out=U)
    log_expit(U, out=U)
    return np.negative(U, out=U), G1


def _sigmoid_training(U: Array, slope: bool):
    if not slope:
        return expit(U, out=U), None
    G1 = expit(-U)
    s = expit(U, out=U)
    G1 *= s
    return s, G1


# ----------------------------------------------------------------------------- gelu

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_all(z: Array):
    """z Φ(z) and its derivatives Φ + zφ, (2 − z²)φ, (z³ − 4z)φ (from φ′ = −zφ)."""
    z = np.asarray(z, dtype=np.float64)
    phi = np.exp(-0.5 * z * z) * _INV_SQRT_2PI
    cdf = ndtr(z)
    z2 = z * z
    return z * cdf, cdf + z * phi, (2.0 - z2) * phi, z * (z2 - 4.0) * phi


def _gelu_training(U: Array, slope: bool):
    cdf = ndtr(U)
    G1 = None
    if slope:
        G1 = np.square(U)
        G1 *= -0.5
        np.exp(G1, out=G1)
        G1 *= _INV_SQRT_2PI
        G1 *= U
        G1 += cdf
    return np.multiply(U, cdf, out=U), G1


def _smooth_family(key: str, all_at_once: Derivatives, training: Training, seconds: float):
    """A smooth activation with no closed form: the trapezoidal quadrature is its route. g and
    g′ alone (the Jacobian's) come from the training form, so they cost no more than training;
    g″ and g‴ (the quadrature's, which takes all four at once) from all_at_once."""
    def value(z):
        z = np.asarray(z, dtype=np.float64)
        return training(np.array(z, ndmin=1), False)[0].reshape(z.shape)

    def slope(z):
        z = np.asarray(z, dtype=np.float64)
        return training(np.array(z, ndmin=1), True)[1].reshape(z.shape)

    derivs = (value, slope) + tuple((lambda z, k=k: all_at_once(z)[k]) for k in (2, 3))
    return lambda arg: Activation(key, key, derivs, all_at_once, training, seconds_per_value=seconds)


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
    Family("relu", "relu  max(0, z)", "relu (max(0, z))", _relu_family, log_axis=True),
    Family("softplus", "softplus  log(1+eᶻ)", "softplus (log(1 + e^z))",
           _smooth_family("softplus", _softplus_all, _softplus_training, 3e-8), log_axis=True),
    Family("sigmoid", "sigmoid  1/(1+e⁻ᶻ)", "sigmoid (1/(1 + e^-z))",
           _smooth_family("sigmoid", _sigmoid_all, _sigmoid_training, 1.2e-8), log_axis=True),
    Family("gelu", "gelu  z·Φ(z)", "gelu (z Phi(z))",
           _smooth_family("gelu", _gelu_all, _gelu_training, 2e-8), log_axis=True),
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
