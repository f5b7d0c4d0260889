"""Presets: JSON configurations in resources/presets/, each with a lesson beside it in
resources/lessons/ (same stem, .md or .html)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError

from .config import load_config

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
PRESET_DIR = RESOURCES / "presets"
LESSON_DIR = RESOURCES / "lessons"


@dataclass(frozen=True)
class Preset:
    name: str            # the file's stem: what --preset takes
    path: Path
    title: str           # the lesson's first heading, else the stem

    def config(self) -> dict:
        return load_config(self.path)

    def lesson(self) -> tuple[str, str] | None:
        """(text, "markdown" or "html") of the lesson beside the preset, or None."""
        return lesson_for(self.name)


def lesson_path(name: str) -> Path | None:
    for ext in (".md", ".html"):
        p = LESSON_DIR / f"{name}{ext}"
        if p.is_file():
            return p
    return None


def lesson_for(name: str) -> tuple[str, str] | None:
    p = lesson_path(name)
    if p is None:
        return None
    return p.read_text(encoding="utf-8"), "markdown" if p.suffix == ".md" else "html"


def _title(name: str) -> str:
    p = lesson_path(name)
    if p is not None and p.suffix == ".md":
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return name.replace("_", " ")


def list_presets() -> list[Preset]:
    """All presets, in file-name order (the names start with a number for a teaching order)."""
    if not PRESET_DIR.is_dir():
        return []
    return [Preset(p.stem, p, _title(p.stem)) for p in sorted(PRESET_DIR.glob("*.json"))]


def find_preset(name: str) -> Preset:
    for preset in list_presets():
        if preset.name == name:
            return preset
    names = ", ".join(p.name for p in list_presets()) or "none installed"
    raise InputError(f"no preset named {name!r}; available: {names}")
