"""File → Export → Figure…: the size (pixels or inches), the PNG's resolution, the text scale
and the legend's place of an exported figure (gui.export.Figure). The choice stays for every
later figure export until it is changed."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QLabel, QVBoxLayout)

from engine.errors import InputError

from .export import LEGEND_PLACES, PDF_DPI, Figure
from .figure_size import UNITS       # the units --figure-size takes too (one parser, one check)


def _spin(lo: float, hi: float, decimals: int, value: float, suffix: str = "") -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    s.setValue(value)
    s.setSuffix(suffix)
    return s


class FigureDialog(QDialog):
    def __init__(self, figure: Figure, formats: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export figure")
        self.unit = QComboBox()
        for u in UNITS:
            self.unit.addItem(u, u)
        self.width_box = _spin(0.01, 20000, 2, figure.width)
        self.height_box = _spin(0.01, 20000, 2, figure.height)
        self.dpi = _spin(24, 2400, 0, figure.dpi, " dpi")
        self.dpi.setToolTip("PNG only: pixels per inch (SVG and PDF are vectors)")
        self.font_scale = _spin(0.25, 6, 2, figure.font_scale, "×")
        self.legend = QComboBox()
        for place in LEGEND_PLACES:
            self.legend.addItem(place, place)
        self.legend.setCurrentIndex(LEGEND_PLACES.index(figure.legend))
        self.format = QComboBox()
        for f in formats:
            self.format.addItem(f.upper(), f)
        self.pixels = QLabel("")
        self._unit = "px"
        self.unit.currentIndexChanged.connect(self._unit_changed)
        for w in (self.width_box, self.height_box, self.dpi):
            w.valueChanged.connect(self._update_pixels)
        form = QFormLayout()
        form.addRow("unit", self.unit)
        form.addRow("width", self.width_box)
        form.addRow("height", self.height_box)
        form.addRow("resolution", self.dpi)
        form.addRow("", self.pixels)
        form.addRow("text size", self.font_scale)
        form.addRow("legend", self.legend)
        form.addRow("format", self.format)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #7a1500")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self._update_pixels()

    def _unit_changed(self) -> None:
        new = self.unit.currentData()
        factor = UNITS[self._unit] / UNITS[new]
        self._unit = new
        decimals = 0 if new == "px" else 2
        for box in (self.width_box, self.height_box):
            value = box.value() * factor
            box.setDecimals(decimals)
            box.setValue(value)

    def figure(self) -> Figure:
        """The chosen Figure (InputError for a size or resolution out of range)."""
        k = UNITS[self._unit]
        return Figure(self.width_box.value() * k, self.height_box.value() * k, self.dpi.value(),
                      self.font_scale.value(), self.legend.currentData())

    def chosen_format(self) -> str:
        return self.format.currentData()

    def _update_pixels(self) -> None:
        try:
            f = self.figure()
        except InputError as exc:
            self.pixels.setText(str(exc))
            return
        w, h = f.png_size
        self.pixels.setText(f"{f.width / PDF_DPI:.2f} × {f.height / PDF_DPI:.2f} in; PNG {w} × {h} px")

    def _accept(self) -> None:
        try:
            self.figure()
        except InputError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
