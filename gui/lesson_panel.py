"""The lesson panel: the short text that comes with a preset — what to look at, and why it
comes out so — beside the plots. A link `page:NAME` (e.g. `[the landscape](page:landscape)`)
shows that page of the window (gui.views.PAGES); other links open in the browser."""
from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from .lesson_facts import LessonFacts, render
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
    page_requested = Signal(str)          # a page:NAME link was clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)     # every link is handled in follow_link
        self.browser.anchorClicked.connect(self.follow_link)
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
        self.facts = LessonFacts()        # the run's results so far (gui/lesson_facts.py)
        self._lesson: tuple[str, str] | None = None
        self._shown: dict | None = None
        self.show_lesson(None)

    def attach(self, controller) -> None:
        """Fill the lesson's numbers from `controller`'s runs (gui.run_controller): cleared when
        a run starts, gathered as results arrive, shown each time one of the run's jobs ends."""
        controller.started.connect(lambda _plan: self.set_facts({}, clear=True))
        for signal in (controller.spectrum_result, controller.theory_ready,
                       controller.anatomy_ready, controller.landscape_ready,
                       controller.dynamics_started, controller.dynamics_chunk):
            signal.connect(self.facts.add)
        controller.job_done.connect(lambda _name, _status: self.set_facts(self.facts.facts()))

    def set_facts(self, facts: dict, clear: bool = False) -> None:
        """Show the lesson with these facts filled in ("…" for those not known); clear: forget
        the results gathered so far (a new run)."""
        if clear:
            self.facts.clear()
        if facts != self._shown:
            self._shown = dict(facts)
            self._render()

    def show_lesson(self, name: str | None) -> None:
        self.name = name
        self._lesson = lesson_for(name) if name else None
        self._render()
        self.set_modified(False)

    def _render(self) -> None:
        """The lesson, its fields filled from the facts shown (keeping the scroll position)."""
        bar = self.browser.verticalScrollBar()
        at = bar.value()
        lesson = self._lesson
        if lesson is None:
            self.browser.setMarkdown(demote_headings(PLACEHOLDER))
        elif lesson[1] == "markdown":
            self.browser.setMarkdown(demote_headings(render(lesson[0], self._shown or {})))
        else:
            self.browser.setHtml(render(lesson[0], self._shown or {}))
        bar.setValue(at)

    def follow_link(self, url: QUrl) -> None:
        """page:NAME shows that page of the window; anything else opens outside."""
        if url.scheme() == "page":
            self.page_requested.emit(url.path())
        elif url.scheme():
            QDesktopServices.openUrl(url)

    def set_modified(self, modified: bool) -> None:
        """Say so when the settings no longer match the preset the lesson talks about."""
        self.note.setText("The settings differ from this preset now: the lesson's measured "
                          "numbers follow the run, its other words are about the preset."
                          if modified and self.name else "")
        self.note.setVisible(bool(modified and self.name))

    def text(self) -> str:
        return self.browser.toPlainText()
