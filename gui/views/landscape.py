"""The Landscape view: the exact loss on the plane of two Hessian eigenvectors through θ*.

L(θ* + a·v_i + b·v_j) as a filled map on a log₁₀ colour scale (engine.landscape, computed in
the engine process), its quadratic model ½(λ_i a² + λ_j b²) as dashed contours on top (they
match near θ*, and part where the loss stops being quadratic), and the training trajectory
projected on (v_i, v_j), drawn live and followed by the replay's point. Beside it, the energy
½ λ_k (v_k·δ)² of the slow modes and the fastest at the replayed step, draining as training
goes. Default plane: the slowest mode above the rank tolerance and the fastest; "slice along the
selected mode" uses the mode picked in the Modes view instead.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton

from engine.modes import gallery

from .. import style
from .base import View, teacher_one_reason

LEVELS = 12                   # filled contour bands (log₁₀ loss)
FILLED = pg.colormap.get("CET-L17")


class LandscapeView(View):
    name = "landscape"
    title = "Landscape"
    page = "landscape"

    def __init__(self, parent=None):
        super().__init__("Loss landscape", parent, legend_columns=2)
        self.slice = None
        self.anatomy = None
        self.selected: int | None = None
        self._frames = np.zeros((0, 2))
        self._energy_floor = 0.0
        self._quad_items: list = []
        self._build()
        self.refresh()

    def _build(self) -> None:
        item = self.plot.getPlotItem()
        self.image = pg.ImageItem()
        item.addItem(self.image)
        self.path = pg.PlotDataItem(pen=pg.mkPen(style.VERMILLION, width=2.5), name="training, projected")
        self.point = pg.ScatterPlotItem(size=13, pen=pg.mkPen("w", width=2), brush=pg.mkBrush(style.BLACK))
        item.addItem(self.path)
        item.addItem(self.point)
        self.path.setZValue(30)
        self.point.setZValue(31)
        dashed = pg.PlotDataItem(pen=pg.mkPen(style.BLACK, width=1.5, style=Qt.PenStyle.DashLine),
                                 name="quadratic model ½(λᵢ a² + λⱼ b²)")
        self.plot.getPlotItem().legend.addItem(dashed, dashed.name())
        self.summary = style.Summary(rich=False)
        self.along_button = QPushButton("slice along the selected mode")
        self.along_button.setToolTip("the mode picked in the Modes view against the fastest")
        self.along_button.clicked.connect(self._slice_selected)
        self.default_button = QPushButton("default plane")
        self.default_button.setToolTip("the slowest mode above the rank tolerance against the fastest")
        self.default_button.clicked.connect(lambda: self.controller.start_landscape(None))
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.along_button)
        bar.addWidget(self.default_button)
        self.energies = style.make_plot("Mode energies", legend_columns=1)
        self.energies.setMinimumWidth(200)
        eitem = self.energies.getPlotItem()
        style.set_labels(self.energies, None, "log₁₀ ½ λₖ (vₖ·δ)²")
        self.energy_bars = pg.BarGraphItem(x=[], y0=[], y1=[], width=0.7, brush=style.BLUE)
        eitem.addItem(self.energy_bars)
        row = QHBoxLayout()
        self.stack(bar)
        lay = self.layout()
        lay.removeWidget(self.plot)
        row.addWidget(self.plot, 1)         # equal halves: each plot readable at 1024 × 768
        row.addWidget(self.energies, 1)
        lay.addLayout(row, 1)

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        self.controller = controller
        controller.started.connect(lambda plan: self.clear())
        controller.anatomy_ready.connect(self._set_anatomy)
        controller.landscape_ready.connect(self.set_slice)
        controller.mode_selected.connect(self._select)
        controller.replay.changed.connect(self._frames_changed)
        controller.replay.moved.connect(self._moved)
        self.replay = controller.replay

    def presenting(self, on: bool) -> None:
        """The landscape alone when presenting: two plots side by side cannot both keep a
        projector's 400 px at 1024 px, and the mode energies are the Learning page's curves."""
        self.energies.setVisible(not on)

    def zero_modes_changed(self) -> None:
        self.refresh()

    def clear(self) -> None:
        self.slice = None
        self.anatomy = None
        self._frames = np.zeros((0, 2))
        self.refresh()

    def _set_anatomy(self, anatomy) -> None:
        self.anatomy = anatomy

    def _select(self, k: int) -> None:
        self.selected = int(k)

    def _slice_selected(self) -> None:
        if self.selected is not None and self.anatomy is not None:
            p = self.anatomy.spectrum.eigenvalues.size
            self.controller.start_landscape((self.selected, p - 1 if self.selected != p - 1 else 0))

    def set_slice(self, sl) -> None:
        """engine.landscape.Slice."""
        self.slice = sl
        self._frames_changed()
        self.refresh()

    def _frames_changed(self) -> None:
        replay = getattr(self, "replay", None)
        if self.slice is None or replay is None or len(replay) == 0:
            self._frames = np.zeros((0, 2))
            self._energy_floor = 0.0
        else:
            a, b = self.slice.project(np.asarray(replay.frames))
            self._frames = np.column_stack([a, b])
            if self.anatomy is not None:          # a fixed floor: the bars drain towards it
                _, e, _ = self.mode_energies(replay.frames[-1])
                self._energy_floor = float(np.log10(max(e.min(), 1e-300))) - 1.0
        self.schedule_refresh()

    def _moved(self, step: int, delta) -> None:
        self.schedule_refresh()

    # ------------------------------------------------------------------ data out
    def mode_energies(self, delta) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(λ_k, ½ λ_k (v_k·δ)², labels) of the three slowest nonzero modes and the fastest."""
        s = self.anatomy.spectrum
        slow, fast = gallery(s.eigenvalues, self.zero_modes.tolerance(s), 3)
        idx = np.concatenate([slow, fast[:1]]).astype(int)
        lam = s.eigenvalues[idx]
        c = s.eigenvectors[:, idx].T @ np.asarray(delta, dtype=float)
        labels = [f"slow {j + 1}" for j in range(slow.size)] + ["fast"] * min(1, fast.size)
        return lam, 0.5 * lam * c * c, labels

    def hover_text(self, x: float, y: float) -> str:
        sl = self.slice
        if sl is None:
            return ""
        p, q = int(np.argmin(np.abs(sl.a - x))), int(np.argmin(np.abs(sl.b - y)))
        if abs(sl.a[p] - x) > sl.span / 20 or abs(sl.b[q] - y) > sl.span / 20:
            return ""
        return (f"a = {sl.a[p]:.3g}, b = {sl.b[q]:.3g}: loss {sl.loss[p, q]:.4g} "
                f"(quadratic {sl.quadratic[p, q]:.4g})")

    def status_text(self) -> str:
        sl = self.slice
        return "" if sl is None else f"slice along modes {sl.modes[0] + 1} and {sl.modes[1] + 1}"

    def empty_reason(self) -> str:
        return teacher_one_reason(self.controller)

    def export_arrays(self) -> dict[str, np.ndarray]:
        sl = self.slice
        if sl is None:
            return {}
        out = {k: np.asarray(v) for k, v in sl.to_dict().items() if k != "mode"}
        if self._frames.size:
            out["trajectory_steps"] = np.asarray(self.replay.steps)
            out["trajectory_a"], out["trajectory_b"] = self._frames[:, 0], self._frames[:, 1]
        return out

    def csv_table(self) -> tuple[str, np.ndarray]:
        sl = self.slice
        if sl is None:
            return "a,b,loss,quadratic", np.zeros((0, 4))
        A, B = np.meshgrid(sl.a, sl.b, indexing="ij")
        return "a,b,loss,quadratic", np.column_stack([A.ravel(), B.ravel(), sl.loss.ravel(),
                                                      sl.quadratic.ravel()])

    def draw(self) -> None:
        sl = self.slice
        item = self.plot.getPlotItem()
        for it in self._quad_items:
            it.setParentItem(None)
            if it.scene() is not None:
                it.scene().removeItem(it)
        self._quad_items.clear()
        if sl is None:
            self.image.clear()
            self.path.setData([], [])
            self.point.setData([], [])
            self.energy_bars.setOpts(x=[], y0=[], y1=[])
            self.summary.setText("Shown after a run: the loss around θ* on the plane of two "
                                 "eigenvectors of teacher 1.")
            return
        with np.errstate(divide="ignore"):
            logl = np.log10(np.maximum(sl.loss, 1e-300))
            logq = np.log10(np.maximum(sl.quadratic, 1e-300))
        finite = logl[np.isfinite(logl) & (sl.loss > 0)]
        hi = float(finite.max()) if finite.size else 0.0
        lo = max(float(finite.min()) if finite.size else hi - 1.0, hi - 8.0)
        bands = np.minimum(np.floor((np.clip(logl, lo, hi) - lo) / max(hi - lo, 1e-12) * LEVELS),
                           LEVELS - 1) / (LEVELS - 1)
        self.image.setImage(bands, levels=(0.0, 1.0), autoLevels=False)
        self.image.setColorMap(FILLED)
        a, b = sl.a, sl.b
        self.image.setRect(a[0], b[0], a[-1] - a[0], b[-1] - b[0])
        lam_i, lam_j = (max(float(x), 1e-300) for x in sl.eigenvalues)
        for level in np.linspace(lo, hi, LEVELS + 1)[1:-1]:
            # an ellipse ½(λ_i a² + λ_j b²) = 10^level thinner than a few grid cells would
            # only draw a thick line through θ*
            half = np.sqrt(2.0 * 10.0 ** level / np.array([lam_i, lam_j]))
            if np.any(half < 4.0 * (a[1] - a[0])):
                continue
            iso = pg.IsocurveItem(data=logq, level=level,
                                  pen=pg.mkPen(style.BLACK, width=1.5, style=Qt.PenStyle.DashLine))
            iso.setParentItem(self.image)            # in the image's (grid index) coordinates
            self._quad_items.append(iso)
        item.setRange(xRange=(a[0], a[-1]), yRange=(b[0], b[-1]), padding=0.0)
        along = [f"{ab} along v{style.subscript(k + 1)}" for ab, k in zip("ab", sl.modes)]
        style.set_labels(self.plot, *((f"{text} (λ = {lam:.3g})", text) for text, lam in zip(along, sl.eigenvalues)))
        if self._frames.size:
            self.path.setData(self._frames[:, 0], self._frames[:, 1])
        else:
            self.path.setData([], [])
        replay = getattr(self, "replay", None)
        delta = replay.frame() if replay is not None else None
        if delta is not None and self.anatomy is not None:
            pa, pb = sl.project(delta)
            self.point.setData([pa], [pb])
            lam, energy, labels = self.mode_energies(delta)
            top = np.log10(np.maximum(energy, 1e-300))
            floor = np.floor(min(top.min(), self._energy_floor)) if top.size else 0.0
            self.energy_bars.setOpts(x=np.arange(lam.size), y0=np.full(lam.size, floor), y1=top,
                                     brushes=[pg.mkBrush(style.SLOW_MODE_COLOURS[j % 7]) for j in range(lam.size)])
            self.energies.getPlotItem().getAxis("bottom").setTicks(
                [[(j, t) for j, t in enumerate(labels)]])
        else:
            self.point.setData([], [])
            self.energy_bars.setOpts(x=[], y0=[], y1=[])
        self.summary.setText(f"{sl.mode} loss on the plane of modes {sl.modes[0] + 1} and "
                             f"{sl.modes[1] + 1} of {sl.directions.shape[1]}, |a|, |b| ≤ "
                             f"{sl.span:.3g}; colour bands: log₁₀ loss; dashed: quadratic model")
