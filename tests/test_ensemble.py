"""Ensembles: reproducible from a seed, streamed, cancellable; bad configurations refused early."""
import threading
import time

import numpy as np
import pytest

from engine.ensemble import SpectrumConfig, compute_one, iter_spectra, prepare, run_spectra
from engine.errors import Cancelled, InputError
from engine.jobs import JobState
from engine.model import Teacher, save_teacher


def eigen(cfg, k=None):
    return [r.spectrum.eigenvalues for r in run_spectra(prepare(cfg))]


def test_same_seed_same_spectra_and_teacher_k_does_not_depend_on_k_total():
    a = eigen(SpectrumConfig("tanh", 4, 3, samples=50, teachers=3, seed=7))
    b = eigen(SpectrumConfig("tanh", 4, 3, samples=50, teachers=3, seed=7))
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    single = eigen(SpectrumConfig("tanh", 4, 3, samples=50, teachers=1, seed=7))
    assert np.array_equal(single[0], a[0])
    assert not np.allclose(a[0], a[1])                      # teachers differ
    other = eigen(SpectrumConfig("tanh", 4, 3, samples=50, teachers=1, seed=8))
    assert not np.allclose(other[0], a[0])


def test_seeded_draws_are_fixed_numbers():
    # PCG64 streams are platform independent: pin the first draw of teacher 0 of seed 0.
    problem = prepare(SpectrumConfig("linear", 2, 1, population=True, sigma1=1.0, sigma2=1.0))
    r = compute_one(problem, 0)
    rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(0,)))
    assert np.array_equal(r.teacher.W1, rng.standard_normal((1, 2)))
    assert np.array_equal(r.teacher.W2, rng.standard_normal(1))


def test_results_stream_one_teacher_at_a_time_with_progress():
    seen = []
    state = JobState(lambda f, m: seen.append(f))
    it = iter_spectra(prepare(SpectrumConfig("erf", 3, 3, samples=30, teachers=4)), state)
    first = next(it)
    assert first.index == 0 and max(seen) <= 0.25 + 1e-12
    rest = list(it)
    assert [r.index for r in rest] == [1, 2, 3]
    assert seen[-1] == 1.0 and all(np.diff(seen) >= -1e-12)


def test_weights_file_fixes_the_single_teacher(tmp_path):
    t = Teacher(np.arange(6.0).reshape(2, 3) / 10, np.array([0.5, -1.0]))
    save_teacher(tmp_path / "w.npz", t)
    problem = prepare(SpectrumConfig("cubic", 3, 2, population=True, teachers=5,
                                     weights=str(tmp_path / "w.npz")))
    results = run_spectra(problem)
    assert len(results) == 1 and np.array_equal(results[0].teacher.W1, t.W1)
    assert results[0].spectrum.w2_norm_sq == pytest.approx(1.25)


def test_cancel_interrupts_a_long_svd_without_waiting_for_it(monkeypatch):
    # J is 12000 × 1230: its SVD takes about a second; cancel must not wait for it to finish.
    inside = threading.Event()
    original = JobState.run_interruptible

    def signalling(self, fn):
        inside.set()                      # an indivisible LAPACK call starts now
        return original(self, fn)

    monkeypatch.setattr(JobState, "run_interruptible", signalling)
    problem = prepare(SpectrumConfig("erf", 30, 40, samples=12_000, teachers=3))
    state = JobState()

    def canceller():
        inside.wait(30)
        time.sleep(0.05)
        state.cancel()

    threading.Thread(target=canceller, daemon=True).start()
    got = []
    with pytest.raises(Cancelled):
        for r in iter_spectra(problem, state):
            got.append(r)
    abandoned = [t for t in threading.enumerate() if t.name == "engine-call" and t.is_alive()]
    assert abandoned, "cancel returned only after the SVD had finished"
    assert got == []


def test_cancel_stops_population_quadrature_between_neurons():
    problem = prepare(SpectrumConfig("tanh", 10, 30, population=True, teachers=2))
    calls = []

    def on_progress(f, m):
        calls.append(m)
        if len(calls) == 5:
            state.cancel()

    state = JobState(on_progress)
    with pytest.raises(Cancelled):
        list(iter_spectra(problem, state))
    assert len(calls) == 5              # no progress after the cancel: it stopped right there


@pytest.mark.parametrize("cfg,words", [
    (SpectrumConfig("erf", 0, 3), "Ni"),
    (SpectrumConfig("erf", 3, -1), "Nh"),
    (SpectrumConfig("erf", 3, 3, samples=0), "samples"),
    (SpectrumConfig("erf", 3, 3, teachers=0), "teachers"),
    (SpectrumConfig("erf", 3, 3, sigma1=-1.0), "sigma1"),
    (SpectrumConfig("erf", 3, 3, sigma2=float("nan")), "sigma2"),
    (SpectrumConfig("erf", 3, 3, rtol=0.0), "rtol"),
    (SpectrumConfig("erf", 3, 3, seed=-4), "seed"),
    (SpectrumConfig("nope", 3, 3), "activation"),
    (SpectrumConfig("erf", 3, 3, population=True, samples=10), "population"),
    (SpectrumConfig("erf", 3, 3, weights="/no/such/file.npz"), "does not exist"),
])
def test_bad_configurations_are_refused_with_one_line(cfg, words):
    with pytest.raises(InputError) as info:
        prepare(cfg)
    msg = str(info.value)
    assert words in msg and "\n" not in msg


def test_requests_that_cannot_fit_in_memory_are_refused_before_allocating():
    with pytest.raises(InputError) as info:
        prepare(SpectrumConfig("erf", 50, 50, samples=10 ** 9))
    assert "GB" in str(info.value) and "--population" in str(info.value)
    with pytest.raises(InputError) as info:
        prepare(SpectrumConfig("tanh", 2000, 2000, population=True))
    assert "GB" in str(info.value)
