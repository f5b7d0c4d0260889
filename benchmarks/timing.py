"""Timing helpers shared by the benchmarks: best-of rounds, interleaved so that load from
other processes on a shared machine falls on every candidate alike."""
from __future__ import annotations

import math
import time


def interleaved(fns: dict, rounds: int, warm_up: bool = True) -> dict:
    """Seconds per unit of each function: the best of `rounds`, one call of each per round in
    the dict's order. A function may return its number of units (e.g. steps), else 1."""
    best = {name: math.inf for name in fns}
    if warm_up:
        for fn in fns.values():
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            units = fn()
            elapsed = time.perf_counter() - t0
            best[name] = min(best[name], elapsed / (units if isinstance(units, int) and units > 0 else 1))
    return best


def best_of(fn, repeat: int) -> float:
    """The best of `repeat` calls of fn, in seconds (no warm-up)."""
    return interleaved({"fn": fn}, repeat, warm_up=False)["fn"]


def paired(engine_fn, bare_fn, repeat: int) -> tuple[float, float]:
    """(engine, bare) seconds: the best of `repeat` for each, alternating the two."""
    t = interleaved({"bare": bare_fn, "engine": engine_fn}, repeat, warm_up=False)
    return t["engine"], t["bare"]
