"""The Hessian at the optimum against independent routes: finite differences of the loss, dense
eigendecompositions, closed forms, and tensor-product quadrature over x."""
import itertools
import math

import numpy as np
import pytest
from scipy.special import roots_hermitenorm

from engine.activations import parse_activation
from engine.model import (Teacher, jacobian, sample_inputs, sample_teacher, teacher_rng,
                          unflatten)
from engine.population import hermite_rule, population_hessian, quadrature_rule
from engine.spectrum import population_spectrum, sample_hessian, sample_spectrum

ALL = ["linear", "quadratic", "cubic", "power:4", "poly:0.5,1,-0.3,0.2", "erf", "tanh"]


def make(ni, nh, seed=0, s1=None, s2=None):
    return sample_teacher(teacher_rng(seed, 0), ni, nh, s1 or 1 / math.sqrt(ni), s2 or 1 / math.sqrt(nh))


def loss(theta, star, act_g, X, ni, nh):
    """The MSE loss written out independently of engine.model.forward."""
    W1, W2 = theta[: ni * nh].reshape(nh, ni), theta[ni * nh:]
    y = np.einsum("j,ij->i", W2, act_g(np.einsum("jk,ik->ij", W1, X)))
    W1s, W2s = star[: ni * nh].reshape(nh, ni), star[ni * nh:]
    ys = np.einsum("j,ij->i", W2s, act_g(np.einsum("jk,ik->ij", W1s, X)))
    return 0.5 * np.mean((y - ys) ** 2)


@pytest.mark.parametrize("name", ALL)
def test_hessian_equals_finite_difference_hessian_of_the_loss(name):
    act = parse_activation(name)
    ni, nh = 3, 2
    t = make(ni, nh, seed=3)
    X = sample_inputs(np.random.default_rng(5), 50, ni)
    star = t.flat()
    p = star.size
    h = 1e-4
    fd = np.empty((p, p))
    E = np.eye(p) * h
    for a in range(p):
        for b in range(a, p):
            f = lambda da, db: loss(star + da * E[a] + db * E[b], star, act.g, X, ni, nh)
            fd[a, b] = fd[b, a] = (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1)) / (4 * h * h)
    H = sample_hessian(t, act, X)
    np.testing.assert_allclose(H, fd, rtol=0, atol=1e-6 * np.abs(H).max())


def test_jacobian_parameter_order_is_W1_rows_then_W2():
    act = parse_activation("tanh")
    t = make(3, 2)
    x = np.array([[0.3, -1.2, 0.7]])
    J = jacobian(t, act, x)[0]
    h = 1e-6
    for a in range(t.n_params):
        d = np.zeros(t.n_params)
        d[a] = h
        plus, minus = unflatten(t.flat() + d, 3, 2), unflatten(t.flat() - d, 3, 2)
        y = lambda s: s.W2 @ np.tanh(s.W1 @ x[0])
        assert J[a] == pytest.approx((y(plus) - y(minus)) / (2 * h), rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [7, 40])        # P = 24: the kernel route (N < P) and the tall route
def test_sample_spectrum_matches_dense_eigendecomposition(name, n):
    act = parse_activation(name)
    t = make(5, 4, seed=1)
    X = sample_inputs(np.random.default_rng(2), n, 5)
    H = sample_hessian(t, act, X)
    dense = np.linalg.eigvalsh(H)
    for vectors in (False, True):
        s = sample_spectrum(t, act, X, vectors=vectors)
        assert s.eigenvalues.shape == (t.n_params,)
        assert np.all(np.diff(s.eigenvalues) >= 0)
        np.testing.assert_allclose(s.eigenvalues, dense, rtol=0, atol=1e-12 * dense[-1])
        if vectors:
            V = s.eigenvectors
            np.testing.assert_allclose(V.T @ V, np.eye(t.n_params), atol=1e-10)
            np.testing.assert_allclose(H @ V, V * s.eigenvalues, atol=1e-10 * dense[-1])


def test_small_eigenvalues_are_resolved_beyond_what_eigh_of_JtJ_can():
    # erf's spectrum spans many decades: the SVD keeps the smallest ones accurate relative to
    # themselves, where eigh(JᵀJ) is only accurate to ε·λ_max.
    act = parse_activation("erf")
    t = make(6, 5, seed=2, s1=0.05)        # nearly linear regime: a tiny nonlinear tail
    X = sample_inputs(np.random.default_rng(0), 400, 6)
    J = jacobian(t, act, X)
    s = sample_spectrum(t, act, X)
    # reference: singular values in extended precision via a QR-preconditioned Jacobi route
    import scipy.linalg as sla
    sv_ref = sla.svd(sla.qr(J, mode="r")[0][: t.n_params], compute_uv=False, lapack_driver="gesvd")
    lam_ref = np.sort(sv_ref ** 2 / 400)
    assert lam_ref[0] / lam_ref[-1] < 1e-9          # a genuinely ill-conditioned case
    np.testing.assert_allclose(s.eigenvalues, lam_ref, rtol=1e-8)
    squared = np.linalg.eigvalsh(J.T @ J / 400)
    assert np.abs(squared[0] - lam_ref[0]) / lam_ref[0] > 100 * np.abs(s.eigenvalues[0] - lam_ref[0]) / lam_ref[0]


def test_linear_fast_path_equals_general_path():
    act = parse_activation("linear")
    for ni, nh, n in [(6, 4, 50), (4, 7, 50), (6, 4, 3)]:
        t = make(ni, nh, seed=ni + nh)
        X = sample_inputs(np.random.default_rng(1), n, ni)
        fast = sample_spectrum(t, act, X)
        general = sample_spectrum(t, act, X, vectors=True)   # forms J and its full SVD
        np.testing.assert_allclose(fast.eigenvalues, general.eigenvalues, rtol=0,
                                   atol=1e-12 * general.eigenvalues[-1])
        assert fast.rank == general.rank == min(ni, n)
        pop_fast = population_spectrum(t, act)
        pop_general = np.linalg.eigvalsh(population_hessian(t, act))
        np.testing.assert_allclose(pop_fast.eigenvalues, pop_general, rtol=0, atol=1e-12 * pop_general[-1])
        assert pop_fast.rank == ni


@pytest.mark.parametrize("w2", [0.0, 1e-200])
def test_linear_fast_path_with_singular_m_equals_general_path(w2):
    """W2 = 0 (or below rounding) with Nh < Ni makes M = ‖W2‖² I + W1ᵀW1 singular, which
    Cholesky refuses: the fast path then takes another square root of M and must still agree
    with the general path, rank Nh included."""
    act = parse_activation("linear")
    base = make(5, 3, seed=2)
    t = Teacher(base.W1, np.full(3, w2))
    X = sample_inputs(np.random.default_rng(3), 40, 5)
    fast = sample_spectrum(t, act, X)
    general = sample_spectrum(t, act, X, vectors=True)
    np.testing.assert_allclose(fast.eigenvalues, general.eigenvalues, rtol=0,
                               atol=1e-12 * general.eigenvalues[-1])
    assert fast.rank == general.rank == 3


def test_linear_population_eigenvalues_are_s_plus_wishart():
    t = make(5, 3, seed=4)
    eig = population_spectrum(t, parse_activation("linear")).eigenvalues
    M = t.w2_norm_sq * np.eye(5) + t.W1.T @ t.W1
    np.testing.assert_allclose(eig[-5:], np.linalg.eigvalsh(M), rtol=1e-13)
    assert np.all(eig[:-5] == 0)
    # Ni > Nh: Ni − Nh eigenvalues sit exactly at s = ‖W2‖²
    np.testing.assert_allclose(eig[-5:-3], t.w2_norm_sq, rtol=1e-13)


def _tensor_population_hessian(t: Teacher, act, q: int) -> np.ndarray:
    """E_x[j(x) j(x)ᵀ] by tensor-product Gauss–Hermite over x itself: no Stein's lemma."""
    z, w = roots_hermitenorm(q)
    w = w / math.sqrt(2 * math.pi)
    grids = np.array(list(itertools.product(z, repeat=t.ni)))
    weights = np.prod(np.array(list(itertools.product(w, repeat=t.ni))), axis=1)
    J = jacobian(t, act, grids)
    return (J * weights[:, None]).T @ J


@pytest.mark.parametrize("name,q", [("quadratic", 4), ("cubic", 5), ("poly:0.5,1,-0.3,0.2", 5),
                                    ("erf", 160), ("tanh", 400)])
def test_population_hessian_equals_direct_quadrature_over_x(name, q):
    act = parse_activation(name)
    t = make(2, 3, seed=7)
    direct = _tensor_population_hessian(t, act, q)
    stein = population_hessian(t, act)
    tol = 1e-13 if act.coefficients is not None else 1e-9
    np.testing.assert_allclose(stein, direct, rtol=0, atol=tol * np.abs(direct).max())


def test_population_erf_blocks_match_closed_forms():
    # E[erf(u/√2) erf(v/√2)] = (2/π) arcsin(C12 / √((1+C11)(1+C22))),
    # E[g'(u) g'(v)] = (2/π) / √((1+C11)(1+C22) − C12²).
    act = parse_activation("erf")
    t = make(4, 3, seed=9)
    H = population_hessian(t, act)
    C = t.W1 @ t.W1.T
    d = 1 + np.diag(C)
    gg = 2 / np.pi * np.arcsin(C / np.sqrt(np.outer(d, d)))
    np.testing.assert_allclose(H[12:, 12:], gg, rtol=1e-13, atol=1e-15)
    # W1 blocks in a direction v ⟂ w_j, w_l only see the identity term W2_j W2_l E[g'_j g'_l].
    g1g1 = 2 / np.pi / np.sqrt(np.outer(d, d) - C ** 2)
    ni = 4
    for j in range(3):
        for l in range(3):
            basis = np.linalg.svd(np.vstack([t.W1[j], t.W1[l]]))[2]
            v = basis[-1]                       # orthogonal to both w_j and w_l
            block = H[j * ni:(j + 1) * ni, l * ni:(l + 1) * ni]
            assert v @ block @ v == pytest.approx(t.W2[j] * t.W2[l] * g1g1[j, l], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", ["erf", "tanh"])
@pytest.mark.parametrize("s1", [None, 0.6])          # default, and 1.7× wider pre-activations
def test_population_quadrature_has_converged_at_the_default_nodes(name, s1, monkeypatch):
    act = parse_activation(name)
    t = make(6, 5, seed=11, s1=s1)
    q = quadrature_rule(t, act)[2]
    e_default = np.linalg.eigvalsh(population_hessian(t, act))
    e_finer = np.linalg.eigvalsh(population_hessian(t, act, nodes=2 * q - 1))   # half the spacing
    scale = e_finer[-1]
    assert np.abs(e_default - e_finer).max() <= 1e-12 * scale
    # an independent rule: Gauss–Hermite with many nodes agrees too
    z, w = hermite_rule(1200)
    import engine.population as pop
    monkeypatch.setattr(pop, "quadrature_rule", lambda *a, **k: (z, w, 1200))
    e_gh = np.linalg.eigvalsh(population_hessian(t, act))
    monkeypatch.undo()
    assert np.abs(e_default - e_gh).max() <= 1e-12 * scale
    # and too few nodes is visibly worse, so the checks above can fail
    e_few = np.linalg.eigvalsh(population_hessian(t, act, nodes=15))
    assert np.abs(e_few - e_finer).max() > 1e-8 * scale


def test_sample_hessian_converges_to_population_like_one_over_sqrt_n():
    act = parse_activation("erf")
    t = make(6, 5, seed=2)
    Hp = population_hessian(t, act)
    errors = []
    for n, seed in [(1_000, 1), (100_000, 2)]:
        X = sample_inputs(np.random.default_rng(seed), n, 6)
        errors.append(np.abs(sample_hessian(t, act, X) - Hp).max() / np.abs(Hp).max())
    assert errors[0] < 0.2
    # 100× the data: 1/√N predicts a 10× smaller error; allow for noise (3× to 30×)
    assert 3 < errors[0] / errors[1] < 30


@pytest.mark.slow
def test_a_teacher_too_wide_for_the_default_rule_is_refused_not_under_resolved():
    """A neuron with |w|² = 1600 needs 3601 trapezoid nodes; a silent cap of 2001 nodes once
    returned a negative eigenvalue (−13.8 for erf at σ1 = 100) without a word. Refused by
    default for tanh, computed when --nodes insists; erf's closed form needs no nodes at all."""
    from engine.errors import InputError
    from engine.population import MAX_NODES
    act = parse_activation("tanh")
    t = Teacher(np.array([[40.0, 0.0], [0.0, 20.0]]), np.array([1.0, 0.5]))   # needs 3601 nodes
    with pytest.raises(InputError, match="widest neuron"):
        population_spectrum(t, act)
    fine = population_spectrum(t, act, nodes=3 * MAX_NODES)
    assert fine.eigenvalues[0] > -1e-12 * fine.eigenvalues[-1]
    # erf needs no quadrature: its closed form equals the insisted, fine quadrature
    erf = parse_activation("erf")
    exact = population_spectrum(t, erf)
    assert exact.quadrature_nodes is None
    fine = population_spectrum(t, erf, nodes=3 * MAX_NODES)
    np.testing.assert_allclose(exact.eigenvalues, fine.eigenvalues, rtol=0, atol=1e-12 * fine.eigenvalues[-1])
