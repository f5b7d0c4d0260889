"""Sweeps: grid specs, points equal to single spectrum runs, a real Dask LocalCluster, a store
that survives SIGKILL, and one-line refusals."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.sweep import Store, SweepConfig, build_grid, compute_point, parse_spec, run_sweep

ROOT = Path(__file__).resolve().parent.parent


def main(*argv, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, argv)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize("text, name, values", [
    ("5", "ni", [5]), ("5:8", "nh", [5, 6, 7, 8]), ("2:10:4", "ni", [2, 6, 10]),
    ("3,1,2", "nh", [3, 1, 2]), ("0.5:1.0:0.25", "sigma1", [0.5, 0.75, 1.0]), (None, "samples", [None]),
])
def test_specs(text, name, values):
    assert parse_spec(text, name) == values


@pytest.mark.parametrize("text, name", [("a", "ni"), ("5:3", "ni"), ("1:2", "sigma1"), ("1:2:0", "ni"),
                                        ("1:2:3:4", "ni"), ("1.5", "ni"), ("nan", "sigma2")])
def test_bad_specs_are_one_line(text, name):
    with pytest.raises(InputError) as info:
        parse_spec(text, name)
    assert "\n" not in str(info.value)


def test_power_k_is_an_axis_and_three_axes_are_refused():
    grid = build_grid(SweepConfig("power:2:4", "3", "2:3"))
    assert grid.axes == {"nh": [2, 3], "k": [2, 3, 4]} and len(grid) == 6
    assert [p.activation for p in grid.points[:3]] == ["power:2", "power:3", "power:4"]
    with pytest.raises(InputError, match="one or two axes"):
        build_grid(SweepConfig("power:2:3", "2:3", "2:3"))
    with pytest.raises(InputError, match="at most 100000"):
        build_grid(SweepConfig("erf", "1:400", "1:400"))


def test_points_equal_single_spectrum_runs_and_the_cubic_ranks(tmp_path):
    r = main("sweep", "--activation", "cubic", "--ni", 5, "--nh", "5:8", "--teachers", 2,
             "--workers", 2, "--json", tmp_path / "s.json")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["axes"] == {"nh": [5, 6, 7, 8]} and doc["reused"] == 0
    assert [p["ranks"] for p in doc["points"]] == [[25, 25], [30, 30], [34, 34], [35, 35]]
    for nh, point in zip((5, 8), (doc["points"][0], doc["points"][-1])):
        single = main("spectrum", "--activation", "cubic", "--ni", 5, "--nh", nh, "--teachers", 2,
                      "--json", tmp_path / f"one{nh}.json")
        one = json.loads((tmp_path / f"one{nh}.json").read_text())
        assert single.returncode == 0
        assert point["ranks"] == [t["rank"] for t in one["teachers"]]
        assert point["lambda_max"] == max(t["eigenvalues"][-1] for t in one["teachers"])
        assert point["n_params"] == one["n_params"] and point["predicted_rank"] == one["predicted_rank"]
        assert point["zero_modes"] == [one["n_params"] - t["rank"] for t in one["teachers"]]
        assert point["computed_by"] == "local" and point["ks_distance"] is None


def test_linear_points_carry_the_law_distance():
    rec = compute_point(build_grid(SweepConfig("linear", "4", "6", samples="60")).points[0])
    assert 0 < rec["ks_distance"] < 1 and rec["ranks"] == [4]


def test_a_real_local_dask_cluster_gives_the_same_points_and_says_where():
    distributed = pytest.importorskip("distributed")
    grid = build_grid(SweepConfig("cubic", "4", "3:5", seed=2))
    with ThreadPoolExecutor(2) as pool:
        local = run_sweep(grid, pool).points
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = run_sweep(grid, client.get_executor(pure=False)).points
        addresses = set(cluster.workers[name].worker_address for name in cluster.workers)
    for a, b in zip(local, remote):
        assert {k: v for k, v in a.items() if k != "computed_by"} == \
            {k: v for k, v in b.items() if k != "computed_by"}
    assert {p["computed_by"] for p in remote} <= addresses


@pytest.mark.slow
def test_a_sweep_killed_mid_way_resumes_from_its_store(tmp_path):
    store, out = tmp_path / "s.sqlite", tmp_path / "s.json"
    argv = ["sweep", "--activation", "erf", "--ni", "3", "--nh", "40:60", "--samples", "3000",
            "--workers", "1", "--store", store, "--json", out]
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, argv)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 3:
        time.sleep(0.2)
        if store.exists():
            try:
                with sqlite3.connect(store, timeout=5) as db:
                    done = db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    os.killpg(proc.pid, signal.SIGKILL)                 # the process and its pool workers
    proc.wait()
    assert 3 <= done < 21 and not out.exists()
    r = main(*argv)
    assert r.returncode == 0, r.stderr
    resumed = json.loads(out.read_text())
    assert resumed["reused"] >= done
    fresh = main(*argv[:-4], "--json", tmp_path / "fresh.json")
    assert fresh.returncode == 0
    clean = json.loads((tmp_path / "fresh.json").read_text())
    strip = [{k: v for k, v in p.items() if k != "computed_by"} for p in clean["points"]]
    assert [{k: v for k, v in p.items() if k != "computed_by"} for p in resumed["points"]] == strip


@pytest.mark.parametrize("argv, words", [
    (["--ni", "1:400", "--nh", "1:400"], "at most 100000"),
    (["--ni", "3", "--nh", "2", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--ni", "x", "--nh", "2"], "expected whole numbers"),
])
def test_refusals_are_one_line(tmp_path, argv, words):
    start = time.monotonic()
    r = main("sweep", "--activation", "erf", *argv, "--json", tmp_path / "o.json", timeout=60)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and words in lines[0], r.stderr
    assert time.monotonic() - start < 30 and not (tmp_path / "o.json").exists()


def test_a_store_of_another_sweep_is_refused(tmp_path):
    Store(tmp_path / "s.sqlite", SweepConfig("erf", "3", "2")).close()
    with pytest.raises(InputError, match="another sweep"):
        Store(tmp_path / "s.sqlite", SweepConfig("tanh", "3", "2"))
    (tmp_path / "junk.sqlite").write_text("not a database")
    with pytest.raises(InputError, match="not a sweep store"):
        Store(tmp_path / "junk.sqlite", SweepConfig("erf", "3", "2"))


@pytest.mark.parametrize("text, axis, values", [
    ("quadratic, cubic,erf", "activation", ["quadratic", "cubic", "erf"]),
    ("poly:0,1,0.5,erf", "activation", ["poly:0,1,0.5", "erf"]),
    ("power:2,3", "k", [2, 3]),
    ("power:2:6:2", "k", [2, 4, 6]),
    ("tanh", "activation", ["tanh"]),
])
def test_activation_axes(text, axis, values):
    from engine.sweep import activation_axis
    name, got, acts = activation_axis(text)
    assert (name, got) == (axis, values)
    assert acts == (values if axis == "activation" else [f"power:{k}" for k in values])


@pytest.mark.parametrize("text, words", [("power:2:3,erf", "not both"), ("erf, erf", "erf twice"),
                                         ("erf,foo", "unknown activation 'foo'"), ("", "is empty")])
def test_bad_activation_lists_are_one_line(text, words):
    from engine.sweep import activation_axis
    with pytest.raises(InputError, match=words) as info:
        activation_axis(text)
    assert "\n" not in str(info.value)


def test_an_activation_axis_equals_separate_ensembles():
    """Each point of `quadratic,erf` × Nh against the engine's ensemble run on its own."""
    import numpy as np

    from engine.ensemble import SpectrumConfig, iter_spectra, prepare
    grid = build_grid(SweepConfig("quadratic,erf", "3", "2:3", teachers=2, seed=4))
    assert grid.axes == {"nh": [2, 3], "activation": ["quadratic", "erf"]}
    assert [(p.nh, p.activation) for p in grid.points] == \
        [(2, "quadratic"), (2, "erf"), (3, "quadratic"), (3, "erf")]
    with ThreadPoolExecutor(2) as pool:
        records = run_sweep(grid, pool).points
    for rec in records:
        spectra = [r.spectrum for r in iter_spectra(prepare(SpectrumConfig(
            rec["activation"], 3, rec["nh"], teachers=2, seed=4)))]
        assert rec["ranks"] == [s.rank for s in spectra]
        assert rec["lambda_max"] == max(float(s.eigenvalues[-1]) for s in spectra)
        smallest = min(float(s.eigenvalues[s.eigenvalues > s.rank_tolerance][0]) for s in spectra)
        assert rec["lambda_min_nonzero"] == smallest
        np.testing.assert_array_equal(rec["zero_modes"], [s.eigenvalues.size - s.rank for s in spectra])
    assert [r["ranks"][0] for r in records] == [5, 8, 6, 12]     # z²: 2·3 − 1, 3·3 − 3; erf: P


def _workers_of(pid: int) -> list:
    import psutil
    try:
        return [p for p in psutil.Process(pid).children(recursive=True)
                if "multiprocessing.spawn" in " ".join(p.cmdline())]
    except psutil.Error:
        return []


def _start_long_sweep(tmp_path, workers_started: int = 2):
    argv = ["sweep", "--activation", "erf", "--ni", "20", "--nh", "40:60", "--samples", "20000",
            "--workers", "2", "--json", tmp_path / "o.json"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, argv)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    workers = []
    while len(workers) < workers_started and time.monotonic() < deadline:
        time.sleep(0.01)
        workers = _workers_of(proc.pid)
    assert len(workers) >= workers_started, "the pool did not start"
    return proc, workers


def test_ctrl_c_is_one_line_and_ends_the_workers(tmp_path):
    import psutil
    proc, workers = _start_long_sweep(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)           # a terminal's Ctrl+C reaches the whole group
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip() and "%" not in line]
    assert proc.returncode == 130 and lines == ["interrupted; nothing was written"], err
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive and not (tmp_path / "o.json").exists()


def test_ctrl_c_while_the_workers_start_is_one_line(tmp_path):
    """A Ctrl+C that reaches a worker while its interpreter is still importing must not print
    a fatal error (workers start with SIGINT blocked); this raced in 10 of 16 tries before."""
    proc, _ = _start_long_sweep(tmp_path, workers_started=1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip() and "%" not in line]
    assert proc.returncode == 130 and lines == ["interrupted; nothing was written"], err


def test_workers_die_with_a_killed_sweep(tmp_path):
    import psutil
    proc, workers = _start_long_sweep(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)            # the sweep alone, not its group
    proc.communicate(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "pool workers outlived their sweep"


def test_a_foreign_store_on_the_command_line_is_one_line(tmp_path):
    store = tmp_path / "s.sqlite"
    ok = main("sweep", "--activation", "cubic", "--ni", "2", "--nh", "1:2", "--workers", "1",
              "--store", store, "--json", tmp_path / "a.json")
    assert ok.returncode == 0, ok.stderr
    r = main("sweep", "--activation", "erf", "--ni", "2", "--nh", "1:2", "--workers", "1",
             "--store", store, "--json", tmp_path / "b.json")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "belongs to another sweep" in lines[0], r.stderr
    assert not (tmp_path / "b.json").exists()
