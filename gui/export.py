"""Export of plots (PNG, SVG, PDF), plotted data (CSV, NPZ) and screenshots.

Everything is rendered or serialised in memory first and then written with
engine.fileio.write_atomic, so a failure never leaves a half-written file. Errors surface as
engine.errors.InputError with a one-line message the window shows.
"""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem

from engine.errors import InputError
from engine.fileio import check_writable, write_atomic

from . import style, svg


PDF_DPI = 96                 # logical pixels per inch (an image's): SVG and PDF text match PNG
FIGURE_SIZE = (800, 520)     # logical pixels: a figure's shape, whatever the window's layout
PNG_SCALE = 2.0              # device pixels per logical pixel: 1600 × 1040 PNGs
LEGEND_PLACES = ("below", "right", "off")


@dataclass(frozen=True)
class Figure:
    """How a figure is exported: its size in logical pixels (96 per inch), the PNG's
    resolution, a text scale and where the legend goes. The default is the export menus'."""
    width: float = FIGURE_SIZE[0]
    height: float = FIGURE_SIZE[1]
    dpi: float = PDF_DPI * PNG_SCALE
    font_scale: float = 1.0
    legend: str = "below"

    def __post_init__(self):
        if not (100 <= self.width <= 20000 and 100 <= self.height <= 20000):
            raise InputError(f"a figure must be 100 to 20000 px (about 1 to 200 in) a side, "
                             f"got {self.width:g} × {self.height:g}")
        if not 24 <= self.dpi <= 2400:
            raise InputError(f"the resolution must be 24 to 2400 dpi, got {self.dpi:g}")
        if not 0.25 <= self.font_scale <= 6:
            raise InputError(f"the text scale must be 0.25 to 6, got {self.font_scale:g}")
        if self.legend not in LEGEND_PLACES:
            raise InputError(f"the legend goes {', '.join(LEGEND_PLACES)}; got {self.legend!r}")

    @classmethod
    def inches(cls, width: float, height: float, **kw) -> "Figure":
        return cls(width * PDF_DPI, height * PDF_DPI, **kw)

    @property
    def size(self) -> tuple[int, int]:
        return int(round(self.width)), int(round(self.height))

    @property
    def png_size(self) -> tuple[int, int]:
        scale = self.dpi / PDF_DPI
        return int(round(self.width * scale)), int(round(self.height * scale))


DEFAULT_FIGURE = Figure()


@contextmanager
def figure_shape(plot: pg.PlotWidget, size=FIGURE_SIZE):
    """Lay the plot out at the figure size while exporting, then give it back its place.

    The on-screen shape depends on the window (a tall narrow panel, a collapsed area); a figure
    should not. The widget is resized synchronously and restored before the event loop runs
    again, so nothing flickers."""
    old = plot.size()
    plot.resize(*size)
    plot.getPlotItem().layout.activate()
    try:
        yield
    finally:
        plot.resize(old)
        plot.getPlotItem().layout.activate()


def _check(path) -> Path:
    try:
        return check_writable(path)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _write_bytes(path, data: bytes) -> None:
    p = _check(path)
    try:
        write_atomic(p, lambda fh: fh.write(data), binary=True)
    except OSError as exc:
        raise InputError(f"cannot write {str(p)!r}: {exc.strerror or exc}") from None


def image_to_png_bytes(image: QImage) -> bytes:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        raise InputError("could not encode the image as PNG")
    buf.close()
    return bytes(ba.data())


def render_figure(plot: pg.PlotWidget, painter: QPainter, target: QRectF,
                  figure: Figure = DEFAULT_FIGURE, part: str = "all") -> QRectF:
    """Paint the plot, laid out at the figure size, into `target` of any paint device.

    PNG, SVG and PDF all come through here, so their geometry is the same by construction:
    the plot is laid out at FIGURE_SIZE, its items are put in pyqtgraph's export mode (pens
    and markers scale with the resolution) and the scene is rendered. pyqtgraph's own SVG
    exporter serialises each item with its on-screen transform instead, which put the data of
    a figure laid out at another size in the wrong place.

    `part`: "all"; "frame", all but the data (axes, texts, legend, on white); "data", the
    data alone, on nothing (the SVG writer clips them to the axes' box itself: its painter
    cannot clip). Returns the axes' box (the view box) in target coordinates."""
    with figure_shape(plot, figure.size), legends_scale_with_the_figure(plot), _only(plot, part):
        item = plot.getPlotItem()
        source = item.sceneBoundingRect()
        exporter = pg_exporters.ImageExporter(item)       # only for its export-mode switch
        scale = target.width() / max(source.width(), 1.0)
        if part != "data":
            painter.fillRect(target, pg.mkColor("w"))
        try:
            exporter.setExportMode(True, {"antialias": True,
                                          "background": pg.mkColor("w") if part != "data" else None,
                                          "painter": painter, "resolutionScale": scale})
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            plot.scene().render(painter, target, source)
        finally:
            exporter.setExportMode(False)
        box = item.vb.sceneBoundingRect()
        return QRectF(target.x() + (box.x() - source.x()) * scale, target.y() + (box.y() - source.y()) * scale,
                      box.width() * scale, box.height() * scale)


@contextmanager
def _only(plot: pg.PlotWidget, part: str):
    """Hide what a part of the figure leaves out: the data for "frame", all else for "data"."""
    item = plot.getPlotItem()
    vb = item.vb
    if part == "frame":
        # transparent, not hidden: a legend draws a crossed-out eye for a hidden curve
        opacity = vb.childGroup.opacity()
        vb.childGroup.setOpacity(0.0)
        try:
            yield
        finally:
            vb.childGroup.setOpacity(opacity)
        return
    if part == "data":
        hidden = [c for c in item.childItems() if c is not vb and c.isVisible()]
        hidden += [i for i in plot.scene().items() if i.parentItem() is None and i is not item and i.isVisible()]
    else:
        hidden = []
    for h in hidden:
        h.hide()
    try:
        yield
    finally:
        for h in hidden:
            h.show()


def plot_image(plot: pg.PlotWidget, figure: Figure = DEFAULT_FIGURE) -> QImage:
    """The figure as an image of figure.png_size pixels, on white."""
    w, h = figure.png_size
    image = QImage(w, h, QImage.Format.Format_ARGB32)
    image.fill(pg.mkColor("w"))
    painter = QPainter(image)
    try:
        render_figure(plot, painter, QRectF(0, 0, w, h), figure)
    finally:
        painter.end()
    dots = int(round(figure.dpi / 0.0254))            # written into the PNG: prints at its size
    image.setDotsPerMeterX(dots)
    image.setDotsPerMeterY(dots)
    if image.isNull():
        raise InputError("the plot could not be rendered")
    return image


@contextmanager
def legends_scale_with_the_figure(plot: pg.PlotWidget):
    """pyqtgraph legends ignore transformations (to keep their size when zooming), so a scaled
    render would leave them at screen size in a large image; scale them like the rest."""
    flag = QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
    items = [i for i in plot.scene().items() if isinstance(i, pg.LegendItem) and i.flags() & flag]
    for i in items:
        i.setFlag(flag, False)
    try:
        yield
    finally:
        for i in items:
            i.setFlag(flag, True)


def export_png(plot: pg.PlotWidget, path, figure: Figure = DEFAULT_FIGURE) -> QSize:
    _check(path)
    image = plot_image(plot, figure)
    _write_bytes(path, image_to_png_bytes(image))
    return image.size()


def _buffer() -> tuple[QByteArray, QBuffer]:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    return ba, buf


def svg_bytes(plot: pg.PlotWidget, figure: Figure = DEFAULT_FIGURE) -> bytes:
    """The figure as SVG (vectors and text), figure.size pixels: drawn by QSvgGenerator in
    two parts (the frame; the data, which its painter cannot clip) and rewritten by gui.svg so
    that every renderer draws it as the PNG is drawn."""
    frame, _ = _qt_svg(plot, figure, "frame")
    data, box = _qt_svg(plot, figure, "data")
    # a line's width in pixels of the PNG (a cosmetic pen) is this many figure units
    hairline = figure.size[0] / figure.png_size[0]
    out = svg.compose(frame, data, (box.x(), box.y(), box.width(), box.height()), hairline, _blocks)
    ET.fromstring(out)                   # never write an SVG that does not parse
    return out


def _blocks(png: bytes, k: int) -> tuple[bytes, int]:
    """gui.svg's resample: the PNG k times larger, pixel for pixel (no smoothing)."""
    from PySide6.QtCore import Qt

    image = QImage.fromData(png)
    if k > 1:
        image = image.scaled(image.width() * k, image.height() * k,
                             Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation)
    return (image_to_png_bytes(image) if k > 1 else png), max(image.width(), image.height())


def _qt_svg(plot: pg.PlotWidget, figure: Figure, part: str) -> tuple[bytes, QRectF]:
    from PySide6.QtSvg import QSvgGenerator

    w, h = figure.size
    ba, buf = _buffer()
    gen = QSvgGenerator()
    gen.setOutputDevice(buf)
    gen.setSize(QSize(w, h))
    gen.setViewBox(QRectF(0, 0, w, h))
    gen.setResolution(PDF_DPI)           # as an image's: point sizes become the same pixels
    gen.setTitle("Hessian Explorer figure")
    painter = QPainter(gen)
    try:
        box = render_figure(plot, painter, QRectF(0, 0, w, h), figure, part)
    finally:
        painter.end()
    buf.close()
    return bytes(ba.data()), box




def pdf_bytes(plot: pg.PlotWidget, figure: Figure = DEFAULT_FIGURE) -> bytes:
    """The figure as a one-page PDF (vectors and text) of the figure's size at 96 px per inch."""
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter
    from PySide6.QtCore import QMarginsF, QSizeF

    w, h = figure.size
    ba, buf = _buffer()
    writer = QPdfWriter(buf)
    writer.setResolution(PDF_DPI)
    writer.setTitle("Hessian Explorer figure")
    writer.setCreator("Hessian Explorer")
    size = QPageSize(QSizeF(w * 72 / PDF_DPI, h * 72 / PDF_DPI), QPageSize.Unit.Point, "figure")
    writer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter(writer)
    try:
        render_figure(plot, painter, QRectF(0, 0, writer.width(), writer.height()), figure)
    finally:
        painter.end()
    buf.close()
    data = bytes(ba.data())
    if not data.startswith(b"%PDF"):
        raise InputError("the figure could not be written as PDF")
    return data


def export_svg(plot: pg.PlotWidget, path, figure: Figure = DEFAULT_FIGURE) -> None:
    _check(path)
    _write_bytes(path, svg_bytes(plot, figure))


def export_pdf(plot: pg.PlotWidget, path, figure: Figure = DEFAULT_FIGURE) -> None:
    _check(path)
    _write_bytes(path, pdf_bytes(plot, figure))


def export_csv(path, header: str, table: np.ndarray, comment: str = "") -> None:
    """Columns of the plotted data; the header is a '#' line so numpy.loadtxt reads it back."""
    _check(path)
    out = io.StringIO()
    lines = [c for c in comment.splitlines() if c] + [header]
    np.savetxt(out, np.atleast_2d(table) if np.size(table) else np.zeros((0, header.count(",") + 1)),
               delimiter=",", fmt="%.17g", header="\n".join(lines), comments="# ")
    text = out.getvalue()
    _write_bytes(path, text.encode("utf-8"))


def export_npz(path, arrays: dict[str, np.ndarray]) -> None:
    _check(path)
    out = io.BytesIO()
    np.savez(out, **arrays)
    _write_bytes(path, out.getvalue())


def save_widget_png(widget, path) -> QSize:
    """A screenshot of a widget (the whole window), as drawn on screen."""
    _check(path)
    pix = widget.grab()
    image = pix.toImage()
    if image.isNull():
        raise InputError("could not grab the window")
    _write_bytes(path, image_to_png_bytes(image))
    return image.size()


# ----------------------------------------------------------------------------- views

@dataclass(frozen=True)
class Format:
    """One way to export a view: what menus and file dialogs call it, and how it is written."""
    extension: str
    menu_text: str
    file_filter: str
    write: Callable[[object, str, dict, Figure], None] = None     # (view, path, config, figure)


def _comment(view, config: dict) -> str:
    return (f"Hessian Explorer: {view.name} view, as plotted\n"
            "config: " + json.dumps(config, separators=(",", ":")))


def _write_png(view, path, config, figure) -> None:
    export_png(view.figure, path, figure)


def _write_svg(view, path, config, figure) -> None:
    export_svg(view.figure, path, figure)


def _write_pdf(view, path, config, figure) -> None:
    export_pdf(view.figure, path, figure)


def _write_csv(view, path, config, figure) -> None:
    header, table = view.csv_table()
    export_csv(path, header, table, comment=_comment(view, config))


def _write_npz(view, path, config, figure) -> None:
    arrays = dict(view.export_arrays())
    arrays["config_json"] = json.dumps(config)
    export_npz(path, arrays)


FORMATS: dict[str, Format] = {f.extension: f for f in (
    Format("png", "Figure as PNG…", "PNG image (*.png)", _write_png),
    Format("svg", "Figure as SVG…", "SVG image (*.svg)", _write_svg),
    Format("pdf", "Figure as PDF…", "PDF document (*.pdf)", _write_pdf),
    Format("csv", "Plotted data as CSV…", "CSV table (*.csv)", _write_csv),
    Format("npz", "Plotted data as NPZ…", "NumPy archive (*.npz)", _write_npz),
)}


def export_view(view, fmt: str, path, config: dict, figure: Figure = DEFAULT_FIGURE) -> None:
    """Write one view in one of FORMATS (InputError for an unknown format or a bad path)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    view.readout.hide()                  # the hover read-out is not part of a figure
    with figure_style(view, figure):
        FORMATS[fmt].write(view, path, config, figure)


@contextmanager
def figure_style(view, figure: Figure):
    """The view's text scale and legend place for one export, then back as on screen."""
    plot = view.figure
    if figure.font_scale == 1.0 and figure.legend == "below" and getattr(plot, "_legend_at", "below") == "below":
        yield
        return
    legend = plot.getPlotItem().legend
    plot._figure_text_scale, plot._legend_place = figure.font_scale, figure.legend
    try:
        style.apply_fonts(plot)
        view.refresh()                           # the legend is rebuilt at the new size
        style.fit_legend(plot)                   # in the place the figure asks for
        legend.setVisible(figure.legend != "off" and bool(legend.items))
        yield
    finally:
        del plot._figure_text_scale, plot._legend_place
        style.apply_fonts(plot)
        view.refresh()
        style.fit_legend(plot)
