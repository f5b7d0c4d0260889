import os

import pytest
import sys
from pathlib import Path

# Before any QApplication exists (pytest-qt creates it lazily): no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def window(qtbot, tmp_path):
    """The main window with its own settings file, shown at 1400 × 900; closed and its
    workers stopped afterwards (the GUI tests' common fixture)."""
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow
    from gui.worker import shutdown

    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.confirm_close_answer = True      # a test that fails mid-run must not wait for an answer
    w.resize(1400, 900)
    w.show()
    yield w
    w.confirm_close_answer = True
    w.close()
    assert shutdown(timeout_ms=5000)
