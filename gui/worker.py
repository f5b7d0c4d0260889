"""Engine jobs off the GUI thread, with progress, partial results, errors and cancel as signals.

A `Job` runs one task of gui.engine_process (a generator function in a warm child process, so
that no LAPACK call holding the GIL can freeze the window) from its own QThread. Each item the
task yields arrives on the GUI thread as `result(object)`; progress as `progress(float, str)`;
a failure as `error(str)` (one line); at the end exactly one `finished(str)` with status
"finished", "cancelled" or "error". After `cancel()` nothing more is delivered but `finished`.

Cancel: the child's engine JobState is cancelled (it stops within ~50 ms between calls); if it is
stuck inside one long call, the child is killed after KILL_AFTER seconds and a fresh process is
warmed up in the background.

Watchdog: while a job runs, the child sends a heartbeat every
gui.engine_process.HEARTBEAT_INTERVAL seconds, and its CPU time going up counts as alive too (a
long LAPACK call can hold the GIL and stop the heartbeats). A child that shows neither for
gui.engine_process.WATCHDOG_TIMEOUT seconds — stopped (SIGSTOP), deadlocked — is killed, a
fresh one is warmed up, and the job ends with one `error` ("the engine process stopped
responding (pid N); ...") and status "error".

Lifetime rules (docs/gui.md, "Qt notes"): the QThread subclass lives in the GUI thread and only its `run`
executes in the new thread, so every signal it emits is queued to the GUI thread. A Job is kept
alive by the module-level `_LIVE` set until its thread has finished and been waited for; the
reference is dropped only on the next turn of the event loop, so no QThread is destroyed while
running and no deleted C++ object is touched.
"""
from __future__ import annotations

import atexit
import pickle
import itertools
import threading
import time
from typing import Iterable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from . import engine_process
from .engine_process import POOL

KILL_AFTER = 0.3      # seconds a cancelled child may take to stop by itself
POLL = 0.02           # seconds between checks of the pipe and the cancel flag
LIFE_CHECK = 0.25     # seconds between looks at the child's CPU time (the watchdog)


def frozen_message(pid: int) -> str:
    return (f"the engine process stopped responding (pid {pid}); the run was stopped — "
            "press Run to try again")

# BLAS threads every engine task gets (Run → BLAS threads); None: engine.threads chooses per
# call from its size, at most all cores but one.
ENGINE_THREADS: int | None = None


def set_engine_threads(n: int | None) -> None:
    global ENGINE_THREADS
    ENGINE_THREADS = n


_LIVE: set["Job"] = set()
_TASK_IDS = itertools.count(1)


class _JobThread(QThread):
    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    done = Signal(str)

    def __init__(self, spec: str, args: tuple, cancel_flag: threading.Event):
        super().__init__()
        self._spec, self._args, self._cancel = spec, args, cancel_flag
        self.pid: int | None = None       # the engine process running the task, once known

    def run(self) -> None:  # runs in the new thread
        self.done.emit(self._run())

    def _run(self) -> str:
        try:
            w = POOL.acquire()
        except Exception as exc:
            self.error.emit(f"could not start an engine process: {exc}")
            return "error"
        task_id = next(_TASK_IDS)
        self.pid = w.pid
        try:
            w.send(("run", task_id, self._spec, pickle.dumps(self._args), ENGINE_THREADS))
        except Exception as exc:          # e.g. an argument that does not pickle
            POOL.discard(w)
            self.error.emit(f"unexpected error: could not send the job ({exc.__class__.__name__}: {exc})")
            return "error"
        cancel_at = None
        last_sign = last_look = time.monotonic()      # the watchdog: the last sign of life
        cpu = w.cpu_time()
        while True:
            if cancel_at is None and self._cancel.is_set():
                cancel_at = time.monotonic()
                try:
                    w.send(("cancel", task_id))
                except OSError:
                    pass
            try:
                ready = w.conn.poll(POLL)
                msg = w.conn.recv() if ready else None
            except (EOFError, OSError):
                ready, msg = True, None
            if ready and msg is None or (not ready and not w.alive()):
                POOL.discard(w)
                POOL.prewarm(1)
                if cancel_at is not None:
                    return "cancelled"
                self.error.emit("the engine process ended unexpectedly (out of memory?); "
                                "try smaller sizes or fewer samples")
                return "error"
            now = time.monotonic()
            if cancel_at is not None and now - cancel_at > KILL_AFTER:
                POOL.discard(w)           # stuck in one long call (or deaf): stop it the hard way
                POOL.prewarm(1)
                return "cancelled"
            if msg is not None:
                last_sign = now
            elif now - last_look >= LIFE_CHECK:
                last_look, before, cpu = now, cpu, w.cpu_time()
                if cpu is not None and cpu != before:
                    last_sign = now       # busy in a call that holds the GIL: alive
                elif now - last_sign > engine_process.WATCHDOG_TIMEOUT:
                    POOL.discard(w)       # SIGKILL works on a stopped process too
                    POOL.prewarm(1)
                    self.error.emit(frozen_message(w.pid))
                    return "error"
            if msg is not None:
                kind = msg[0]
                if kind == "done":
                    POOL.release(w)
                    return "cancelled" if cancel_at is not None else msg[1]
                if cancel_at is None:
                    if kind == "result":
                        self.result.emit(msg[1])
                    elif kind == "progress":
                        self.progress.emit(msg[1], msg[2])
                    elif kind == "error":
                        self.error.emit(msg[1])


class Job(QObject):
    """One engine task ("module:function", args) in a child process. Connect, `start()`, `cancel()`."""

    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    finished = Signal(str)

    def __init__(self, name: str, spec: str, args: Iterable = (), parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.status: str | None = None          # set when finished
        self._cancel_flag = threading.Event()
        self._thread: _JobThread | None = _JobThread(spec, tuple(args), self._cancel_flag)
        self._thread.progress.connect(self._on_progress)
        self._thread.result.connect(self._on_result)
        self._thread.error.connect(self._on_error)
        self._thread.done.connect(self._on_done)
        self._thread.finished.connect(self._on_thread_finished)
        self._done_status = "error"

    # ---------------------------------------------------------------- control (GUI thread)
    def start(self) -> None:
        _LIVE.add(self)
        self._thread.start()

    def cancel(self) -> None:
        """Stop the computation; nothing but `finished` is delivered after this."""
        self._cancel_flag.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_flag.is_set()

    @property
    def pid(self) -> int | None:
        """The engine process running this job (None before it has one, and after the end)."""
        thread = self._thread
        return None if thread is None else thread.pid

    def is_running(self) -> bool:
        return self.status is None

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the thread has ended (True) or msecs passed (False)."""
        thread = self._thread
        return True if thread is None else bool(thread.wait(msecs))

    # ---------------------------------------------------------------- slots (GUI thread)
    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self.cancel_requested:
            self.progress.emit(fraction, message)

    @Slot(object)
    def _on_result(self, data: bytes) -> None:
        """A result, unpickled here on the GUI thread (the relaying thread only moves bytes)."""
        if self.cancel_requested:
            return
        try:
            item = pickle.loads(data)
        except Exception as exc:        # e.g. a class this interpreter cannot import
            self.error.emit(f"unexpected error: could not read a result ({exc.__class__.__name__}: {exc})")
            return
        self.result.emit(item)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        if not self.cancel_requested:
            self.error.emit(message)

    @Slot(str)
    def _on_done(self, status: str) -> None:
        self._done_status = status

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.wait()                     # finished is emitted just before run() returns
        status = "cancelled" if self.cancel_requested else self._done_status
        self.status = status
        self.finished.emit(status)
        QTimer.singleShot(0, self._release)   # after every queued signal of this thread

    def _release(self) -> None:
        self._thread = None
        _LIVE.discard(self)


def live_jobs() -> list[Job]:
    """Jobs whose thread has not ended yet (including cancelled ones still stopping)."""
    return [job for job in _LIVE if job._thread is not None and job._thread.isRunning()]


def shutdown(jobs: Iterable[Job] | None = None, timeout_ms: int = 3000) -> bool:
    """Cancel the given jobs (default: all live ones) and wait for their threads to end."""
    jobs = list(live_jobs() if jobs is None else jobs)
    for job in jobs:
        job.cancel()
    ok = True
    deadline = time.monotonic() + timeout_ms / 1000
    for job in jobs:
        left = max(1, int(1000 * (deadline - time.monotonic())))
        ok = job.wait(left) and ok
    return ok


@atexit.register
def _stop_at_exit() -> None:
    """No QThread may be destroyed while running: stop every job before the interpreter goes."""
    shutdown(timeout_ms=3000)
    POOL.shutdown()
