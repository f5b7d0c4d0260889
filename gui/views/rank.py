"""The Rank view: numerical rank against predicted rank and P, and the singular values of J.

The singular values (sample mode: of J, descending; population mode: √λ) are drawn on a log
scale, one faint curve per teacher and the first teacher bold, with the rank tolerance as a
horizontal line. Drag the line or type a value: every teacher's rank is recounted with
Spectrum.rank_at. Vertical lines mark the numerical rank, the predicted rank and P, so the
"cliff" of a polynomial network lines up with the theory.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton

from .. import style
from .base import View

MAX_CURVES = 40          # teachers drawn individually (all are counted)
# Labels of the vertical lines: stacked at the top right, where the falling singular values
# leave room, at three heights so they never overlap; text beside the line, on the side away
# from the nearer edge of the plot (pyqtgraph switches at the middle).
SIDES = [(0, 0.5), (1, 0.5)]


def _fmt(x: float) -> str:
    return f"{x:.3g}"


class RankView(View):
    name = "rank"
    title = "Rank"
    page = "rank"
    redraw_after = ("spectrum",)

    tolerance_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__("Rank: singular values of J", parent, legend_columns=3)
        self._spectra: list = []
        self._predicted: int | None = None
        self._bound: int | None = None
        self._p: int | None = None
        self._mode = "sample"
        self._curves: list[pg.PlotDataItem] = []
        self.ranks: list[int] = []
        self._build()
        self.refresh()

    def _build(self) -> None:
        item = self.plot.getPlotItem()
        item.setLogMode(x=False, y=True)
        self.tol_line = pg.InfiniteLine(angle=0, movable=True,
                                        pen=pg.mkPen(style.VERMILLION, width=3, style=Qt.PenStyle.DashLine),
                                        hoverPen=pg.mkPen(style.VERMILLION, width=5),
                                        label="tolerance",
                                        labelOpts={"position": 0.03, "color": style.VERMILLION, "anchors": [(0, 1), (0, 1)]})
        self.tol_line.sigPositionChangeFinished.connect(self._line_moved)
        self.tol_line.sigDragged.connect(self._line_dragged)
        item.addItem(self.tol_line)          # in the auto-range: the gap to the tolerance is the point
        self.rank_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.BLUE, width=2),
                                         label="rank", labelOpts={"position": 0.87, "color": style.BLUE, "anchors": SIDES})
        self.pred_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.ORANGE, width=3, style=Qt.PenStyle.DashLine),
                                         label="predicted", labelOpts={"position": 0.79, "color": "#A06A00", "anchors": SIDES})
        self.p_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.GREY, width=2, style=Qt.PenStyle.DotLine),
                                      label="P", labelOpts={"position": 0.95, "color": style.GREY, "anchors": SIDES})
        for line in (self.rank_line, self.pred_line):
            item.addItem(line, ignoreBounds=True)
            line.hide()
        item.addItem(self.p_line)           # in the auto-range: the axis always reaches k = P
        self.p_line.hide()
        # Singular values that are exactly 0 (linear networks, N < P) cannot sit on a log axis:
        # they are drawn as grey marks along the bottom, a decade below everything else.
        self.zero_marks = pg.ScatterPlotItem(symbol="t1", size=9, pen=None,
                                             brush=pg.mkBrush(style.GREY))
        item.addItem(self.zero_marks)
        self.tol_line.hide()

        self.empty_text = pg.TextItem("the singular values appear here after a run", color=style.GREY,
                                      anchor=(0.5, 0.5))
        item.addItem(self.empty_text, ignoreBounds=True)
        self.empty_text.setPos(0.5, 0.5)
        self.summary = style.Summary(rich=True)
        self.summary.setObjectName("rankSummary")
        self.tol_edit = QLineEdit()
        self.tol_edit.setPlaceholderText("default")
        self.tol_edit.setMinimumWidth(110)
        self.tol_edit.setMaximumWidth(150)
        self.tol_edit.setToolTip("Tolerance on the singular values of J: values above it count toward the rank. "
                                 "Type a number and press Enter, or drag the dashed line.")
        self.tol_edit.returnPressed.connect(self._typed)
        self.reset_button = QPushButton("Default")
        self.reset_button.setToolTip("Back to each teacher's default tolerance σₘₐₓ·max(N, P)·ε")
        self.reset_button.clicked.connect(lambda: self.set_tolerance(None))
        bar = QHBoxLayout()
        label = QLabel("tolerance:")
        label.setToolTip(self.tol_edit.toolTip())
        bar.addWidget(label)
        bar.addWidget(self.tol_edit)
        bar.addWidget(self.reset_button)
        bar.addStretch(1)
        self.stack(self.summary, bar)

    @property
    def _fold_sample(self) -> pg.PlotDataItem:
        """The sample of the folded entry: no line (it stands for four)."""
        if "_fold_item" not in self.__dict__:
            self._fold_item = pg.PlotDataItem(pen=None)
        return self._fold_item

    def _proxy(self, line) -> pg.PlotDataItem:
        """A legend sample drawn with the line's pen."""
        proxies = self.__dict__.setdefault("_proxies", {})
        if id(line) not in proxies:
            proxies[id(line)] = pg.PlotDataItem(pen=line.pen)
        return proxies[id(line)]

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        controller.started.connect(self.start_run)
        controller.spectrum_result.connect(self.add_result)

    def start_run(self, plan) -> None:
        p = plan.problem
        self.clear(p.predicted_rank, p.rank_upper_bound, p.n_params,
                   "sample" if p.n_samples else "population")

    def clear(self, predicted: int | None = None, bound: int | None = None, n_params: int | None = None,
              mode: str = "sample") -> None:
        self._spectra.clear()
        self._predicted, self._bound, self._p, self._mode = predicted, bound, n_params, mode
        for c in self._curves:
            self.plot.getPlotItem().removeItem(c)
        self._curves.clear()
        self.refresh()

    def add_result(self, result) -> None:
        self._spectra.append(result.spectrum)
        self.schedule_refresh()

    def set_tolerance(self, tol_sv: float | None) -> None:
        """Tolerance on the singular-value scale (None: each teacher's default), for every view
        (gui/zero_modes.py); it stays for the next runs (the config's view.tolerance) until Default."""
        if not self.zero_modes.set(tol_sv):
            self.refresh()                # unchanged or refused: show the tolerance in force again

    def zero_modes_changed(self) -> None:
        self.refresh()
        self.option_changed.emit("tolerance", self.zero_modes.singular)
        self.tolerance_changed.emit(self.tolerance())

    def apply_options(self, options: dict) -> None:
        if "tolerance" in options:
            self.set_tolerance(options["tolerance"])

    # ------------------------------------------------------------------ data out
    def tolerance(self) -> float:
        """The tolerance drawn, on the singular-value scale (the first teacher's default if unset)."""
        if self._spectra:
            return self.zero_modes.singular_tolerance(self._spectra[0])
        return float("nan") if self.zero_modes.singular is None else self.zero_modes.singular

    def recount(self) -> list[int]:
        return [self.zero_modes.rank(s) for s in self._spectra]

    def hover_text(self, x: float, y: float) -> str:
        if not self._spectra:
            return ""
        sv = np.asarray(self._spectra[0].singular_values, dtype=float)
        k = int(round(x))
        if not 1 <= k <= sv.size:
            return ""
        values = [float(s.singular_values[k - 1]) for s in self._spectra]
        name = "σ" if self._mode == "sample" else "√λ"
        spread = "" if len(values) == 1 else f" (teachers: {min(values):.3g} to {max(values):.3g})"
        return f"k = {k}: {name} = {values[0]:.4g} (teacher 1){spread}"

    def pick(self, x: float, y: float) -> int | None:
        """The k-th largest singular value of teacher 1 is eigenvalue P − k (ascending)."""
        if not self._spectra:
            return None
        s = self._spectra[0]
        k = int(round(x))
        if not 1 <= k <= len(s.singular_values):
            return None
        return int(s.eigenvalues.size - k)

    status_everywhere = True          # the rank is the run's headline

    def status_text(self) -> str:
        ranks = self.recount()
        if not ranks:
            return ""
        text = f"rank {self._range_text(ranks)}/{self._p}"
        return text + (f" (predicted {self._predicted})" if self._predicted is not None
                       else f" (bound {self._bound})")

    @property
    def n_teachers(self) -> int:
        return len(self._spectra)

    def y_label(self) -> str:
        return "σₖ of J" if self._mode == "sample" else "√λₖ"

    def export_arrays(self) -> dict[str, np.ndarray]:
        sv = np.array([s.singular_values for s in self._spectra]) if self._spectra else np.zeros((0, 0))
        return {"k": np.arange(1, sv.shape[1] + 1) if sv.size else np.zeros(0),
                "singular_values": sv, "tolerance": np.array(self.tolerance()),
                "ranks": np.array(self.ranks), "default_ranks": np.array([s.rank for s in self._spectra]),
                "predicted_rank": np.array(-1 if self._predicted is None else self._predicted),
                "n_params": np.array(-1 if self._p is None else self._p)}

    def csv_table(self) -> tuple[str, np.ndarray]:
        """k, then the singular values of each teacher (one column per teacher)."""
        if not self._spectra:
            return "k", np.zeros((0, 1))
        sv = np.array([s.singular_values for s in self._spectra]).T
        k = np.arange(1, sv.shape[0] + 1)
        header = "k," + ",".join(f"teacher{i + 1}" for i in range(sv.shape[1]))
        return header, np.column_stack([k, sv])

    # ------------------------------------------------------------------ interaction
    def _line_dragged(self) -> None:
        tol = 10 ** self.tol_line.value()
        ranks = [s.rank_at(s.eigen_tolerance(tol)) for s in self._spectra]
        self.tol_edit.setText(_fmt(tol))
        self._show_summary(ranks, tol)

    def _line_moved(self) -> None:
        self.set_tolerance(10 ** self.tol_line.value())

    def _typed(self) -> None:
        text = self.tol_edit.text().strip()
        if not text or text.lower() == "default":
            self.set_tolerance(None)
            return
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and value > 0):
            self.tol_edit.setStyleSheet("background: #ffd8d0")
            self.tol_edit.setToolTip(f"{text!r} is not a positive number")
            return
        self.tol_edit.setStyleSheet("")
        self.set_tolerance(value)

    # ------------------------------------------------------------------ drawing
    def _draw_zero_marks(self, tol: float) -> int:
        if not self._spectra:
            self.zero_marks.setData([], [])
            return 0
        sv = np.asarray(self._spectra[0].singular_values, dtype=float)
        zero = np.flatnonzero(sv <= 0)
        if zero.size == 0:
            self.zero_marks.setData([], [])
            return 0
        positive = sv[sv > 0]
        floor = min(positive.min() if positive.size else 1.0, tol if math.isfinite(tol) and tol > 0 else 1.0) / 10
        self.zero_marks.setData(zero + 1.0, np.full(zero.size, math.log10(floor)))
        return int(zero.size)

    def _range_text(self, values: list[int]) -> str:
        if not values:
            return "–"
        lo, hi = min(values), max(values)
        return str(lo) if lo == hi else f"{lo}–{hi}"

    def _show_summary(self, ranks: list[int], tol: float) -> None:
        k = len(ranks)
        pred = "no formula (bound only)" if self._predicted is None else str(self._predicted)
        parts = [f"<span style='color:{style.BLUE}'><b>numerical rank {self._range_text(ranks)}</b></span>",
                 f"<span style='color:#A06A00'><b>predicted {pred}</b></span>"]
        if self._bound is not None and self._bound != self._predicted:
            parts.append(f"upper bound {self._bound}")
        if self._p is not None:
            parts.append(f"<span style='color:{style.GREY}'><b>P = {self._p}</b></span>")
        who = f" ({'all ' if k > 1 else ''}{k} teacher{'s' if k != 1 else ''})" if k else ""
        tol_text = f"<span style='color:{style.VERMILLION}'><b>tolerance " \
                   f"{_fmt(tol) if math.isfinite(tol) else '–'}</b></span>"
        self.summary.setText(" · ".join(parts) + who + f" · {tol_text}")

    def draw(self) -> None:
        self._timer.stop()
        item = self.plot.getPlotItem()
        # One curve per teacher (the first bold), added incrementally.
        for i in range(len(self._curves), min(len(self._spectra), MAX_CURVES)):
            sv = np.asarray(self._spectra[i].singular_values, dtype=float)
            k = np.arange(1, sv.size + 1)
            ok = sv > 0
            if i == 0:
                pen = pg.mkPen(style.BLUE, width=3)
            else:
                pen = pg.mkPen(style.SKY, width=1)     # opaque: 3:1 on white, as every line
            c = pg.PlotDataItem(k[ok], sv[ok], pen=pen, symbol="o" if sv.size <= 60 and i == 0 else None,
                                symbolSize=6, symbolBrush=style.BLUE, symbolPen=None)
            c.setZValue(10 if i == 0 else 1)
            item.addItem(c)
            self._curves.append(c)
        self.ranks = self.recount()
        tol = self.tolerance()
        has = bool(self._spectra)
        self.tol_line.setVisible(has)
        if has and math.isfinite(tol) and tol > 0:
            self.tol_line.blockSignals(True)
            self.tol_line.setValue(math.log10(tol))
            self.tol_line.blockSignals(False)
            self.tol_edit.setText(_fmt(tol))
        if has:
            r = self.ranks[0]
            self.rank_line.setValue(r + 0.5)
            self.rank_line.show()           # before setFormat: a hidden label ignores it
            self.rank_line.label.show()
            self.rank_line.label.setFormat(f"rank {self._range_text(self.ranks)}")
        else:
            self.rank_line.hide()
        if has and self._predicted is not None:
            self.pred_line.setValue(self._predicted + 0.5)
            self.pred_line.show()
            self.pred_line.label.show()
            self.pred_line.label.setFormat(f"predicted {self._predicted}")
        elif has and self._bound is not None:          # a general polynomial: only a bound
            self.pred_line.setValue(self._bound + 0.5)
            self.pred_line.show()
            self.pred_line.label.show()
            self.pred_line.label.setFormat(f"upper bound {self._bound}")
        else:
            self.pred_line.hide()
        if has and self._p is not None:
            self.p_line.setValue(self._p)
            self.p_line.show()
            self.p_line.label.show()
            self.p_line.label.setFormat(f"P = {self._p}")
        else:
            self.p_line.hide()
        n_exact_zero = self._draw_zero_marks(tol)
        entries = []
        if self._curves:
            entries.append((self._curves[0], "teacher 1"))
            if len(self._curves) > 1:
                entries.append((self._curves[1], f"teachers 2–{len(self._spectra)}"))
            if n_exact_zero:
                entries.append((self.zero_marks, "exactly 0 (at the floor)"))
        # The lines are named in the legend, below the plot, not beside them: their labels
        # would collide with each other (rank = predicted = P is common) and with the data.
        # The summary above names them too, in the lines' colours: when the legend does not
        # fit they fold into one entry that says so.
        for line in (self.rank_line, self.pred_line, self.p_line, self.tol_line):
            if line.isVisible():
                text = line.label.toPlainText() if line is not self.tol_line else \
                    f"tol. {_fmt(tol)}"
                entries.append((self._proxy(line), text, True))
            line.label.hide()
        style.set_legend(self.plot, entries, fold=(self._fold_sample, "lines: rank, predicted, P, "
                                                   "tolerance — coloured as above"))
        style.set_labels(self.plot, ("k   (index, largest first)", "k"), self.y_label())
        for axis in ("left", "bottom"):
            item.showAxis(axis, has)                   # an empty log axis only confuses
        self.empty_text.setVisible(not has)
        if has:
            self._show_summary(self.ranks, tol)
            item.enableAutoRange()
        else:
            self.summary.setText("Rank: numerical rank against predicted rank and P")
            item.setXRange(0, 1, padding=0)
            item.setYRange(0, 1, padding=0)
        self.updated.emit()
