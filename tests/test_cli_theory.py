"""`python main.py theory`, run as a user runs it: a real subprocess, the JSON read back."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "theory", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def check_law(d):
    lam, rho, cdf = (np.array(d[k], dtype=float) for k in ("lambda", "density", "cdf"))
    assert lam.size == rho.size == cdf.size >= 2000
    assert np.all(np.diff(lam) > 0) and np.all(rho >= 0) and np.all(np.diff(cdf) >= 0)
    assert abs(d["mass"] - 1.0) < 1e-3
    # the mass is the density's integral plus the atoms: check it from the numbers written
    integral = np.sum(0.5 * (rho[1:] + rho[:-1]) * np.diff(lam)) + sum(w for _, w in d["atoms"])
    assert integral == pytest.approx(1.0, abs=1e-3)
    lo, hi = d["support"]
    assert lo <= lam[0] < lam[-1] <= hi
    return lam, rho, cdf


@pytest.mark.parametrize("extra,atoms", [
    ((), 0),                                                   # pooled, N → ∞
    (("--population",), 0),
    (("--samples", 45), 0),                                    # pooled, finite data
    (("--law", "conditional"), 1),                             # atom at s (Ni > Nh)
    (("--law", "conditional", "--s", 2.5, "--samples", 20), 0),
])
def test_theory_writes_a_law_that_reads_back(tmp_path, extra, atoms):
    out = tmp_path / "law.json"
    r = run("--ni", 30, "--nh", 10, *extra, "--json", out)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    check_law(d)
    assert len(d["atoms"]) == atoms
    cfg = d["config"]
    assert cfg["ni"] == 30 and cfg["nh"] == 10 and cfg["grid"] == 2000
    assert cfg["sigma1"] == pytest.approx(30 ** -0.5) and cfg["sigma2"] == pytest.approx(10 ** -0.5)
    if atoms:
        (x, w), = d["atoms"]
        assert x == pytest.approx(cfg["s"]) == pytest.approx(1.0)      # default s = σ2²·Nh
        assert w == pytest.approx(1 - 10 / 30)
    assert cfg["mode"] == ("sample" if "--samples" in extra else "population")


def test_theory_matches_the_library_and_uses_given_sigmas(tmp_path):
    from engine import laws

    out = tmp_path / "law.json"
    r = run("--ni", 8, "--nh", 12, "--sigma1", 0.4, "--sigma2", 0.25, "--grid", 500, "--json", out)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    law = laws.pooled_law(8, 12, 0.4, 0.25, grid=500)
    assert np.array_equal(d["lambda"], law.lam) and np.allclose(d["density"], law.density)
    assert d["config"]["sigma1"] == 0.4 and d["config"]["sigma2"] == 0.25


@pytest.mark.parametrize("args", [
    ("--ni", 30, "--nh", 10, "--s", 2.0),                       # --s with the pooled law
    ("--ni", 0, "--nh", 10),
    ("--ni", 3, "--nh", -2),
    ("--ni", 3, "--nh", 4, "--samples", 0),
    ("--ni", 3, "--nh", 4, "--grid", 5),
    ("--ni", 3, "--nh", 4, "--sigma1", -1),
    ("--ni", 3, "--nh", 4, "--sigma2", "nan"),
    ("--ni", 3, "--nh", 4, "--law", "conditional", "--s", -1),
    ("--ni", 3, "--nh", 4, "--samples", 5, "--population"),    # argparse: mutually exclusive
    ("--ni", 3, "--nh", 4, "--law", "median"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args):
    out = tmp_path / "law.json"
    r = run(*args, "--json", out)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error:")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_output_is_refused_before_computing(tmp_path):
    r = run("--ni", 3, "--nh", 4, "--json", tmp_path / "missing" / "law.json")
    assert r.returncode == 2 and "does not exist" in r.stderr and r.stderr.count("\n") == 1


def test_help_describes_every_flag_and_default():
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "theory", "--help"],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for flag in ("--ni", "--nh", "--sigma1", "--sigma2", "--samples", "--population", "--law",
                 "--s ", "--grid", "--json"):
        assert flag in text
    for default in ("1/√Ni", "1/√Nh", "σ2²·Nh", "default: 2000", "default: pooled", "N → ∞"):
        assert default in text
    assert "(default: None)" not in text.replace("--json OUT.json where to write the result "
                                                 "(written atomically) (default: None)", "")
