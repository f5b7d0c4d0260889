"""`python main.py landscape` and `spectrum --eigenvectors`: the files they write, read back,
their defaults, and bad input (exit 2, one line, nothing written)."""
import importlib.util
import json

import numpy as np
import pytest

import engine.cli as cli
from engine.ensemble import SpectrumConfig, prepare, teacher_and_inputs
from engine.landscape import compute_slice
from engine.model import Teacher, save_teacher
from engine.population import population_hessian
from engine.spectrum import sample_hessian

BASE = ["landscape", "--activation", "erf", "--ni", "3", "--nh", "3", "--samples", "200"]
P = 3 * 3 + 3
KEYS = {"config", "modes", "eigenvalues", "directions", "a", "b", "loss", "quadratic"}


@pytest.fixture
def run(monkeypatch, capsys):
    """main.main(argv) in this process (subcommands whose modules exist: others may be in
    progress); returns (exit status, stdout lines, stderr lines)."""
    available = {k: v for k, v in cli.COMMANDS.items()
                 if importlib.util.find_spec(f"engine.commands.{k}") is not None}
    monkeypatch.setattr(cli, "COMMANDS", available)
    import main

    def call(*argv):
        capsys.readouterr()
        try:
            code = main.main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out.strip().splitlines(), out.err.strip().splitlines()
    return call


# ----------------------------------------------------------------------------- spectrum --eigenvectors

@pytest.mark.parametrize("population", [False, True])
@pytest.mark.parametrize("act", ["erf", "poly:0.2,1,0.5,-0.3"])
def test_exported_eigenvectors_are_eigenvectors_of_the_dense_hessian(run, tmp_path, act, population):
    out, vec = tmp_path / "s.json", tmp_path / "v.npz"
    mode = ["--population"] if population else ["--samples", "80"]
    code, lines, err = run("spectrum", "--activation", act, "--ni", 4, "--nh", 3, *mode,
                           "--teachers", 2, "--seed", 3, "--json", out, "--eigenvectors", vec)
    assert code == 0 and err == [] and len(lines) == 1 and str(vec) in lines[0]
    with np.load(vec) as f:
        assert sorted(f.files) == ["eigenvalues", "eigenvectors"]
        lam, V = f["eigenvalues"], f["eigenvectors"]
    p = 4 * 3 + 3
    assert lam.shape == (p,) and V.shape == (p, p) and np.all(np.diff(lam) >= 0)
    doc = json.loads(out.read_text())
    assert np.array_equal(doc["teachers"][0]["eigenvalues"], lam)        # the same numbers
    pr = prepare(SpectrumConfig(act, 4, 3, samples=None if population else 80,
                                population=population, teachers=2, seed=3))
    t, X = teacher_and_inputs(pr, 0)
    H = population_hessian(t, pr.act) if population else sample_hessian(t, pr.act, X)
    assert np.max(np.abs(H @ V - V * lam)) <= 1e-10 * lam[-1]
    np.testing.assert_allclose(V.T @ V, np.eye(p), rtol=0, atol=1e-10)


def test_linear_eigenvectors_take_the_general_route(run, tmp_path):
    vec = tmp_path / "v.npz"
    code, _, err = run("spectrum", "--activation", "linear", "--ni", 3, "--nh", 2, "--samples", 40,
                       "--json", tmp_path / "s.json", "--eigenvectors", vec)
    assert code == 0, err
    with np.load(vec) as f:
        lam, V = f["eigenvalues"], f["eigenvectors"]
    t, X = teacher_and_inputs(prepare(SpectrumConfig("linear", 3, 2, samples=40)), 0)
    H = sample_hessian(t, prepare(SpectrumConfig("linear", 3, 2)).act, X)
    assert np.max(np.abs(H @ V - V * lam)) <= 1e-10 * lam[-1]


def test_eigenvectors_count_in_the_dry_run(run, tmp_path):
    args = ["spectrum", "--activation", "erf", "--ni", 20, "--nh", 20, "--samples", 2000,
            "--json", tmp_path / "s.json"]
    code, plain, _ = run(*args, "--dry-run")
    code2, vec, _ = run(*args, "--eigenvectors", tmp_path / "v.npz", "--dry-run")
    assert code == code2 == 0
    p = 420
    assert json.loads(vec[0])["memory_bytes"] > json.loads(plain[0])["memory_bytes"] + 2 * 8 * p * p
    assert list(tmp_path.iterdir()) == []


def test_bad_eigenvector_paths_are_refused_before_computing(run, tmp_path):
    save_teacher(tmp_path / "w.npz", Teacher(np.ones((2, 3)), np.ones(2)))
    base = ["spectrum", "--activation", "erf", "--ni", 3, "--nh", 2, "--json", tmp_path / "s.json"]
    (tmp_path / "folder").mkdir()
    for path, words in [(tmp_path / "s.json", "both name"), (tmp_path / "w.npz", "also an input"),
                        (tmp_path / "folder", "is a folder"), (tmp_path / "no" / "v.npz", "does not exist")]:
        code, _, err = run(*base, "--weights", tmp_path / "w.npz", "--eigenvectors", path)
        assert code == 2 and len(err) == 1 and words in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "w.npz"]


# ----------------------------------------------------------------------------- landscape

def test_landscape_writes_the_documented_keys_and_shapes_with_the_defaults(run, tmp_path):
    out = tmp_path / "l.json"
    code, lines, err = run(*BASE, "--seed", 2, "--json", out)
    assert code == 0 and err == [] and len(lines) == 1 and lines[0].startswith(f"wrote {out}")
    d = json.loads(out.read_text())
    assert set(d) == KEYS
    g = 41
    assert len(d["a"]) == len(d["b"]) == g
    assert np.shape(d["loss"]) == np.shape(d["quadratic"]) == (g, g)
    assert np.shape(d["directions"]) == (2, P) and len(d["eigenvalues"]) == 2
    cfg = d["config"]
    assert cfg["grid"] == g and cfg["modes"] == d["modes"] and cfg["seed"] == 2
    assert cfg["mode"] == "sample" and cfg["samples"] == 200
    assert cfg["span"] == pytest.approx(np.sqrt(10) * 1e-2) and d["a"][-1] == pytest.approx(cfg["span"])
    # default modes: the smallest eigenvalue above the rank tolerance, and P − 1
    pr = prepare(SpectrumConfig("erf", 3, 3, samples=200, seed=2))
    s = compute_slice(pr)
    assert d["modes"] == [s.modes[0], P - 1]
    assert np.array_equal(d["loss"], s.loss) and np.array_equal(d["eigenvalues"], s.eigenvalues)


def test_landscape_modes_grid_span_and_negative_indices(run, tmp_path):
    out = tmp_path / "l.json"
    code, _, err = run(*BASE, "--modes=-2,-1", "--grid", 5, "--span", 0.1, "--json", out)
    assert code == 0, err
    d = json.loads(out.read_text())
    assert d["modes"] == [P - 2, P - 1] and np.shape(d["loss"]) == (5, 5)
    np.testing.assert_allclose(d["a"], np.linspace(-0.1, 0.1, 5), atol=1e-17)
    code, _, err = run(*BASE, "--modes", "4,-3", "--grid", 3, "--json", out)
    assert code == 0 and json.loads(out.read_text())["modes"] == [4, P - 3]


def test_landscape_population_mode(run, tmp_path):
    out = tmp_path / "p.json"
    code, _, err = run("landscape", "--activation", "tanh", "--ni", 2, "--nh", 2, "--population",
                       "--grid", 3, "--json", out)
    assert code == 0, err
    d = json.loads(out.read_text())
    assert d["config"]["mode"] == "population" and d["config"]["samples"] is None
    lam = np.array(d["eigenvalues"])
    assert np.array(d["quadratic"])[2, 2] == pytest.approx(0.5 * lam.sum() * d["a"][2] ** 2)


@pytest.mark.parametrize("flags, words", [
    (["--modes", "0,99"], "out of range"), (["--modes=-13,0"], "out of range"),
    (["--modes", "3,3"], "twice"), (["--modes", "3"], "two mode indices"),
    (["--modes", "a,b"], "two mode indices"), (["--modes", "1,2,3"], "two mode indices"),
    (["--grid", "2"], "grid"), (["--grid", "0"], "grid"), (["--grid", "5000"], "grid"),
    (["--span", "0"], "span"), (["--span", "-1"], "span"), (["--span", "nan"], "span"),
    (["--span", "inf"], "span"), (["--samples", "0"], "samples"),
    (["--population", "--samples", "5"], "not allowed"),
])
def test_bad_landscape_input_is_one_line_exit_2_and_no_file(run, tmp_path, flags, words):
    base = [f for f in BASE if f not in ("--samples", "200")] if "--samples" in flags or \
        "--population" in flags else BASE
    out = tmp_path / "l.json"
    code, lines, err = run(*base, *flags, "--json", out)
    assert code == 2 and len(err) == 1 and words in err[0] and lines == [], err
    assert list(tmp_path.iterdir()) == []
    code, lines, err = run(*base, *flags, "--json", out, "--dry-run")       # refused there too
    assert code == 2 and len(err) == 1 and list(tmp_path.iterdir()) == []


def test_landscape_dry_run_prints_json_and_writes_nothing(run, tmp_path):
    out = tmp_path / "l.json"
    code, lines, err = run(*BASE, "--grid", 101, "--json", out, "--dry-run")
    assert code == 0 and err == [] and len(lines) == 1
    doc = json.loads(lines[0])
    assert set(doc) == {"memory_bytes", "seconds", "available_bytes", "fits"}
    assert doc["memory_bytes"] > 2 * 8 * 101 ** 2 and doc["seconds"] > 0 and doc["fits"]
    assert list(tmp_path.iterdir()) == []


def test_landscape_output_may_not_be_an_input(run, tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((30, 3)))
    code, _, err = run("landscape", "--activation", "erf", "--ni", 3, "--nh", 3,
                       "--inputs", tmp_path / "x.npy", "--json", tmp_path / "x.npy")
    assert code == 2 and len(err) == 1 and "also an input" in err[0]
