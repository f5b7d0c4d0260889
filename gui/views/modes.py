"""The Modes view: which parameters a slow (or any) mode moves.

The eigenvector of the selected eigenvalue of teacher 1 as an Nh×Ni heatmap of its W1 part
(neurons as rows, a diverging colour map: red and blue are opposite signs), beside a bar chart
of its W2 part on the same rows; above it λ, its place among the P, the participation ratio and
the neuron carrying the largest share. Pick an eigenvalue by clicking it in the Spectrum or Rank
view, or step with ◀ ▶; below, a gallery of the slowest and fastest modes (click one). Where the
network has symmetries (polynomial and positively homogeneous g, e.g. relu) the zero modes are
compared with them (engine.modes).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QPushButton

from engine.modes import describe_mode, gallery

from .. import style
from .base import View, teacher_one_reason

GALLERY = 3                       # slowest and fastest modes shown small below
DIVERGING = pg.colormap.get("CET-D1A")


GALLERY_PT = 8           # the gallery's labels (times the text scale)
GALLERY_IMAGE_PX = 92    # the gallery's thumbnails, high


def mode_image(item: pg.ImageItem, w1: np.ndarray, scale: float) -> None:
    """Neuron j as row j from the top, input i as column i, colours symmetric about 0."""
    item.setImage(w1.T[:, ::-1], levels=(-scale, scale), autoLevels=False)
    item.setColorMap(DIVERGING)
    item.setRect(0, 0, w1.shape[1], w1.shape[0])


class ModesView(View):
    name = "modes"
    title = "Modes"
    page = "mode"

    def __init__(self, parent=None):
        super().__init__("Mode: W1 (neurons × inputs), W2", parent, legend_columns=1)
        self.anatomy = None
        self.index: int | None = None
        self.summary_data = None
        self._build()
        self.refresh()

    def _build(self) -> None:
        item = self.plot.getPlotItem()
        item.setAspectLocked(False)
        item.invertY(False)
        self.image = pg.ImageItem()
        item.addItem(self.image)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=[], width=[], brush=style.BLUE)
        item.addItem(self.bars)
        # each neuron's share of |v|², beside its row on a right axis: an axis takes the room
        # its labels need, where texts placed in the plot ran out of it at some sizes
        item.showAxis("right")
        shares = item.getAxis("right")
        shares.setTextPen(style.GREY)
        shares.setPen(pg.mkPen(None))
        shares.setStyle(tickLength=0)
        self.w2_axis = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.GREY, width=1))
        item.addItem(self.w2_axis, ignoreBounds=True)
        style.set_labels(self.plot, ("input i (W1) · W2 bar · neuron's share", "input i · W2 · share"),
                         "neuron j")
        self.summary = style.Summary(rich=True)
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.slow_button = QPushButton("slowest")
        for b, tip in ((self.prev_button, "the next smaller eigenvalue"),
                       (self.next_button, "the next larger eigenvalue"),
                       (self.slow_button, "the smallest eigenvalue above the rank tolerance")):
            b.setToolTip(tip)
        for b in (self.prev_button, self.next_button):
            b.setMaximumWidth(36)
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(+1))
        self.slow_button.clicked.connect(self.show_slowest)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        for b in (self.prev_button, self.next_button, self.slow_button):
            bar.addWidget(b)
        # the gallery: the GALLERY slowest and fastest modes, small, click to select
        self.gallery = pg.GraphicsLayoutWidget()
        self.gallery.setBackground("w")
        self.gallery.setFixedHeight(GALLERY_IMAGE_PX + round(2.2 * GALLERY_PT))
        self.gallery.setToolTip("the slowest (left) and fastest (right) modes; click one")
        self.gallery.scene().sigMouseClicked.connect(self._gallery_clicked)
        self._gallery_items: list[tuple[pg.ViewBox, int]] = []
        self.stack(bar)
        self.layout().addWidget(self.gallery)

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        self.controller = controller
        controller.started.connect(lambda plan: self.clear())
        controller.anatomy_ready.connect(self.set_anatomy)
        controller.mode_selected.connect(self.show_mode)

    def clear(self) -> None:
        self.anatomy = None
        self.index = None
        self.summary_data = None
        self.gallery.clear()
        self._gallery_items.clear()
        self.refresh()

    def set_anatomy(self, anatomy) -> None:
        """engine.anatomy.Anatomy of teacher 1: show the slowest mode (or the one picked)."""
        self.anatomy = anatomy
        self._fill_gallery()
        if self.index is not None and self.index < anatomy.spectrum.eigenvalues.size:
            self.show_mode(self.index)
        else:
            self.show_slowest()

    def zero_modes_changed(self) -> None:
        """Zero or nonzero, slow or fast: the gallery and the summary follow the tolerance."""
        if self.anatomy is not None:
            self._fill_gallery()
            self.show_mode(self.index) if self.index is not None else self.show_slowest()

    def show_slowest(self) -> None:
        if self.anatomy is None:
            return
        slow, _ = self._gallery_indices(1)
        self.show_mode(int(slow[0]) if slow.size else 0)

    def show_mode(self, k: int) -> None:
        self.index = int(k)
        if self.anatomy is not None:
            s = self.anatomy.spectrum
            self.index = int(min(max(k, 0), s.eigenvalues.size - 1))
            self.summary_data = describe_mode(s.eigenvalues, s.eigenvectors, self.index,
                                              self.anatomy.ni, self.anatomy.nh, self.zero_modes.tolerance(s))
        self.refresh()

    def _step(self, d: int) -> None:
        if self.index is not None and self.anatomy is not None:
            self.controller.select_mode(self.index + d)

    def _gallery_indices(self, m: int):
        s = self.anatomy.spectrum
        return gallery(s.eigenvalues, self.zero_modes.tolerance(s), m)

    def _fill_gallery(self) -> None:
        """The thumbnails, their labels at the text size of the moment (larger when presenting)."""
        self._gallery_scale = style.text_scale()
        self.gallery.setFixedHeight(GALLERY_IMAGE_PX + round(2.2 * style.pt(GALLERY_PT)))
        self.gallery.clear()
        self._gallery_items.clear()
        slow, fast = self._gallery_indices(GALLERY)
        s = self.anatomy.spectrum
        for col, k in enumerate(list(slow) + list(fast[::-1])):
            d = describe_mode(s.eigenvalues, s.eigenvectors, int(k), self.anatomy.ni,
                              self.anatomy.nh, self.zero_modes.tolerance(s))
            vb = self.gallery.addViewBox(row=1, col=col, lockAspect=False, enableMouse=False)
            self.gallery.addLabel(f"{'slow' if k in slow else 'fast'} λ={d.eigenvalue:.2g}",
                                  row=0, col=col, size=f"{style.pt(GALLERY_PT)}pt")
            img = pg.ImageItem()
            vb.addItem(img)
            mode_image(img, d.w1, max(float(np.abs(d.vector).max()), 1e-300))
            self._gallery_items.append((vb, int(k)))

    def _gallery_clicked(self, event) -> None:
        for vb, k in self._gallery_items:
            if vb.sceneBoundingRect().contains(event.scenePos()):
                self.controller.select_mode(k)
                return

    # ------------------------------------------------------------------ data out
    def status_text(self) -> str:
        d = self.summary_data
        return "" if d is None else f"mode {d.position}, λ = {d.eigenvalue:.4g}"

    def hover_text(self, x: float, y: float) -> str:
        d = self.summary_data
        if d is None:
            return ""
        nh, ni = d.w1.shape
        j = nh - 1 - int(np.floor(y))
        if not 0 <= j < nh:
            return ""
        if 0 <= x < ni:
            return f"neuron {j + 1}, input {int(x) + 1}: W1 entry {d.w1[j, int(x)]:+.3g}"
        if x >= ni:
            return f"neuron {j + 1}: W2 entry {d.w2[j]:+.3g}"
        return ""

    def empty_reason(self) -> str:
        return teacher_one_reason(self.controller)

    def export_arrays(self) -> dict[str, np.ndarray]:
        d = self.summary_data
        if d is None:
            return {}
        return {"index": np.array(d.index), "eigenvalue": np.array(d.eigenvalue),
                "participation_ratio": np.array(d.participation), "neuron_shares": d.shares,
                "w1": d.w1, "w2": d.w2}

    def csv_table(self) -> tuple[str, np.ndarray]:
        d = self.summary_data
        if d is None:
            return "neuron,share,W2", np.zeros((0, 3))
        nh, ni = d.w1.shape
        header = "neuron,share,W2," + ",".join(f"W1_input{i + 1}" for i in range(ni))
        rows = np.column_stack([np.arange(1, nh + 1), d.shares, d.w2, d.w1])
        return header, rows

    def draw(self) -> None:
        if self.anatomy is not None and getattr(self, "_gallery_scale", None) != style.text_scale():
            self._fill_gallery()
        d = self.summary_data
        item = self.plot.getPlotItem()
        if d is None:
            self.image.clear()
            self.bars.setOpts(x0=[], y=[], height=[], width=[])
            for side in ("left", "bottom", "right"):
                item.getAxis(side).setTicks(None if side != "right" else [[]])
            self.summary.setText("Shown after a run: the eigenvectors of teacher 1 "
                                 "(click an eigenvalue in the Spectrum or Rank view)." if
                                 self.anatomy is None else "")
            return
        nh, ni = d.w1.shape
        scale = max(float(np.abs(d.vector).max()), 1e-300)
        mode_image(self.image, d.w1, scale)
        x0 = ni + 1.5                             # the W2 bars: a column 1 wide each way
        rows = nh - 1 - np.arange(nh) + 0.5
        self.bars.setOpts(x0=np.full(nh, x0), y=rows, height=np.full(nh, 0.7),
                          width=d.w2 / scale,
                          brushes=[pg.mkBrush(style.VERMILLION if w > 0 else style.BLUE) for w in d.w2])
        self.w2_axis.setValue(x0)
        item.getAxis("right").setTicks([[(rows[j], f"{100 * d.shares[j]:.0f}%") for j in range(nh)]])
        # neurons and inputs numbered from 1 at their rows' and columns' centres
        every = max(1, int(np.ceil(max(nh, ni) / 12)))
        item.getAxis("left").setTicks([[(rows[j], str(j + 1)) for j in range(0, nh, every)]])
        item.getAxis("bottom").setTicks([[(i + 0.5, str(i + 1)) for i in range(0, ni, every)] + [(x0, "W2")]])
        item.setXRange(0, ni + 2.6, padding=0.02)
        item.setYRange(0, nh, padding=0.02)
        top = int(np.argmax(d.shares))
        kind = "zero mode" if d.is_zero else ("slowest nonzero" if self._is_slowest(d.index) else "mode")
        text = (f"<b>{kind} {d.position}</b> · λ = {d.eigenvalue:.4g} · participation ratio "
                f"{d.participation:.1f} of {d.n_params} · neuron {top + 1} carries "
                f"{100 * d.shares[top]:.0f} %")
        sym = self.anatomy.symmetry
        if sym is not None:
            text += f"<br>zero modes vs symmetries: {sym.text()}"
        self.summary.setText(text)

    def _is_slowest(self, k: int) -> bool:
        slow, _ = self._gallery_indices(1)
        return bool(slow.size) and int(slow[0]) == k
