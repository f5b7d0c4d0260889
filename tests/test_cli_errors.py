"""The command line's one error boundary: every failure one line and exit 2, signals one line
and 130/143 with nothing written, a bug one line with a hint (its traceback with --debug)."""
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import engine.commands.spectrum as spectrum_command
import main

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["spectrum", "--activation", "erf", "--ni", "2", "--nh", "2"]


def call(capsys, *argv):
    code = main.main([str(a) for a in argv])
    err = capsys.readouterr().err
    return code, err.strip().splitlines()


@pytest.mark.parametrize("exc, words", [
    (OSError(28, "No space left on device", "out.json"), "No space left on device"),
    (np.linalg.LinAlgError("SVD did not converge"), "did not converge"),
    (MemoryError(), "out of memory"),
    (RuntimeError("boom"), "this is a bug"),
])
def test_every_failure_is_one_line_and_status_2(capsys, monkeypatch, tmp_path, exc, words):
    def fail(args):
        raise exc
    monkeypatch.setattr(spectrum_command, "run", fail)
    code, lines = call(capsys, *ARGS, "--json", tmp_path / "o.json")
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]


def test_debug_shows_the_bug_itself(monkeypatch, tmp_path):
    def fail(args):
        raise RuntimeError("boom")
    monkeypatch.setattr(spectrum_command, "run", fail)
    with pytest.raises(RuntimeError, match="boom"):
        main.main(["--debug", *ARGS, "--json", str(tmp_path / "o.json")])


def test_warnings_never_reach_the_user(capsys, monkeypatch, tmp_path):
    def noisy(args):
        warnings.warn("overflow encountered in multiply", RuntimeWarning)
        np.exp(np.array([1000.0]))
        return 0
    monkeypatch.setattr(spectrum_command, "run", noisy)
    code, lines = call(capsys, *ARGS, "--json", tmp_path / "o.json")
    assert code == 0 and lines == []


def _start(*argv):
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, argv)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                              (signal.SIGTERM, 143, "terminated")])
def test_a_signal_mid_run_is_one_line_and_writes_nothing(tmp_path, sig, code, word):
    out = tmp_path / "o.json"
    proc = _start("spectrum", "--activation", "tanh", "--ni", 8, "--nh", 30, "--population",
                  "--teachers", 200, "--json", out)
    time.sleep(2.0)                                  # well inside the computation
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    lines = [l for l in stderr.splitlines() if l.strip() and "%" not in l]
    assert proc.returncode == code and lines == [f"{word}; nothing was written"], stderr
    assert "Traceback" not in stderr and list(tmp_path.iterdir()) == []


def test_ctrl_c_during_start_up_is_one_line(tmp_path):
    proc = _start(*ARGS, "--json", tmp_path / "o.json")
    time.sleep(0.25)                                 # importing numpy and scipy
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert [l for l in stderr.splitlines() if l.strip()] == ["interrupted; nothing was written"]


@pytest.mark.slow
def test_no_output_may_overwrite_an_input_or_a_device(tmp_path):
    from engine.model import Teacher, save_teacher

    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(0).standard_normal((30, 2)))
    w = tmp_path / "w.npz"
    save_teacher(w, Teacher(np.eye(2), np.ones(2)))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    cases = [
        ["spectrum", "--activation", "erf", "--ni", 2, "--nh", 2, "--inputs", x, "--json", x],
        ["spectrum", "--activation", "erf", "--ni", 2, "--nh", 2, "--weights", w, "--json", w],
        ["dynamics", "--activation", "erf", "--ni", 2, "--nh", 2, "--inputs", x, "--lr", "auto",
         "--steps", 3, "--json", tmp_path / ".." / tmp_path.name / "x.npy"],
        ["spectrum", "--activation", "erf", "--ni", 2, "--nh", 2, "--json", "/dev/null"],
    ]
    for argv in cases:
        r = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, argv)],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1, (argv, r.stderr)
        assert "input of this run" in lines[0] or "not a regular file" in lines[0], lines
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before     # untouched
    cfg = tmp_path / "c.json"
    cfg.write_text('{"activation": "cubic", "ni": 3, "nh": 2}')
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", cfg, "--screenshot", cfg],
                       capture_output=True, text=True, timeout=60, cwd=ROOT,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 2 and "input of this run" in r.stderr
    assert cfg.read_text() == '{"activation": "cubic", "ni": 3, "nh": 2}'


def test_a_long_legal_file_name_is_written(tmp_path):
    out = tmp_path / ("s" * 250 + ".json")
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), *ARGS, "--json", str(out)],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert out.is_file() and [p.name for p in tmp_path.iterdir()] == [out.name]
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), *ARGS, "--json",
                        str(tmp_path / ("s" * 260 + ".json"))], capture_output=True, text=True,
                       timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "longer than 255 bytes" in r.stderr


@pytest.mark.parametrize("extra, outcome", [
    (["--activation", "poly:0,1e200"], "not finite"),            # was exit 0 with null eigenvalues
    (["--activation", "poly:1e308"], "not finite"),
    (["--activation", "erf", "--rtol", "1e308"], "rtol must be below 1"),   # was rank 0, null tolerance
    (["--activation", "tanh", "--population", "--sigma1", "1e200"], "widest neuron"),  # was LinAlgError
    # the default rule capped at 2001 nodes gave a negative eigenvalue of −13.8 here, silently:
    (["--activation", "tanh", "--population", "--sigma1", "100"], "insist with --nodes"),
    # erf's expectations are in closed form: a wide teacher is exact, an overflowing one one line
    (["--activation", "erf", "--population", "--sigma1", "100"], None),
    (["--activation", "erf", "--population", "--sigma1", "1e200"], "not finite"),
    (["--activation", "linear", "--population", "--sigma1", "1e200"], "not finite"),
    (["--activation", "linear", "--ni", "1", "--nh", "1", "--samples", "4", "--teachers", "3"], None),
    (["--activation", "erf", "--population", "--nodes", "1"], None),           # was an IndexError
])
def test_degenerate_numbers_give_a_result_or_one_line(tmp_path, extra, outcome):
    out = tmp_path / "o.json"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "spectrum", "--ni", "2", "--nh", "2",
                        *extra, "--json", str(out)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "Traceback" not in r.stderr and "bug" not in r.stderr, r.stderr
    if outcome is None:
        import json

        assert r.returncode == 0, r.stderr
        assert all(np.isfinite(json.loads(out.read_text())["teachers"][0]["eigenvalues"]))
    else:
        lines = [l for l in r.stderr.splitlines() if l.startswith("error")]
        assert r.returncode == 2 and len(lines) == 1 and outcome in lines[0], r.stderr
        assert not out.exists()
