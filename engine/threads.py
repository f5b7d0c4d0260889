"""How many BLAS threads a computation gets: chosen from its size, not left to the default.

OpenBLAS's default is every core for every call. Small matrices gain nothing from threads, and
on a busy machine OpenBLAS threads spin while they wait for a core: the README's 20-teacher
spectrum took 24 s with the default threads and 2.2 s with one. So each computation states
its floating-point work and gets one thread below THREAD_FLOPS, every core above (measured
crossover on 2 cores: 3e8–1e9 flops for an SVD or eigvalsh; benchmarks/bench_spectrum.py
checks the choice against both fixed settings). `set_threads(n)` fixes the number instead
(--threads N, the window's Run → BLAS threads), and `set_cap(n)` bounds the automatic choice
(the window's engine processes leave one core to the window).
"""
from __future__ import annotations

import os
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


def set_threads(n: int | None) -> None:
    """A fixed number of BLAS threads for every computation, or None for the automatic choice."""
    global _fixed
    _fixed = None if n is None else max(1, int(n))


def set_cap(n: int | None) -> None:
    """At most n threads for the automatic choice (None: no cap)."""
    global _cap
    _cap = None if n is None else max(1, int(n))


def choose(flops: float) -> int:
    """The threads a computation of `flops` floating-point operations gets."""
    if _fixed is not None:
        return _fixed
    n = 1 if flops < THREAD_FLOPS else cores()
    return n if _cap is None else min(n, _cap)


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
