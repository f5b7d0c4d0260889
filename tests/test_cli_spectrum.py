"""`python main.py spectrum`, run as a user runs it: a real subprocess, files read back."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.ensemble import SpectrumConfig, prepare, run_spectra
from engine.model import Teacher, save_teacher

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=300)


def test_spectrum_json_has_every_documented_field(tmp_path):
    out = tmp_path / "s.json"
    r = run("spectrum", "--activation", "quadratic", "--ni", 5, "--nh", 3, "--teachers", 3,
            "--seed", 11, "--samples", 200, "--json", out)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["n_params"] == 18 and d["predicted_rank"] == 12 and d["rank_upper_bound"] == 12
    cfg = d["config"]
    assert cfg["seed"] == 11 and cfg["samples"] == 200 and cfg["mode"] == "sample"
    assert cfg["sigma1"] == pytest.approx(5 ** -0.5) and cfg["sigma2"] == pytest.approx(3 ** -0.5)
    assert len(d["teachers"]) == 3
    expected = run_spectra(prepare(SpectrumConfig("quadratic", 5, 3, samples=200, teachers=3, seed=11)))
    for rec, res in zip(d["teachers"], expected):
        assert set(rec) >= {"eigenvalues", "rank", "rank_tolerance", "w2_norm_sq"}
        assert np.array_equal(rec["eigenvalues"], res.spectrum.eigenvalues)    # exact round trip
        assert rec["rank"] == 12 and rec["rank_tolerance"] > 0
        assert rec["w2_norm_sq"] == pytest.approx(res.teacher.w2_norm_sq)


def test_config_in_the_output_reproduces_the_run(tmp_path):
    out, again = tmp_path / "a.json", tmp_path / "b.json"
    assert run("spectrum", "--activation", "erf", "--ni", 4, "--nh", 3, "--teachers", 2,
               "--seed", 5, "--json", out).returncode == 0
    cfg = json.loads(out.read_text())["config"]
    r = run("spectrum", "--activation", cfg["activation"], "--ni", cfg["ni"], "--nh", cfg["nh"],
            "--samples", cfg["samples"], "--teachers", cfg["teachers"], "--seed", cfg["seed"],
            "--sigma1", repr(cfg["sigma1"]), "--sigma2", repr(cfg["sigma2"]), "--json", again)
    assert r.returncode == 0, r.stderr
    a, b = json.loads(out.read_text()), json.loads(again.read_text())
    assert [t["eigenvalues"] for t in a["teachers"]] == [t["eigenvalues"] for t in b["teachers"]]


def test_population_mode_and_files(tmp_path):
    t = Teacher(np.array([[0.3, -0.2, 0.9], [0.5, 0.4, -0.1]]), np.array([1.0, -0.5]))
    save_teacher(tmp_path / "w.npz", t)
    X = np.random.default_rng(0).standard_normal((30, 3))
    np.save(tmp_path / "x.npy", X)
    out = tmp_path / "p.json"
    r = run("spectrum", "--activation", "tanh", "--ni", 3, "--nh", 2, "--population",
            "--weights", tmp_path / "w.npz", "--json", out)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["config"]["mode"] == "population" and d["config"]["samples"] is None
    assert d["teachers"][0]["w2_norm_sq"] == pytest.approx(1.25)
    assert d["teachers"][0]["rank"] == 8 and d["teachers"][0]["quadrature_nodes"] > 50
    assert d["teachers"][0]["expectations"] == "quadrature"
    r = run("spectrum", "--activation", "erf", "--ni", 3, "--nh", 2, "--population",
            "--weights", tmp_path / "w.npz", "--json", out)
    t0 = json.loads(out.read_text())["teachers"][0]
    assert r.returncode == 0 and t0["expectations"] == "closed form" and "quadrature_nodes" not in t0
    r = run("spectrum", "--activation", "linear", "--ni", 3, "--nh", 2, "--weights", tmp_path / "w.npz",
            "--inputs", tmp_path / "x.npy", "--json", out)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    S = X.T @ X / 30
    M = 1.25 * np.eye(3) + t.W1.T @ t.W1
    w, V = np.linalg.eigh(S)
    root = V @ np.diag(np.sqrt(w)) @ V.T
    np.testing.assert_allclose(d["teachers"][0]["eigenvalues"][-3:], np.linalg.eigvalsh(root @ M @ root), rtol=1e-12)
    assert d["config"]["samples"] == 30 and d["teachers"][0]["rank"] == 3


def test_help_describes_every_flag():
    r = run("--help")
    assert r.returncode == 0 and "spectrum" in r.stdout and "--screenshot" in r.stdout
    r = run("spectrum", "--help")
    assert r.returncode == 0
    for flag in ["--activation", "--ni", "--nh", "--samples", "--population", "--teachers", "--seed",
                 "--sigma1", "--sigma2", "--weights", "--inputs", "--rtol", "--json"]:
        assert flag in r.stdout


def _bad_files(tmp_path):
    np.savez(tmp_path / "wrongkeys.npz", A=np.zeros((2, 3)), W2=np.zeros(2))
    np.savez(tmp_path / "wrongshape.npz", W1=np.zeros((2, 3)), W2=np.zeros(3))
    np.savez(tmp_path / "nan.npz", W1=np.full((2, 3), np.nan), W2=np.zeros(2))
    np.save(tmp_path / "wide.npy", np.zeros((10, 4)))
    inf = np.zeros((10, 3))
    inf[2, 1] = np.inf
    np.save(tmp_path / "inf.npy", inf)
    (tmp_path / "garbage.npy").write_text("not numpy")
    (tmp_path / "ro").mkdir()


BAD = [
    (["--activation", "nope"], "unknown activation"),
    (["--ni", "0"], "Ni"),
    (["--nh", "-3"], "Nh"),
    (["--samples", "0"], "samples"),
    (["--teachers", "0"], "teachers"),
    (["--weights", "{d}/wrongkeys.npz"], "W1"),
    (["--weights", "{d}/wrongshape.npz"], "W2"),
    (["--weights", "{d}/nan.npz"], "NaN"),
    (["--weights", "{d}/missing.npz"], "does not exist"),
    (["--inputs", "{d}/wide.npy"], "Ni=3"),
    (["--inputs", "{d}/inf.npy"], "NaN or infinite"),
    (["--inputs", "{d}/garbage.npy"], "not an .npy array"),
    (["--samples", "1000000000", "--ni", "50", "--nh", "50"], "GB"),
    (["--json", "{d}/no/such/folder/out.json"], "does not exist"),
    (["--json", "{d}/ro"], "folder"),
    (["--ni", "three"], "invalid int"),
]


@pytest.mark.parametrize("extra,words", BAD)
def test_bad_input_gets_one_line_exit_2_and_no_output(tmp_path, extra, words):
    _bad_files(tmp_path)
    out = tmp_path / "out.json"
    base = {"--activation": "erf", "--ni": "3", "--nh": "2", "--json": str(out)}
    extra = [e.format(d=tmp_path) for e in extra]
    for flag, value in zip(extra[::2], extra[1::2]):
        base[flag] = value
    args = [x for kv in base.items() for x in kv]
    r = run("spectrum", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_progress_bar_appears_on_stderr_for_long_runs(tmp_path):
    out = tmp_path / "s.json"
    # ~1.3 s of work: comfortably past the bar's half-second delay on any machine
    r = run("spectrum", "--activation", "tanh", "--ni", 8, "--nh", 30, "--population",
            "--teachers", 6, "--json", out)
    assert r.returncode == 0, r.stderr
    assert "%" in r.stderr and ("teacher" in r.stderr or "quadrature" in r.stderr)
    # not a terminal: plain lines, one per tenth at most, no carriage-return redraws
    assert "\r" not in r.stderr and 1 <= len(r.stderr.splitlines()) <= 11
    # success: one summary line on standard output
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {out}") and "rank 270/270" in lines[0]


@pytest.mark.parametrize("mode", [["--population"], ["--samples", "40"]])
def test_linear_spectrum_reports_the_ks_distance_to_the_matching_law(tmp_path, mode):
    from engine.laws import pooled_law

    out = tmp_path / "lin.json"
    r = run("spectrum", "--activation", "linear", "--ni", 10, "--nh", 20, "--teachers", 200,
            "--seed", 2, *mode, "--json", out)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    # independent route to the nonzero eigenvalues: S^{1/2} M S^{1/2}, M = ‖W2‖² I + W1ᵀW1
    problem = prepare(SpectrumConfig("linear", 10, 20, teachers=200, seed=2,
                                     population=mode[0] == "--population",
                                     samples=int(mode[1]) if len(mode) > 1 else None))
    from engine.ensemble import teacher_and_inputs
    eig = []
    for k in range(200):
        t, X = teacher_and_inputs(problem, k)
        M = t.w2_norm_sq * np.eye(10) + t.W1.T @ t.W1
        if X is not None:
            w, V = np.linalg.eigh(X.T @ X / X.shape[0])
            root = V @ np.diag(np.sqrt(w)) @ V.T
            M = root @ M @ root
        eig.append(np.linalg.eigvalsh(M))
    law = pooled_law(10, 20, None, None, problem.n_samples)
    expected = law.ks_distance(np.concatenate(eig))
    assert d["theory"]["ks_distance"] == pytest.approx(expected, abs=1e-9)
    assert d["theory"]["ks_distance"] < 0.06 and d["theory"]["n_eigenvalues"] == 2000
    # the wrong law (N → ∞ for finite data, or vice versa) is visibly further away
    other = pooled_law(10, 20, None, None, None if problem.n_samples else 40)
    assert other.ks_distance(np.concatenate(eig)) > 2 * d["theory"]["ks_distance"]


def test_nonlinear_spectrum_has_no_theory_block(tmp_path):
    out = tmp_path / "erf.json"
    assert run("spectrum", "--activation", "erf", "--ni", 3, "--nh", 2, "--json", out).returncode == 0
    assert "theory" not in json.loads(out.read_text())


def test_output_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    out = tmp_path / "s.json"
    assert run("spectrum", "--activation", "erf", "--ni", 2, "--nh", 2, "--json", out).returncode == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


def test_progress_is_redrawn_in_place_only_on_a_terminal():
    import io

    from engine.progress import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, in_place in ((io.StringIO(), False), (Terminal(), True)):
        bar = ProgressBar(stream, delay=0.0, interval=0.0)
        for i in range(1001):
            bar(i / 1000, f"item {i}")
        bar.close()
        text = stream.getvalue()
        if in_place:
            assert text.count("\r") == 1001 and text.count("\n") == 1
        else:
            assert "\r" not in text and len(text.splitlines()) == 11
            assert text.splitlines()[-1].startswith("100.0% item 1000")


def test_progress_gives_the_time_left_at_the_pace_so_far(monkeypatch):
    import io

    from engine import progress

    clock = iter([0.0, 10.0, 200.0])                # start, then one reading a call
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = progress.ProgressBar(stream, delay=0.0)
    bar(0.25, "points")          # 10 s for a quarter: 30 s to go
    bar(0.5, "points")           # 200 s for a half: 200 s = 3 min to go
    lines = stream.getvalue().splitlines()
    assert "ETA 30 s" in lines[0] and "ETA 3 min" in lines[1], lines
