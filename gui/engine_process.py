"""Engine computations in separate processes, so that nothing they do can freeze the window.

Why processes and not only threads: some LAPACK calls the engine makes hold Python's GIL for
their whole duration (measured with numpy 2.4: `np.linalg.svd(..., compute_uv=False)` on a tall
matrix such as the N×P Jacobian with N > P, and `np.linalg.qr(..., mode="r")`), and while one
thread holds the GIL the GUI thread cannot run a single Python slot — the window would stop
repainting for as long as one SVD takes. A child process has its own GIL.

This module has no Qt import: the child processes run only the engine. `WorkerPool` keeps warm
processes (spawned, engine already imported); gui.worker.Job runs a request in one of them from
a QThread and streams what it yields back as Qt signals.

A job is a request object (gui/tasks.py) sent pickled: the process unpickles it and iterates
`request.run(state)`. Its class must be importable in a fresh interpreter (a module of the
project), and it and what it yields must pickle; the GUI's requests hold engine objects, which
pickle as they are.
"""
from __future__ import annotations

import os
import pickle
import queue
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from engine.threads import blas_env, cpu_ticks

PROGRESS_INTERVAL = 0.05

# The watchdog (gui.worker): while a task runs the child sends ("alive", task_id) every
# HEARTBEAT_INTERVAL seconds from a daemon thread. A LAPACK call that holds the GIL stops those
# heartbeats for its whole duration, so the parent also counts the child's CPU time going up
# (Linux: /proc/PID/stat) as a sign of life. A child that gives neither — no message, no
# heartbeat, no CPU time — for WATCHDOG_TIMEOUT seconds (stopped with SIGSTOP, deadlocked,
# or swapped out for that long) is killed and the job fails with one message.
HEARTBEAT_INTERVAL = 0.25
WATCHDOG_TIMEOUT = 30.0


# ============================================================================ the child's loop

def child_main(fd: int) -> None:
    """The child process: serve tasks on the connection `fd` until told to stop.

    Messages in: ("run", task_id, pickled request, BLAS threads or None), ("cancel",
    task_id), ("stop",). The request arrives pickled a second time and is unpickled inside the
    task's error handling, so a request this interpreter cannot load (a class it cannot import)
    fails that task with a message instead of stopping the reader. Out, per task:
    any number of ("progress", f, text), ("result", pickled item), ("error", text) and
    ("alive", task_id) (the heartbeat, every HEARTBEAT_INTERVAL s), then ("done", status).
    A reader thread receives everything, so a cancel arrives while the task runs — or before it
    starts (a cancelled id is remembered); a late cancel of a finished task does nothing.
    """
    from engine.errors import Cancelled, is_bug, user_message
    from engine.jobs import JobState
    from engine.threads import blas_threads, set_cap, set_threads
    import gui.tasks  # noqa: F401  (warm: the first task starts at once)

    set_cap(thread_cap())
    conn = Connection(fd)
    send_lock = threading.Lock()
    tasks: queue.Queue = queue.Queue()
    lock = threading.Lock()
    current: list = [None, None]      # the running task's id and JobState
    cancelled: set = set()            # ids cancelled before they started

    def send(msg) -> None:
        with send_lock:
            conn.send(msg)

    def reader() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("stop",)
            if msg[0] == "cancel":
                with lock:
                    if current[0] == msg[1]:
                        current[1].cancel()
                    else:
                        cancelled.add(msg[1])
            else:
                tasks.put(msg)
                if msg[0] == "stop":
                    return

    def heartbeat() -> None:
        while True:
            time.sleep(HEARTBEAT_INTERVAL)
            with lock:            # under the lock: never after the task's ("done", ...)
                if current[0] is not None:
                    try:
                        send(("alive", current[0]))
                    except (OSError, ValueError):
                        return

    threading.Thread(target=reader, daemon=True, name="engine-reader").start()
    threading.Thread(target=heartbeat, daemon=True, name="engine-heartbeat").start()
    while True:
        msg = tasks.get()
        if msg[0] == "stop":
            return
        _, task_id, request, threads = msg
        set_threads(threads)          # the request's or the window's (Run → BLAS threads); None: automatic
        last = [0.0]

        def progress(fraction, message):
            now = time.monotonic()
            if fraction >= 1.0 or now - last[0] >= PROGRESS_INTERVAL:
                last[0] = now
                send(("progress", float(fraction), str(message)))

        state = JobState(progress)
        with lock:
            current[:] = [task_id, state]
            if task_id in cancelled:
                state.cancel()
            cancelled.clear()         # ids only grow; anything older than this task is stale
        status = "finished"
        try:
            with blas_threads(0.0):   # small unless a computation states its size
                for item in pickle.loads(request).run(state):
                    # pickled here, unpickled on the GUI thread (gui.worker.Job): the QThread
                    # relaying messages then never imports (PySide6's import hook run from a
                    # QThread while the GUI thread collects garbage crashed the suite)
                    send(("result", pickle.dumps(item, pickle.HIGHEST_PROTOCOL)))
        except Cancelled:
            status = "cancelled"
        except Exception as exc:      # one line, as the command line says it (engine.errors)
            if is_bug(exc):
                traceback.print_exc()     # a bug's details on the terminal
            send(("error", user_message(exc)))
            status = "error"
        with lock:
            current[:] = [None, None]
        send(("done", status))


# ============================================================================ the parent's side

ROOT = Path(__file__).resolve().parent.parent


def thread_cap() -> int:
    """The most BLAS threads an engine process chooses by itself: all cores but one (at least
    one), so the window always has a core to paint with (engine.threads.set_cap)."""
    from engine.threads import cores_but_one
    return cores_but_one()


class WorkerProcess:
    """One child interpreter (`python -c "...child_main(fd)"`) and its socket connection.

    A plain subprocess rather than multiprocessing: the child never re-imports the parent's
    main script (multiprocessing's spawn does, which breaks any script without a
    `if __name__ == "__main__"` guard) and never forks a process that runs Qt threads.
    """

    def __init__(self):
        parent_sock, child_sock = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        # Leave one core to the window: with every core busy in BLAS threads, a repaint that
        # needs 30 ms of CPU takes 100 ms or more of wall time.
        for name, value in blas_env(thread_cap()).items():
            env.setdefault(name, value)
        fd = child_sock.fileno()
        code = f"from gui.engine_process import child_main; child_main({fd})"
        self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(fd,), env=env,
                                        stdin=subprocess.DEVNULL, close_fds=True)
        child_sock.close()
        self.conn = Connection(parent_sock.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_time(self) -> int | None:
        """The child's CPU time so far in clock ticks (None where /proc cannot tell)."""
        return cpu_ticks(self.process.pid)

    def send(self, msg) -> None:
        self.conn.send(msg)

    def stop(self, timeout: float = 0.5) -> None:
        try:
            self.conn.send(("stop",))
            self.process.wait(timeout)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(2.0)
            except subprocess.TimeoutExpired:
                pass
        try:
            self.conn.close()
        except OSError:
            pass
class WorkerPool:
    """Warm engine processes: `acquire()` one for a task, `release()` it when the task ended
    cleanly, `discard()` it after a kill. Thread-safe (QThreads acquire and release)."""

    def __init__(self, keep_idle: int = 2):
        self._lock = threading.Lock()
        self._idle: list[WorkerProcess] = []
        self._busy: set[WorkerProcess] = set()
        self.keep_idle = keep_idle
        self._closed = False

    def acquire(self) -> WorkerProcess:
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine processes were shut down")
            while self._idle:
                w = self._idle.pop()
                if w.alive():
                    self._busy.add(w)
                    return w
                w.kill()
        w = WorkerProcess()            # outside the lock: spawning takes a moment
        with self._lock:
            self._busy.add(w)
        return w

    def release(self, w: WorkerProcess) -> None:
        with self._lock:
            self._busy.discard(w)
            if not self._closed and w.alive() and len(self._idle) < self.keep_idle:
                self._idle.append(w)
                return
        w.stop()

    def discard(self, w: WorkerProcess) -> None:
        with self._lock:
            self._busy.discard(w)
        w.kill()

    def prewarm(self, n: int = 1) -> None:
        """Start processes in the background so that the first run does not wait for imports."""
        def work():
            made = []
            with self._lock:
                need = max(0, n - len(self._idle))
            for _ in range(need):
                made.append(WorkerProcess())
            with self._lock:
                for w in made:
                    if self._closed:
                        w.kill()
                    else:
                        self._idle.append(w)

        threading.Thread(target=work, daemon=True, name="engine-prewarm").start()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            workers = self._idle + list(self._busy)
            self._idle, self._busy = [], set()
        for w in workers:
            w.kill()

    def reopen(self) -> None:
        with self._lock:
            self._closed = False


POOL = WorkerPool()
