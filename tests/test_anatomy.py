"""engine.anatomy: teacher 1 taken apart for the Modes and Structure views."""
import numpy as np
import pytest

from engine.anatomy import anatomy, block_means
from engine.ensemble import SpectrumConfig, prepare, teacher_and_inputs
from engine.errors import InputError
from engine.population import population_hessian
from engine.spectrum import sample_hessian


def test_block_means_average_every_cell_including_the_partial_last_one():
    rng = np.random.default_rng(0)
    H = rng.standard_normal((10, 10))
    signed, mag, cell = block_means(H, cells=4)
    assert cell == 3 and signed.shape == (4, 4)
    assert signed[0, 1] == pytest.approx(H[0:3, 3:6].mean())
    assert signed[3, 3] == pytest.approx(H[9, 9]) and mag[3, 0] == pytest.approx(np.abs(H[9, 0:3]).mean())
    same, _, one = block_means(H, cells=10)
    assert one == 1 and np.array_equal(same, H)


@pytest.mark.parametrize("population", [False, True])
def test_the_anatomy_is_the_run_s_teacher_1(population):
    problem = prepare(SpectrumConfig("power:3", 3, 4, samples=None if population else 50,
                                     population=population, seed=3))
    a = anatomy(problem)
    teacher, X = teacher_and_inputs(problem, 0)
    H = population_hessian(teacher, problem.act) if population else sample_hessian(teacher, problem.act, X)
    np.testing.assert_allclose(a.heatmap, H, atol=1e-12 * np.abs(H).max())
    V, lam = a.spectrum.eigenvectors, a.spectrum.eigenvalues
    np.testing.assert_allclose(H @ V, V * lam, atol=1e-10 * lam[-1])
    assert a.symmetry is not None and a.symmetry.agrees and a.symmetry.residual < 1e-8
    if population:
        assert a.ntk is None and "samples" in a.ntk_note
    else:
        nonzero = np.sort(lam)[-a.spectrum.rank:]
        np.testing.assert_allclose(np.sort(a.ntk)[-a.spectrum.rank:], nonzero, atol=1e-10 * lam[-1])


def test_erf_has_no_symmetry_check_and_a_big_problem_is_refused():
    assert anatomy(prepare(SpectrumConfig("erf", 3, 3, samples=40))).symmetry is None
    with pytest.raises(InputError, match="P = "):
        anatomy(prepare(SpectrumConfig("erf", 100, 60, population=True)))
