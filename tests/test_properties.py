"""Property: whatever flags a user types, a subcommand ends with exit 0 and a finite, valid JSON
result, or with exit 2 and one line saying what is wrong — never a traceback, never a hang,
never a file left behind on failure.

Every flag set is first given --dry-run; values are drawn to mix the valid (small sizes, so that every valid run is quick) with the
hostile: zero, negative, huge, non-finite, non-numeric, malformed activations. Runs are in
process (main.main) to keep the test fast; the signals and the subprocess path are covered by
test_cli_errors.py.
"""
import json
import math
import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import main

PROGRESS = re.compile(r"^\s*\d+\.\d% ")         # a long run's progress lines on a non-terminal
HANG_SECONDS = 60                                # no run here may take this long: a hang
LONG_SECONDS = 3.0                               # runs estimated longer are only estimated

NUMBERS = st.one_of(
    st.sampled_from(["0", "-1", "-0.0", "1e308", "-1e308", "1e-320", "nan", "inf", "-inf",
                     "abc", "", "1e12", "99999999999999999999", "0x10", "3.5", " 2"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 10 ** 13).map(str))
SMALL = st.integers(1, 6).map(str)


def valid_or(valid, hostile=NUMBERS):
    """Valid four times in five, so that whole valid runs are common too (hypothesis favours
    boundary values of its own choice strategies, so the odds are a sampled list)."""
    return st.sampled_from([True, True, True, True, False]).flatmap(
        lambda ok: valid if ok else hostile)


def sometimes(times_in_ten: int):
    return st.sampled_from([True] * times_in_ten + [False] * (10 - times_in_ten))

ACTIVATIONS = st.one_of(
    st.sampled_from(["erf", "tanh", "linear", "power:2", "power:3", "poly:0,1,0.5"]),
    st.sampled_from(["erf", "tanh", "linear", "relu", "", "power:", "power:abc", "power:0",
                     "power:-2", "power:13", "poly:", "poly:1,", "poly:nan", "poly:1e308",
                     "poly:0,1e200", "poly:0,0", "erf:2", "ERF", "linear "]),
    st.integers(-2, 14).map(lambda k: f"power:{k}"),
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=4).map(
        lambda c: "poly:" + ",".join(repr(x) for x in c)))


def model_flags(population: bool):
    """--activation, --ni, --nh and a few optional model flags, each valid or hostile."""
    optional = {
        "--samples": valid_or(st.integers(1, 200).map(str)),
        "--seed": valid_or(st.integers(0, 2 ** 70).map(str)),
        "--sigma1": valid_or(st.floats(0.05, 3.0).map(repr)),
        "--sigma2": valid_or(st.floats(0.05, 3.0).map(repr)),
        "--rtol": valid_or(st.floats(1e-14, 1e-3).map(repr)),
    }
    if population:
        optional["--teachers"] = valid_or(st.integers(1, 3).map(str))
        optional["--nodes"] = valid_or(st.integers(1, 60).map(str))

    @st.composite
    def build(draw):
        argv = ["--activation", draw(ACTIVATIONS),
                "--ni", draw(valid_or(SMALL)), "--nh", draw(valid_or(SMALL))]
        for flag in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4)):
            argv += [flag, draw(optional[flag])]
        if population and draw(st.booleans()):
            argv.append("--population")
        return argv
    return build()


@st.composite
def spectrum_argv(draw):
    return ["spectrum", *draw(model_flags(population=True))]


@st.composite
def dynamics_argv(draw):
    argv = ["dynamics", *draw(model_flags(population=False)),
            "--lr", draw(valid_or(st.one_of(st.just("auto"), st.floats(1e-3, 3.0).map(repr)))),
            # valid step counts stay small: a valid 10⁹-step run is legitimately long
            "--steps", draw(valid_or(st.integers(1, 300).map(str), st.sampled_from(
                ["0", "-1", "abc", "", "nan", "3.5", "1e3", "1000000001", "10000000000000"])))]
    extra = {"--init-distance": valid_or(st.floats(1e-6, 1.0).map(repr)),
             "--init-modes": st.sampled_from(["slow", "0", "0,-1", "-1", "999", "", "a,b", "0,,1"]),
             "--batch": valid_or(st.integers(1, 50).map(str)),
             "--slow-modes": valid_or(st.integers(1, 5).map(str)),
             "--record-every": valid_or(st.integers(1, 50).map(str)),
             "--target-decades": valid_or(st.floats(0.5, 10).map(repr))}
    for flag in draw(st.lists(st.sampled_from(sorted(extra)), unique=True, max_size=3)):
        argv += [flag, draw(extra[flag])]
    return argv


@st.composite
def theory_argv(draw):
    argv = ["theory", "--ni", draw(valid_or(SMALL)), "--nh", draw(valid_or(SMALL))]
    extra = {"--samples": valid_or(st.integers(1, 50).map(str)),
             "--sigma1": valid_or(st.floats(0.05, 3.0).map(repr)),
             "--sigma2": valid_or(st.floats(0.05, 3.0).map(repr)),
             "--grid": valid_or(st.integers(32, 400).map(str)),
             "--s": valid_or(st.floats(1e-3, 5.0).map(repr)),
             "--law": st.sampled_from(["pooled", "conditional", "other"])}
    for flag in draw(st.lists(st.sampled_from(sorted(extra)), unique=True, max_size=4)):
        argv += [flag, draw(extra[flag])]
    return argv


SPECS = valid_or(st.sampled_from(["1:3", "2", "1,3", "2:4:2", "3"]),
                 st.sampled_from(["5:3", "a", "1:2:0", "", "1:99999", "0:2", "-1", "1.5", "1:2:3:4",
                                  "nan", "1,,2", ":"]))


@st.composite
def sweep_argv(draw):
    """A sweep over small grids (hostile specs and activation lists too), on one worker."""
    act = draw(st.one_of(ACTIVATIONS, st.sampled_from(
        ["quadratic,erf", "power:2:3", "power:2,4", "erf,erf", "power:2:3,erf", "poly:0,1,erf",
         "power:3:1", ",", "erf,"])))
    argv = ["sweep", "--activation", act, "--ni", draw(SPECS), "--nh", draw(SPECS),
            "--workers", draw(valid_or(st.just("1"), st.sampled_from(["0", "-1", "x", "1e9"])))]
    extra = {"--samples": valid_or(st.sampled_from(["30", "10:30:10"])),
             "--sigma1": valid_or(st.sampled_from(["0.5", "0.5:1:0.5", "0.5,1"])),
             "--teachers": valid_or(st.integers(1, 2).map(str)),
             "--seed": valid_or(st.integers(0, 99).map(str)),
             "--rtol": valid_or(st.floats(1e-14, 1e-3).map(repr))}
    for flag in draw(st.lists(st.sampled_from(sorted(extra)), unique=True, max_size=3)):
        argv += [flag, draw(extra[flag])]
    if "--samples" not in argv and draw(sometimes(3)):
        argv.append("--population")
    return argv


def finite_numbers(doc) -> bool:
    """No NaN or infinity anywhere (the writer refuses them), and numbers where numbers belong."""
    if isinstance(doc, dict):
        return all(finite_numbers(v) for v in doc.values())
    if isinstance(doc, list):
        return all(finite_numbers(v) for v in doc)
    return not isinstance(doc, float) or math.isfinite(doc)


def call(argv, capsys):
    start = time.monotonic()
    try:
        code = main.main(argv)
    except SystemExit as exc:               # argparse's own one-line errors
        code = exc.code
    elapsed = time.monotonic() - start
    captured = capsys.readouterr()
    lines = [l for l in captured.err.splitlines() if l.strip() and not PROGRESS.match(l)]
    assert "Traceback" not in captured.err, (argv, captured.err)
    assert elapsed < HANG_SECONDS, (argv, elapsed)
    if code != 0:
        assert code == 2, (argv, code, captured.err)
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, lines)
    return code, captured.out, lines


def check_run(argv, capsys):
    """First --dry-run (which must itself succeed or fail in one line); a run it estimates at
    more than LONG_SECONDS is legitimately long and not run here, one that does not fit must be
    refused in one line; every other run is made and its outcome checked."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        argv = [*argv, "--json", str(out)]
        code, stdout, _ = call([*argv, "--dry-run"], capsys)
        assert list(Path(tmp).iterdir()) == [], argv
        if code != 0:
            event("refused by --dry-run")
            return
        estimate = json.loads(stdout)
        if estimate["fits"] and (estimate["seconds"] or 0.0) > LONG_SECONDS:
            event("long: estimated only")
            return
        code, _, lines = call(argv, capsys)
        event(f"exit {code}")                # --hypothesis-show-statistics: both outcomes occur
        if code == 0:
            assert estimate["fits"], argv
            doc = json.loads(out.read_text())
            assert finite_numbers(doc), argv
            assert all(l.startswith("warning: ") for l in lines), (argv, lines)
            for teacher in doc.get("teachers", []):
                assert None not in teacher["eigenvalues"], argv
            if "loss" in doc:
                assert doc["eigenvalues"] and None not in doc["eigenvalues"], argv
        else:
            assert list(Path(tmp).iterdir()) == [], argv


SETTINGS = settings(max_examples=int(__import__("os").environ.get("HX_EXAMPLES", 150)), deadline=None, derandomize=not __import__("os").environ.get("HX_RANDOM"),
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(argv=spectrum_argv())
def test_spectrum_flags_give_a_result_or_one_line(argv, capsys):
    check_run(argv, capsys)


@SETTINGS
@given(argv=dynamics_argv())
def test_dynamics_flags_give_a_result_or_one_line(argv, capsys):
    check_run(argv, capsys)


@pytest.mark.slow
@SETTINGS
@given(argv=theory_argv())
def test_theory_flags_give_a_result_or_one_line(argv, capsys):
    check_run(argv, capsys)


@pytest.mark.slow
@settings(SETTINGS, max_examples=int(__import__("os").environ.get("HX_EXAMPLES", 30)))
@given(argv=sweep_argv())
def test_sweep_flags_give_a_result_or_one_line(argv, capsys):
    check_run(argv, capsys)


# ----------------------------------------------------------------------------- config JSON

JSON_HOSTILE = st.one_of(
    st.none(), st.booleans(), st.sampled_from(["", "no", "abc", "power:abc", "1e3", "nan"]),
    st.integers(-10 ** 12, 10 ** 12), st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from("ab"), st.none(),
                                                             max_size=1))
CONFIG_VALID = {
    "activation": ACTIVATIONS, "ni": st.integers(1, 5), "nh": st.integers(1, 5),
    "samples": st.one_of(st.none(), st.integers(1, 100)), "population": st.booleans(),
    "teachers": st.integers(1, 3), "seed": st.integers(0, 1000),
    "sigma1": st.one_of(st.none(), st.floats(0.1, 2.0)), "rtol": st.one_of(st.none(), st.floats(1e-14, 1e-4)),
}
DYNAMICS_VALID = {"enabled": st.booleans(), "lr": st.one_of(st.just("auto"), st.floats(0.01, 1.5)),
                  "steps": st.integers(1, 100), "slow_modes": st.integers(1, 4),
                  "init_modes": st.sampled_from([None, "slow", [0], [-1, 0]])}


@st.composite
def config_documents(draw):
    """A configuration as saved by the window, with some fields valid and some hostile, an
    unknown key now and then, or not an object at all."""
    if draw(sometimes(1)):
        return draw(st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=5), st.none()))
    doc = {}
    for key, valid in CONFIG_VALID.items():
        if draw(st.booleans()):
            doc[key] = draw(valid_or(valid, JSON_HOSTILE))
    if draw(st.booleans()):
        doc["dynamics"] = {k: draw(valid_or(v, JSON_HOSTILE)) for k, v in DYNAMICS_VALID.items()
                           if draw(st.booleans())}
    if draw(sometimes(1)):
        doc[draw(st.sampled_from(["nii", "view", "Ni"]))] = draw(JSON_HOSTILE)
    return doc


@settings(max_examples=int(__import__("os").environ.get("HX_EXAMPLES", 40)), deadline=None,
          derandomize=not __import__("os").environ.get("HX_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@pytest.mark.slow
@given(doc=config_documents())
def test_config_files_give_a_result_or_one_line(doc, capsys, qapp):
    """`--config FILE --export spectrum OUT.csv` (the window's headless run, in process)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "c.json"
        config.write_text(json.dumps(doc))
        out = Path(tmp) / "out.csv"
        start = time.monotonic()
        code = main.main(["--config", str(config), "--export", "spectrum", str(out)])
        elapsed = time.monotonic() - start
        event(f"exit {code}")
        err = capsys.readouterr().err
        lines = [l for l in err.splitlines() if l.strip()]
        assert "Traceback" not in err and elapsed < HANG_SECONDS, (doc, err)
        if code == 0:
            text = out.read_text()
            assert text and "nan" not in text.lower() and "inf" not in text.lower(), doc
        else:
            assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (doc, code, err)
            assert sorted(p.name for p in Path(tmp).iterdir()) == ["c.json"], doc
