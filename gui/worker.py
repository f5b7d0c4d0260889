"""Engine jobs off the GUI thread.

A `Job` wraps a function `fn(state) -> iterable` (an engine generator such as
`iter_spectra(problem, state)`) and runs it in its own QThread. Each item the generator yields
arrives on the GUI thread as `result(object)`; progress as `progress(float, str)`; a failure as
`error(str)` (one line, never an exception in the GUI thread); and at the end exactly one
`finished(str)` with status "finished", "cancelled" or "error".

Lifetime rules (qt-notes.md): the QThread subclass lives in the GUI thread and only its `run`
executes in the new thread, so every signal it emits is queued to the GUI thread. A running Job
is kept alive by the module-level `_LIVE` set until its thread has finished *and* been waited
for; only then is the Python reference dropped (on the next turn of the event loop), so no
QThread is ever destroyed while running and no deleted C++ object is touched.
"""
from __future__ import annotations

import sys
import time
import traceback
from typing import Callable, Iterable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from engine.errors import Cancelled, InputError
from engine.jobs import JobState

PROGRESS_INTERVAL = 0.05      # seconds between progress signals (the last one always goes out)

_LIVE: set["Job"] = set()


class _JobThread(QThread):
    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    done = Signal(str)

    def __init__(self, fn: Callable[[JobState], Iterable], state_box: list):
        super().__init__()
        self._fn = fn
        self._state_box = state_box

    def run(self) -> None:  # runs in the new thread
        state: JobState = self._state_box[0]
        status = "finished"
        try:
            for item in self._fn(state):
                state.check()
                self.result.emit(item)
        except Cancelled:
            status = "cancelled"
        except InputError as exc:
            self.error.emit(str(exc))
            status = "error"
        except MemoryError:
            self.error.emit("out of memory: use fewer samples, smaller Ni/Nh, or population mode")
            status = "error"
        except Exception as exc:  # any bug must end up as a message, not a dead thread
            traceback.print_exc(file=sys.stderr)
            first = str(exc).splitlines()[0] if str(exc) else ""
            self.error.emit(f"unexpected error: {exc.__class__.__name__}: {first}")
            status = "error"
        self.done.emit(status)


class Job(QObject):
    """One engine computation in its own thread. Create, connect, `start()`; `cancel()` any time."""

    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    finished = Signal(str)

    def __init__(self, name: str, fn: Callable[[JobState], Iterable], parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.status: str | None = None          # set when finished
        self._cancel_requested = False
        self._last_progress = 0.0
        box: list = []
        self._thread = _JobThread(fn, box)
        box.append(JobState(self._report))      # JobState calls _report in the worker thread
        self._state: JobState = box[0]
        self._thread.progress.connect(self._on_progress)
        self._thread.result.connect(self._on_result)
        self._thread.error.connect(self._on_error)
        self._thread.done.connect(self._on_done)
        self._thread.finished.connect(self._on_thread_finished)
        self._done_status = "finished"

    # ---------------------------------------------------------------- control (GUI thread)
    def start(self) -> None:
        _LIVE.add(self)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the computation to stop (effective within ~50 ms); further results are dropped."""
        self._cancel_requested = True
        self._state.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    def is_running(self) -> bool:
        return self.status is None

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the thread has ended (True) or msecs passed (False)."""
        thread = self._thread
        return True if thread is None else bool(thread.wait(msecs))

    # ---------------------------------------------------------------- worker thread side
    def _report(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self._thread.progress.emit(fraction, message)

    # ---------------------------------------------------------------- slots (GUI thread)
    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self._cancel_requested:
            self.progress.emit(fraction, message)

    @Slot(object)
    def _on_result(self, item) -> None:
        if not self._cancel_requested:
            self.result.emit(item)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        if not self._cancel_requested:
            self.error.emit(message)

    @Slot(str)
    def _on_done(self, status: str) -> None:
        self._done_status = status

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.wait()                     # finished is emitted just before run() returns
        status = "cancelled" if self._cancel_requested else self._done_status
        self.status = status
        self.finished.emit(status)
        # Drop the last references only on the next turn of the event loop, after every
        # queued signal of this thread has been delivered.
        QTimer.singleShot(0, self._release)

    def _release(self) -> None:
        self._thread = None
        _LIVE.discard(self)


def live_jobs() -> list[Job]:
    return [job for job in _LIVE if job.is_running()]


def shutdown(jobs: Iterable[Job] | None = None, timeout_ms: int = 3000) -> bool:
    """Cancel the given jobs (default: all running ones) and wait for their threads to end."""
    jobs = list(live_jobs() if jobs is None else jobs)
    for job in jobs:
        job.cancel()
    ok = True
    deadline = time.monotonic() + timeout_ms / 1000
    for job in jobs:
        left = max(1, int(1000 * (deadline - time.monotonic())))
        ok = job.wait(left) and ok
    return ok
