"""The desktop launch: the installed `hessian-explorer` launcher, the icon, the .desktop entry."""
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_installs_a_gui_launcher_for_main():
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["gui-scripts"] == {"hessian-explorer": "main:main"}
    launcher = shutil.which("hessian-explorer")
    if launcher:                                   # installed (pip install -e .): it runs
        r = subprocess.run([launcher, "--help"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.startswith("usage: hessian-explorer")


def test_desktop_entry_and_icon(qtbot):
    from PySide6.QtWidgets import QApplication

    from gui.app import ICON, app_icon

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "resources" / "hessian-explorer.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Exec"] == "hessian-explorer"
    assert d["Icon"] == ICON.stem and ICON.is_file() and d["Terminal"] == "false"
    assert not app_icon().pixmap(64, 64).isNull()
    assert QApplication.instance() is not None
