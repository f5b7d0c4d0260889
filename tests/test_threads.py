"""BLAS threads chosen per call from the size of the work (engine.threads), overridden by
--threads N and by the window's Run → BLAS threads, and seen by OpenBLAS itself."""
import pytest
from threadpoolctl import threadpool_info

import main
from engine import spectrum as spectrum_module
from engine import threads
from engine.threads import THREAD_FLOPS, blas_threads, choose, cores, set_cap, set_threads


def openblas_threads() -> int:
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


@pytest.fixture(autouse=True)
def automatic():
    set_threads(None), set_cap(None)
    yield
    set_threads(None), set_cap(None)


@pytest.fixture
def quiet(monkeypatch):
    """No other process busy on this process's cores (the machine running the tests may be)."""
    monkeypatch.setattr(threads, "others_busy", lambda: 0.0)


def test_small_work_gets_one_thread_large_work_every_free_core(quiet, monkeypatch):
    assert choose(THREAD_FLOPS / 10) == 1
    assert choose(THREAD_FLOPS * 10) == cores()
    monkeypatch.setattr(threads, "others_busy", lambda: 1.0)     # one core taken by others
    assert choose(THREAD_FLOPS * 10) == max(1, cores() - 1)
    monkeypatch.setattr(threads, "others_busy", lambda: 0.0)
    set_cap(1)
    assert choose(THREAD_FLOPS * 10) == 1           # the window's engine processes: a core left
    set_threads(3)
    assert choose(1.0) == 3 and choose(1e15) == 3    # fixed beats both


def test_other_processes_busy_cores_are_seen():
    """A process spinning on a core counts as about one busy core (from /proc)."""
    import subprocess
    import sys
    import time
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        threads.others_busy()                # a window that starts with the spinner running
        time.sleep(0.6)
        assert threads.others_busy() > 0.5
    finally:
        spinner.kill()


def test_the_choice_reaches_openblas_and_is_undone(quiet):
    before = openblas_threads()
    with blas_threads(1.0) as n:
        assert n == 1 and openblas_threads() == 1
    with blas_threads(1e15) as n:
        assert n == cores() and openblas_threads() == cores()
    assert openblas_threads() == before


@pytest.mark.parametrize("flag, expected", [(None, 1), ("2", 2)])
def test_the_command_line_flag_fixes_the_threads(capsys, tmp_path, monkeypatch, flag, expected):
    """A small spectrum: one thread by itself, --threads 2 gives it two."""
    seen = []
    original = spectrum_module._sample_spectrum

    def spy(*args, **kw):
        seen.append(openblas_threads())
        return original(*args, **kw)
    monkeypatch.setattr(spectrum_module, "_sample_spectrum", spy)
    argv = ["spectrum", "--activation", "erf", "--ni", "4", "--nh", "3", "--json", str(tmp_path / "o.json")]
    if flag:
        argv += ["--threads", flag]
    assert main.main(argv) == 0
    assert seen == [expected]
    set_threads(None)


def test_a_bad_thread_count_is_one_line(capsys, tmp_path):
    code = main.main(["spectrum", "--activation", "erf", "--ni", "4", "--nh", "3", "--threads", "0",
                      "--json", str(tmp_path / "o.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--threads" in err[0]
    assert not (tmp_path / "o.json").exists()


def test_the_windows_setting_reaches_the_engine_process(window, qtbot):
    from gui.worker import Job
    from tests.engine_side import BlasThreads
    small, large = 1.0, 1e15

    def threads_in_engine():
        got = []
        job = Job(BlasThreads((small, large)))
        job.result.connect(got.append)
        with qtbot.waitSignal(job.finished, timeout=30_000):
            job.start()
        return got

    cap = max(1, cores() - 1)                            # automatic: a core left to the window
    small_n, large_n = threads_in_engine()
    assert small_n == 1 and 1 <= large_n <= cap
    window.thread_actions[2].trigger()
    assert threads_in_engine() == [2, 2]
    assert window.settings.value("threads") in (2, "2")
    window.thread_actions[None].trigger()
    assert threads_in_engine()[0] == 1


def test_cores_blas_env_and_cpu_time_have_one_home():
    """engine.threads knows the cores (affinity counted), the BLAS variables and /proc's CPU
    time, for the sweep's pool and the window's engine processes alike."""
    import os
    import subprocess
    import sys
    import time

    from engine.sweep import default_workers
    from engine.threads import BLAS_ENV, blas_env, cores_but_one, cpu_ticks
    from gui.engine_process import thread_cap

    if hasattr(os, "sched_getaffinity"):
        assert cores() == len(os.sched_getaffinity(0))
    assert default_workers() == thread_cap() == cores_but_one() == max(1, cores() - 1)
    assert blas_env(1) == {name: "1" for name in BLAS_ENV} and len(BLAS_ENV) == 3
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        before = cpu_ticks(spinner.pid)
        time.sleep(0.5)
        assert before is not None and cpu_ticks(spinner.pid) > before
    finally:
        spinner.kill()
        spinner.wait()
    assert cpu_ticks(spinner.pid) is None                   # gone (and reaped)
