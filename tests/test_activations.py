import numpy as np
import pytest

from engine.activations import FAMILIES, parse_activation
from engine.errors import InputError

# Every registered family (with its example argument), and a general polynomial.
ALL = [f.spec(f.example) if f.parameter else f.spec() for f in FAMILIES.values()] + \
    ["poly:0.5,1,-0.3,0.2"]
SMOOTH = [name for name in ALL if parse_activation(name).coefficients is None]


@pytest.mark.parametrize("name", ALL)
def test_derivatives_match_central_differences(name):
    act = parse_activation(name)
    z = np.linspace(-2.5, 2.5, 41)
    h = 1e-5
    for kink in act.kinks:            # relu: derivatives at its kink are conventions
        z = z[np.abs(z - kink) > 2 * h]
    for order in range(1, 4):
        fd = (act.d(z + h, order - 1) - act.d(z - h, order - 1)) / (2 * h)
        np.testing.assert_allclose(act.d(z, order), fd, rtol=1e-6, atol=1e-8)
    for order, values in enumerate(act.all_derivatives(z)):
        np.testing.assert_allclose(values, act.d(z, order), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", SMOOTH)
def test_no_overflow_or_lost_digits_far_out(name):
    """|z| up to 10⁴: every derivative finite with no overflow or invalid operation, g′ within [0, 1.1]
    for these saturating or linear-growing g, and the tails right (softplus(z) → z, e^z)."""
    act = parse_activation(name)
    z = np.array([-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):    # underflow to 0 is right
        values = act.all_derivatives(z)
        g, slope = act.value_and_slope(z.copy(), True)
    assert all(np.all(np.isfinite(v)) for v in values)
    np.testing.assert_array_equal(g, values[0])
    assert np.all((values[1] >= 0) & (values[1] <= 1.1))
    if name == "softplus":
        assert values[0][3] == 40.0 + np.log1p(np.exp(-40.0))
        assert values[0][2] == pytest.approx(np.exp(-40.0), rel=1e-14)


def test_the_new_activations_are_what_their_names_say():
    from math import erf, exp, log, sqrt

    z = np.array([-1.3, 0.0, 0.4, 2.0])
    for name, ref in (("softplus", lambda x: log(1 + exp(x))), ("sigmoid", lambda x: 1 / (1 + exp(-x))),
                      ("gelu", lambda x: x * 0.5 * (1 + erf(x / sqrt(2)))), ("relu", lambda x: max(0.0, x))):
        np.testing.assert_allclose(parse_activation(name).g(z), [ref(x) for x in z], rtol=1e-14, atol=1e-16)
    relu = parse_activation("relu")
    assert relu.d(np.array([0.0]), 1)[0] == 0.0            # g′(0) = 0 by convention
    assert relu.homogeneity == 1 and relu.quadrature is None and relu.kinks == (0.0,)


def test_erf_is_the_scaled_error_function():
    act = parse_activation("erf")
    from math import erf, sqrt
    assert act.g(np.array([0.7]))[0] == pytest.approx(erf(0.7 / sqrt(2)), rel=1e-15)
    assert act.d(np.array([0.0]), 1)[0] == pytest.approx(sqrt(2 / np.pi), rel=1e-15)


def test_canonical_names_round_trip_and_monomials_are_recognised():
    for name in ALL:
        act = parse_activation(name)
        assert parse_activation(act.name).name == act.name
    assert parse_activation("linear").is_linear and parse_activation("poly:0,1").is_linear
    assert parse_activation("poly:0,0,3").monomial_power == 2
    assert parse_activation("poly:1,1").monomial_power is None
    assert parse_activation("erf").coefficients is None


@pytest.mark.parametrize("bad", ["swish", "power:0", "power:x", "poly:", "poly:1,a", "poly:0,0", "poly:nan"])
def test_bad_activations_say_what_is_wrong(bad):
    with pytest.raises(InputError) as info:
        parse_activation(bad)
    assert "\n" not in str(info.value) and "activation" in str(info.value)


@pytest.mark.parametrize("name", ALL)
def test_training_form_and_pickling_use_the_same_definitions(name):
    import pickle

    act = parse_activation(name)
    z = np.linspace(-3, 3, 61)
    g, slope = act.value_and_slope(z.copy(), True)
    np.testing.assert_allclose(g, act.g(z), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(np.ones_like(z) if slope is None else slope, act.d(z, 1),
                               rtol=1e-15, atol=1e-15)
    assert (slope is None) == act.is_linear          # None only where g' is 1 everywhere
    back = pickle.loads(pickle.dumps(act))
    assert back == act and back.name == act.name
    np.testing.assert_array_equal(back.d(z, 3), act.d(z, 3))


def test_the_registry_names_every_family_once_and_specs_round_trip():
    from engine.activations import ACTIVATION_HELP, FAMILIES

    for key, family in FAMILIES.items():
        spec = family.spec(family.example) if family.parameter else family.spec()
        act = parse_activation(spec)
        assert act.family == key and act.label == family.label
        assert family.syntax in ACTIVATION_HELP
    assert all(parse_activation(n).log_axis for n in ("erf", "tanh", "relu", "softplus", "sigmoid", "gelu"))
    assert not parse_activation("cubic").log_axis
    # A coefficient %g would shorten is kept exactly (the spec is also the pickle).
    assert parse_activation("poly:0.1234567891,1").coefficients == (0.1234567891, 1.0)
    assert FAMILIES["poly"].spec([0, 1, 0.5]) == "poly:0,1,0.5"
