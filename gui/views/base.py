"""What every view of the window is: a plot of one aspect of a run, fed by the run controller.

A view subclasses `View`, names itself (`name`: menus, exports, `--export VIEW`; `title`;
`page`: the page of the window it is shown on), listens to the controller's signals in `bind`, and can
say what it shows: `export_arrays()` (NPZ), `csv_table()` (CSV), `figure` (PNG, SVG) and a
fragment of the status line. Adding a view is one module and one line in gui/views/__init__.py.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from .. import style
from ..zero_modes import ZeroModes

REFRESH_MS = 80          # coalesce redraws when results arrive faster than a repaint


def teacher_one_reason(controller) -> str:
    """Why teacher 1 was not taken apart (the Mode, Landscape and Structure views draw that)."""
    from engine.anatomy import MAX_PARAMS

    plan = getattr(controller, "plan", None)
    if plan is not None and plan.computed.n_params > MAX_PARAMS:
        return (f"teacher 1 is taken apart only up to P = {MAX_PARAMS} parameters and this run "
                f"has P = {plan.computed.n_params}; use a smaller \"ni\" or \"nh\" in the configuration")
    return ("teacher 1 was not taken apart in this run (it is, after the spectrum, when a view "
            "that shows it is exported or on screen)")


class View(QWidget):
    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    page: ClassVar[str] = "spectrum"  # the page of the window it is shown on (gui.views.PAGES)
    redraw_after: ClassVar[tuple[str, ...]] = ()   # jobs whose end redraws the view at once
    status_everywhere: ClassVar[bool] = False      # its status_text shown on every page (the
                                                   # rank, a sweep's progress), not only its own

    updated = Signal()                    # redrawn
    option_changed = Signal(str, object)  # a "view" setting of the config changed (key, value)

    def __init__(self, plot_title: str, parent=None, **plot_options):
        super().__init__(parent)
        self.plot = style.make_plot(plot_title, **plot_options)
        self.menu_actions: list = []      # QActions the window puts in its View menu
        # pyqtgraph's own "Export..." and "Plot Options" would be a second, different way to
        # export and restyle: the window puts its own export actions here (export_actions).
        self.plot.getPlotItem().setMenuEnabled(False, enableViewBoxMenu=True)
        self.plot.scene().contextMenu = []
        # Hover read-out: the data value under the mouse, in the plot's top-left corner.
        self.readout = pg.TextItem("", color=style.BLACK, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 225))
        self.readout.setZValue(200)
        self.readout.hide()
        self.plot.getPlotItem().addItem(self.readout, ignoreBounds=True)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        # The scene reports no move once the mouse has left the plot: hide it on Leave.
        self.plot.viewport().installEventFilter(self)
        self.plot.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.controller = None
        self.zero_modes = ZeroModes(self)     # the window's, once bound (gui/zero_modes.py)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------------ to override
    def bind(self, controller) -> None:
        """Connect to the gui.run_controller.RunController's signals (subclasses extend it)."""
        self.controller = controller
        controller.job_done.connect(lambda name, _status: name in self.redraw_after and self.refresh())
        self.zero_modes = controller.zero_modes
        self.zero_modes.changed.connect(self.zero_modes_changed)

    def apply_options(self, options: dict) -> None:
        """Show the config's "view" section (every key resolved, see gui.config)."""

    def presenting(self, on: bool) -> None:
        """Presentation mode on or off (gui.main_window.set_presentation): a view with a second,
        minor plot may leave it out, so the main one keeps a projector's size."""

    def zero_modes_changed(self) -> None:
        """The window's zero-mode tolerance changed: views that count zero modes redraw."""

    def status_text(self) -> str:
        """This view's part of the window's status line ("" for none)."""
        return ""

    def hover_text(self, x: float, y: float) -> str:
        """What to read out at view coordinates (x, y) (log₁₀ on log axes); "" for nothing."""
        return ""

    def pick(self, x: float, y: float) -> int | None:
        """The eigenvalue of teacher 1 (ascending index) a click at view coordinates (x, y)
        picks, or None: the Modes view then shows its eigenvector."""
        return None

    def draw(self) -> None:
        """Redraw everything from the data held (subclasses)."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Redraw now, then apply the window's line and text scales (presentation mode)."""
        self._timer.stop()
        self.draw()
        style.apply_scales(self.plot)

    def export_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def csv_table(self) -> tuple[str, np.ndarray]:
        raise NotImplementedError

    def nothing_to_draw(self) -> str:
        """"" when the view has something to draw (a row of its plotted data); otherwise why
        not and the setting that turns it on. An export of such a view is refused with this
        (gui.main_window.MainWindow.nothing_to_export): never an empty figure or a CSV of a
        header alone."""
        _, table = self.csv_table()
        return "" if np.size(table) else self.empty_reason()

    def empty_reason(self) -> str:
        """Why this view has nothing to draw and what turns it on (subclasses say more)."""
        return "the run computed nothing for it; run the configuration to completion first"

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

    def set_export_actions(self, actions: list) -> None:
        """The right-click menu's export entries (QActions the window makes)."""
        self.plot.scene().contextMenu = list(actions)

    def hover(self, x: float, y: float) -> str:
        """Show the read-out for view coordinates (x, y); returns its text."""
        text = self.hover_text(x, y)
        self.readout.setText(text)
        self.readout.setVisible(bool(text))
        if text:
            (x0, _), (_, y1) = self.plot.getPlotItem().viewRange()
            self.readout.setPos(x0, y1)
        return text

    def eventFilter(self, obj, event) -> bool:
        """The mouse left the plot: a read-out of where it was would only mislead."""
        if event.type() == QEvent.Type.Leave and obj is self.plot.viewport():
            self.readout.hide()
        return super().eventFilter(obj, event)

    def _mouse_moved(self, pos: QPointF) -> None:
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos):
            self.readout.hide()
            return
        p = vb.mapSceneToView(pos)
        self.hover(p.x(), p.y())

    def _mouse_clicked(self, event) -> None:
        vb = self.plot.getPlotItem().vb
        if event.button() != Qt.MouseButton.LeftButton or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        self.clicked(p.x(), p.y())

    def clicked(self, x: float, y: float) -> None:
        """A left click at view coordinates (x, y): by default, pick an eigenvalue of teacher 1."""
        k = self.pick(x, y)
        if k is not None and self.controller is not None:
            self.controller.select_mode(k)

    def schedule_refresh(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def flush_refresh(self) -> None:
        """Draw now if a coalesced redraw is pending (before a picture is taken of the view)."""
        if self._timer.isActive():
            self.refresh()
