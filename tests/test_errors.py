"""engine.errors.user_message: one line per exception, the same from the command line and from
the window (a request that raises inside a real engine process, shown in the window's banner)."""
import numpy as np

import engine.commands.spectrum as spectrum_command
import main
from engine.errors import Cancelled, InputError, is_bug, user_message

ARGS = ["spectrum", "--activation", "erf", "--ni", "2", "--nh", "2"]

FAILURES = [
    OSError(28, "No space left on device", "out.json"),
    np.linalg.LinAlgError("SVD did not converge"),
    FloatingPointError("overflow encountered in multiply"),
    MemoryError(),
    InputError("Ni must be a positive whole number, got 0; set --ni"),
    RuntimeError("boom\nsecond line"),
]
WORDS = ["No space left on device", "did not converge", "overflowed", "out of memory",
         "set --ni", "unexpected RuntimeError: boom — this is a bug; please report"]


def test_every_exception_is_one_line_that_says_what_to_do():
    for exc, words in zip(FAILURES, WORDS):
        line = user_message(exc)
        assert words in line and "\n" not in line, line
    assert "'out.json'" in user_message(FAILURES[0])
    assert [is_bug(e) for e in FAILURES] == [False] * 5 + [True]
    assert user_message(Cancelled()) == "cancelled"


def cli_line(capsys, monkeypatch, tmp_path, exc) -> str:
    def fail(args):
        raise exc
    monkeypatch.setattr(spectrum_command, "run", fail)
    code = main.main([*ARGS, "--json", str(tmp_path / "o.json")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0].removeprefix("error: ")


def test_the_window_says_what_the_command_line_says(window, qtbot, capsys, monkeypatch, tmp_path):
    """Each exception raised inside a real engine process reaches the window's banner as the
    command line's line for the same exception."""
    from tests.engine_side import Raising

    qtbot.waitUntil(lambda: not window.is_running(), timeout=30_000)   # the start-up preview
    controller = window.controller
    for exc, words in zip(FAILURES, WORDS):
        expected = cli_line(capsys, monkeypatch, tmp_path, exc)
        assert expected == user_message(exc) and words in expected
        with qtbot.waitSignal(controller.finished, timeout=30_000) as blocker:
            controller._submit(Raising(exc))
        assert blocker.args == ["error"]
        assert window.error_text() == f"raising: {expected}"


def test_a_bug_in_a_slot_is_the_same_line_in_the_banner(window, capsys, monkeypatch):
    import sys

    from gui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)   # not pytest-qt's: it fails tests
    install_excepthook(window)
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert window.error_text() == user_message(RuntimeError("boom"))
    assert "Traceback" in capsys.readouterr().err          # the details, on the terminal
