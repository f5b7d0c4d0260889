"""relu, g(z) = max(0, z), through the registry alone (docs/methods.md §2, §4, §8, §9): the
arc-cosine closed form of its population Hessian against Monte Carlo, its eigenvalues against
a dense computation written out here, its rank Nh·Ni (one rescaling symmetry per neuron), the
Modes view's symmetry check, and the loss along a rescaling direction, exactly quartic."""
import json
import math

import numpy as np
import pytest

from engine.activations import parse_activation
from engine.ensemble import SpectrumConfig, prepare
from engine.errors import InputError
from engine.landscape import loss_grid
from engine.model import Teacher, sample_inputs, sample_teacher, teacher_rng
from engine.modes import check_symmetries, rescaling_directions, symmetry_directions
from engine.population import population_hessian
from engine.rank import predicted_rank
from engine.spectrum import population_spectrum, sample_spectrum

RELU = parse_activation("relu")
# (Ni, Nh): Nh < Ni, Nh = Ni and Nh > Ni (twice).
SHAPES = [(3, 2), (4, 3), (5, 5), (6, 4), (3, 6), (4, 8)]


def teacher(ni: int, nh: int, seed: int = 1) -> Teacher:
    return sample_teacher(teacher_rng(seed, 0), ni, nh, 1 / math.sqrt(ni), 1 / math.sqrt(nh))


def relu_jacobian(t: Teacher, X: np.ndarray) -> np.ndarray:
    """J written out independently of engine.model: [W2_j step(u_j) x_k], then [relu(u_j)]."""
    U = X @ t.W1.T
    step = (U > 0).astype(float)
    J1 = np.einsum("nj,nk->njk", step * t.W2, X).reshape(X.shape[0], -1)
    return np.hstack([J1, np.maximum(U, 0.0)])


@pytest.mark.parametrize("ni, nh", [(4, 3), (3, 6)])
def test_sample_eigenvalues_equal_a_dense_eigendecomposition(ni, nh):
    t = teacher(ni, nh)
    p = nh * ni + nh
    X = sample_inputs(np.random.default_rng(2), 4 * p, ni)
    J = relu_jacobian(t, X)
    dense = np.linalg.eigvalsh(J.T @ J / X.shape[0])
    got = sample_spectrum(t, RELU, X).eigenvalues
    np.testing.assert_allclose(got, dense, rtol=0, atol=1e-9 * dense[-1])


@pytest.mark.parametrize("ni, nh", SHAPES)
def test_rank_is_nh_times_ni_in_sample_and_population_mode(ni, nh):
    """Generic teacher, N = 4P ≥ P: exactly the Nh rescalings are lost, no more."""
    t = teacher(ni, nh)
    p = nh * ni + nh
    X = sample_inputs(np.random.default_rng(2), 4 * p, ni)
    assert predicted_rank(RELU, ni, nh) == nh * ni
    assert predicted_rank(RELU, ni, nh, samples=nh * ni - 1) == nh * ni - 1
    for spec in (sample_spectrum(t, RELU, X), population_spectrum(t, RELU)):
        assert spec.rank == nh * ni
        lam = spec.eigenvalues[::-1]
        assert lam[nh * ni - 1] > 1e6 * abs(lam[nh * ni])        # a real gap at the tolerance


def test_population_hessian_equals_a_million_sample_monte_carlo():
    """Every entry of H_pop within 5 standard errors of the mean of j jᵀ over 10⁶ inputs
    (the sample Hessian at N = 10⁶; its error per entry is estimated from the same samples)."""
    ni, nh = 4, 3
    t = teacher(ni, nh)
    H = population_hessian(t, RELU)
    rng = np.random.default_rng(5)
    s1, s2, n = 0.0, 0.0, 0
    for _ in range(10):
        J = relu_jacobian(t, rng.standard_normal((100_000, ni)))
        s1 = s1 + J.T @ J
        s2 = s2 + np.square(J).T @ np.square(J)
        n += J.shape[0]
    mean = s1 / n
    se = np.sqrt(np.maximum(s2 / n - mean ** 2, 0.0) / n)
    assert np.all(np.abs(mean - H) <= 5 * se + 1e-15)
    # and the Monte Carlo is sharp enough to see a diagonal entry 5 % off
    wrong = H.copy()
    k = nh * ni
    wrong[k, k] *= 1.05
    assert np.abs(mean - wrong)[k, k] > 5 * se[k, k]


def angular_population_hessian(t: Teacher) -> np.ndarray:
    """H_pop of relu with no Stein's lemma and no arc-cosine formula: for each pair (j, l), x
    splits into the plane of w_j, w_l (polar r, φ) and its complement. step(u_j) step(u_l)
    depends on φ alone: the arc A where both are positive. With ∫ r³ e^{−r²/2} dr = 2,

        E[x xᵀ step step] = (1/π) ∫_A v vᵀ dφ + |A|/(2π) (I − Π_plane),
        E[x step(u_j) relu(u_l)] = (1/π) ∫_A v (w_l·v) dφ,
        E[relu relu] = (1/π) ∫_A (w_j·v)(w_l·v) dφ,         v(φ) = cos φ e1 + sin φ e2,

    trigonometric polynomials on an arc, which 20-point Gauss–Legendre integrates exactly."""
    W1, W2 = t.W1, t.W2
    nh, ni = W1.shape
    x, wq = np.polynomial.legendre.leggauss(20)
    H = np.zeros((nh * ni + nh,) * 2)
    for j in range(nh):
        for l in range(nh):
            e1 = W1[j] / np.linalg.norm(W1[j])
            rest = W1[l] - (W1[l] @ e1) * e1
            if np.linalg.norm(rest) < 1e-12 * np.linalg.norm(W1[l]):      # j = l: the arc is a half
                e2 = np.linalg.svd(e1[None, :])[2][1]
                lo, hi = -np.pi / 2, np.pi / 2
            else:
                e2 = rest / np.linalg.norm(rest)
                theta = np.arctan2(W1[l] @ e2, W1[l] @ e1)
                lo, hi = theta - np.pi / 2, np.pi / 2
            phi = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
            w = 0.5 * (hi - lo) * wq
            V = np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2          # (Q, Ni)
            plane = np.outer(e1, e1) + np.outer(e2, e2)
            M = (V.T * w) @ V / np.pi + (hi - lo) / (2 * np.pi) * (np.eye(ni) - plane)
            H[j * ni:(j + 1) * ni, l * ni:(l + 1) * ni] = W2[j] * W2[l] * M
            H[j * ni:(j + 1) * ni, nh * ni + l] = W2[j] * (V.T * w) @ (V @ W1[l]) / np.pi
            H[nh * ni + j, nh * ni + l] = w @ ((V @ W1[j]) * (V @ W1[l])) / np.pi
    H[nh * ni:, :nh * ni] = H[:nh * ni, nh * ni:].T
    return H


@pytest.mark.parametrize("ni, nh", [(4, 3), (3, 6), (2, 4)])
def test_population_hessian_equals_a_route_through_angles(ni, nh):
    """Every entry of H_pop, diagonal blocks included, against the angular integrals above."""
    t = teacher(ni, nh)
    H = population_hessian(t, RELU)
    np.testing.assert_allclose(H, angular_population_hessian(t), rtol=0, atol=1e-13 * np.abs(H).max())


def test_population_spectrum_is_the_limit_of_sample_spectra():
    """The nonzero eigenvalues of a sample Hessian approach H_pop's as N grows (1/√N)."""
    ni, nh = 3, 2
    t = teacher(ni, nh)
    pop = population_spectrum(t, RELU).eigenvalues[nh:]
    errs = []
    for n in (500, 500_000):
        X = sample_inputs(np.random.default_rng(9), n, ni)
        errs.append(np.max(np.abs(sample_spectrum(t, RELU, X).eigenvalues[nh:] - pop)) / pop[-1])
    assert errs[1] < errs[0] / 5 and errs[1] < 1e-2


def test_quadrature_is_refused_in_one_line():
    t = teacher(4, 3)
    with pytest.raises(InputError) as info:
        population_hessian(t, RELU, nodes=41)
    assert "\n" not in str(info.value) and "--nodes" in str(info.value)
    with pytest.raises(InputError, match="--nodes"):
        prepare(SpectrumConfig("relu", 4, 3, population=True, quadrature_nodes=41))


@pytest.mark.parametrize("population", [True, False])
def test_the_zero_modes_are_the_per_neuron_rescalings(population):
    ni, nh = 4, 3
    t = teacher(ni, nh)
    p = nh * ni + nh
    if population:
        spec = population_spectrum(t, RELU, vectors=True)
        H = population_hessian(t, RELU)
    else:
        X = sample_inputs(np.random.default_rng(2), 4 * p, ni)
        spec = sample_spectrum(t, RELU, X, vectors=True)
        J = relu_jacobian(t, X)
        H = J.T @ J / X.shape[0]
    D = rescaling_directions(t, 1)            # column j: (w_j in row j, −W2_j in W2 entry j)/norm
    j = 1
    expected = np.zeros(p)
    expected[j * ni:(j + 1) * ni] = t.W1[j]
    expected[nh * ni + j] = -t.W2[j]
    np.testing.assert_allclose(D[:, j], expected / np.linalg.norm(expected), rtol=1e-15, atol=1e-16)
    assert np.abs(H @ D).max() <= 1e-12 * spec.eigenvalues[-1]
    np.testing.assert_allclose(symmetry_directions(t, RELU), D)
    check = check_symmetries(t, RELU, spec.eigenvalues, spec.eigenvectors, spec.rank_tolerance)
    assert check.null_dim == check.symmetry_dim == check.rescalings_dim == nh
    assert check.residual < 1e-8 and check.missing < 1e-8
    assert check.text().startswith(f"{nh} zero modes = {nh} symmetries (per-neuron rescalings: {nh})")


def test_a_finite_rescaling_leaves_the_output_unchanged():
    t = teacher(4, 3)
    X = sample_inputs(np.random.default_rng(4), 50, 4)
    W1, W2 = t.W1.copy(), t.W2.copy()
    W1[2] *= 3.7
    W2[2] /= 3.7
    y = np.maximum(X @ t.W1.T, 0) @ t.W2
    np.testing.assert_allclose(np.maximum(X @ W1.T, 0) @ W2, y, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("population", [True, False])
def test_the_loss_along_a_rescaling_direction_is_quartic(population):
    """Along v = (w_j, −W2_j)/n the neuron's output weight times scale is W2_j (1 − t²/n²), so
    the residual is −W2_j (t/n)² relu(u_j) and L(t) = ½ W2_j² (t/n)⁴ E[relu(u_j)²]: no t² term.
    Along the top eigenvector the t² coefficient is ½λ_max (so the fit can tell)."""
    ni, nh, j = 4, 3, 0
    t = teacher(ni, nh)
    p = nh * ni + nh
    X = None if population else sample_inputs(np.random.default_rng(2), 4 * p, ni)
    spec = population_spectrum(t, RELU, vectors=True) if population else \
        sample_spectrum(t, RELU, X, vectors=True)
    lam_max, top = spec.eigenvalues[-1], spec.eigenvectors[:, -1]
    v = rescaling_directions(t, 1)[:, j]
    n2 = t.W1[j] @ t.W1[j] + t.W2[j] ** 2
    s = np.array([-0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2])
    L = loss_grid(t, RELU, X, np.stack([v, top]), s, np.zeros(1))[:, 0]
    mean_sq = 0.5 * t.W1[j] @ t.W1[j] if population else np.mean(np.maximum(X @ t.W1[j], 0) ** 2)
    np.testing.assert_allclose(L, 0.5 * t.W2[j] ** 2 * (s * s / n2) ** 2 * mean_sq,
                               rtol=1e-9, atol=1e-15 * lam_max)
    fit = np.linalg.lstsq(np.stack([s ** 2, s ** 4], axis=1), L, rcond=None)[0]
    assert abs(fit[0]) <= 1e-12 * lam_max
    L_top = loss_grid(t, RELU, X, np.stack([top, v]), 1e-3 * s, np.zeros(1))[:, 0]
    fit_top = np.linalg.lstsq(np.stack([(1e-3 * s) ** 2, (1e-3 * s) ** 4], axis=1), L_top, rcond=None)[0]
    assert fit_top[0] == pytest.approx(0.5 * lam_max, rel=1e-4)


def test_every_subcommand_runs_relu_and_theory_stays_linear(tmp_path):
    """spectrum (both modes), landscape, dynamics and a sweep over "relu,erf", in process; the
    random-matrix law is for linear networks only, so a relu spectrum carries none."""
    from main import main

    out = tmp_path / "s.json"
    assert main(["spectrum", "--activation", "relu", "--ni", "4", "--nh", "3", "--population",
                 "--json", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["predicted_rank"] == 12 and rec["teachers"][0]["rank"] == 12
    assert rec["teachers"][0]["expectations"] == "closed form" and "theory" not in rec
    assert main(["spectrum", "--activation", "relu", "--ni", "4", "--nh", "3", "--samples", "60",
                 "--json", str(out)]) == 0
    assert json.loads(out.read_text())["teachers"][0]["rank"] == 12
    assert main(["landscape", "--activation", "relu", "--ni", "3", "--nh", "2", "--population",
                 "--grid", "5", "--json", str(tmp_path / "l.json")]) == 0
    assert main(["dynamics", "--activation", "relu", "--ni", "3", "--nh", "2", "--samples", "40",
                 "--steps", "20", "--lr", "auto", "--json", str(tmp_path / "d.json")]) == 0
    assert main(["sweep", "--activation", "relu,erf", "--ni", "3", "--nh", "2", "--population",
                 "--workers", "1", "--json", str(tmp_path / "w.json")]) == 0
    assert main(["spectrum", "--activation", "relu", "--ni", "4", "--nh", "3", "--population",
                 "--nodes", "41", "--json", str(tmp_path / "n.json")]) == 2
    assert not (tmp_path / "n.json").exists()


@pytest.mark.parametrize("population", [True, False])
def test_the_modes_view_anatomy_reports_the_rescalings(population):
    """engine.anatomy (what the Modes view shows): 'Nh zero modes = Nh symmetries (per-neuron
    rescalings: Nh)' with a round-off residual, in both modes."""
    from engine.anatomy import anatomy

    ni, nh = 4, 3
    p = nh * ni + nh
    problem = prepare(SpectrumConfig("relu", ni, nh, population=population,
                                     samples=None if population else 4 * p, seed=2))
    sym = anatomy(problem).symmetry
    assert sym is not None and sym.text().startswith("3 zero modes = 3 symmetries (per-neuron rescalings: 3)")
    assert sym.residual < 1e-8 and sym.missing < 1e-8
    assert anatomy(prepare(SpectrumConfig("softplus", ni, nh, population=True))).symmetry is None
