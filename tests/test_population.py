"""The invariant-subspace reduction of the population Hessian (docs/methods.md §2) against the
dense P×P matrix: every eigenvalue, the multiplicities, the eigenvectors, and the route the
memory estimate and the command line take at P ≈ 200 000."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.activations import parse_activation
from engine.ensemble import SpectrumConfig, estimate, prepare
from engine.model import Teacher
from engine.population import (complement_basis, population_hessian, reduced_population_hessian,
                               row_basis)
from engine.spectrum import population_spectrum

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS = ["erf", "tanh", "quadratic", "cubic", "poly:0.3,-1,0.5,0.25", "relu", "softplus",
               "sigmoid", "gelu"]
QUADRATURE = ("tanh", "softplus", "sigmoid", "gelu")      # no closed form: nodes fixed below


def teacher(ni: int, nh: int, seed: int = 0, parallel: bool = False) -> Teacher:
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, 1.0 / np.sqrt(ni), (nh, ni))
    if parallel:
        W1[1] = -1.7 * W1[0]                     # two neurons along one direction: rank W1 < Nh
    return Teacher(W1, rng.normal(0.0, 1.0 / np.sqrt(nh), nh))


CASES = [(9, 3, False), (7, 4, True), (4, 6, False), (5, 5, True)]   # r < Ni (twice), r = Ni, r = Ni − 1


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("ni, nh, parallel", CASES)
def test_the_reduced_spectrum_is_the_dense_one(act, ni, nh, parallel):
    t, g = teacher(ni, nh, parallel=parallel), parse_activation(act)
    nodes = 201 if act in QUADRATURE else None     # quadrature either way, the same rule
    dense = np.linalg.eigvalsh(population_hessian(t, g, nodes))
    red = reduced_population_hessian(t, g, nodes)
    r = min(ni, nh) - parallel
    assert red.rank_w1 == r and red.multiplicity == ni - r
    assert red.core.shape == (nh * r + nh,) * 2
    got = population_spectrum(t, g, nodes=nodes).eigenvalues
    assert got.size == ni * nh + nh
    np.testing.assert_allclose(got, dense, rtol=0, atol=1e-12 * dense[-1])
    # A's eigenvalues are there Ni − r times each (beyond what the core happens to share)
    for a in np.linalg.eigvalsh(red.A):
        assert np.count_nonzero(np.abs(got - a) <= 1e-12 * dense[-1]) >= ni - r


@pytest.mark.parametrize("act", ["erf", "cubic", "relu"])
def test_the_reduced_eigenvectors_are_eigenvectors_of_the_dense_matrix(act):
    t, g = teacher(8, 3, seed=3, parallel=True), parse_activation(act)
    H = population_hessian(t, g)
    spec = population_spectrum(t, g, vectors=True)
    V, lam = spec.eigenvectors, spec.eigenvalues
    assert V.shape == (27, 27)
    np.testing.assert_allclose(V.T @ V, np.eye(27), atol=1e-13)
    np.testing.assert_allclose(H @ V, V * lam, atol=1e-12 * lam[-1])
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(H), atol=1e-12 * lam[-1])


def test_the_bases_split_the_input_space():
    W1 = teacher(10, 4, parallel=True).W1
    V = row_basis(W1)
    U = complement_basis(V)
    assert V.shape == (10, 3) and U.shape == (10, 7)
    np.testing.assert_allclose(np.hstack([V, U]).T @ np.hstack([V, U]), np.eye(10), atol=1e-14)
    np.testing.assert_allclose(W1 @ U, 0.0, atol=1e-14)              # U ⊥ every neuron
    assert row_basis(np.zeros((3, 5))).shape == (5, 0)             # W1 = 0: r = 0, A five times
    z = population_spectrum(Teacher(np.zeros((3, 5)), np.ones(3)), parse_activation("erf"))
    assert z.eigenvalues.size == 18


def test_a_population_hessian_of_200_000_parameters_takes_the_reduced_route(tmp_path):
    """Ni = 20 000, Nh = 10: the dense H would need 320 GB; the estimate follows the reduction
    (MBs, not P²), and the command line writes all P eigenvalues in a second or two."""
    problem = prepare(SpectrumConfig("erf", 20_000, 10, population=True))
    est = estimate(problem)
    assert est.memory_bytes < 1e8                  # prepare (check=True) accepted it too
    out = tmp_path / "big.json"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "spectrum", "--activation", "erf",
                        "--ni", "20000", "--nh", "10", "--population", "--json", str(out)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    t = json.loads(out.read_text())["teachers"][0]
    assert len(t["eigenvalues"]) == 200_010 and t["rank"] == 200_010
    lam = np.asarray(t["eigenvalues"])
    assert np.all(np.diff(lam) >= 0)
    # the 10 eigenvalues of A, 19 990 times each: the spectrum has at most 110 + 10 distinct values
    assert np.unique(lam).size <= 120
