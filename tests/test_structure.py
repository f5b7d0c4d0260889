"""The shape of the code that the rest relies on: a Qt-free engine, self-contained docs."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_engine_module_loads_qt():
    modules = sorted("engine." + ".".join(p.relative_to(ROOT / "engine").with_suffix("").parts)
                     for p in (ROOT / "engine").rglob("*.py") if p.name != "__init__.py")
    assert "engine.laws" in modules and "engine.commands.spectrum" in modules
    code = ("import importlib, json, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(m for m in sys.modules if 'Qt' in m or m.startswith(('PySide', 'pyqtgraph')))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_the_gui_tasks_run_without_qt_too():
    """gui/tasks.py runs in the engine processes, which never start Qt."""
    code = "import gui.tasks, sys; print(any('PySide' in m for m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_nothing_points_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    if not files:                       # not a git checkout: every file on disk
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    for name in files:
        path = ROOT / name
        if path.suffix not in (".py", ".md", ".toml", ".json", ".cfg", ""):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        # spelled in pieces, so this test does not find itself
        for ref in ("science" + ".md", "qt-" + "notes", "docs/" + "notes", "../" + "shared"):
            assert ref not in text, f"{name} refers to {ref}, which is not in the repository"
