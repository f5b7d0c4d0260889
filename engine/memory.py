"""What a run will cost, and a refusal before allocating it if it cannot fit.

Every subcommand states its cost as an `Estimate` (peak bytes the run adds to the interpreter,
everything included: teachers, eigenvectors, quadrature nodes, records, output encoding; and
seconds, or None). `--dry-run` prints it; every real run is guarded by it against the memory
this process may still use: the host's MemAvailable, and the headroom of every memory cgroup
(v2 memory.max, v1 memory.limit_in_bytes) the process lives in — a container's limit is what the
kernel's OOM killer enforces, not the host's free memory. benchmarks/bench_memory.py measures
peak RSS against these estimates (docs/methods.md §7).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

GB = 1024 ** 3
FLOAT = 8.0                     # bytes of a float64
# A JSON number on its way out: the Python float and its list slot made from each array while
# it is encoded (engine.fileio streams the text itself). Measured by benchmarks/bench_memory.py.
JSON_NUMBER = 40.0
_UNLIMITED = 1 << 60            # cgroup v1 writes ~2⁶³ for "no limit"


@dataclass(frozen=True)
class Estimate:
    """The peak memory a run adds (bytes) and its time (seconds, None if unknown)."""
    memory_bytes: float
    seconds: float | None = None

    def __add__(self, other: "Estimate") -> "Estimate":
        """Two parts that are alive at the same time: their peaks and times add."""
        secs = None if self.seconds is None or other.seconds is None else self.seconds + other.seconds
        return Estimate(self.memory_bytes + other.memory_bytes, secs)

    def to_dict(self) -> dict:
        """What --dry-run prints."""
        avail = available_bytes()
        return {"memory_bytes": int(math.ceil(min(self.memory_bytes, 2.0 ** 62))),
                "seconds": None if self.seconds is None else float(self.seconds),
                "available_bytes": int(avail), "fits": bool(self.memory_bytes <= avail)}

    def require(self, what: str, advice: str) -> None:
        require(self.memory_bytes, what, advice)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return int(text)
    except ValueError:
        return None                  # "max": no limit


def _inactive_file(stat: Path) -> int:
    """Page cache the kernel reclaims before it kills anybody (v1 and v2 memory.stat)."""
    try:
        for line in stat.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key in ("total_inactive_file", "inactive_file"):
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _headroom(folder: Path, limit_file: str, usage_file: str) -> int | None:
    limit = _read_int(folder / limit_file)
    if limit is None or limit >= _UNLIMITED:
        return None
    usage = _read_int(folder / usage_file) or 0
    return max(0, limit - max(0, usage - _inactive_file(folder / "memory.stat")))


def cgroup_headroom(root: str | Path = "/") -> int | None:
    """Bytes left before the tightest memory cgroup limit of this process, or None if unlimited.

    `root` lets tests point at a fake /proc and /sys tree. Ancestors count too: a limit on a
    parent group caps every child."""
    root = Path(root)
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    best = None
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        rel = path.strip().lstrip("/")
        if controllers == "":            # v2 (unified), mounted alone or beside v1 ("unified")
            mounts = [root / "sys/fs/cgroup", root / "sys/fs/cgroup/unified"]
            files = ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            mounts = [root / "sys/fs/cgroup/memory"]
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        for mount in mounts:
            if not mount.is_dir():
                continue
            folder = mount / rel
            if not folder.is_dir():      # the group as seen from inside its own namespace
                folder = mount
            while True:
                room = _headroom(folder, *files)
                if room is not None:
                    best = room if best is None else min(best, room)
                if folder == mount:
                    break
                folder = folder.parent
    return best


def available_bytes(root: str | Path = "/") -> int:
    """Memory this process may still allocate: MemAvailable, capped by cgroup limits."""
    avail = None
    try:
        with open(Path(root) / "proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            avail = 1 << 62
    room = cgroup_headroom(root)
    return avail if room is None else min(avail, room)


def require(n_bytes: float, what: str, advice: str) -> None:
    """Raise InputError if n_bytes (an estimate of the peak) exceeds available memory."""
    avail = available_bytes()
    if not n_bytes <= avail:
        raise InputError(f"{what} needs about {_size(n_bytes)} but only {_size(avail)} "
                         f"is available; {advice}")


def _size(n: float) -> str:
    if n >= 1e6 * GB:
        return f"{n / GB:.3g} GB"
    return f"{n / GB:.1f} GB" if n >= 0.1 * GB else f"{n / 1024 ** 2:.0f} MB"
