"""engine.theory: which law a linear network's run is compared with (docs/methods.md §3)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import laws
from engine.ensemble import SpectrumConfig, iter_spectra, prepare
from engine.model import Teacher, save_teacher
from engine.theory import law_choice, theory_record

ROOT = Path(__file__).resolve().parent.parent


def spectra(problem):
    return [r.spectrum for r in iter_spectra(problem)]


def test_an_ensemble_is_compared_with_the_pooled_law():
    problem = prepare(SpectrumConfig("linear", 10, 20, population=True, teachers=50, seed=1))
    choice = law_choice(problem)
    assert choice.kind == "pooled" and not choice.needs_teacher
    s = spectra(problem)
    law = choice.law()
    direct = laws.pooled_law(10, 20, None, None, None)
    np.testing.assert_array_equal(law.cdf, direct.cdf)
    eig = np.concatenate([x.eigenvalues[-10:] for x in s])
    assert choice.ks_distance(law, s) == direct.ks_distance(eig)


@pytest.mark.parametrize("samples", [None, 60])
def test_one_teacher_is_compared_with_the_law_given_its_w2(samples):
    problem = prepare(SpectrumConfig("linear", 30, 10, samples=samples, population=samples is None,
                                     teachers=1, seed=4))
    choice = law_choice(problem)
    assert choice.kind == "conditional" and choice.needs_teacher
    s = spectra(problem)
    w2 = float(s[0].w2_norm_sq)
    record = theory_record(problem, s)
    law = laws.conditional_law(30, 10, None, w2, samples)
    assert record["law_kind"] == "conditional" and record["law"] == law.label
    assert record["ks_distance"] == pytest.approx(law.ks_distance(s[0].eigenvalues[-30:]), rel=1e-12)
    assert f"{w2:.3g}" in choice.with_teacher_s(w2).label
    # the pooled law is the wrong one here: it adds the spread of ‖W2‖² this run does not have
    pooled = laws.pooled_law(30, 10, None, None, samples).ks_distance(s[0].eigenvalues[-30:])
    assert pooled > record["ks_distance"]


def test_a_fixed_teacher_knows_its_w2_before_any_computation(tmp_path):
    rng = np.random.default_rng(3)
    t = Teacher(rng.standard_normal((8, 12)) / np.sqrt(12), rng.standard_normal(8) / np.sqrt(8))
    path = tmp_path / "t.npz"
    save_teacher(path, t)
    problem = prepare(SpectrumConfig("linear", 12, 8, population=True, weights=str(path)))
    choice = law_choice(problem)
    assert choice.kind == "conditional" and choice.s == pytest.approx(t.w2_norm_sq, rel=1e-15)
    # through the command line: the same rule
    out = tmp_path / "s.json"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "spectrum", "--activation", "linear",
                        "--ni", "12", "--nh", "8", "--population", "--weights", str(path),
                        "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    theory = json.loads(out.read_text())["theory"]
    law = laws.conditional_law(12, 8, None, t.w2_norm_sq, None)
    assert theory["law_kind"] == "conditional" and theory["law"] == law.label
    eig = np.array(json.loads(out.read_text())["teachers"][0]["eigenvalues"])[-12:]
    assert theory["ks_distance"] == pytest.approx(law.ks_distance(eig), rel=1e-12)


def test_with_fewer_samples_than_inputs_each_teacher_gives_n_eigenvalues():
    problem = prepare(SpectrumConfig("linear", 20, 10, samples=8, teachers=3, seed=2))
    choice = law_choice(problem)
    s = spectra(problem)
    eig = choice.eigenvalues(s)
    assert eig.size == 3 * 8
    np.testing.assert_array_equal(eig, np.concatenate([x.eigenvalues[-8:] for x in s]))
    assert np.all(eig > 0) and all(x.eigenvalues[-9] < 1e-12 * x.eigenvalues[-1] for x in s)


def test_nonlinear_networks_have_no_law():
    assert law_choice(prepare(SpectrumConfig("erf", 3, 2, teachers=2))) is None


def test_a_teacher_with_zero_w2_is_a_result_without_a_law(tmp_path):
    path = tmp_path / "w.npz"
    save_teacher(path, Teacher(np.array([[1.0, 0.5], [0.2, 0.3]]), np.zeros(2)))
    problem = prepare(SpectrumConfig("linear", 2, 2, weights=str(path)))
    s = spectra(problem)
    record = theory_record(problem, s)
    assert record["ks_distance"] is None and record["law"] is None
    assert "‖W2‖² = 0" in record["unavailable"] and record["n_eigenvalues"] == 2
    assert s[0].rank == 2                       # the spectrum itself: W1ᵀW1 has rank 2
