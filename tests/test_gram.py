"""The refined Gram route (engine.gram) against a plain SVD of J: every eigenvalue above the rank
tolerance to 1e-6 relative, the same rank — where the bare eigvalsh(JᵀJ) loses both."""
import numpy as np
import pytest
import scipy.linalg as sl

from engine import spectrum as spectrum_module
from engine.ensemble import SpectrumConfig, prepare, teacher_and_inputs
from engine.gram import REFINE, apply_q, gram_eigenvalues, tridiagonal
from engine.model import jacobian
from engine.spectrum import sample_spectrum

EPS = np.finfo(float).eps


def jacobian_of(act, ni, nh, n, sigma1=None, seed=0):
    problem = prepare(SpectrumConfig(act, ni, nh, samples=n, sigma1=sigma1, seed=seed), check=False)
    t, X = teacher_and_inputs(problem, 0)
    return t, problem.act, X, jacobian(t, problem.act, X)


def reference(J):
    """SVD eigenvalues of JᵀJ ascending and the rank tolerance (numpy's rule) on that scale."""
    sv = np.linalg.svd(J, compute_uv=False)
    return np.sort(sv ** 2), (sv.max() * max(J.shape) * EPS) ** 2


@pytest.mark.parametrize("n", [5, 64, 65, 130, 201])
def test_the_blocked_back_transformation_gives_eigenvectors(n):
    A = np.random.default_rng(n).normal(size=(n, n))
    A += A.T
    c, tau, d, e = tridiagonal(A.copy())
    w, Z = sl.eigh_tridiagonal(d, e)
    X = apply_q(c, tau, Z)
    np.testing.assert_allclose(A @ X, X * w, atol=1e-12 * np.abs(w).max())
    np.testing.assert_allclose(X.T @ X, np.eye(n), atol=1e-13)


@pytest.mark.parametrize("case", [("erf", 30, 30, 1500, 3.0), ("tanh", 40, 30, 1400, 2.0),
                                  ("cubic", 12, 30, 1500, None)])
def test_small_eigenvalues_and_rank_equal_the_svds(case):
    act, ni, nh, n, s1 = case
    *_, J = jacobian_of(act, ni, nh, n, s1)
    lam, tol = reference(J)
    got = gram_eigenvalues(J)
    bare = np.linalg.eigvalsh(J.T @ J)
    above = lam > tol
    assert lam[above][0] < 1e-9 * lam[-1]             # there is a small end to get right
    rel = np.abs(got[above] - lam[above]) / lam[above]
    assert rel.max() < 1e-6, rel.max()
    assert np.count_nonzero(got > tol) == np.count_nonzero(above)
    # the bare Gram route is what the refinement mends: a wrong rank, or far worse values at
    # the small end (below REFINE·λ_max, where the refined route takes Rayleigh–Ritz values)
    small = above & (lam < REFINE * lam[-1])
    worse = np.abs(bare[small] - lam[small]) / lam[small]
    assert np.count_nonzero(bare > tol) != above.sum() or worse.max() > 10 * rel[small[above]].max()


def test_many_zero_modes_leave_it_to_the_svd():
    """z² at Nh > Ni/2: over a quarter of P are zero modes; refining them would cost more
    than the SVD, so the route says None and sample_spectrum takes the SVD."""
    *_, J = jacobian_of("quadratic", 20, 15, 1000)
    assert gram_eigenvalues(J) is None


def test_the_spectrum_takes_the_route_from_gram_min_p(monkeypatch):
    t, act, X, J = jacobian_of("tanh", 40, 30, 1400, 2.0)
    assert J.shape[1] >= spectrum_module.GRAM_MIN_P
    calls = []
    original = spectrum_module.gram_eigenvalues
    monkeypatch.setattr(spectrum_module, "gram_eigenvalues",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    spec = sample_spectrum(t, act, X)
    assert calls == [1]
    lam, tol = reference(J)
    n = X.shape[0]
    above = lam > tol
    np.testing.assert_allclose(spec.eigenvalues[above], lam[above] / n, rtol=1e-6)
    assert spec.rank == above.sum()
