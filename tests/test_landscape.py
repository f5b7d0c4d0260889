"""The loss slice (engine/landscape.py) against independent routes: the training loss of
engine.dynamics, population quadrature of the stacked network, finite differences, sample
slices converging to the population one, and a zero mode's flat valley (docs/methods.md §8)."""
import math

import numpy as np
import pytest

import engine.landscape as landscape
from engine.activations import parse_activation
from engine.dynamics import loss_at
from engine.ensemble import SpectrumConfig, compute_one, prepare, teacher_and_inputs
from engine.errors import Cancelled, InputError
from engine.jobs import JobState
from engine.landscape import (Slice, compute_slice, default_modes, default_span,
                              estimate_slice, loss_grid, resolve_modes)
from engine.model import Teacher, forward, sample_inputs
from engine.population import pair_expectations


def problem(act, ni=3, nh=3, samples=300, population=False, seed=1, **kw):
    return prepare(SpectrumConfig(act, ni, nh, samples=None if population else samples,
                                  population=population, seed=seed, **kw))


def stacked_loss(t: Teacher, act, directions, a, b, nodes=None):
    """½ cᵀ E[g(u) g(u)ᵀ] c over [student; teacher] by engine.population's own quadrature."""
    nh, ni = t.W1.shape
    V1 = directions[:, : nh * ni].reshape(2, nh, ni)
    v2 = directions[:, nh * ni:]
    W = np.vstack([t.W1 + a * V1[0] + b * V1[1], t.W1])
    c = np.concatenate([t.W2 + a * v2[0] + b * v2[1], -t.W2])
    E = pair_expectations(Teacher(W, c), act, nodes)["00"]
    return 0.5 * c @ E @ c


# ----------------------------------------------------------------------------- choosing the plane

def test_default_modes_are_the_slowest_nonzero_and_the_largest():
    lam = np.array([0.0, 1e-20, 3e-6, 0.2, 5.0])
    assert default_modes(lam, 1e-15) == (2, 4)
    assert default_modes(lam, 0.1) == (3, 4)
    # rank 1 (or 0): the slow mode would be the largest itself, so a zero mode beside it
    assert default_modes(lam, 1.0) == (3, 4)
    assert default_modes(np.zeros(4), 0.0) == (2, 3)


def test_resolve_modes_counts_negative_indices_from_the_top_and_refuses_bad_ones():
    assert resolve_modes((3, -1), 12) == (3, 11)
    assert resolve_modes("-2,-1", 12) == (10, 11)
    assert resolve_modes(" 5, 0", 12) == (5, 0)            # the order is kept: a along mode 5
    assert resolve_modes([np.int64(1), 2.0], 12) == (1, 2)  # whole numbers from JSON or numpy
    for bad, words in [((0, 12), "out of range"), ((-13, 0), "out of range"),
                       ((4, -8), "twice"), ("1", "two mode indices"), ("1,2,3", "two mode"),
                       ("a,b", "two mode"), ((1.5, 2), "two mode"), ((True, 2), "two mode")]:
        with pytest.raises(InputError, match=words) as err:
            resolve_modes(bad, 12)
        assert "\n" not in str(err.value)


def test_default_span_is_where_the_fast_quadratic_model_reaches_ten_times_its_start_loss():
    eps = 0.01
    for lam_i, lam_j in [(1e-6, 2.0), (3.0, 0.5)]:
        s = default_span(lam_i, lam_j, eps)
        fast = max(lam_i, lam_j)
        assert 0.5 * fast * s ** 2 == pytest.approx(10 * 0.5 * fast * eps ** 2, rel=1e-14)
    assert default_span(1.0, 2.0) == pytest.approx(math.sqrt(10) * 1e-2, rel=1e-15)


# ----------------------------------------------------------------------------- the loss itself

@pytest.mark.parametrize("act", ["erf", "poly:0,1,0.5", "tanh", "power:3", "relu", "softplus",
                                 "sigmoid", "gelu"])
def test_sample_slice_equals_the_training_loss_at_the_same_points(act):
    pr = problem(act)
    s = compute_slice(pr, grid=9, span=0.2)
    t, X = teacher_and_inputs(pr, 0)
    y = forward(t, pr.act, X)
    ref = np.array([[loss_at(t, pr.act, X, y, a * s.directions[0] + b * s.directions[1])
                     for b in s.b] for a in s.a])
    assert np.max(np.abs(s.loss - ref)) <= 1e-12 * ref.max()
    np.testing.assert_allclose(s.loss, ref, rtol=1e-9, atol=1e-30)
    assert s.loss[4, 4] < 1e-30 and s.a[4] == 0.0 and s.mode == "sample"


@pytest.mark.parametrize("act", ["erf", "tanh", "power:3", "poly:0.3,1,0.5", "softplus", "sigmoid",
                                 "gelu"])
def test_population_slice_equals_the_quadrature_of_the_stacked_network(act):
    """erf: the closed form against engine.population's quadrature; the others: the slice's
    own quadrature against pair_expectations at the same nodes."""
    pr = problem(act, population=True)
    s = compute_slice(pr, grid=5, span=0.3)
    t, _ = teacher_and_inputs(pr, 0)
    nodes = None if act == "erf" else landscape._slice_rule(
        t, pr.act, s.directions, s.a, s.b, None)[0].size
    ref = np.array([[stacked_loss(t, pr.act, s.directions, a, b, nodes) for b in s.b] for a in s.a])
    assert np.max(np.abs(s.loss - ref)) <= 1e-12 * ref.max()
    assert s.mode == "population"


def test_erf_closed_form_equals_quadrature_for_every_pair():
    act = parse_activation("erf")
    rng = np.random.default_rng(4)
    W = rng.standard_normal((6, 4)) * np.array([[0.1], [0.5], [1.0], [1.5], [2.0], [1.0]])
    W[5] = W[2] + 1e-4 * rng.standard_normal(4)                  # a near-duplicate neuron
    t = Teacher(W, np.ones(6))
    E = pair_expectations(t, act)["00"]
    C = W @ W.T
    closed = act.pair_value(C, np.diag(C)[:, None], np.diag(C)[None, :])
    np.testing.assert_allclose(closed, E, rtol=0, atol=1e-12)


def test_relu_population_slice_equals_a_monte_carlo_of_the_loss():
    """relu has no quadrature: its population slice (the arc-cosine kernel, with student and
    teacher neurons parallel at a = b = 0) against ½ mean of the squared residual over 4·10⁵
    inputs, within 5 standard errors at every point."""
    pr = problem("relu", population=True)
    s = compute_slice(pr, grid=3, span=0.3)
    t, _ = teacher_and_inputs(pr, 0)
    assert s.loss[1, 1] == 0.0                       # the optimum itself, exactly
    X = sample_inputs(np.random.default_rng(8), 400_000, 3)
    y = forward(t, pr.act, X)
    nh, ni = t.W1.shape
    for i, a in enumerate(s.a):
        for j, b in enumerate(s.b):
            theta = t.flat() + a * s.directions[0] + b * s.directions[1]
            st = Teacher(theta[: nh * ni].reshape(nh, ni), theta[nh * ni:])
            half_sq = 0.5 * (forward(st, pr.act, X) - y) ** 2
            se = half_sq.std() / math.sqrt(X.shape[0])
            assert abs(half_sq.mean() - s.loss[i, j]) <= 5 * se + 1e-15, (i, j)


def test_the_quadratic_array_is_half_lambda_a_squared_plus_half_lambda_b_squared():
    s = compute_slice(problem("erf"), grid=7, span=0.05)
    li, lj = s.eigenvalues
    expect = 0.5 * (li * s.a[:, None] ** 2 + lj * s.b[None, :] ** 2)
    np.testing.assert_array_equal(s.quadratic, expect)
    np.testing.assert_allclose(s.a, np.linspace(-0.05, 0.05, 7), rtol=0, atol=1e-17)
    np.testing.assert_array_equal(s.a, s.b)
    assert s.loss.shape == s.quadratic.shape == (7, 7)


def _curvature(pr, modes, h):
    """d²L/da² and d²L/db² at 0: the 3-point stencil at h and h/2, extrapolated in h²
    (Richardson), which removes the quartic term of the loss."""
    def stencil(span):
        s = compute_slice(pr, modes=modes, grid=3, span=span)
        L = s.loss
        return np.array([L[0, 1] - 2 * L[1, 1] + L[2, 1], L[1, 0] - 2 * L[1, 1] + L[1, 2]]) / span ** 2, s
    d1, s = stencil(h)
    d2, _ = stencil(h / 2)
    return (4 * d2 - d1) / 3, s.eigenvalues


# (relu in population mode only: a sample loss of relu has kinks wherever a pre-activation
# crosses 0, so its finite differences see them)
@pytest.mark.parametrize("act, population", [("erf", False), ("erf", True), ("poly:0,1,0.5", False),
                                             ("poly:0,1,0.5", True), ("relu", True)])
def test_second_derivative_along_an_eigenvector_is_its_eigenvalue(act, population):
    pr = problem(act, ni=3, nh=2, population=population)
    # relu's population loss has a |t|³ term (the arc-cosine kernel's θ³), which Richardson
    # in h² does not remove: a smaller step keeps its O(h) share below the tolerance
    h = 1e-4 if act == "relu" else 2e-3
    for modes in [None, (-2, -3)]:
        curvature, lam = _curvature(pr, modes, h)
        np.testing.assert_allclose(curvature, lam, rtol=1e-4)


def test_population_slices_are_the_limit_of_sample_slices():
    """The N-sample loss along fixed directions averages N terms: its error against the
    population loss shrinks like 1/√N (root mean square over independent input sets)."""
    for act in ("erf", "tanh"):
        pr = problem(act, ni=3, nh=2, population=True, seed=0)
        pop = compute_slice(pr, grid=5, span=0.3)
        t, _ = teacher_and_inputs(pr, 0)
        rng = np.random.default_rng(100)
        rms = []
        for n in (1000, 10_000, 100_000):
            errors = [np.abs(loss_grid(t, pr.act, sample_inputs(rng, n, 3), pop.directions,
                                       pop.a, pop.b) - pop.loss).max() / pop.loss.max()
                      for _ in range(6)]
            rms.append(math.sqrt(np.mean(np.square(errors))))
        assert rms[0] > 1.3 * rms[1] > 1.3 ** 2 * rms[2], rms
        assert rms[0] > 4 * rms[2], rms             # 1/√N: about 10 over 100× the data


@pytest.mark.parametrize("population", [False, True])
def test_a_zero_mode_of_a_cubic_network_is_flat_to_second_order(population):
    """z³ with Ni = 2, Nh = 3: 9 parameters, rank 4 (binary cubic forms), so 5 zero modes
    (per-neuron rescalings among them). Along one, the residual starts at a²: the loss grows
    like a⁴, not a², while along a nonzero mode L/a² → λ/2."""
    pr = problem("power:3", ni=2, nh=3, samples=200, population=population)
    base = compute_slice(pr, modes=(0, -1), grid=3, span=1e-3)
    spec = compute_one(pr, 0, vectors=True).spectrum
    assert spec.rank == 4 and base.eigenvalues[0] <= spec.rank_tolerance
    ratios = []
    for a in (1e-1, 3e-2, 1e-2):
        s = compute_slice(pr, modes=(0, -1), grid=3, span=a)
        ratios.append(s.loss[2, 1] / a ** 2)
        if a < 0.1:
            assert s.loss[1, 2] / a ** 2 == pytest.approx(0.5 * s.eigenvalues[1], rel=0.05)
    # L/a² ∝ a²: about (1/3.3)² ≈ 0.09 per step, where a quadratic valley would keep it fixed
    assert ratios[0] > 0 and ratios[1] < 0.2 * ratios[0] and ratios[2] < 0.2 * ratios[1], ratios


# ----------------------------------------------------------------------------- the Slice object

def test_directions_are_orthonormal_eigenvectors_with_a_fixed_sign():
    pr = problem("erf", population=True)
    s = compute_slice(pr, modes=(2, 7), grid=3)
    np.testing.assert_allclose(s.directions @ s.directions.T, np.eye(2), atol=1e-13)
    for d in s.directions:
        assert d[np.argmax(np.abs(d))] > 0
    spec = compute_one(pr, 0, vectors=True).spectrum
    for d, k in zip(s.directions, (2, 7)):
        assert abs(abs(d @ spec.eigenvectors[:, k]) - 1) < 1e-12
    assert s.modes == (2, 7)
    np.testing.assert_array_equal(s.eigenvalues, spec.eigenvalues[[2, 7]])


def test_project_gives_the_coordinates_on_the_slice():
    s = compute_slice(problem("erf"), grid=3)
    rng = np.random.default_rng(0)
    off = rng.standard_normal(s.directions.shape[1])
    off -= s.directions.T @ (s.directions @ off)                 # orthogonal to the plane
    delta = 0.3 * s.directions[0] - 0.7 * s.directions[1] + off
    a, b = s.project(delta)
    assert isinstance(a, float) and a == pytest.approx(0.3, abs=1e-14) and b == pytest.approx(-0.7, abs=1e-14)
    A, B = s.project(np.stack([delta, 2 * delta, np.zeros_like(delta)]))
    np.testing.assert_allclose(A, [0.3, 0.6, 0.0], atol=1e-14)
    np.testing.assert_allclose(B, [-0.7, -1.4, 0.0], atol=1e-14)


def test_to_dict_holds_every_field():
    s = compute_slice(problem("erf", population=True), grid=3)
    d = s.to_dict()
    assert set(d) == {"modes", "eigenvalues", "directions", "a", "b", "loss", "quadratic",
                      "span", "mode"}
    assert d["modes"] == list(s.modes) and d["mode"] == "population" and d["span"] == s.span


def test_a_given_spectrum_with_eigenvectors_is_used_not_recomputed(monkeypatch):
    pr = problem("erf")
    spec = compute_one(pr, 0, vectors=True).spectrum
    expect = compute_slice(pr, grid=5)

    def fail(*args, **kwargs):
        raise AssertionError("recomputed the eigen-decomposition")
    monkeypatch.setattr(landscape, "compute_one", fail)
    s = compute_slice(pr, grid=5, spectrum=spec)
    np.testing.assert_array_equal(s.loss, expect.loss)
    assert s.modes == expect.modes
    with pytest.raises(InputError, match="not this problem"):
        compute_slice(problem("erf", population=True), grid=5, spectrum=spec)


@pytest.mark.parametrize("kw, words", [({"grid": 2}, "grid"), ({"grid": 1002}, "grid"),
                                        ({"grid": 4.5}, "grid"), ({"span": 0.0}, "span"),
                                        ({"span": float("nan")}, "span"), ({"span": -1}, "span"),
                                        ({"modes": (0, 99)}, "out of range")])
def test_bad_settings_are_one_line_input_errors(kw, words):
    with pytest.raises(InputError, match=words) as err:
        compute_slice(problem("erf", ni=2, nh=2, samples=20), **kw)
    assert "\n" not in str(err.value)


def test_a_slice_whose_loss_overflows_is_refused():
    with pytest.raises(InputError, match="smaller --span"):
        compute_slice(problem("power:12", ni=2, nh=2, samples=20), grid=3, span=1e40)


def test_progress_between_blocks_and_cancel(monkeypatch):
    monkeypatch.setattr(landscape, "SAMPLE_BLOCK", 1)           # one grid point a block
    seen = []
    compute_slice(problem("erf", samples=50), grid=5, state=JobState(lambda f, m: seen.append(f)))
    assert len(seen) > 25 and seen == sorted(seen) and seen[-1] == 1.0

    state = JobState()
    calls = []

    def on_progress(f, m):
        calls.append(m)
        if "point 10/" in m:
            state.cancel()
    state._on_progress = on_progress
    with pytest.raises(Cancelled):
        compute_slice(problem("erf", samples=50), grid=5, state=state)
    assert not any("point 12/" in m for m in calls)


def test_the_estimate_counts_the_grid_the_samples_and_the_eigenvectors():
    small = estimate_slice(problem("erf", ni=10, nh=10, samples=400), 41)
    big_grid = estimate_slice(problem("erf", ni=10, nh=10, samples=400), 401)
    more_data = estimate_slice(problem("erf", ni=10, nh=10, samples=40_000), 41)
    assert big_grid.memory_bytes > small.memory_bytes + 2 * 8 * 401 ** 2
    assert big_grid.seconds > 50 * small.seconds * 0.5
    assert more_data.memory_bytes > small.memory_bytes + 8 * 40_000 * (10 + 3 * 10) * 0.9
    p = 110
    assert small.memory_bytes > 8 * p * p
    tanh = estimate_slice(problem("tanh", ni=10, nh=10, population=True), 41)
    erf = estimate_slice(problem("erf", ni=10, nh=10, population=True), 41)
    assert tanh.seconds > 10 * erf.seconds                       # quadrature, no closed form


def test_the_slice_is_a_frozen_dataclass():
    s = compute_slice(problem("erf", ni=2, nh=2, samples=20), grid=3)
    assert isinstance(s, Slice)
    with pytest.raises(Exception):
        s.span = 1.0
