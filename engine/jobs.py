"""A tiny state object handed to long computations for progress, partial results and cancel.

Modelled on Orange's widget state: the compute function never knows who listens (CLI progress
bar, GUI signal, test), it only calls `report` and `check`. Cancellation is a threading.Event so
any thread may set it.
"""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

from .errors import Cancelled

T = TypeVar("T")

POLL_SECONDS = 0.05


class JobState:
    def __init__(self, on_progress: Callable[[float, str], None] | None = None):
        self._cancel = threading.Event()
        self._on_progress = on_progress

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled if the job was cancelled: call between units of work."""
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, fraction: float, message: str = "") -> None:
        self.check()
        if self._on_progress is not None:
            self._on_progress(min(max(float(fraction), 0.0), 1.0), message)

    def sub(self, lo: float, hi: float) -> "JobState":
        """A view for one part of the job: progress mapped into [lo, hi], same cancel flag."""
        child = JobState(None)
        child._cancel = self._cancel
        parent = self
        child._on_progress = lambda f, m: parent.report(lo + (hi - lo) * f, m)
        return child

    def run_interruptible(self, fn: Callable[[], T]) -> T:
        """Run one indivisible call (an SVD, an eigh) so that cancel returns within ~50 ms.

        LAPACK cannot be stopped midway, so the call runs in a daemon thread and we wait on it.
        `fn` must release the GIL while it works: numpy.linalg does for the factorisation itself
        (not for its ~0.1 s copies of tall matrices); scipy.linalg's f2py wrappers do not, and
        with them cancel would wait for the call to end. on cancel we stop waiting and raise Cancelled. The abandoned call
        finishes in the background and its result is dropped.
        """
        self.check()
        box: dict = {}
        done = threading.Event()

        def target():
            try:
                box["value"] = fn()
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=target, daemon=True, name="engine-call").start()
        while not done.wait(POLL_SECONDS):
            if self._cancel.is_set():
                raise Cancelled()
        if "error" in box:
            raise box["error"]
        return box["value"]


def null_state() -> JobState:
    return JobState()
