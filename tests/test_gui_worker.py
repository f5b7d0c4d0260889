"""gui.worker.Job: requests run in engine processes, streamed back as Qt signals.

The requests (tests/engine_side.py) are objects whose `run(state)` the engine process iterates:
their module must be importable from a fresh interpreter, which it is (the project root is on
the process's path).
"""
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from engine.errors import InputError, user_message
from tests.engine_side import (Counting, CooperativeForever, Crashing, GilHolding, LongGilCall,
                               Pid, Raising, Sleeping, Stuck)


def run_job(qtbot, request, timeout=20_000, cancel_after=None):
    from gui.worker import Job

    job = Job(request)
    got = {"results": [], "progress": [], "errors": [], "finished": []}
    job.result.connect(got["results"].append)
    job.progress.connect(lambda f, m: got["progress"].append((f, m)))
    job.error.connect(got["errors"].append)
    job.finished.connect(got["finished"].append)
    with qtbot.waitSignal(job.finished, timeout=timeout):
        job.start()
        if cancel_after is not None:
            qtbot.waitUntil(lambda: len(got["results"]) >= cancel_after, timeout=timeout)
            got["cancel_time"] = time.monotonic()
            job.cancel()
    got["end_time"] = time.monotonic()
    assert job.wait(5000)
    return got


def test_results_and_progress_stream_in_order(qtbot):
    got = run_job(qtbot, Counting(6, 0.06))
    assert got["results"] == list(range(6))
    assert got["finished"] == ["finished"] and not got["errors"]
    fractions = [f for f, _ in got["progress"]]
    assert fractions == sorted(fractions) and len(fractions) >= 3
    assert got["progress"][0][1] == "item 0"


def test_an_exception_in_the_task_becomes_one_message(qtbot):
    got = run_job(qtbot, Raising(RuntimeError("boom"), first=1))
    assert got["results"] == [1]
    assert got["errors"] == [user_message(RuntimeError("boom"))]
    assert got["errors"][0].startswith("unexpected RuntimeError: boom — this is a bug")
    assert got["finished"] == ["error"]
    got = run_job(qtbot, Raising(InputError("Ni must be a positive whole number, got 0; set --ni")))
    assert got["errors"] == ["Ni must be a positive whole number, got 0; set --ni"]
    assert got["finished"] == ["error"]


def test_cooperative_cancel_is_quick_and_keeps_the_process(qtbot):
    pid = run_job(qtbot, Pid())["results"][0]
    got = run_job(qtbot, CooperativeForever(), cancel_after=3)
    assert got["finished"] == ["cancelled"] and not got["errors"]
    assert got["end_time"] - got["cancel_time"] < 0.3
    n = len(got["results"])
    qtbot.wait(100)
    assert len(got["results"]) == n                     # nothing after cancel
    assert run_job(qtbot, Pid())["results"][0] == pid      # the warm process was reused


def test_cancel_of_a_stuck_call_kills_the_process_and_the_next_job_runs(qtbot):
    got = run_job(qtbot, Stuck(), cancel_after=1)
    assert got["finished"] == ["cancelled"]
    assert got["end_time"] - got["cancel_time"] < 1.0
    assert run_job(qtbot, Counting(2, 0.0))["results"] == [0, 1]


def test_a_crashing_process_is_reported_not_fatal(qtbot):
    got = run_job(qtbot, Crashing())
    assert got["results"] == ["about to crash"]
    assert got["finished"] == ["error"]
    assert "ended unexpectedly" in got["errors"][0]
    assert run_job(qtbot, Counting(1, 0.0))["results"] == [0]


def test_gui_thread_keeps_ticking_while_the_engine_holds_the_gil(qtbot):
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    run_job(qtbot, Pid())                          # a warm process first
    timer.start()
    got = run_job(qtbot, GilHolding(1.0))
    timer.stop()
    assert got["results"][0] >= 2
    gaps = np.diff(ticks)
    assert gaps.max() < 0.1, f"GUI thread stalled {gaps.max() * 1000:.0f} ms"


def test_many_start_cancel_cycles_leave_nothing_behind(qtbot):
    from gui.worker import Job, live_jobs

    rng = np.random.default_rng(1)
    finished = []
    for i in range(30):
        job = Job(CooperativeForever())
        job.finished.connect(finished.append)
        job.start()
        qtbot.wait(int(rng.integers(0, 40)))
        job.cancel()
        qtbot.waitUntil(lambda: job.status is not None, timeout=5000)
    assert finished == ["cancelled"] * 30
    qtbot.waitUntil(lambda: not live_jobs(), timeout=5000)


def _gone_or_zombie(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] in "ZX"
    except OSError:
        return True


def test_a_stopped_engine_process_is_noticed_killed_and_replaced(qtbot, monkeypatch):
    """SIGSTOP: no heartbeat, no CPU time. The watchdog kills the child within its timeout,
    the job ends with one message, and the next job runs in a fresh process."""
    from gui import engine_process
    from gui.worker import Job, frozen_message, live_jobs

    monkeypatch.setattr(engine_process, "WATCHDOG_TIMEOUT", 1.5)
    job = Job(CooperativeForever())
    results, errors, finished = [], [], []
    job.result.connect(results.append)
    job.error.connect(errors.append)
    job.finished.connect(finished.append)
    job.start()
    qtbot.waitUntil(lambda: len(results) >= 3, timeout=20_000)
    pid = job.pid
    os.kill(pid, signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        qtbot.waitUntil(lambda: bool(finished), timeout=15_000)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)        # a failed test must not leave it stopped
        except ProcessLookupError:
            pass
    waited = time.monotonic() - stopped_at
    assert job.wait(5000)
    assert finished == ["error"]
    assert errors == [frozen_message(pid)]
    assert errors[0] == (f"the engine process stopped responding (pid {pid}); the run was "
                         "stopped — press Run to try again")
    assert 1.4 < waited < 8, waited
    assert _gone_or_zombie(pid)
    got = run_job(qtbot, Pid())                   # usable again, in another process
    assert got["finished"] == ["finished"] and got["results"][0] != pid
    qtbot.waitUntil(lambda: not live_jobs(), timeout=5000)


@pytest.mark.slow
def test_a_silent_or_gil_holding_process_is_not_taken_for_a_frozen_one(qtbot, monkeypatch):
    """The heartbeat keeps a task that sleeps without progress alive; the CPU time keeps one
    alive whose LAPACK call holds the GIL (so no heartbeat) for longer than the timeout."""
    from gui import engine_process

    monkeypatch.setattr(engine_process, "WATCHDOG_TIMEOUT", 1.0)
    got = run_job(qtbot, Sleeping(3.0))
    assert got["finished"] == ["finished"] and got["results"] == ["woke"] and not got["errors"]
    got = run_job(qtbot, LongGilCall(2), timeout=60_000)
    assert got["finished"] == ["finished"] and got["results"] == [2] and not got["errors"]


def test_a_stopped_engine_process_during_a_run_is_one_message_and_run_works_again(window, qtbot,
                                                                                 monkeypatch):
    """The window: the spectrum's engine process is stopped mid-run; the controller's failed
    signal carries the watchdog's message, the banner shows it, and Run works again."""
    from gui import engine_process
    from gui.config import default_config
    from gui.worker import frozen_message

    monkeypatch.setattr(engine_process, "WATCHDOG_TIMEOUT", 1.5)
    qtbot.waitUntil(lambda: not window.is_running(), timeout=30_000)    # the start-up preview
    cfg = default_config()
    cfg.update(activation="erf", ni=10, nh=20, teachers=20_000)        # minutes of work
    window.set_config(cfg, run=False)
    failures, ends = [], []
    window.controller.failed.connect(failures.append)
    window.run_finished.connect(ends.append)
    assert window.run()
    job = window.controller._jobs["spectrum"]
    qtbot.waitUntil(lambda: job.pid is not None and window.spectrum_view.n_teachers >= 2,
                    timeout=30_000)
    pid = job.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        qtbot.waitUntil(lambda: bool(ends), timeout=15_000)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert ends == ["error"]
    assert failures == [f"spectrum: {frozen_message(pid)}"]
    assert frozen_message(pid) in window.error_text()
    assert job.wait(5000)
    cfg.update(teachers=3)
    window.set_config(cfg, run=False)
    ends.clear()
    assert window.run()
    qtbot.waitUntil(lambda: bool(ends), timeout=30_000)
    assert ends == ["finished"] and window.spectrum_view.n_teachers == 3
    assert window.error_text() == ""
