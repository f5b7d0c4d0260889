"""Requests for the engine processes that only tests need. They live in a module of their own,
importable by its full name (tests.engine_side) from the fresh interpreter of an engine process:
a job is its request object, sent pickled, whose `run(state)` the process iterates."""
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.ensemble import prepare
from gui.tasks import Request, SpectrumRequest


@dataclass(frozen=True)
class SpectrumFromVanishedInputs(SpectrumRequest):
    """In the engine process: delete the inputs file, then let the engine load it again."""

    def run(self, state):
        Path(self.problem.config.inputs).unlink()
        yield from SpectrumRequest(prepare(self.problem.config)).run(state)


@dataclass(frozen=True)
class BlasThreads(Request, name="threads"):
    """The BLAS threads OpenBLAS reports inside engine.threads' context for each amount of
    work (what the window's Run → BLAS threads reaches)."""
    flops_list: tuple

    def run(self, state):
        from threadpoolctl import threadpool_info

        from engine.threads import blas_threads
        for flops in self.flops_list:
            with blas_threads(flops):
                yield max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


@dataclass(frozen=True)
class Counting(Request, name="counting"):
    """n items, with progress, `delay` seconds apart, stopping between them when cancelled."""
    n: int
    delay: float

    def run(self, state):
        for i in range(self.n):
            state.report(i / self.n, f"item {i}")
            time.sleep(self.delay)
            state.check()
            yield i


@dataclass(frozen=True)
class Raising(Request, name="raising"):
    """Yields `first` (unless None), then raises `exc` (an exception, pickled with the job)."""
    exc: BaseException
    first: object = None

    def run(self, state):
        if self.first is not None:
            yield self.first
        raise self.exc


@dataclass(frozen=True)
class Pid(Request, name="pid"):
    def run(self, state):
        yield os.getpid()


@dataclass(frozen=True)
class CooperativeForever(Request, name="forever"):
    def run(self, state):
        i = 0
        while True:
            state.check()
            time.sleep(0.005)
            yield i
            i += 1


@dataclass(frozen=True)
class Stuck(Request, name="stuck"):
    """One long call that never looks at the cancel flag."""

    def run(self, state):
        yield "started"
        time.sleep(30)
        yield "never"


@dataclass(frozen=True)
class Crashing(Request, name="crashing"):
    def run(self, state):
        yield "about to crash"
        os._exit(3)


@dataclass(frozen=True)
class GilHolding(Request, name="gil"):
    """np.linalg.svd without vectors holds the GIL for its whole duration (numpy 2.4)."""
    seconds: float

    def run(self, state):
        a = np.random.default_rng(0).standard_normal((3000, 400))
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < self.seconds:
            np.linalg.svd(a, compute_uv=False)
            n += 1
        yield n


@dataclass(frozen=True)
class Sleeping(Request, name="sleeping"):
    """Silent for `seconds` but alive: only the heartbeat thread speaks."""
    seconds: float

    def run(self, state):
        time.sleep(self.seconds)
        yield "woke"


@dataclass(frozen=True)
class LongGilCall(Request, name="long_gil"):
    """One SVD of a tall matrix holds the GIL (no heartbeat) for over a second, `calls` times."""
    calls: int

    def run(self, state):
        a = np.random.default_rng(0).standard_normal((80_000, 300))
        for _ in range(self.calls):
            np.linalg.svd(a, compute_uv=False)
        yield self.calls
