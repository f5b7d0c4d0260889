"""The desktop launch: the installed `hessian-explorer` launcher, the icon, the .desktop entry;
and a bad --config refused before any window exists (one line, exit status 2, nothing written)."""
import configparser
import os
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


# ---------------------------------------------------------------- bad input: exit 2, one line
BAD_CONFIGS = {
    "negative_ni": '{"ni": -5}',
    "text_ni": '{"ni": "abc"}',
    "huge_teachers": '{"teachers": 1e9}',
    "bad_power": '{"activation": "power:abc"}',
    "enabled_no": '{"dynamics": {"enabled": "no"}}',
    "beyond_the_panel": '{"ni": 100000}',
    "nested_list": "[" * 100_000 + "]" * 100_000,
    "nested_object": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "too_big_for_memory": '{"ni": 100, "nh": 100, "samples": 10000000}',
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_a_bad_configuration_is_one_line_and_exit_2_and_writes_nothing(tmp_path, name):
    bad = tmp_path / "bad.json"
    bad.write_text(BAD_CONFIGS[name])
    out = tmp_path / "out.png"
    csv = tmp_path / "spectrum.csv"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(bad),
                        "--screenshot", str(out), "--export", "spectrum", str(csv)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad.json"), r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert not out.exists() and not csv.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_a_bad_configuration_is_refused_before_the_window_opens(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"dynamics": {"enabled": "no"}}')
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(bad)],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 2 and r.stderr == ("error: bad.json: dynamics.enabled must be true or "
                                              "false (or null for the default), got 'no'\n")
