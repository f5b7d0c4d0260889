"""Closed-form pair expectations (engine.gaussian) against independent routes: the 2-D quadrature of
engine.population, 1-D quadrature on the diagonal j = l, and Monte Carlo over x."""
import math

import numpy as np
import pytest
from scipy.special import roots_hermitenorm

from engine.activations import parse_activation
from engine.gaussian import KEYS, pair_expectations_closed
from engine.model import Teacher, sample_teacher, teacher_rng
from engine.population import pair_expectations

POLYNOMIALS = ["linear", "quadratic", "cubic", "power:5", "poly:0.3,-1,0.5,0.25", "power:12",
               "poly:0.2,-1,0.5,0.3,-0.2,0.1,0.05,-0.02,0.01,0.004,-0.002,0.001,0.0005"]
NI, NH = 6, 5
# 2^k + 1 nodes on [−9, 9]: the spacing 18/2^k is exact in float64. At 801 nodes the rule's
# spacing, a difference of rounded nodes, is off by ~4e-14 relative, and so is every sum it weighs.
NODES = 513


def teacher(kind: str) -> Teacher:
    s1, s2 = 1 / math.sqrt(NI), 1 / math.sqrt(NH)
    if kind == "wide":                                  # C_jj up to ~30 instead of ~1
        return sample_teacher(teacher_rng(7, 0), NI, NH, 4 * s1, s2)
    t = sample_teacher(teacher_rng(3, 0), NI, NH, s1, s2)
    if kind == "parallel":                              # w_1 = −1.7 w_0: a singular pair
        t.W1[1] = -1.7 * t.W1[0]
    return t


def assert_close(E, ref, tol=1e-13):
    for key in KEYS:
        assert E[key].shape == ref[key].shape
        scale = max(1.0, np.abs(ref[key]).max())
        assert np.abs(E[key] - ref[key]).max() <= tol * scale, key


@pytest.mark.parametrize("kind", ["default", "parallel", "wide"])
@pytest.mark.parametrize("name", ["erf"] + POLYNOMIALS)
def test_closed_forms_equal_the_2d_quadrature(name, kind):
    act = parse_activation(name)
    t = teacher(kind)
    E = pair_expectations_closed(t.W1 @ t.W1.T, act)
    ref = pair_expectations(t, act, nodes=NODES if name == "erf" else None)  # polynomials: exact
    assert_close(E, ref)


def test_tanh_has_no_closed_form():
    t = teacher("default")
    assert pair_expectations_closed(t.W1 @ t.W1.T, parse_activation("tanh")) is None


@pytest.mark.parametrize("name", ["erf"] + POLYNOMIALS)
def test_diagonal_equals_1d_quadrature(name):
    """j = l is the degenerate pair u_j = u_l = √C_jj z: one variable suffices."""
    act = parse_activation(name)
    t = teacher("wide")
    C = t.W1 @ t.W1.T
    if act.coefficients is None:       # trapezoid on [−12, 12], spacing 12/2^11 exactly
        z = np.arange(-2048, 2049) * (12 / 2048)
        w = (12 / 2048) * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    else:                              # Gauss–Hermite, exact for degree < 2·(degree + 2)
        z, w = roots_hermitenorm(len(act.coefficients) + 1)
        w = w / math.sqrt(2 * math.pi)
    E = pair_expectations_closed(C, act)
    for j in range(NH):
        d = act.all_derivatives(math.sqrt(C[j, j]) * z)
        for key in KEYS:
            ref = w @ (d[int(key[0])] * d[int(key[1])])
            assert abs(E[key][j, j] - ref) <= 1e-13 * max(1.0, abs(ref)), (j, key)


def test_erf_agrees_with_monte_carlo():
    """A sanity check needing no quadrature: sample x, average, allow 5 standard errors."""
    act = parse_activation("erf")
    t = teacher("default")
    n = 100_000
    U = np.random.default_rng(11).standard_normal((n, NI)) @ t.W1.T
    d = act.all_derivatives(U)
    E = pair_expectations_closed(t.W1 @ t.W1.T, act)
    for key in KEYS:
        prod = d[int(key[0])][:, :, None] * d[int(key[1])][:, None, :]
        err = prod.std(axis=0) / math.sqrt(n)
        assert np.all(np.abs(prod.mean(axis=0) - E[key]) <= 5 * err + 1e-12), key


@pytest.mark.parametrize("name", ["erf", "cubic", "poly:0.3,-1,0.5,0.25"])
def test_symmetries(name):
    """E00, E11, E22 are symmetric and E13 = E31ᵀ, up to rounding."""
    t = teacher("wide")
    E = pair_expectations_closed(t.W1 @ t.W1.T, parse_activation(name))
    for key, mirror in (("00", "00"), ("11", "11"), ("22", "22"), ("13", "31")):
        np.testing.assert_allclose(E[key], E[mirror].T, rtol=0,
                                   atol=1e-14 * max(1.0, np.abs(E[key]).max()))
