"""What every view of the window is: a plot of one aspect of a run, fed by the run controller.

A view subclasses `View`, names itself (`name`: menus, exports, `--export VIEW`; `title`;
`row`: where the window lays it out), listens to the controller's signals in `bind`, and can
say what it shows: `export_arrays()` (NPZ), `csv_table()` (CSV), `figure` (PNG, SVG) and a
fragment of the status line. Adding a view is one module and one line in gui/views/__init__.py.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from .. import style

REFRESH_MS = 80          # coalesce redraws when results arrive faster than a repaint


class View(QWidget):
    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    row: ClassVar[int] = 0
    redraw_after: ClassVar[tuple[str, ...]] = ()   # jobs whose end redraws the view at once

    updated = Signal()                    # redrawn
    option_changed = Signal(str, object)  # a "view" setting of the config changed (key, value)

    def __init__(self, plot_title: str, parent=None, **plot_options):
        super().__init__(parent)
        self.plot = style.make_plot(plot_title, **plot_options)
        self.menu_actions: list = []      # QActions the window puts in its View menu
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------------ to override
    def bind(self, controller) -> None:
        """Connect to the gui.run_controller.RunController's signals (subclasses extend it)."""
        controller.job_done.connect(lambda name, _status: name in self.redraw_after and self.refresh())

    def apply_options(self, options: dict) -> None:
        """Show the config's "view" section (every key resolved, see gui.config)."""

    def fit_text(self) -> None:
        """After a change of text size: a summary line above the plot keeps room for two lines."""
        summary = getattr(self, "summary", None)
        if summary is not None:
            style.fix_lines(summary, 2)

    def status_text(self) -> str:
        """This view's part of the window's status line ("" for none)."""
        return ""

    def refresh(self) -> None:
        raise NotImplementedError

    def export_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def csv_table(self) -> tuple[str, np.ndarray]:
        raise NotImplementedError

    # ------------------------------------------------------------------ shared
    @property
    def figure(self):
        """The pyqtgraph PlotWidget exported as PNG and SVG."""
        return self.plot

    def stack(self, *parts) -> None:
        """Lay out the given widgets and layouts top to bottom, then the plot, which grows."""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        for part in parts:
            (lay.addLayout if isinstance(part, QLayout) else lay.addWidget)(part)
        lay.addWidget(self.plot, 1)

    def schedule_refresh(self) -> None:
        if not self._timer.isActive():
            self._timer.start()
