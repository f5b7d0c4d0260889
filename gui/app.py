"""Start-up: the QApplication, `run_gui(args)` for `python main.py`, and the headless mode
(`--preset NAME --screenshot OUT.png`, `--export VIEW FILE`) that runs a preset to completion,
writes a picture of the whole window or of single views (or their data) and exits."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from engine.errors import InputError, user_message

SCREENSHOT_SIZE = (1680, 1050)
FIRST_PRESET = "01_linear_10x20"     # the first screen: the paper's linear case and its law
ICON = Path(__file__).resolve().parent.parent / "resources" / "icons" / "hessian-explorer.svg"
SCREENSHOT_TIMEOUT_S = 600


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def app_icon():
    """The application icon (resources/icons/hessian-explorer.svg)."""
    from PySide6.QtGui import QIcon

    return QIcon(str(ICON))


def create_app():
    """The QApplication (created once), with a font large enough to project."""
    from PySide6.QtWidgets import QApplication

    from . import style
    from .main_window import APP_NAME, ORGANIZATION

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "hessian-explorer"])
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APP_NAME)
        font = app.font()
        font.setPointSize(max(font.pointSize(), 11))
        app.setFont(font)
        app.setWindowIcon(app_icon())
    style.configure_pyqtgraph()
    return app


def install_excepthook(window, then=None):
    """A bug in a slot becomes a message in the window (and a traceback on stderr), not a
    crash; `then()` runs after it (the screenshot mode stops waiting). Returns the old hook."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)         # the traceback, on the terminal
        try:
            window.show_error(user_message(value))
        except Exception:
            pass
        if then is not None:
            then()

    sys.excepthook = hook
    return previous


def _open(window, preset: str | None, config_path: str | None, otherwise) -> None:
    """Load what the command line named, or call `otherwise` (a run or a preview)."""
    if preset:
        window.load_preset(preset)
    elif config_path:
        window.open_config(config_path)
    else:
        otherwise()


def _error(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def headless_outputs(screenshot: str | None, exports, inputs=()) -> list[tuple[str, str, str]]:
    """(what, format, path) for --screenshot and every --export VIEW FILE; InputError for a
    view or an extension that does not exist, or a path that cannot be written."""
    from engine.fileio import check_writable

    outputs = [("window", "png", screenshot)] if screenshot else []
    if exports:
        from .export import FORMATS
        from .views import VIEWS

        names = [cls.name for cls in VIEWS]
        for view, path in exports:
            if view not in names:
                raise InputError(f"--export {view}: there is no view {view!r}; choose one of: "
                                 f"{', '.join(names)}")
            fmt = Path(path).suffix.lower().lstrip(".")
            if fmt not in FORMATS:
                raise InputError(f"--export {view} {path}: the extension must be one of "
                                 f"{', '.join('.' + f for f in FORMATS)}")
            outputs.append((view, fmt, path))
    paths = [str(Path(p).resolve()) for _, _, p in outputs]
    if len(set(paths)) < len(paths):
        raise InputError("two outputs name the same file; give each --export its own file")
    for _, _, path in outputs:
        check_writable(path, inputs=inputs)
    return outputs


FIGURE_FLAGS = (("figure_size", "--figure-size"), ("dpi", "--dpi"), ("text_scale", "--text-scale"),
                ("legend", "--legend"))


def export_figure(args, outputs):
    """The gui.export.Figure of --figure-size, --dpi, --text-scale and --legend (None when none
    is given): the Figure… dialog's choice, for every figure exported. InputError for a bad
    value, or for these flags without an --export."""
    given = [(flag, getattr(args, attr, None)) for attr, flag in FIGURE_FLAGS
             if getattr(args, attr, None) is not None]
    if not given:
        return None
    if not any(what != "window" for what, _, _ in outputs):
        raise InputError(f"{given[0][0]} sets the size of exported figures: give it with "
                         "--export VIEW FILE (.png, .svg or .pdf)")
    from .figure_size import figure_from_text

    return figure_from_text(getattr(args, "figure_size", None), getattr(args, "dpi", None),
                            getattr(args, "text_scale", None), getattr(args, "legend", None))


MIN_WINDOW = (640, 480)


def window_size(text: str | None) -> tuple[int, int] | None:
    """'1024x768' → (1024, 768); InputError for anything else."""
    if text is None:
        return None
    w, x, h = str(text).lower().partition("x")
    if not (x and w.isdigit() and h.isdigit()):
        raise InputError(f"--window-size {text!r}: give WIDTHxHEIGHT in pixels, e.g. 1024x768")
    size = int(w), int(h)
    if size[0] < MIN_WINDOW[0] or size[1] < MIN_WINDOW[1] or max(size) > 16384:
        raise InputError(f"--window-size {text!r}: between {MIN_WINDOW[0]}x{MIN_WINDOW[1]} and "
                         "16384x16384 pixels")
    return size


def run_gui(args) -> int:
    """`python main.py [--preset NAME | --config FILE.json] [--screenshot OUT.png]
    [--export VIEW FILE ...]` → exit code."""
    preset = getattr(args, "preset", None)
    config_path = getattr(args, "config", None)
    if preset and config_path:
        return _error("give either --preset or --config, not both")
    # Check everything the user named before a window exists: a bad value in the file (as the
    # engine and the settings panel check it, gui.config.load_config) is exit status 2 here,
    # not a window that runs something else or a run that fails.
    try:
        from .config import check_config, load_config
        from .presets import find_preset

        config = find_preset(preset).config() if preset else \
            load_config(config_path) if config_path else {"dynamics": {}}
        # the files the run reads: no output may overwrite one of them
        inputs = (config_path, config.get("weights"), config.get("inputs"),
                  config["dynamics"].get("init_file"))
        outputs = headless_outputs(getattr(args, "screenshot", None), getattr(args, "export", None),
                                   inputs=inputs)
        size = window_size(getattr(args, "window_size", None))
        figure = export_figure(args, outputs)
        if outputs and (preset or config_path):
            # the headless run starts at once: one that cannot fit in memory is refused now
            check_config(config, Path(config_path).name if config_path else preset, memory=True)
    except InputError as exc:
        return _error(str(exc))
    if outputs and not _has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"     # a figure needs no screen
    if not _has_display():
        return _error("no display found (DISPLAY is not set); run under a desktop session or "
                      "xvfb-run, or use --screenshot OUT.png for a picture without a window")

    app = create_app()
    from .main_window import MainWindow

    presentation = bool(getattr(args, "presentation", False))
    if outputs:
        return _headless(app, preset, config_path, outputs, size or SCREENSHOT_SIZE, presentation,
                         figure)
    window = MainWindow()
    install_excepthook(window)
    if size:
        window.resize(*size)
    window.show()
    window.set_presentation(presentation)          # full screen: after show, like F11
    _open(window, preset, config_path, lambda: window.load_preset(FIRST_PRESET))
    code = app.exec()
    from .engine_process import POOL
    POOL.shutdown()
    return code


def settle(app, window) -> None:
    """Before a picture: every view drawn with every result. Redraws are coalesced for 80 ms
    (View.schedule_refresh) and turns of the event loop do not wait for them, so a panel
    redrawn that way (the landscape's mode energies) was sometimes still empty in a
    screenshot: pending redraws are done now, then the layout settles."""
    for _ in range(5):
        app.processEvents()
    for view in window.views.values():
        view.flush_refresh()
    for _ in range(5):
        app.processEvents()


def quiet_platform_notes() -> None:
    """Headless, standard error carries the run's one line of outcome: the offscreen
    platform's note that it cannot propagate size hints (said for every window) is dropped;
    every other Qt message still goes to standard error."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "does not support propagateSizeHints" not in message:
            sys.stderr.write(f"{message}\n")

    qInstallMessageHandler(handler)


def _headless(app, preset: str | None, config_path: str | None, outputs, size,
              presentation: bool = False, figure=None) -> int:
    """Run to completion, write every output (the window, or a view in a format), return the
    exit code: 0, or 2 (one line on standard error) if the run failed or an output could not
    be written."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from .main_window import MainWindow
    from .worker import shutdown

    quiet_platform_notes()
    with tempfile.TemporaryDirectory() as tmp:
        # A throw-away settings file: a figure always has the default layout, and the user's
        # remembered window layout and recent files stay untouched.
        settings = QSettings(str(Path(tmp) / "screenshot.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        if figure is not None:
            window.figure = figure                # as if chosen in File → Export → Figure…
        window.resize(*size)
        window.show()
        if presentation:
            window.set_presentation(True)
            app.processEvents()                  # full screen is applied here ...
            window.resize(*size)                 # ... but the picture has the size asked for
        loop = QEventLoop()
        outcome: dict = {}

        def finished(status: str) -> None:
            outcome["status"] = status
            loop.quit()

        window.run_finished.connect(finished)
        QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, loop.quit)

        def stop_waiting() -> None:          # a bug in a slot: report it and stop waiting
            outcome["status"] = "error"
            loop.quit()

        previous_hook = install_excepthook(window, stop_waiting)
        window.feed_views([what for what, _, _ in outputs if what != "window"])   # off its page too
        _open(window, preset, config_path, window.run)
        if not window.is_running() and "status" not in outcome:
            outcome["status"] = "error"          # the run did not start: the banner says why
        else:
            loop.exec()
        status = outcome.get("status", "timeout")
        settle(app, window)
        code = 0
        if status != "finished":
            message = window.error_text() or f"the run ended with status {status!r}"
            sys.stderr.write(f"error: {message}\n")
            code = 2                             # like every failure of the command line
        else:
            # every exported view has something to draw, or nothing is written at all
            empty = next((m for m in map(window.nothing_to_export, [w for w, _, _ in outputs]) if m), "")
            if empty:
                code = _error(empty)
        if code == 0 and status == "finished":
            for what, fmt, path in outputs:
                if not window.export(what, fmt, path):
                    code = _error(window.error_text())
                    break
        sys.excepthook = previous_hook
        window.confirm_close_answer = True
        window.close()
        shutdown()
        from .engine_process import POOL
        POOL.shutdown()
        return code
