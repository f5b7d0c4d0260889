"""Engine jobs off the GUI thread, with progress, partial results, errors and cancel as signals.

A `Job` runs one request (gui/tasks.py: a picklable object whose `run(state)` is a generator)
in a warm engine process (gui/engine_process.py, so that no LAPACK call holding the GIL can
freeze the window), relayed by its own QThread. The request travels pickled; the process calls
its `run` — no module paths in strings, so a reader or a debugger follows the call. Each item
it yields arrives on the GUI thread as `result(object)`; progress as `progress(float, str)`; a
failure as `error(str)` (one line, engine.errors.user_message); at the end exactly one
`finished(str)` with status "finished", "cancelled" or "error". After `cancel()` nothing more
is delivered but `finished`.

Cancel: the process's engine JobState is cancelled (it stops within ~50 ms between calls); if
it is stuck inside one long call, the process is killed after KILL_AFTER seconds — at once with
`cancel(kill=True)` — and a fresh one is warmed up in the background.

Watchdog: while a job runs, the process sends a heartbeat every
gui.engine_process.HEARTBEAT_INTERVAL seconds, and its CPU time going up counts as alive too (a
long LAPACK call can hold the GIL and stop the heartbeats). A process that shows neither for
gui.engine_process.WATCHDOG_TIMEOUT seconds — stopped (SIGSTOP), deadlocked — is killed, a
fresh one is warmed up, and the job ends with one `error` ("the engine process stopped
responding (pid N); ...") and status "error".

Lifetime rules (docs/gui.md, "Qt notes"): the QThread subclass lives in the GUI thread and only
its `run` executes in the new thread, so every signal it emits is queued to the GUI thread. The
request is pickled and results unpickled on the GUI thread, so the relaying thread never
imports (PySide6's import hook in a QThread while the GUI thread collects garbage crashes). A
Job is kept alive by the module-level `_LIVE` set until its thread has finished and been waited
for; the reference is dropped only on the next turn of the event loop, so no QThread is
destroyed while running and no deleted C++ object is touched.
"""
from __future__ import annotations

import atexit
import pickle
import itertools
import threading
import time
from typing import Iterable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from engine.errors import user_message

from . import engine_process
from .engine_process import POOL

KILL_AFTER = 0.3      # seconds a cancelled process may take to stop by itself
POLL = 0.02           # seconds between checks of the pipe and the cancel flag
LIFE_CHECK = 0.25     # seconds between looks at the process's CPU time (the watchdog)


def frozen_message(pid: int) -> str:
    return (f"the engine process stopped responding (pid {pid}); the run was stopped — "
            "press Run to try again")


CRASHED = ("the engine process ended unexpectedly (out of memory?); try smaller sizes or "
           "fewer samples")

# BLAS threads every engine job gets (Run → BLAS threads) unless its request fixes them
# (Request.blas_threads); None: engine.threads chooses per call from its size, at most all
# cores but one.
ENGINE_THREADS: int | None = None


def set_engine_threads(n: int | None) -> None:
    global ENGINE_THREADS
    ENGINE_THREADS = n


_LIVE: set["Job"] = set()
_TASK_IDS = itertools.count(1)
_GONE = object()      # what _poll returns when the process has ended


class _JobThread(QThread):
    """Relays one job: start it in an engine process, then poll, watch and hand over until it
    ends. Each step returns None to go on, or the job's final status."""

    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    done = Signal(str)

    def __init__(self, cancel_flag: threading.Event, kill_flag: threading.Event):
        super().__init__()
        self._cancel, self._kill = cancel_flag, kill_flag
        self.payload: bytes | None = None     # the pickled request and its BLAS threads …
        self.threads: int | None = None
        self.failure: str | None = None       # … or why it could not be pickled
        self.pid: int | None = None           # the engine process running the job, once known
        self._w = None
        self._task_id = next(_TASK_IDS)
        self._cancel_at: float | None = None
        self._last_sign = self._last_look = 0.0
        self._cpu: int | None = None

    def run(self) -> None:  # runs in the new thread
        status = self._start()
        while status is None:
            status = self._step()
        self.done.emit(status)

    def _start(self) -> str | None:
        if self.failure is not None:
            self.error.emit(self.failure)
            return "error"
        try:
            self._w = POOL.acquire()
        except Exception as exc:
            self.error.emit(f"could not start an engine process: {user_message(exc)}")
            return "error"
        self.pid = self._w.pid
        try:
            self._w.send(("run", self._task_id, self.payload, self.threads))
        except OSError as exc:
            POOL.discard(self._w)
            self.error.emit(f"could not send the job: {user_message(exc)}")
            return "error"
        self._last_sign = self._last_look = time.monotonic()
        self._cpu = self._w.cpu_time()
        return None

    def _step(self) -> str | None:
        self._pass_cancel()
        msg = self._poll()
        if msg is _GONE:
            return self._gone()
        if self._cancel_overdue():
            return self._kill_process("cancelled")
        if msg is None:
            return self._watchdog()
        self._last_sign = time.monotonic()
        return self._hand_over(msg)

    def _pass_cancel(self) -> None:
        """The first time the flag is seen: tell the process (it stops between calls)."""
        if self._cancel_at is None and self._cancel.is_set():
            self._cancel_at = time.monotonic()
            try:
                self._w.send(("cancel", self._task_id))
            except OSError:
                pass

    def _poll(self):
        """The next message within POLL seconds, None, or _GONE if the process ended."""
        try:
            if self._w.conn.poll(POLL):
                return self._w.conn.recv()
        except (EOFError, OSError):
            return _GONE
        return None if self._w.alive() else _GONE

    def _gone(self) -> str:
        POOL.discard(self._w)
        POOL.prewarm(1)
        if self._cancel_at is not None:
            return "cancelled"
        self.error.emit(CRASHED)
        return "error"

    def _cancel_overdue(self) -> bool:
        """Cancelled with kill, or stuck in one long call (or deaf) for KILL_AFTER seconds."""
        return self._cancel_at is not None and (
            self._kill.is_set() or time.monotonic() - self._cancel_at > KILL_AFTER)

    def _kill_process(self, status: str) -> str:
        POOL.discard(self._w)             # SIGKILL works on a stopped process too
        POOL.prewarm(1)
        return status

    def _watchdog(self) -> str | None:
        """No message: every LIFE_CHECK seconds, is the process's CPU time still going up?"""
        now = time.monotonic()
        if now - self._last_look < LIFE_CHECK:
            return None
        self._last_look, before, self._cpu = now, self._cpu, self._w.cpu_time()
        if self._cpu is not None and self._cpu != before:
            self._last_sign = now         # busy in a call that holds the GIL: alive
            return None
        if now - self._last_sign <= engine_process.WATCHDOG_TIMEOUT:
            return None
        self.error.emit(frozen_message(self._w.pid))
        return self._kill_process("error")

    def _hand_over(self, msg) -> str | None:
        """A message from the process: the end, or a signal (none once cancelling)."""
        kind = msg[0]
        if kind == "done":
            POOL.release(self._w)
            return "cancelled" if self._cancel_at is not None else msg[1]
        if self._cancel_at is not None:
            return None
        if kind == "result":
            self.result.emit(msg[1])
        elif kind == "progress":
            self.progress.emit(msg[1], msg[2])
        elif kind == "error":
            self.error.emit(msg[1])
        return None                       # ("alive", id): the heartbeat, counted above


class Job(QObject):
    """One request (gui/tasks.py) run in an engine process. Connect, `start()`, `cancel()`."""

    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    finished = Signal(str)

    def __init__(self, request, parent: QObject | None = None):
        super().__init__(parent)
        self.request = request
        self.name: str = getattr(request, "name", type(request).__name__)
        self.status: str | None = None          # set when finished
        self._cancel_flag = threading.Event()
        self._kill_flag = threading.Event()
        self._thread: _JobThread | None = _JobThread(self._cancel_flag, self._kill_flag)
        self._thread.progress.connect(self._on_progress)
        self._thread.result.connect(self._on_result)
        self._thread.error.connect(self._on_error)
        self._thread.done.connect(self._on_done)
        self._thread.finished.connect(self._on_thread_finished)
        self._done_status = "error"

    # ---------------------------------------------------------------- control (GUI thread)
    def start(self) -> None:
        """Pickle the request here, on the GUI thread (a failure is the job's one error), and
        relay it from the job's thread."""
        thread = self._thread
        try:
            thread.payload = pickle.dumps(self.request, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:          # e.g. a field that does not pickle
            thread.failure = f"could not send the job: {user_message(exc)}"
        fixed = getattr(self.request, "blas_threads", None)
        thread.threads = ENGINE_THREADS if fixed is None else fixed
        _LIVE.add(self)
        thread.start()

    def cancel(self, kill: bool = False) -> None:
        """Stop the computation; nothing but `finished` is delivered after this. kill: end its
        engine process at once instead of letting it stop between calls."""
        if kill:
            self._kill_flag.set()
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
            self.error.emit(f"could not read a result: {user_message(exc)}")
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
