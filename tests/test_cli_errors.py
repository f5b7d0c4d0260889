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
