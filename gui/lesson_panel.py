"""The lesson panel: the short text that comes with a preset — what to look at, and why it
comes out so — beside the plots."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from .presets import lesson_for

PLACEHOLDER = ("# Lessons\n\nChoose a preset (menu **Presets**, or the list at the top of the "
               "settings) to load a worked example with a short explanation here.\n\n"
               "Every preset runs in a few seconds; change any setting afterwards and watch the "
               "plots follow.")


def demote_headings(markdown: str, levels: int = 2) -> str:
    """'# Title' → '### Title': Qt draws h1 and h2 too large for a side panel."""
    out = []
    for line in markdown.splitlines():
        if line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


class LessonPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setObjectName("lesson")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setObjectName("lessonNote")
        self.note.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.browser, 1)
        lay.addWidget(self.note)
        self.name: str | None = None
        self.show_lesson(None)

    def show_lesson(self, name: str | None) -> None:
        self.name = name
        lesson = lesson_for(name) if name else None
        if lesson is None:
            self.browser.setMarkdown(demote_headings(PLACEHOLDER))
        elif lesson[1] == "markdown":
            self.browser.setMarkdown(demote_headings(lesson[0]))
        else:
            self.browser.setHtml(lesson[0])
        self.set_modified(False)

    def set_modified(self, modified: bool) -> None:
        """Say so when the settings no longer match the preset the lesson talks about."""
        self.note.setText("The settings differ from this preset now: the numbers in the lesson "
                          "may not match the plots." if modified and self.name else "")
        self.note.setVisible(bool(modified and self.name))

    def text(self) -> str:
        return self.browser.toPlainText()
