"""Engine computations in separate processes, so that nothing they do can freeze the window.

Why processes and not only threads: some LAPACK calls the engine makes hold Python's GIL for
their whole duration (measured with numpy 2.4: `np.linalg.svd(..., compute_uv=False)` on a tall
matrix such as the N×P Jacobian with N > P, and `np.linalg.qr(..., mode="r")`), and while one
thread holds the GIL the GUI thread cannot run a single Python slot — the window would stop
repainting for as long as one SVD takes. A child process has its own GIL.

This module has no Qt import: the child processes run only the engine. `WorkerPool` keeps warm
processes (spawned, engine already imported); gui.worker.Job runs a task in one of them from a
QThread and streams what the task yields back as Qt signals.

A task is a generator function `task(state, *args)` given as "module:function"; it must be
importable in a fresh interpreter and its arguments and yields must pickle. The tasks the GUI
uses are below: they re-prepare the engine problem in the child from a picklable config.
"""
from __future__ import annotations

import importlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

PROGRESS_INTERVAL = 0.05


# ============================================================================ tasks (child side)

@dataclass(frozen=True)
class DynamicsStartInfo:
    """What the Dynamics view needs from engine.dynamics.DynamicsStart (which does not pickle:
    its problem holds the activation's functions)."""
    eigenvalues: object
    coefficients: object
    slow_modes: object
    lr: float
    stability_limit: float
    initial_loss: float
    target_loss: float
    warnings: tuple
    predicted_time_to_target: int | None
    predicted_takeover_step: int | None
    steps: int
    flow: bool
    config: dict


@dataclass(frozen=True)
class ExpectedCurve:
    """The linearised learning curve expected from one spectrum, before any training: a random
    start of norm ε has E c_k² = ε²/P (engine.curves), so L(t) = (ε²/2P) Σ λ_k (1 − ηλ_k)^{2t}."""
    steps: object
    loss: object                     # expected linearised loss at `steps`
    slow_eigenvalues: object         # the m smallest above the rank tolerance
    slow_energies: object            # (len(steps), m)
    lr: float
    lam_max: float
    eps: float
    total_steps: int
    takeover_step: int | None        # first step where the slow modes carry half the loss


def curve_steps(total: int, points: int = 600):
    """Steps to evaluate a curve at: every step up to `points`, else even and geometric ones."""
    import numpy as np

    if total + 1 <= points:
        return np.arange(total + 1)
    half = points // 2
    grid = np.concatenate([[0], np.linspace(0, total, half), np.geomspace(1, total, half), [total]])
    return np.unique(grid.round().astype(np.int64))


def expected_dynamics_task(state, eigenvalues, rank_tolerance, eps, lr, total_steps, slow_modes):
    """engine.curves on teacher 1's spectrum: the expected loss and slow-mode energies."""
    import numpy as np

    from engine.curves import expected_coeff_sq, first_step, mode_energies, predicted_loss

    lam = np.asarray(eigenvalues, dtype=float)
    lam_max = float(lam[-1])
    if not lam_max > 0:
        return
    eta = 1.0 / lam_max if lr in (None, "auto") else float(lr)
    c2 = expected_coeff_sq(eps, lam.size)
    steps = curve_steps(int(total_steps))
    state.check()
    loss = predicted_loss(lam, c2, steps, eta)
    slow = np.flatnonzero(lam > rank_tolerance)[: int(slow_modes)]
    energies = mode_energies(lam[slow], c2, steps, eta)
    takeover = None
    if slow.size:
        takeover = first_step(lambda ts: predicted_loss(lam[slow], c2, ts, eta)
                              > 0.5 * predicted_loss(lam, c2, ts, eta), int(total_steps))
    yield ExpectedCurve(steps, loss, lam[slow], energies, eta, lam_max, float(eps),
                        int(total_steps), takeover)


def spectrum_task(state, spectrum_config):
    """engine.ensemble.iter_spectra for a SpectrumConfig; results without the input matrices."""
    from engine.ensemble import iter_spectra, prepare

    for result in iter_spectra(prepare(spectrum_config), state):
        yield replace(result, inputs=None)


def theory_task(state, kind, args):
    """An engine.laws law: kind "pooled" → linear_law(*args), "conditional" → conditional_law(*args)."""
    from engine import laws

    state.report(0.0, "theory law")
    yield laws.linear_law(*args) if kind == "pooled" else laws.conditional_law(*args)
    state.report(1.0, "theory law done")


def dynamics_task(state, spectrum_config, dynamics_config):
    """engine.dynamics: the start (as DynamicsStartInfo), then every TrajectoryChunk."""
    from engine.dynamics import iter_trajectory, prepare_dynamics, start_dynamics

    problem = prepare_dynamics(spectrum_config, dynamics_config)
    start = start_dynamics(problem, state.sub(0.0, 0.05))
    cfg = problem.config
    yield DynamicsStartInfo(start.eigenvalues, start.coefficients, start.slow_modes, start.lr,
                            start.stability_limit, start.initial_loss, start.target_loss,
                            tuple(start.warnings), start.predicted_time_to_target,
                            start.predicted_takeover_step, cfg.steps, bool(cfg.flow), start.config)
    yield from iter_trajectory(start, state.sub(0.05, 1.0))


# ============================================================================ the child's loop

def _resolve(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def child_main(fd: int) -> None:
    """The child process: serve tasks on the connection `fd` until told to stop.

    Messages in: ("run", task_id, spec, args), ("cancel", task_id), ("stop",). Out, per task:
    any number of ("progress", f, text), ("result", item), ("error", text), then ("done", status).
    A reader thread receives everything, so a cancel arrives while the task runs — or before it
    starts (a cancelled id is remembered); a late cancel of a finished task does nothing.
    """
    from engine.errors import Cancelled, InputError
    from engine.jobs import JobState
    import engine.ensemble  # noqa: F401  (warm: the first task starts at once)

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

    threading.Thread(target=reader, daemon=True, name="engine-reader").start()
    while True:
        msg = tasks.get()
        if msg[0] == "stop":
            return
        _, task_id, spec, args = msg
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
            for item in _resolve(spec)(state, *args):
                send(("result", item))
        except Cancelled:
            status = "cancelled"
        except InputError as exc:
            send(("error", str(exc)))
            status = "error"
        except MemoryError:
            send(("error", "out of memory: use fewer samples, smaller Ni/Nh, or population mode"))
            status = "error"
        except Exception as exc:  # a bug must come back as a message
            traceback.print_exc()
            first = str(exc).splitlines()[0] if str(exc) else ""
            send(("error", f"unexpected error: {exc.__class__.__name__}: {first}"))
            status = "error"
        with lock:
            current[:] = [None, None]
        send(("done", status))


# ============================================================================ the parent's side

ROOT = Path(__file__).resolve().parent.parent


def blas_threads() -> int:
    """BLAS threads for an engine process: all cores but one (at least one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


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
        threads = str(blas_threads())
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, threads)
        fd = child_sock.fileno()
        code = f"from gui.engine_process import child_main; child_main({fd})"
        self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(fd,), env=env,
                                        stdin=subprocess.DEVNULL, close_fds=True)
        child_sock.close()
        self.conn = Connection(parent_sock.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

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
