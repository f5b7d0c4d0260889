"""Peak memory of every kind of run against its --dry-run estimate.

    python benchmarks/bench_memory.py [--only NAME]

Each case runs in a fresh interpreter: the command is first run with --dry-run (its estimate),
then a tiny run of the same subcommand loads every lazily imported module, then the peak-RSS
counter is reset (/proc/self/clear_refs) and the real command runs in the same process. The
table shows the estimate, the measured peak above the interpreter's resident size just before
the run (the "baseline", printed too), and measured / estimate: the memory guard relies on it
staying at most 1.5 (docs/methods.md §7). Linux only.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 ** 2

CASES = {
    "spectrum sample, N ≥ P (erf)":
        "spectrum --activation erf --ni 30 --nh 30 --samples 20000",
    "spectrum sample, N < P (erf)":
        "spectrum --activation erf --ni 60 --nh 60 --samples 2000",
    "spectrum sample, linear fast path":
        "spectrum --activation linear --ni 200 --nh 50 --samples 200000",
    "spectrum sample, refined Gram route (erf, P = 2550)":
        "spectrum --activation erf --ni 50 --nh 50 --samples 10000",
    "spectrum population (erf)":
        "spectrum --activation erf --ni 45 --nh 45 --population",
    "spectrum population, reduced (tanh, P = 200 010)":
        "spectrum --activation tanh --ni 20000 --nh 10 --population",
    "spectrum population, --nodes 1200 (z^3)":
        "spectrum --activation power:3 --ni 3 --nh 12 --population --nodes 1200",
    "spectrum, 20 000 teachers (linear population)":
        "spectrum --activation linear --ni 20 --nh 20 --population --teachers 20000",
    "spectrum, 40 teachers (erf sample)":
        "spectrum --activation erf --ni 10 --nh 10 --samples 20000 --teachers 40",
    "dynamics, eigenvectors (erf)":
        "dynamics --activation erf --ni 40 --nh 40 --samples 6000 --lr auto --steps 20",
    "dynamics, eigenvectors, N < P (erf)":
        "dynamics --activation erf --ni 60 --nh 60 --samples 1500 --lr auto --steps 20",
    "dynamics, long record (erf)":
        "dynamics --activation erf --ni 2 --nh 2 --samples 20 --lr auto --steps 300000 "
        "--slow-modes 4",
    "theory, pooled finite-data law":
        "theory --ni 50 --nh 100 --samples 200 --grid 20000",
    "theory, pooled N → ∞ law":
        "theory --ni 50 --nh 100 --grid 100000",
    "theory, conditional finite-data law":
        "theory --ni 50 --nh 100 --samples 200 --law conditional --grid 200000",
}

WARM = {"spectrum": "spectrum --activation erf --ni 2 --nh 2 --samples 10",
        "dynamics": "dynamics --activation erf --ni 2 --nh 2 --samples 10 --lr auto --steps 5",
        "theory": "theory --ni 2 --nh 2 --samples 10 --grid 100"}

CHILD = r"""
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import main
argv, warm, out = json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

quiet = io.StringIO()
with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
    assert main.main(argv + ["--json", out, "--dry-run"]) == 0, quiet.getvalue()
    estimate = json.loads(quiet.getvalue().splitlines()[-1])
    assert main.main(warm + ["--json", out]) == 0, quiet.getvalue()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")                 # reset the peak (VmHWM) to the current resident size
    base = status("VmRSS:")
    code = main.main(argv + ["--json", out])
assert code == 0, quiet.getvalue()
print(json.dumps({"code": code, "estimate": estimate["memory_bytes"],
                  "seconds": estimate["seconds"], "base": base, "peak": status("VmHWM:") - base}))
"""


def measure(command: str) -> dict:
    argv = command.split()
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), json.dumps(argv),
                            json.dumps(WARM[argv[0]].split()), str(Path(tmp) / "out.json")],
                           capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{command}: {r.stderr.strip().splitlines()[-1]}")
    return json.loads(r.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args()
    print(f"{'run':48s} {'estimate':>10s} {'measured':>10s} {'ratio':>6s} {'baseline':>9s}")
    worst = 0.0
    for name, command in CASES.items():
        if args.only and args.only not in name:
            continue
        m = measure(command)
        ratio = m["peak"] / m["estimate"]
        worst = max(worst, ratio)
        print(f"{name:48s} {m['estimate'] / MB:8.0f} MB {m['peak'] / MB:8.0f} MB {ratio:6.2f} "
              f"{m['base'] / MB:7.0f} MB", flush=True)
    print(f"largest measured / estimate: {worst:.2f} (the guard needs ≤ 1.5)")


if __name__ == "__main__":
    main()
