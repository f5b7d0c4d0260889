"""The anatomy of a mode, the symmetries of polynomial networks and the NTK (docs/methods.md §9),
each against an independent route."""
import itertools

import numpy as np
import pytest

from engine.activations import parse_activation
from engine.errors import InputError
from engine.model import Teacher, jacobian, sample_inputs, sample_teacher, teacher_rng
from engine.modes import (MAX_NTK_SAMPLES, SymmetryCheck, check_symmetries, describe_mode,
                          flatten, gallery, neuron_shares, ntk_eigenvalues,
                          participation_ratio, rescaling_directions, split, structure_blocks,
                          symmetry_directions, symmetry_residual, tensor_map_jacobian)
from engine.population import population_hessian
from engine.rank import monomial_rank
from engine.spectrum import EPS, population_spectrum, sample_hessian, sample_spectrum


def make(ni, nh, seed=0):
    rng = teacher_rng(seed, 0)
    return sample_teacher(rng, ni, nh, 1.0 / np.sqrt(ni), 1.0 / np.sqrt(nh)), rng


# ----------------------------------------------------------------------------- one vector

def test_participation_ratio_of_one_hot_and_uniform_vectors():
    p = 15
    for i in range(p):
        e = np.zeros(p)
        e[i] = -3.0
        assert participation_ratio(e) == pytest.approx(1.0, abs=1e-15)
    signs = np.where(np.arange(p) % 2, 1.0, -1.0)
    assert participation_ratio(0.7 * signs) == pytest.approx(p, rel=1e-14)
    # two equal entries: 2; tiny and huge scales do not under- or overflow
    assert participation_ratio(np.array([1e-200, 0, 1e-200])) == pytest.approx(2.0)
    assert participation_ratio(np.array([1e200, 1e200, 0, 0])) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        participation_ratio(np.zeros(4))


def test_neuron_shares_sum_to_one_and_match_a_loop_over_neurons():
    ni, nh = 4, 3
    v = np.random.default_rng(1).standard_normal(nh * ni + nh)
    shares = neuron_shares(v, ni, nh)
    want = np.empty(nh)
    for j in range(nh):
        want[j] = sum(v[j * ni + i] ** 2 for i in range(ni)) + v[nh * ni + j] ** 2
    want /= sum(x * x for x in v)
    assert shares.sum() == pytest.approx(1.0, abs=1e-15)
    assert np.allclose(shares, want, rtol=1e-14, atol=0)


def test_split_and_flatten_follow_the_jacobian_parameter_order():
    ni, nh = 3, 4
    t, rng = make(ni, nh, seed=2)
    act = parse_activation("erf")
    X = sample_inputs(rng, 5, ni)
    J = jacobian(t, act, X)
    h = 1e-6
    for j, i in itertools.product(range(nh), range(ni)):
        W1 = t.W1.copy()
        W1[j, i] += h
        dy = (act.g(X @ W1.T) @ t.W2 - act.g(X @ t.W1.T) @ t.W2) / h
        # a perturbation of W1[j, i] moves column j·Ni + i of J, the entry split calls w1[j, i]
        assert np.allclose(J[:, j * ni + i], dy, atol=1e-5)
        w1, w2 = split(np.eye(nh * ni + nh)[:, j * ni + i], ni, nh)
        assert w1[j, i] == 1.0 and np.count_nonzero(w1) == 1 and not w2.any()
        w1 = np.zeros((nh, ni))
        w1[j, i] = 1.0
        assert np.allclose(J @ flatten(w1, np.zeros(nh)), dy, atol=1e-5)
    for j in range(nh):
        w2 = np.zeros(nh)
        w2[j] = 1.0
        assert np.allclose(J @ flatten(np.zeros((nh, ni)), w2), act.g(X @ t.W1[j]), atol=1e-14)
    v = rng.standard_normal(nh * ni + nh)
    w1, w2 = split(v, ni, nh)
    assert w1.shape == (nh, ni) and w2.shape == (nh,)
    assert np.array_equal(flatten(w1, w2), v)
    assert np.array_equal(t.flat(), flatten(t.W1, t.W2))
    with pytest.raises(ValueError):
        split(v[:-1], ni, nh)


def test_describe_mode_and_gallery():
    ni, nh = 3, 2
    t, rng = make(ni, nh, seed=4)
    spec = sample_spectrum(t, parse_activation("cubic"), sample_inputs(rng, 60, ni), vectors=True)
    p = t.n_params
    zero = describe_mode(spec.eigenvalues, spec.eigenvectors, 0, ni, nh, spec.rank_tolerance)
    top = describe_mode(spec.eigenvalues, spec.eigenvectors, p - 1, ni, nh, spec.rank_tolerance)
    assert zero.is_zero and not top.is_zero and zero.position == f"1 of {p}"
    assert top.position == f"{p} of {p}" and top.eigenvalue == spec.eigenvalues[-1]
    assert 1.0 <= top.participation <= p and top.shares.sum() == pytest.approx(1.0)
    v = spec.eigenvectors[:, -1]
    assert np.allclose(np.abs(top.vector), np.abs(v), atol=0) and top.vector[np.argmax(np.abs(v))] > 0
    assert top.w1.shape == (nh, ni) and top.w2.shape == (nh,)
    assert spec.rank == p - nh                          # cubic, Ni = 3, Nh = 2: two rescalings
    slow, fast = gallery(spec.eigenvalues, spec.rank_tolerance, 2)
    assert list(slow) == [nh, nh + 1] and list(fast) == [p - 1, p - 2]
    slow, fast = gallery(spec.eigenvalues[::-1], spec.rank_tolerance, 3)   # unsorted input
    assert list(slow) == [p - 1 - nh, p - 2 - nh, p - 3 - nh] and list(fast) == [0, 1, 2]
    assert all(len(x) == 0 for x in gallery(np.zeros(5), 0.0, 3))
    with pytest.raises(ValueError):
        describe_mode(spec.eigenvalues, spec.eigenvectors, p, ni, nh, spec.rank_tolerance)


def test_structure_blocks():
    s = structure_blocks(3, 4)
    assert s["n_params"] == 16 and s["p1"] == 12
    assert s["blocks"] == {"W1-W1": ((0, 12), (0, 12)), "W1-W2": ((0, 12), (12, 16)),
                           "W2-W2": ((12, 16), (12, 16))}
    assert s["neuron_edges"] == (0, 3, 6, 9, 12) and s["neuron_centres"][0] == 1.5


# ----------------------------------------------------------------------------- symmetries

@pytest.mark.parametrize("k,ni,nh", [(2, 3, 2), (3, 3, 2), (3, 4, 3)])
def test_rescaling_tangents_are_zero_modes_of_population_and_sample_hessians(k, ni, nh):
    t, rng = make(ni, nh, seed=k)
    act = parse_activation("quadratic" if k == 2 else "cubic")
    D = rescaling_directions(t, k)
    assert np.allclose(D.T @ D, np.eye(nh), atol=1e-15)
    for H in (population_hessian(t, act), sample_hessian(t, act, sample_inputs(rng, 200, ni))):
        lam_max = np.linalg.eigvalsh(H)[-1]
        assert np.linalg.norm(H @ D, axis=0).max() <= 1e-10 * lam_max
    # the tangent of a finite rescaling w_j → c w_j, W2_j → c^−k W2_j, which leaves y unchanged
    X = sample_inputs(rng, 20, ni)
    c = 1.3
    W1, W2 = t.W1.copy(), t.W2.copy()
    W1[0] *= c
    W2[0] *= c ** -k
    assert np.allclose(act.g(X @ W1.T) @ W2, act.g(X @ t.W1.T) @ t.W2, rtol=1e-12)


def _tensor_map(t: Teacher, k: int) -> np.ndarray:
    """T_k = Σ_j W2_j w_j^{⊗k} as a full Ni^k tensor, flattened (an independent route)."""
    T = 0.0
    for j in range(t.nh):
        w = t.W1[j]
        outer = w
        for _ in range(k - 1):
            outer = np.multiply.outer(outer, w)
        T = T + t.W2[j] * outer
    return np.ravel(T)


@pytest.mark.parametrize("spec,degrees", [("cubic", [3]), ("poly:0.5,1,0,2", [0, 1, 3])])
def test_tensor_map_jacobian_matches_finite_differences_of_the_full_tensor(spec, degrees):
    ni, nh = 3, 2
    t, _ = make(ni, nh, seed=7)
    act = parse_activation(spec)
    D = tensor_map_jacobian(t, act)
    theta = t.flat()
    h = 1e-6
    # columns of the full-tensor derivative, by central differences, restricted to the rows
    # i1 ≤ … ≤ ik that the engine keeps; each degree's block is scaled to unit norm there
    fd_blocks = []
    for k in degrees:
        keep = [np.ravel_multi_index(ix, (ni,) * k) if k else 0
                for ix in itertools.combinations_with_replacement(range(ni), k)]
        cols = []
        for a in range(theta.size):
            e = np.zeros(theta.size)
            e[a] = h
            tp = Teacher(*_unflat(theta + e, ni, nh))
            tm = Teacher(*_unflat(theta - e, ni, nh))
            f = (lambda tt: np.atleast_1d(tt.W2.sum()) if k == 0 else _tensor_map(tt, k))
            cols.append((f(tp) - f(tm))[keep] / (2 * h))
        B = np.array(cols).T
        fd_blocks.append(B / np.linalg.norm(B))
    assert np.allclose(D, np.vstack(fd_blocks), atol=1e-8)


def _unflat(theta, ni, nh):
    return theta[: nh * ni].reshape(nh, ni), theta[nh * ni:]


@pytest.mark.parametrize("spec,ni,nh", [("cubic", 3, 2), ("cubic", 4, 3), ("quadratic", 3, 2)])
def test_null_space_of_h_is_the_symmetry_space(spec, ni, nh):
    t, rng = make(ni, nh, seed=11)
    act = parse_activation(spec)
    k = act.monomial_power
    p = t.n_params
    basis = symmetry_directions(t, act)
    assert np.allclose(basis.T @ basis, np.eye(basis.shape[1]), atol=1e-13)
    assert basis.shape[1] == p - monomial_rank(k, ni, nh)      # Alexander–Hirschowitz count
    # population mode: eigh of the dense H, below the population rank tolerance
    H = population_hessian(t, act)
    lam, V = np.linalg.eigh(H)
    tol = p * EPS * lam[-1]
    check = symmetry_residual(V[:, lam <= tol], basis, nh)
    assert check.null_dim == check.symmetry_dim == basis.shape[1]
    assert check.residual <= 1e-8 and check.missing <= 1e-8
    # sample mode: the SVD route's eigenvectors and tolerance, through check_symmetries
    spec_s = sample_spectrum(t, act, sample_inputs(rng, 4 * p, ni), vectors=True)
    check = check_symmetries(t, act, spec_s.eigenvalues, spec_s.eigenvectors, spec_s.rank_tolerance)
    assert check.agrees and check.rescalings_dim == nh
    assert check.residual <= 1e-8 and check.missing <= 1e-8
    assert check.text().startswith(f"{basis.shape[1]} zero modes = {basis.shape[1]} symmetries "
                                   f"(per-neuron rescalings: {nh}); residual ")
    # and the rescalings themselves are symmetries
    assert symmetry_residual(rescaling_directions(t, k), basis).residual <= 1e-10


def test_quadratic_symmetries_include_rotations_beyond_the_rescalings():
    ni, nh = 3, 2
    t, _ = make(ni, nh, seed=5)
    act = parse_activation("quadratic")
    basis = symmetry_directions(t, act)
    assert basis.shape[1] == nh + nh * (nh - 1) // 2 > nh
    # the rotation W1 → G W1 with GᵀDG = D (D = diag W2): tangent A = D⁻¹S, S antisymmetric
    S = np.array([[0.0, 1.0], [-1.0, 0.0]])
    A = np.diag(1.0 / t.W2) @ S
    rot = flatten(A @ t.W1, np.zeros(nh))
    rot /= np.linalg.norm(rot)
    check = symmetry_residual(rot[:, None], basis)
    assert check.residual <= 1e-10
    assert np.linalg.norm(population_hessian(t, act) @ rot) <= 1e-10 * np.linalg.eigvalsh(
        population_hessian(t, act))[-1]
    # it is not a combination of rescalings
    assert symmetry_residual(rot[:, None], rescaling_directions(t, 2)).residual > 0.1
    # M = W1ᵀ diag(W2) W1 is unchanged along a finite rotation G = exp(tA)
    from scipy.linalg import expm
    G = expm(0.4 * A)
    M = t.W1.T @ np.diag(t.W2) @ t.W1
    assert np.allclose((G @ t.W1).T @ np.diag(t.W2) @ (G @ t.W1), M, atol=1e-13)


def test_other_polynomials_and_an_alexander_hirschowitz_exception():
    # z + z² at Ni = 3, Nh = 2: rank 7 of 8 (§4), one symmetry and no rescalings
    t, _ = make(3, 2, seed=1)
    act = parse_activation("poly:0,1,1")
    spec = population_spectrum(t, act, vectors=True)
    check = check_symmetries(t, act, spec.eigenvalues, spec.eigenvectors, spec.rank_tolerance)
    assert (check.null_dim, check.symmetry_dim, check.rescalings_dim) == (1, 1, 0)
    assert check.residual <= 1e-8 and check.missing <= 1e-8
    # z⁴ at (3, 4, 5): rank 14 of 20, six symmetries though only five rescalings
    t, _ = make(3, 5, seed=2)
    act = parse_activation("power:4")
    spec = population_spectrum(t, act, vectors=True)
    check = check_symmetries(t, act, spec.eigenvalues, spec.eigenvectors, spec.rank_tolerance)
    assert check.agrees and (check.symmetry_dim, check.rescalings_dim) == (6, 5)
    assert check.residual <= 1e-8 and check.missing <= 1e-8


def test_too_few_samples_show_as_zero_modes_outside_the_symmetries():
    ni, nh = 4, 3
    t, rng = make(ni, nh, seed=3)
    act = parse_activation("cubic")
    spec = sample_spectrum(t, act, sample_inputs(rng, 8, ni), vectors=True)
    check = check_symmetries(t, act, spec.eigenvalues, spec.eigenvectors, spec.rank_tolerance)
    assert check.null_dim == t.n_params - 8 > check.symmetry_dim == nh
    assert check.residual > 0.5 and check.missing <= 1e-8 and "≠" in check.text()


def test_erf_and_tanh_have_no_symmetry_directions_and_limits_are_refused():
    t, _ = make(3, 2)
    for name in ("erf", "tanh", "softplus", "sigmoid", "gelu"):     # not homogeneous: none
        assert symmetry_directions(t, parse_activation(name)) is None
    assert symmetry_directions(t, parse_activation("relu")).shape == (t.n_params, 2)  # tests/test_relu.py
    lam = np.ones(t.n_params)
    assert check_symmetries(t, parse_activation("erf"), lam, np.eye(t.n_params), 0.0) is None
    big, _ = make(30, 20)
    with pytest.raises(InputError, match="symmetry directions"):
        symmetry_directions(big, parse_activation("power:6"))
    assert isinstance(symmetry_residual(np.zeros((8, 0)), np.eye(8)[:, :2]), SymmetryCheck)


# ----------------------------------------------------------------------------- NTK

@pytest.mark.parametrize("spec,n", [("erf", 9), ("erf", 40), ("cubic", 10), ("cubic", 60)])
def test_ntk_nonzero_eigenvalues_equal_those_of_h(spec, n):
    ni, nh = 4, 3                                          # P = 15
    t, rng = make(ni, nh, seed=6)
    act = parse_activation(spec)
    X = sample_inputs(rng, n, ni)
    mu = ntk_eigenvalues(t, act, X)
    assert mu.shape == (n,) and np.all(np.diff(mu) >= 0)
    s = sample_spectrum(t, act, X)
    lam = s.eigenvalues
    r = s.rank
    assert np.abs(mu[-r:] - lam[-r:]).max() <= 1e-10 * lam[-1]
    assert np.abs(mu[:-r]).max(initial=0.0) <= 1e-10 * lam[-1]     # the rest are zeros


def test_ntk_refuses_too_many_samples():
    t, _ = make(2, 1)
    with pytest.raises(InputError, match="tangent kernel"):
        ntk_eigenvalues(t, parse_activation("erf"), np.zeros((MAX_NTK_SAMPLES + 1, 2)))
