"""Learning dynamics near the optimum (engine.dynamics, engine.curves; docs/methods.md §5).

Independent routes: finite differences of a loss written out with einsum, the dense Hessian
(engine.spectrum.sample_hessian) instead of the SVD eigenbasis, brute-force scans instead of
the bisection, and the linear network, where the linearisation is exact to O(ε).
"""
import math
import threading

import numpy as np
import pytest
from scipy.special import erf as sp_erf

from engine.dynamics import (DynamicsConfig, DynamicsProblem, collect_result, iter_trajectory,
                             load_init_vector, loss_and_gradient, loss_at, prepare_dynamics,
                             run_dynamics, start_dynamics)
from engine.curves import decay_factors, first_step
from engine.dynamics import linearized_loss, mode_energies
from engine.ensemble import SpectrumConfig, prepare, teacher_and_inputs
from engine.errors import Cancelled, InputError
from engine.jobs import JobState
from engine.model import forward
from engine.spectrum import sample_hessian

G = {"linear": lambda z: z, "quadratic": lambda z: z * z, "cubic": lambda z: z ** 3,
     "poly:0.5,1,-0.3,0.2": lambda z: 0.5 + z - 0.3 * z * z + 0.2 * z ** 3,
     "erf": lambda z: sp_erf(z / math.sqrt(2)), "tanh": np.tanh}


def model(act="erf", ni=4, nh=5, n=120, seed=3):
    return SpectrumConfig(activation=act, ni=ni, nh=nh, samples=n, seed=seed)


def start_of(act="erf", ni=4, nh=5, n=120, seed=3, **dyn):
    dyn.setdefault("steps", 100)
    return start_dynamics(prepare_dynamics(model(act, ni, nh, n, seed), DynamicsConfig(**dyn)))


def einsum_loss(theta, star, g, X, ni, nh):
    W1, W2 = theta[: ni * nh].reshape(nh, ni), theta[ni * nh:]
    W1s, W2s = star[: ni * nh].reshape(nh, ni), star[ni * nh:]
    y = np.einsum("j,ij->i", W2, g(np.einsum("jk,ik->ij", W1, X)))
    ys = np.einsum("j,ij->i", W2s, g(np.einsum("jk,ik->ij", W1s, X)))
    return 0.5 * np.mean((y - ys) ** 2)


# ----------------------------------------------------------------------------- gradient

@pytest.mark.parametrize("name", list(G))
def test_gradient_equals_central_differences_away_from_the_optimum(name):
    ni, nh = 3, 4
    problem = prepare(model(name, ni, nh, 40, seed=7))
    teacher, X = teacher_and_inputs(problem, 0)
    act = problem.act
    star = teacher.flat()
    delta = 0.3 * np.random.default_rng(1).standard_normal(star.size)   # far from θ*
    targets = forward(teacher, act, X)
    loss, grad = loss_and_gradient(teacher, act, X, targets, delta)
    assert loss == pytest.approx(einsum_loss(star + delta, star, G[name], X, ni, nh), rel=1e-12)
    assert loss_at(teacher, act, X, targets, delta) == pytest.approx(loss, rel=1e-12)
    assert loss > 1e-3                       # really away from the optimum
    h = 1e-6
    fd = np.array([(einsum_loss(star + delta + h * e, star, G[name], X, ni, nh)
                    - einsum_loss(star + delta - h * e, star, G[name], X, ni, nh)) / (2 * h)
                   for e in np.eye(star.size)])
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-7 * np.abs(fd).max())


# ----------------------------------------------------------------------------- linearised theory

def test_mode_energies_sum_to_the_linearised_loss_and_start_at_half_delta_H_delta():
    s = start_of("tanh", steps=50, lr="auto", init_distance=0.05)
    lam, c = s.eigenvalues, s.coefficients
    steps = np.array([0, 1, 7, 50, 10_000])
    for flow in (False, True):
        E = mode_energies(lam, c, s.lr, steps, flow)
        assert E.shape == (steps.size, lam.size)
        np.testing.assert_allclose(E.sum(axis=1), linearized_loss(lam, c, s.lr, steps, flow), rtol=1e-12)
    # Independent: the dense Hessian, not the SVD eigenbasis, and the closed forms of each mode.
    H = sample_hessian(s.teacher, s.problem.model.act, s.inputs)
    assert linearized_loss(lam, c, s.lr, [0])[0] == pytest.approx(0.5 * s.delta0 @ H @ s.delta0, rel=1e-10)
    t = 7
    np.testing.assert_allclose(mode_energies(lam, c, s.lr, [t])[0],
                               0.5 * lam * c ** 2 * (1 - s.lr * lam) ** (2 * t), rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(mode_energies(lam, c, s.lr, [t], flow=True)[0],
                               0.5 * lam * c ** 2 * np.exp(-2 * s.lr * lam * t), rtol=1e-10, atol=1e-300)
    # GD: δ(t) = (I − ηH)^t δ0 in the dense route gives the same loss.
    d = np.linalg.matrix_power(np.eye(H.shape[0]) - s.lr * H, t) @ s.delta0
    assert linearized_loss(lam, c, s.lr, [t])[0] == pytest.approx(0.5 * d @ H @ d, rel=1e-8)


def test_energy_factors_handle_eta_lambda_at_one_and_above_two():
    f = decay_factors(np.array([0.0, 1e-12, 1.0, 3.0]), [1], lr=1.0)[0]
    assert f[0] == 1.0 and 1 - f[1] == pytest.approx(2e-12, rel=1e-6)
    assert f[2] == 0.0 and f[3] == pytest.approx(4.0)
    E = mode_energies(np.array([1.0, 3.0]), np.array([1.0, 1.0]), 1.0, [0, 1, 2])
    np.testing.assert_allclose(E, [[0.5, 1.5], [0.0, 6.0], [0.0, 24.0]])


def test_first_step_matches_a_brute_force_scan_beyond_the_exact_range():
    lam = np.array([1e-5, 3e-4, 0.01, 1.0])
    c = np.ones(4)
    T = 200_000
    curve = linearized_loss(lam, c, 0.5, np.arange(T + 1))
    for level in (1e-2, 1e-3, 3e-6):
        target = curve[0] * level
        brute = int(np.flatnonzero(curve <= target)[0]) if np.any(curve <= target) else None
        assert first_step(lambda ts: linearized_loss(lam, c, 0.5, ts) <= target, T) == brute
    assert first_step(lambda ts: linearized_loss(lam, c, 0.5, ts) <= 0, T) is None


# ----------------------------------------------------------------------------- against the nonlinear run

def test_linear_network_follows_the_linearised_curve_within_one_percent():
    r = run_dynamics(prepare_dynamics(model("linear", 6, 10, 200, seed=1),
                                      DynamicsConfig(lr="auto", steps=80, init_distance=1e-5, slow_modes=2)))
    assert r.status == "finished" and r.steps.tolist() == list(range(81))
    assert r.loss[-1] < 1e-8 * r.loss[0]                     # many decades: a real test
    np.testing.assert_allclose(r.loss, r.loss_linearized, rtol=1e-2)
    # The slow modes' actual energies (projections of δ(t) on θ*'s eigenvectors) follow theirs
    # until GD, which converges to a point of the optimal manifold O(ε²) away from θ*, levels
    # them off (the zero modes are flat directions; the loss itself still goes to 0).
    E0 = r.mode_energy_predicted[0]
    big = r.mode_energy_predicted > 1e-4 * E0
    assert big.sum() > 20
    np.testing.assert_allclose(r.mode_energy_actual[big], r.mode_energy_predicted[big], rtol=1e-2)
    assert r.time_to_target.predicted == r.time_to_target.actual is not None
    # Rank Ni: the slow modes are the smallest of the Ni nonzero eigenvalues.
    assert r.rank == 6 and r.slow_modes.tolist() == [r.eigenvalues.size - 6, r.eigenvalues.size - 5]


@pytest.mark.parametrize("name", ["erf", "quadratic"])
def test_nonlinear_networks_match_the_linearisation_near_the_optimum(name):
    # Measured at Ni=10, Nh=20, N=4000, ε=1e-2 over 3000 steps: < 1%; smaller here to stay fast,
    # with ε=1e-3: the deviation grows like ε·log(L0/L) (the nearby optimum GD converges to
    # has an O(ε)-different Hessian), and ε=1e-2 gives 6% at these sizes for z².
    r = run_dynamics(prepare_dynamics(model(name, 5, 8, 600, seed=2),
                                      DynamicsConfig(lr="auto", steps=1500, init_distance=1e-3,
                                                     record_every=10)))
    assert r.status == "finished"
    assert r.loss[-1] < 2e-3 * r.loss[0]
    np.testing.assert_allclose(r.loss, r.loss_linearized, rtol=1e-2)


def test_takeover_of_the_slow_modes_predicted_and_seen():
    r = run_dynamics(prepare_dynamics(model("linear", 6, 10, 200, seed=1),
                                      DynamicsConfig(lr="auto", steps=60, init_distance=1e-4, slow_modes=2)))
    pred, act = r.takeover_step
    share = r.slow_share_predicted
    assert pred is not None and pred > 0
    assert share[pred] > 0.5 and share[pred - 1] <= 0.5          # steps are 0..T here
    assert act == int(np.flatnonzero(r.slow_share_actual > 0.5)[0])
    assert abs(act - pred) <= 1
    # The shares are the slow energies over the loss.
    np.testing.assert_allclose(share, r.mode_energy_predicted.sum(1) / r.loss_linearized, rtol=1e-12)


def test_random_start_has_norm_epsilon_and_mode_start_lies_in_the_chosen_modes():
    s = start_of(init_distance=0.02)
    assert np.linalg.norm(s.delta0) == pytest.approx(0.02)
    s2 = start_of(init_distance=0.02)
    np.testing.assert_array_equal(s.delta0, s2.delta0)          # seeded
    assert not np.array_equal(s.delta0, start_of(init_distance=0.02, seed=4).delta0)
    slow = start_of(init_distance=0.02, init_modes="slow", slow_modes=3)
    others = np.setdiff1d(np.arange(slow.coefficients.size), slow.slow_modes)
    assert np.abs(slow.coefficients[others]).max() < 1e-14
    assert np.linalg.norm(slow.coefficients[slow.slow_modes]) == pytest.approx(0.02)
    top = start_of(init_distance=0.02, init_modes=(-1,))
    assert abs(top.coefficients[-1]) == pytest.approx(0.02)


def test_start_from_file_is_used_exactly(tmp_path):
    p = model().ni * model().nh + model().nh
    d = 1e-3 * np.random.default_rng(0).standard_normal(p)
    f = tmp_path / "d.npy"
    np.save(f, d)
    s = start_of(init_file=str(f), init_distance=0.5)        # ε is ignored with a file (GUI default)
    np.testing.assert_array_equal(s.delta0, d)
    assert s.config["init_distance"] == pytest.approx(np.linalg.norm(d))
    np.testing.assert_allclose(s.coefficients, s.spectrum.eigenvectors.T @ d)


@pytest.mark.parametrize("content, words", [
    (np.zeros(7), "shape"), (np.full(29, np.nan), "NaN"), (np.zeros(29), "zeros"),
    (np.ones((29, 1)), "shape"), (np.array(["a"] * 29), "real")])
def test_bad_init_files_are_input_errors(tmp_path, content, words):
    f = tmp_path / "d.npy"
    np.save(f, content)
    with pytest.raises(InputError, match=words):
        load_init_vector(f, 29)
    with pytest.raises(InputError):
        prepare_dynamics(model(), DynamicsConfig(steps=10, init_file=str(f)))


@pytest.mark.parametrize("dyn", [dict(lr=0), dict(lr=-1.0), dict(lr="fast"), dict(lr=float("nan")),
                                 dict(steps=0), dict(steps=-5), dict(steps=2.5), dict(batch=0),
                                 dict(slow_modes=0), dict(record_every=0), dict(target_decades=0),
                                 dict(init_distance=0.0), dict(init_modes=(99,)), dict(init_modes="x"),
                                 dict(init_file="nowhere.npy"),
                                 dict(init_file="nowhere.npy", init_modes="slow")])
def test_bad_dynamics_settings_are_input_errors(dyn):
    dyn.setdefault("steps", 10)
    with pytest.raises(InputError):
        prepare_dynamics(model(), DynamicsConfig(**dyn))


def test_population_mode_is_refused():
    with pytest.raises(InputError, match="population"):
        prepare_dynamics(SpectrumConfig(activation="erf", ni=3, nh=2, population=True),
                         DynamicsConfig(steps=5))


# ----------------------------------------------------------------------------- stability

def test_divergence_at_three_over_lambda_max_is_detected_and_the_run_kept():
    s = start_of("erf", steps=10)
    lam_max = s.eigenvalues[-1]
    r = run_dynamics(prepare_dynamics(model("erf"), DynamicsConfig(lr=3 / lam_max, steps=5000,
                                                                   init_distance=1e-4)))
    assert r.status == "diverged"
    assert any("2/λ_max" in w for w in r.warnings)
    assert 1 < r.final_step < 5000 and r.steps[-1] == r.final_step
    n = r.steps.size
    assert n == r.final_step + 1                       # every step up to the blow-up is kept
    assert r.loss.size == r.loss_linearized.size == n and r.mode_energy_actual.shape[0] == n
    assert np.all(np.isfinite(r.loss[:-1]))
    assert not r.loss[-1] <= 1e6 * r.initial_loss   # the last recorded loss is the blow-up
    assert r.time_to_target.actual is None


def test_no_warning_below_the_stability_limit():
    s = start_of(lr="auto", steps=10)
    assert s.lr == pytest.approx(1 / s.eigenvalues[-1])
    assert s.stability_limit == pytest.approx(2 / s.eigenvalues[-1])
    assert not any("2/λ_max" in w for w in s.warnings)


# ----------------------------------------------------------------------------- streaming and cancel

def test_chunks_concatenate_to_the_result_and_only_the_last_is_final():
    s = start_of("tanh", steps=40, record_every=3)
    chunks = list(iter_trajectory(s, chunk_seconds=0.0))
    assert len(chunks) > 5
    assert all(c.status == "running" for c in chunks[:-1]) and chunks[-1].status == "finished"
    r = collect_result(s, chunks)
    assert r.steps.tolist() == list(range(0, 40, 3)) + [40]
    again = run_dynamics(s)
    np.testing.assert_array_equal(r.loss, again.loss)
    np.testing.assert_array_equal(r.mode_energy_actual, again.mode_energy_actual)
    assert r.final_delta is not None and r.final_delta.shape == s.delta0.shape


def test_cancel_from_another_thread_keeps_the_partial_trajectory():
    s = start_of("erf", steps=10 ** 7, record_every=1000)
    state = JobState()
    timer = threading.Timer(0.3, state.cancel)
    timer.start()
    try:
        r = run_dynamics(s, state)
    finally:
        timer.cancel()
    assert r.status == "cancelled"
    assert 0 < r.final_step < 10 ** 7 and r.steps[-1] == r.final_step
    assert r.loss.size == r.steps.size == r.mode_energy_actual.shape[0] > 1
    assert np.all(np.isfinite(r.loss))


def test_cancel_from_the_progress_callback():
    s = start_of("erf", steps=100_000)
    state = JobState(lambda fraction, message: state.cancel() if fraction >= 1e-4 else None)
    r = run_dynamics(s, state, chunk_seconds=0.0)
    assert r.status == "cancelled"
    assert 10 <= r.final_step < 100 and r.steps.tolist() == list(range(r.final_step + 1))


def test_cancel_before_the_start_raises_cancelled():
    state = JobState()
    state.cancel()
    with pytest.raises(Cancelled):
        start_dynamics(prepare_dynamics(model(), DynamicsConfig(steps=5)), state)


# ----------------------------------------------------------------------------- SGD

def test_sgd_is_reproducible_from_the_seed_and_learns():
    def run(seed):
        return run_dynamics(prepare_dynamics(model("tanh", seed=seed),
                                             DynamicsConfig(lr="auto", steps=400, batch=16,
                                                            record_every=50, init_distance=0.05)))
    a, b, c = run(3), run(3), run(4)
    assert a.status == "finished" and a.config["batch"] == 16
    np.testing.assert_array_equal(a.loss, b.loss)
    assert a.steps.tolist() == list(range(0, 401, 50))
    assert a.loss[-1] < 0.5 * a.loss[0]
    assert not np.array_equal(a.loss, c.loss)
    # Not full-batch GD: the same start with all N samples differs.
    gd = run_dynamics(prepare_dynamics(model("tanh", seed=3),
                                       DynamicsConfig(lr="auto", steps=400, record_every=50,
                                                      init_distance=0.05)))
    np.testing.assert_array_equal(gd.loss[0], a.loss[0])
    assert not np.allclose(gd.loss[1:], a.loss[1:], rtol=1e-6)


def test_batch_of_all_samples_is_gradient_descent():
    p = prepare_dynamics(model(n=64), DynamicsConfig(steps=30, batch=64))
    assert isinstance(p, DynamicsProblem) and p.full_batch


def test_the_start_for_display_pickles_small_and_keeps_what_a_plot_needs():
    import pickle

    problem = prepare_dynamics(SpectrumConfig("tanh", 4, 3, samples=300, seed=2),
                               DynamicsConfig(steps=50, slow_modes=2))
    start = start_dynamics(problem)
    light = pickle.loads(pickle.dumps(start.for_display()))
    assert light.inputs is None and light.spectrum.eigenvectors is None
    assert len(pickle.dumps(start.for_display())) < len(pickle.dumps(start)) / 3
    np.testing.assert_array_equal(light.eigenvalues, start.eigenvalues)
    np.testing.assert_array_equal(light.coefficients, start.coefficients)
    assert light.config == start.config and light.total_steps == 50 and light.flow is False
    assert (light.predicted_takeover_step, light.stability_limit) == \
        (start.predicted_takeover_step, start.stability_limit)


def test_replay_frames_are_the_states_of_the_run_at_their_steps():
    """Snapshots kept for the window's replay: at most `snapshots` + 1 frames, evenly spread,
    the last one at the last step, each equal to θ − θ* of a separate run stopped there."""
    def problem(steps):
        return prepare_dynamics(SpectrumConfig("erf", 3, 4, samples=60, seed=2),
                                DynamicsConfig(lr="auto", steps=steps, record_every=3))
    chunks = list(iter_trajectory(problem(300), chunk_seconds=0.0, snapshots=20))
    steps = np.concatenate([c.snapshot_steps for c in chunks])
    frames = np.concatenate([c.snapshots for c in chunks])
    assert 15 <= steps.size <= 21 and steps[0] == 0 and steps[-1] == 300
    assert np.all(np.diff(steps) > 0) and frames.shape == (steps.size, 16)
    for k in (1, steps.size // 2):
        alone = list(iter_trajectory(problem(int(steps[k]))))[-1].final_delta
        np.testing.assert_array_equal(frames[k], alone)
    none = list(iter_trajectory(problem(30)))
    assert all(c.snapshots.shape == (0, 16) for c in none)
