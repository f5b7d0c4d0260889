"""Numerical rank against the rank table of docs/methods.md §4 (secant varieties of Veronese varieties)."""
from math import comb

import numpy as np
import pytest

from engine.activations import parse_activation
from engine.ensemble import SpectrumConfig, compute_one, prepare
from engine.rank import monomial_rank, predicted_rank, rank_upper_bound


def test_rank_formulas_by_hand():
    assert monomial_rank(1, 7, 3) == 7
    assert monomial_rank(2, 5, 3) == 15 - 3                # Nh ≤ Ni: Nh·Ni − Nh(Nh−1)/2
    assert monomial_rank(2, 3, 5) == 6                     # Nh > Ni: Ni(Ni+1)/2
    assert monomial_rank(3, 4, 2) == 8                     # Nh·Ni < C(6, 3) = 20
    assert monomial_rank(3, 3, 6) == 10                    # C(5, 3) = 10 < 18
    assert monomial_rank(4, 3, 5) == 14                    # Alexander–Hirschowitz: 15 − 1
    assert monomial_rank(3, 5, 7) == 34                    # Alexander–Hirschowitz: 35 − 1
    assert monomial_rank(4, 4, 9) == 34 and monomial_rank(4, 5, 14) == 69
    act = parse_activation("erf")
    assert predicted_rank(act, 4, 3) == 15 and predicted_rank(act, 4, 3, samples=10) == 10
    poly = parse_activation("poly:0,1,1")
    assert predicted_rank(poly, 3, 2) == 7                 # z + z² = (z + ½)² − ¼
    assert rank_upper_bound(poly, 3, 2) == min(8, comb(3, 1) + comb(4, 2))
    assert predicted_rank(parse_activation("poly:0,1,0,1"), 3, 2) is None   # only a bound
    assert predicted_rank(parse_activation("poly:0,0,0,2.5"), 5, 7) == 34   # c·z³ is cubic
    relu = parse_activation("relu")                        # one rescaling per neuron
    assert predicted_rank(relu, 4, 3) == 12 and predicted_rank(relu, 3, 6) == 18
    assert rank_upper_bound(relu, 4, 3) == 12 and rank_upper_bound(relu, 4, 3, samples=10) == 10
    for name in ("tanh", "softplus", "sigmoid", "gelu"):   # no symmetry: full rank
        assert predicted_rank(parse_activation(name), 4, 3) == 15


CASES = [
    ("linear", 6, 4), ("linear", 3, 5),
    ("quadratic", 5, 3), ("quadratic", 3, 5),
    ("cubic", 4, 2), ("cubic", 3, 6),
    ("power:4", 3, 5),            # Alexander–Hirschowitz exception
    ("cubic", 5, 7),              # Alexander–Hirschowitz exception
    ("erf", 4, 3), ("tanh", 3, 4),
    ("relu", 4, 3), ("relu", 3, 5),
    ("softplus", 4, 3), ("sigmoid", 3, 4), ("gelu", 4, 3),
]


@pytest.mark.parametrize("act,ni,nh", CASES)
@pytest.mark.parametrize("mode", ["population", "sample"])
def test_numerical_rank_matches_the_table(act, ni, nh, mode):
    p = nh * ni + nh
    cfg = SpectrumConfig(act, ni, nh, population=mode == "population",
                         samples=None if mode == "population" else 6 * p, seed=3)
    problem = prepare(cfg)
    spec = compute_one(problem, 0).spectrum
    assert spec.rank == problem.predicted_rank
    # the gap at the tolerance is real: the next eigenvalue down is far below it
    lam = spec.eigenvalues[::-1]
    if spec.rank < p:
        assert lam[spec.rank - 1] > 1e6 * abs(lam[spec.rank])


def test_general_polynomial_rank_is_below_its_upper_bound():
    # g = z + z² at Ni = 3, Nh = 2: 7 of 8 (docs/methods.md §4); at Ni = 6, 13 of 14
    for ni, want in ((3, 7), (6, 13)):
        problem = prepare(SpectrumConfig("poly:0,1,1", ni, 2, population=True))
        spec = compute_one(problem, 0).spectrum
        assert problem.predicted_rank == want == spec.rank < problem.rank_upper_bound
    problem = prepare(SpectrumConfig("poly:0,1,0,1", 3, 2, population=True))
    assert problem.predicted_rank is None and compute_one(problem, 0).spectrum.rank <= 8


@pytest.mark.parametrize("coeffs", ["0,1,1", "1,1,1", "0.3,-2,0.7", "1,0,1", "0,0,1", "2,0,-0.5"])
def test_every_quadratic_has_the_rank_of_its_formula(coeffs):
    """c0 + c1 z + c2 z² at Ni ≤ 5, Nh ≤ 7 (Nh ≤ Ni and Nh > Ni), population Hessian."""
    for ni in range(1, 6):
        for nh in range(1, 8):
            problem = prepare(SpectrumConfig(f"poly:{coeffs}", ni, nh, population=True, seed=ni + 7 * nh))
            assert compute_one(problem, 0).spectrum.rank == problem.predicted_rank, (coeffs, ni, nh)


def test_rank_is_capped_by_the_data():
    problem = prepare(SpectrumConfig("erf", 5, 6, samples=20))
    spec = compute_one(problem, 0).spectrum
    assert spec.rank == problem.predicted_rank == 20
    assert np.count_nonzero(spec.eigenvalues == 0) == problem.n_params - 20


def test_rtol_changes_the_rank_and_tolerance_is_in_eigenvalue_units():
    problem = prepare(SpectrumConfig("erf", 4, 3, samples=200, seed=1))
    spec = compute_one(problem, 0).spectrum
    assert spec.rank_tolerance == pytest.approx(spec.singular_tolerance ** 2 / 200)
    assert spec.rank == spec.rank_at(spec.rank_tolerance)
    loose = compute_one(prepare(SpectrumConfig("erf", 4, 3, samples=200, seed=1, rtol=1e-1)), 0).spectrum
    assert loose.rank < spec.rank
    assert loose.rank == np.count_nonzero(loose.eigenvalues > loose.rank_tolerance)


@pytest.mark.parametrize("mode", ["population", "sample"])
def test_a_singular_value_tolerance_in_eigenvalue_units(mode):
    problem = prepare(SpectrumConfig("cubic", 5, 7, population=mode == "population", seed=2))
    s = compute_one(problem, 0).spectrum
    assert s.eigen_tolerance(s.singular_tolerance) == pytest.approx(s.rank_tolerance, rel=1e-12)
    tol = float(s.singular_values[9]) * (1 + 1e-12)  # at the 10th largest singular value (√λ
    assert s.rank_at(s.eigen_tolerance(tol)) == 9      # squared may round below λ itself)


def test_the_naive_count_exceeds_the_rank_exactly_at_the_quartic_exceptions():
    """z⁴: min(Nh·Ni, C(Ni+3, 4)) − rank is 1 at the Alexander–Hirschowitz cells (3, 5), (4, 9),
    (5, 14) and 0 around them (the predicted rank, which knows the theorem, against it)."""
    from engine.rank import naive_rank
    act = parse_activation("power:4")
    for ni, nh in [(3, 5), (4, 9), (5, 14), (3, 4), (3, 6), (4, 8), (4, 10), (5, 13)]:
        gap = naive_rank(act, ni, nh) - predicted_rank(act, ni, nh)
        assert gap == (1 if (ni, nh) in [(3, 5), (4, 9), (5, 14)] else 0), (ni, nh)
