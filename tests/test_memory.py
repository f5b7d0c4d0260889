"""The memory guard: cgroup limits, the estimates --dry-run prints, and refusals before allocating.
(How close the estimates are to measured peak RSS is benchmarks/bench_memory.py's job.)"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import memory
from engine.cli import COMMANDS
from engine.ensemble import SpectrumConfig, estimate, prepare
from engine.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def fake_tree(root: Path, cgroup: str, files: dict[str, str], meminfo_kb: int = 8 << 20) -> Path:
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(cgroup)
    (root / "proc/meminfo").write_text(f"MemTotal: 99999999 kB\nMemAvailable: {meminfo_kb} kB\n")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_cgroup_v2_headroom_counts_reclaimable_cache_and_ancestors(tmp_path):
    root = fake_tree(tmp_path, "0::/a/b\n", {
        "sys/fs/cgroup/a/b/memory.max": "1000000\n",
        "sys/fs/cgroup/a/b/memory.current": "400000\n",
        "sys/fs/cgroup/a/b/memory.stat": "anon 1\ninactive_file 100000\n",
        "sys/fs/cgroup/a/memory.max": "max\n",
        "sys/fs/cgroup/memory.max": "5000000\n",      # a looser limit further up
        "sys/fs/cgroup/memory.current": "4600000\n",  # ... but nearly used up: 400 000 left
    })
    assert memory.cgroup_headroom(root) == 400_000
    assert memory.available_bytes(root) == 400_000


def test_cgroup_v1_limit_and_the_unlimited_value(tmp_path):
    root = fake_tree(tmp_path, "4:memory:/job\n3:cpu:/job\n", {
        "sys/fs/cgroup/memory/job/memory.limit_in_bytes": "2000000\n",
        "sys/fs/cgroup/memory/job/memory.usage_in_bytes": "500000\n",
        "sys/fs/cgroup/memory/job/memory.stat": "total_inactive_file 0\n",
        "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    })
    assert memory.cgroup_headroom(root) == 1_500_000
    (root / "sys/fs/cgroup/memory/job/memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert memory.cgroup_headroom(root) is None
    assert memory.available_bytes(root) == (8 << 20) * 1024      # MemAvailable then


def test_a_group_seen_from_inside_its_namespace_is_the_mount_itself(tmp_path):
    root = fake_tree(tmp_path, "0::/outside/path\n", {
        "sys/fs/cgroup/memory.max": "3000000\n", "sys/fs/cgroup/memory.current": "1000000\n"})
    assert memory.cgroup_headroom(root) == 2_000_000


def test_no_cgroup_information_means_no_cgroup_limit(tmp_path):
    assert memory.cgroup_headroom(tmp_path) is None


def test_the_guard_follows_the_cgroup_limit(monkeypatch):
    config = SpectrumConfig("erf", 30, 30, samples=4000)
    need = estimate(prepare(config)).memory_bytes
    monkeypatch.setattr(memory, "cgroup_headroom", lambda root="/": int(need / 2))
    with pytest.raises(InputError, match="needs about .* available; use fewer samples"):
        prepare(config)


def test_many_teachers_count_their_results():
    one = estimate(prepare(SpectrumConfig("linear", 20, 20, population=True, teachers=1)))
    many = prepare(SpectrumConfig("linear", 20, 20, population=True, teachers=10_000))
    assert estimate(many).memory_bytes > one.memory_bytes + 10_000 * 8 * 840
    with pytest.raises(InputError, match="fewer --teachers"):
        prepare(SpectrumConfig("linear", 20, 20, population=True, teachers=10 ** 12))


def test_quadrature_nodes_count_in_the_population_estimate():
    base = estimate(prepare(SpectrumConfig("power:3", 3, 12, population=True))).memory_bytes
    wide = estimate(prepare(SpectrumConfig("power:3", 3, 12, population=True,
                                           quadrature_nodes=3000))).memory_bytes
    assert wide > base + 8 * 3000 ** 2      # one 3000 × 3000 block at least


DRY = {
    "spectrum": ["--activation", "erf", "--ni", "3", "--nh", "2", "--samples", "10"],
    "dynamics": ["--activation", "erf", "--ni", "3", "--nh", "2", "--samples", "10",
                 "--lr", "auto", "--steps", "5"],
    "theory": ["--ni", "3", "--nh", "2", "--samples", "10"],
    "landscape": ["--activation", "erf", "--ni", "3", "--nh", "2", "--samples", "10"],
    "sweep": ["--activation", "erf", "--ni", "3", "--nh", "2:4", "--samples", "10"],
}


def run(*argv, cwd):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, argv)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def test_every_subcommand_has_a_dry_run():
    assert set(DRY) == set(COMMANDS), "add the new subcommand to DRY"


@pytest.mark.parametrize("command", sorted(DRY))
def test_dry_run_prints_one_json_object_and_writes_nothing(tmp_path, command):
    r = run(command, *DRY[command], "--json", "out.json", "--dry-run", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    doc = json.loads(r.stdout)
    assert isinstance(doc["memory_bytes"], int) and doc["memory_bytes"] > 0
    assert doc["seconds"] is None or doc["seconds"] > 0
    assert doc["fits"] is True and doc["available_bytes"] > doc["memory_bytes"]
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_cannot_fit_is_estimated_then_refused_before_allocating(tmp_path):
    argv = ["spectrum", "--activation", "erf", "--ni", "3000", "--nh", "3000", "--population",
            "--json", "out.json"]
    dry = run(*argv, "--dry-run", cwd=tmp_path)
    doc = json.loads(dry.stdout)
    assert dry.returncode == 0 and doc["fits"] is False and doc["memory_bytes"] > 1e15
    real = run(*argv, cwd=tmp_path)
    lines = real.stderr.strip().splitlines()
    assert real.returncode == 2 and len(lines) == 1 and "needs about" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_dry_run_checks_the_flags_first(tmp_path):
    r = run("dynamics", *DRY["dynamics"][:-1], "0", "--json", "out.json", "--dry-run", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and "steps" in r.stderr


def dynamics_problem(**dyn):
    from engine.dynamics import DynamicsConfig, prepare_dynamics
    return prepare_dynamics(SpectrumConfig("erf", 20, 20, samples=3000),
                            DynamicsConfig(**{"lr": "auto", "steps": 10, **dyn}), check=False)


def test_dynamics_counts_its_eigenvectors_and_every_recorded_step():
    from engine.dynamics import estimate_dynamics
    p, n = 420, 3000
    short = estimate_dynamics(dynamics_problem()).memory_bytes
    assert short >= 8 * (2 * n * p + 3 * p * p)     # J, QR's copy, R and the two P×P factors
    long = estimate_dynamics(dynamics_problem(steps=10 ** 6)).memory_bytes
    assert long - short >= 10 ** 6 * 8 * (6 + 2 * 3)      # every row: 6 + 2m float64s at least
    with pytest.raises(InputError, match="record fewer steps"):
        from engine.dynamics import DynamicsConfig, prepare_dynamics
        prepare_dynamics(SpectrumConfig("erf", 2, 2, samples=20),
                         DynamicsConfig(lr="auto", steps=10 ** 9))


def test_an_output_folder_removed_mid_run_is_one_line(tmp_path, capsys, monkeypatch):
    """Writability is checked before computing; a folder that disappears afterwards is still
    one line, exit 2, and nothing half-written anywhere."""
    import shutil

    import engine.commands.spectrum as spectrum_command
    import main

    folder = tmp_path / "out"
    folder.mkdir()
    real = spectrum_command.iter_spectra

    def vanish(problem, state):
        yield from real(problem, state)
        shutil.rmtree(folder)
    monkeypatch.setattr(spectrum_command, "iter_spectra", vanish)
    code = main.main(["spectrum", "--activation", "erf", "--ni", "2", "--nh", "2",
                      "--json", str(folder / "o.json")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "cannot read or write" in lines[0], lines
    assert list(tmp_path.iterdir()) == []
