"""Closed-form pair expectations (engine.gaussian) against independent routes: the 2-D quadrature of
engine.population, 1-D quadrature on the diagonal j = l, and Monte Carlo over x."""
import math

import numpy as np
import pytest
from scipy.special import roots_hermitenorm

from engine.activations import parse_activation
from engine import gaussian
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


# ----------------------------------------------------------------------------- relu

def _relu_pair_by_monte_carlo(C, n=400_000, seed=12):
    """E[relu(u) relu(v)] and E[step(u) step(v)] by sampling (u, v) with covariance C."""
    z = np.random.default_rng(seed).standard_normal((n, 2))
    if C[0, 0] * C[1, 1] - C[0, 1] ** 2 <= 1e-12 * C[0, 0] * C[1, 1]:      # singular: v = s·u
        s = C[0, 1] / C[0, 0] if C[0, 0] > 0 else 0.0
        u = math.sqrt(C[0, 0]) * z[:, 0]
        uv = np.stack([u, s * u], axis=1)
    else:
        uv = z @ np.linalg.cholesky(C).T
    r, st = np.maximum(uv, 0), (uv > 0).astype(float)
    p00, p11 = r[:, 0] * r[:, 1], st[:, 0] * st[:, 1]
    return (p00.mean(), p00.std() / math.sqrt(n)), (p11.mean(), p11.std() / math.sqrt(n))


@pytest.mark.parametrize("C", [
    [[1.0, 0.3], [0.3, 0.5]], [[0.7, -0.6], [-0.6, 1.1]], [[2.0, 1.9], [1.9, 2.0]],
    [[0.8, 0.8], [0.8, 0.8]],            # identical neurons: a/2 and 1/2
    [[0.8, -1.2], [-1.2, 1.8]],          # antiparallel: 0 and 0
    [[0.8, 1.2], [1.2, 1.8]],            # parallel, s = 1.5
])
def test_relu_arc_cosine_kernel_against_monte_carlo(C):
    C = np.asarray(C)
    (m00, e00), (m11, e11) = _relu_pair_by_monte_carlo(C)
    E = gaussian.relu_expectations(C)
    for got in (E["00"][0, 1], gaussian.relu_pair(C[0, 1], C[0, 0], C[1, 1])):
        assert abs(got - m00) <= 5 * e00 + 1e-15
    assert abs(E["11"][0, 1] - m11) <= 5 * e11 + 1e-15
    for j in range(2):                                # the diagonal: E[relu²] = a/2, E[step] = 1/2
        assert E["00"][j, j] == pytest.approx(C[j, j] / 2, rel=1e-15)
        assert E["11"][j, j] == 0.5 and E["20"][j, j] == 0.0
        assert E["31"][j, j] + 2 * E["22"][j, j] + E["13"][j, j] == 0.0


def test_relu_closed_forms_obey_the_derivative_relations():
    """∂E00/∂c = E11, ∂E11/∂c = E22, 2∂E00/∂a = E20, 2∂E11/∂a = E31, 2∂E11/∂b = E13 at
    non-parallel pairs, by central differences of E00 and E11 in (a, b, c): the relations the
    formulas were derived from, checked without the derivation."""
    def E(a, b, c):
        out = gaussian.relu_expectations(np.array([[a, c], [c, b]]))
        return {k: v[0, 1] for k, v in out.items()}

    h = 1e-6
    for a, b, c in ((1.0, 0.5, 0.3), (0.7, 1.1, -0.6), (2.0, 2.1, 1.9)):
        e = E(a, b, c)
        d_c = {k: (E(a, b, c + h)[k] - E(a, b, c - h)[k]) / (2 * h) for k in ("00", "11")}
        d_a = {k: (E(a + h, b, c)[k] - E(a - h, b, c)[k]) / (2 * h) for k in ("00", "11")}
        d_b = (E(a, b + h, c)["11"] - E(a, b - h, c)["11"]) / (2 * h)
        for got, ref in ((d_c["00"], e["11"]), (d_c["11"], e["22"]), (2 * d_a["00"], e["20"]),
                         (2 * d_a["11"], e["31"]), (2 * d_b, e["13"])):
            assert got == pytest.approx(ref, rel=1e-7, abs=1e-9)


def test_relu_pair_is_exact_at_rounding_level_for_parallel_neurons():
    """c/2 + (√D − θc)/(2π): rounding in θ near 0 (~1e-8) must not reach E00 (~1e-8 there if
    written (√D + (π−θ)c)/(2π))."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal(7)
    for s in (1.0, 1 + 1e-12, 3.3):
        v = s * w
        a, b, c = w @ w, v @ v, w @ v
        assert gaussian.relu_pair(c, a, b) == pytest.approx(s * a / 2, rel=1e-14)


@pytest.mark.parametrize("name", ["tanh", "softplus", "sigmoid", "gelu"])
@pytest.mark.parametrize("kind", ["default", "wide"])
def test_the_trapezoid_rule_has_converged_when_the_nodes_double(name, kind):
    """The default spacing (tanh's rule; softplus and sigmoid have their poles at ±iπ, twice
    as far, gelu none) against half that spacing: equal to 1e-12 of each key's scale."""
    from engine.population import quadrature_rule

    act, t = parse_activation(name), teacher(kind)
    q = quadrature_rule(t, act)[2]
    E, fine = pair_expectations(t, act), pair_expectations(t, act, nodes=2 * q - 1)
    assert_close(E, fine, tol=1e-12)
    coarse = pair_expectations(t, act, nodes=15)          # and too few nodes would show
    assert max(np.abs(coarse[k] - fine[k]).max() for k in KEYS) > 1e-8
