"""How many BLAS threads a computation gets: chosen from its size, not left to the default.

OpenBLAS's default is every core for every call. Small matrices gain nothing from threads, and
on a busy machine OpenBLAS threads spin while they wait for a core: the README's 20-teacher
spectrum took 24 s with the default threads and 2.2 s with one. So each computation states
its floating-point work and gets one thread below THREAD_FLOPS, and above it the cores that
other processes leave free (measured crossover on 2 cores: 3e8–1e9 flops for an SVD or
eigvalsh; benchmarks/bench_spectrum.py checks the choice against both fixed settings, on a
quiet machine and with one core busy). `set_threads(n)` fixes the number instead
(--threads N, the window's Run → BLAS threads), and `set_cap(n)` bounds the automatic choice
(the window's engine processes leave one core to the window). It is also the one place that
knows the cores (`cores`, `cores_but_one`), the BLAS environment variables (`blas_env`) and a
process's CPU time (`cpu_ticks`), for the sweep's pool and the window's engine processes.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

THREAD_FLOPS = 5e8

_fixed: int | None = None
_cap: int | None = None
_controller = None


def cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def cores_but_one() -> int:
    """All this process's cores but one (at least one): the sweep's default workers, and the
    most BLAS threads the window's engine processes take, so the window keeps a core to paint."""
    return max(1, cores() - 1)


# Read by the BLAS libraries once, when they load: a child process gets them in its environment.
BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def blas_env(n: int) -> dict[str, str]:
    """The environment variables that start a process's BLAS with n threads."""
    return {name: str(int(n)) for name in BLAS_ENV}


def cpu_ticks(pid: int | str = "self") -> int | None:
    """A process's CPU time so far (user + system, in clock ticks, all its threads) from
    /proc/PID/stat, or None where /proc cannot tell (not Linux, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()      # the name may hold spaces
        return int(fields[11]) + int(fields[12])               # utime, stime (fields 14, 15)
    except (OSError, IndexError, ValueError):
        return None


def set_threads(n: int | None) -> None:
    """A fixed number of BLAS threads for every computation, or None for the automatic choice."""
    global _fixed
    _fixed = None if n is None else max(1, int(n))


def set_cap(n: int | None) -> None:
    """At most n threads for the automatic choice (None: no cap)."""
    global _cap
    _cap = None if n is None else max(1, int(n))


def choose(flops: float) -> int:
    """The threads a computation of `flops` floating-point operations gets: one if it is small;
    else the cores other processes have left free (a busy core only makes OpenBLAS spin)."""
    if _fixed is not None:
        return _fixed
    n = 1 if flops < THREAD_FLOPS else max(1, min(cores(), round(cores() - others_busy())))
    return n if _cap is None else min(n, _cap)


# Other processes' CPU use on this process's cores, from /proc (Linux): the machine's busy
# time on those cores minus this process's own, over the time since the previous look (at
# least MIN_WINDOW seconds; until then the last estimate stands, at first 0).
MIN_WINDOW = 0.2
_last: tuple | None = None
_others = 0.0


def _cpu_sample() -> tuple[float, int, int] | None:
    """(time, busy clock ticks of this process's cores, this process's own ticks), or None."""
    try:
        mine = {f"cpu{i}" for i in os.sched_getaffinity(0)}
        busy = 0
        with open("/proc/stat") as f:
            for line in f:
                if not line.startswith("cpu"):
                    break
                parts = line.split()
                if parts[0] in mine:
                    ticks = [int(x) for x in parts[1:9]]     # user nice system idle iowait irq softirq steal
                    busy += sum(ticks) - ticks[3] - ticks[4]
        own = cpu_ticks()
        return None if own is None else (time.monotonic(), busy, own)
    except (OSError, AttributeError, ValueError, IndexError):
        return None


def others_busy() -> float:
    """How many of this process's cores other processes kept busy lately (0 where /proc
    cannot tell)."""
    global _last, _others
    now = _cpu_sample()
    if now is None:
        return 0.0
    if _last is None:
        _last = now
    elif now[0] - _last[0] >= MIN_WINDOW:
        hz = os.sysconf("SC_CLK_TCK")
        _others = max(0.0, ((now[1] - _last[1]) - (now[2] - _last[2])) / hz / (now[0] - _last[0]))
        _last = now
    return _others


@contextmanager
def blas_threads(flops: float) -> Iterator[int]:
    """Run the body with choose(flops) BLAS threads (3 µs to switch), then restore them."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController
        _controller = ThreadpoolController()
    n = choose(flops)
    with _controller.limit(limits=n, user_api="blas"):
        yield n


others_busy()          # the first look: the window of the next one starts here
