"""The Structure view: the Hessian of teacher 1 as a heatmap, and its spectrum beside the
tangent kernel's.

H is drawn signed (diverging colours) or as log₁₀|H|, with the W1–W1, W1–W2 and W2–W2 blocks
marked and the neurons' rows grouped by thin lines (parameter order: W1 row by row, then W2).
Beside it, the nonzero eigenvalues of H and of the empirical tangent kernel J Jᵀ/N (an N×N
matrix) coincide: sample mode only, computed by a separate route (engine.modes).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QRadioButton

from engine.modes import structure_blocks

from .. import style
from .base import View, teacher_one_reason
from .modes import DIVERGING

SEQUENTIAL = pg.colormap.get("viridis")
MAX_NEURON_LINES = 60        # beyond, neuron boundaries would fill the picture


class StructureView(View):
    name = "structure"
    title = "Structure"
    page = "structure"

    def __init__(self, parent=None):
        super().__init__("Hessian H (teacher 1)", parent, legend_columns=1)
        self.anatomy = None
        self._log = False
        self._lines: list = []
        self._build()
        self.refresh()

    def _build(self) -> None:
        item = self.plot.getPlotItem()
        item.invertY(True)
        item.setAspectLocked(True)
        self.image = pg.ImageItem()
        item.addItem(self.image)
        style.set_labels(self.plot, ("parameter (W1 row by row, then W2)", "parameter (W1, then W2)",
                                     "parameter"), "parameter")
        self.signed_button = QRadioButton("signed")
        self.log_button = QRadioButton("log₁₀|H|")
        self.signed_button.setChecked(True)
        self.log_button.toggled.connect(self.set_log)
        self.summary = style.Summary(rich=False)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.signed_button)
        bar.addWidget(self.log_button)
        # H's nonzero eigenvalues against the tangent kernel's (sample mode)
        self.kernel = style.make_plot("H and kernel J Jᵀ/N", legend_columns=1)
        self.kernel.setMinimumWidth(180)
        kitem = self.kernel.getPlotItem()
        kitem.setLogMode(x=False, y=True)
        style.set_labels(self.kernel, "k (descending)", None)
        # PlotDataItems (not ScatterPlotItems): only they follow the log axis
        self.h_points = pg.PlotDataItem(pen=None, symbol="o", symbolSize=8, symbolBrush=None,
                                        symbolPen=pg.mkPen(style.BLUE, width=1.5), name="H (SVD of J)")
        self.k_points = pg.PlotDataItem(pen=None, symbol="x", symbolSize=9,
                                        symbolPen=pg.mkPen(style.VERMILLION, width=1.5),
                                        symbolBrush=pg.mkBrush(style.VERMILLION), name="kernel (eigvalsh)")
        kitem.addItem(self.h_points)
        kitem.addItem(self.k_points)
        self.kernel_note = pg.TextItem("", color=style.GREY, anchor=(0.5, 0.5))
        kitem.addItem(self.kernel_note, ignoreBounds=True)
        item.vb.sigResized.connect(lambda *_: self._fit_texts())
        kitem.vb.sigResized.connect(lambda *_: self._fit_texts())
        row = QHBoxLayout()
        row.addWidget(self.plot, 1)         # equal halves: each plot readable at 1024 × 768
        row.addWidget(self.kernel, 1)
        lay = self.stack(bar) or self.layout()
        lay.removeWidget(self.plot)
        lay.addLayout(row, 1)

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        controller.started.connect(lambda plan: self.set_anatomy(None))
        controller.anatomy_ready.connect(self.set_anatomy)

    def zero_modes_changed(self) -> None:
        self.refresh()

    def set_anatomy(self, anatomy) -> None:
        self.anatomy = anatomy
        self.refresh()

    def set_log(self, on: bool) -> None:
        self._log = bool(on)
        if self.log_button.isChecked() != self._log:
            self.log_button.setChecked(self._log)
        self.refresh()

    # ------------------------------------------------------------------ data out
    def _picture(self) -> np.ndarray:
        a = self.anatomy
        if self._log:
            with np.errstate(divide="ignore"):
                return np.log10(np.maximum(a.magnitude, 1e-300 + 0 * a.magnitude.max()))
        return a.heatmap

    def hover_text(self, x: float, y: float) -> str:
        a = self.anatomy
        if a is None:
            return ""
        m = a.heatmap.shape[0]
        i, j = int(np.floor(y / a.cell)), int(np.floor(x / a.cell))
        if not (0 <= i < m and 0 <= j < m):
            return ""
        where = f"H[{i * a.cell}, {j * a.cell}]" if a.cell == 1 else \
            f"mean of H over rows {i * a.cell}…, columns {j * a.cell}…"
        return f"{where} = {a.heatmap[i, j]:+.3g}"

    def empty_reason(self) -> str:
        return teacher_one_reason(self.controller)

    def export_arrays(self) -> dict[str, np.ndarray]:
        a = self.anatomy
        if a is None:
            return {}
        out = {"hessian": a.heatmap, "abs_hessian": a.magnitude, "cell": np.array(a.cell),
               "eigenvalues": a.spectrum.eigenvalues}
        if a.ntk is not None:
            out["kernel_eigenvalues"] = a.ntk
        return out

    def csv_table(self) -> tuple[str, np.ndarray]:
        a = self.anatomy
        if a is None:
            return "row", np.zeros((0, 1))
        m = a.heatmap.shape[0]
        return ",".join(f"col{j * a.cell}" for j in range(m)), a.heatmap

    def refresh(self) -> None:
        super().refresh()
        self._fit_texts()               # after the text scale is applied

    def _fit_texts(self) -> None:
        """Each block's name inside its block — turned upright in a tall narrow block, hidden
        where it does not fit at all (W2–W2 is Nh × Nh) — and the kernel's note wrapped to its
        plot: a text reaching out of the plot is cut by its edge."""
        vb = self.plot.getPlotItem().vb
        for label, (x0, y0, x1, y1) in getattr(self, "_block_labels", []):
            box = vb.mapViewToScene(pg.QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)).boundingRect()
            size = label.textItem.boundingRect()
            wide, high = size.width(), size.height()
            if wide <= box.width() and high <= box.height():
                label.setAngle(0)
                label.show()
            elif high <= box.width() and wide <= box.height():
                label.setAngle(90)
                label.show()
            else:
                label.hide()
        room = self.kernel.getPlotItem().vb.sceneBoundingRect().width() * 0.9
        if self.kernel_note.textItem.textWidth() != room:
            self.kernel_note.setTextWidth(room)

    def draw(self) -> None:
        a = self.anatomy
        item = self.plot.getPlotItem()
        for line in self._lines:
            item.removeItem(line)
        self._lines.clear()
        if a is None:
            self.image.clear()
            self.h_points.setData([], [])
            self.k_points.setData([], [])
            self.summary.setText("Shown after a run: the Hessian of teacher 1.")
            return
        pic = self._picture()
        finite = pic[np.isfinite(pic)]
        if self._log:
            hi = float(finite.max()) if finite.size else 0.0
            self.image.setImage(pic.T, levels=(hi - 12.0, hi), autoLevels=False)
            self.image.setColorMap(SEQUENTIAL)
        else:
            scale = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-300)
            self.image.setImage(pic.T, levels=(-scale, scale), autoLevels=False)
            self.image.setColorMap(DIVERGING)
        blocks = structure_blocks(a.ni, a.nh)
        p, p1 = blocks["n_params"], blocks["p1"]
        self.image.setRect(0, 0, pic.shape[1] * a.cell, pic.shape[0] * a.cell)
        pen = pg.mkPen(style.BLACK, width=2)
        for angle in (0, 90):
            line = pg.InfiniteLine(pos=p1, angle=angle, pen=pen)
            item.addItem(line, ignoreBounds=True)
            self._lines.append(line)
        if a.nh <= MAX_NEURON_LINES:
            faint = pg.mkPen(style.GREY, width=1, style=Qt.PenStyle.DotLine)
            for edge in blocks["neuron_edges"][1:-1]:
                for angle in (0, 90):
                    line = pg.InfiniteLine(pos=edge, angle=angle, pen=faint)
                    item.addItem(line, ignoreBounds=True)
                    self._lines.append(line)
        self._block_labels = []
        for text, block in (("W1–W1", (0, 0, p1, p1)), ("W1–W2", (p1, 0, p, p1)),
                            ("W2–W2", (p1, p1, p, p))):
            label = pg.TextItem(text, color=style.BLACK, anchor=(0.5, 0.5),
                                fill=pg.mkBrush(255, 255, 255, 180))
            label.setPos((block[0] + block[2]) / 2, (block[1] + block[3]) / 2)
            item.addItem(label, ignoreBounds=True)
            self._lines.append(label)
            self._block_labels.append((label, block))
        item.setRange(xRange=(0, p), yRange=(0, p), padding=0.01)
        s = a.spectrum
        nz = np.sort(s.eigenvalues[s.eigenvalues > self.zero_modes.tolerance(s)])[::-1]
        self.h_points.setData(np.arange(1, nz.size + 1), nz)
        if a.ntk is not None:
            kk = np.sort(a.ntk)[::-1][: nz.size]
            kk = kk[kk > 0]
            self.k_points.setData(np.arange(1, kk.size + 1), kk)
            gap = float(np.max(np.abs(kk - nz[: kk.size]))) / float(nz[0]) if kk.size else 0.0
            self.kernel_note.setText("")
            kernel = f"tangent kernel ({a.ntk.size}×{a.ntk.size}): same nonzero eigenvalues to {gap:.0e}·λₘₐₓ"
        else:
            self.k_points.setData([], [])
            self.kernel_note.setText(a.ntk_note)
            logs = np.log10(nz[nz > 0])         # in the middle of the points, wrapped to the plot
            self.kernel_note.setPos(nz.size / 2 if nz.size else 0.5,
                                    float(logs[0] + logs[-1]) / 2 if logs.size else 0.0)
            kernel = a.ntk_note
        cell = "" if a.cell == 1 else f" (block means of {a.cell}×{a.cell} parameters)"
        self.summary.setText(f"H is {p}×{p}{cell}, {a.mode} mode; {kernel}")
