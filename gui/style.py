"""Fonts, colours and plot set-up shared by the views: large type for a projector, white
backgrounds so screenshots and exported figures can go straight into a paper."""
from __future__ import annotations

import weakref

import pyqtgraph as pg
from PySide6 import QtCore
from PySide6.QtGui import QColor, QFont, QPen

# Okabe–Ito: distinguishable with every common colour-vision deficiency.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
YELLOW = "#C9B800"     # a darker yellow that reads on white
BLACK = "#000000"
GREY = "#777777"

SLOW_MODE_COLOURS = [VERMILLION, GREEN, PURPLE, SKY, ORANGE, YELLOW, BLUE]

TICK_PT = 12
LABEL_PT = 14
LEGEND_PT = 12
TITLE_PT = 15
PROJECTOR_SCALE = 1.4      # View → Large text: every font this much larger
PRESENTATION_SCALE = 1.6   # presentation mode: every text this much larger ...
PRESENTATION_LINES = 2.0   # ... and every line this much thicker

_configured = False
_scale = 1.0
_line_scale = 1.0
_plots = weakref.WeakSet()  # every plot made here, so that the text size can change at once


def pt(size: float, plot=None) -> float:
    """A point size at the current text scale (and the plot's own figure scale, if any)."""
    extra = getattr(plot, "_figure_text_scale", 1.0) if plot is not None else 1.0
    return round(size * _scale * extra, 1)


def text_scale() -> float:
    return _scale


def configure_pyqtgraph() -> None:
    global _configured
    if not _configured:
        pg.setConfigOptions(background="w", foreground="k", antialias=True)
        _configured = True


def colour(name: str, alpha: int = 255) -> QColor:
    c = QColor(name)
    c.setAlpha(alpha)
    return c


LEGEND_ROW = 4        # PlotItem layout rows: title 0, top axis 1, view 2, bottom axis 3


def make_plot(title: str = "", legend_columns: int = 2) -> pg.PlotWidget:
    """A white PlotWidget with large fonts and a legend *below* the plot area, in
    `legend_columns` columns: a legend inside the axes always hides some data."""
    configure_pyqtgraph()
    w = pg.PlotWidget()
    item = w.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setTextPen("k")
        axis.setPen(pg.mkPen("k", width=1))
        axis.enableAutoSIPrefix(False)      # "(x1e-06)" on a log axis only confuses
    legend = pg.LegendItem(offset=None, labelTextSize=f"{pt(LEGEND_PT)}pt", labelTextColor="k",
                           brush=pg.mkBrush(255, 255, 255, 0), pen=None, colCount=legend_columns,
                           horSpacing=18, verSpacing=-4)
    item.layout.addItem(legend, LEGEND_ROW, 1)
    item.legend = legend
    w._legend_columns = legend_columns
    item.vb.sigResized.connect(lambda *_: fit_legend(w))
    w.installEventFilter(_LEGEND_FITTER)
    w._title = title
    apply_fonts(w)
    _plots.add(w)
    return w


def apply_fonts(plot: pg.PlotWidget) -> None:
    """(Re)apply the text sizes: ticks, title, and — at their next update — labels and legend."""
    item = plot.getPlotItem()
    tick_font = QFont()
    tick_font.setPointSizeF(pt(TICK_PT, plot))
    for name in ("left", "bottom"):
        item.getAxis(name).setTickFont(tick_font)
    if plot._title:
        item.setTitle(plot._title, size=f"{pt(TITLE_PT, plot)}pt", color="k")
        shrinkable(item.titleLabel)               # a long title is cut, the plot is not
    item.legend.opts["labelTextSize"] = f"{pt(LEGEND_PT, plot)}pt"
    labels = getattr(plot, "_labels", None)
    plot._labels = None
    plot._legend_items = None
    if labels:
        set_labels(plot, *labels)


def shrinkable(label) -> None:
    """Let a pyqtgraph LabelItem be narrower than its text (it asks for its text's width
    whenever its text is set)."""
    if getattr(label, "_hx_shrinkable", False):
        return
    original = label.updateMin

    def update_min():
        original()
        label.setMinimumWidth(0)
        hints = label._sizeHint
        hints[QtCore.Qt.SizeHint.MinimumSize] = (0, hints[QtCore.Qt.SizeHint.MinimumSize][1])
        label.updateGeometry()

    label.updateMin = update_min
    label._hx_shrinkable = True
    update_min()


def set_text_scale(scale: float, line_scale: float | None = None) -> None:
    """Every plot's text `scale` times the normal size (1: normal; PROJECTOR_SCALE: a lecture),
    and (if given) every line `line_scale` times as thick."""
    global _scale, _line_scale
    _scale = float(scale)
    if line_scale is not None:
        _line_scale = float(line_scale)
    for plot in list(_plots):
        try:
            apply_fonts(plot)
            apply_scales(plot)
        except RuntimeError:          # the plot's window was closed and deleted
            _plots.discard(plot)


def line_scale() -> float:
    return _line_scale


def _scaled(obj, attr: str, current: float) -> float:
    """The unscaled value behind `current`: remembered on obj, renewed when the view has set a
    fresh value since (a pen or font it made again)."""
    base, applied = getattr(obj, f"_hx_{attr}", (None, None))
    if base is None or applied is None or abs(current - applied) > 1e-9:
        base = current
    return base


def _thicken(item, pen: QPen) -> None:
    """Give `item` its own pen at line_scale() times its unscaled width."""
    if pen.style() == QtCore.Qt.PenStyle.NoPen:
        return
    base = _scaled(item, "pen", pen.widthF())
    target = base if _line_scale == 1.0 else max(base, 1.0) * _line_scale
    if abs(pen.widthF() - target) > 1e-9:
        pen.setWidthF(target)
        item.setPen(pen)
    item._hx_pen = (base, target)


def apply_scales(plot: pg.PlotWidget) -> None:
    """Lines `line_scale()` times as thick and in-plot texts (line labels, messages) at the
    text scale: pyqtgraph sizes these per item, so the items are visited after every redraw."""
    for item in plot.getPlotItem().items:
        texts = []
        if isinstance(item, pg.PlotDataItem):
            if item.opts["pen"] is not None:
                _thicken(item, pg.mkPen(item.opts["pen"]))
        elif isinstance(item, pg.InfiniteLine):
            _thicken(item, QPen(item.pen))
            if getattr(item, "label", None) is not None:     # a line made without a label has none
                texts.append(item.label)
        elif isinstance(item, pg.TextItem):
            texts.append(item)
        for text in texts:
            font = text.textItem.font()
            size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
            base = _scaled(text, "font", size)
            target = round(base * _scale * getattr(plot, "_figure_text_scale", 1.0), 1)
            if abs(size - target) > 1e-9:
                font.setPointSizeF(target)
                text.setFont(font)
            text._hx_font = (base, target)


def fix_lines(label, lines: int = 2) -> None:
    """Give a word-wrapped label a fixed height of `lines` lines: its text changes with every
    live update, and a label that grows or shrinks re-lays out — and repaints — every plot."""
    label.setFixedHeight(label.fontMetrics().lineSpacing() * lines + 6)


def set_grid(plot: pg.PlotWidget, on: bool) -> None:
    """Grid lines: off by default — pyqtgraph redraws them with the axes on every live update,
    which roughly doubles the cost of a repaint (View → Grid lines turns them on)."""
    plot.getPlotItem().showGrid(x=on, y=on, alpha=0.18 if on else 0)


def set_labels(plot: pg.PlotWidget, x: str, y: str) -> None:
    """Axis labels (only touched when they change: a label change re-lays out the plot)."""
    if getattr(plot, "_labels", None) == (x, y):
        return
    plot._labels = (x, y)
    style = {"font-size": f"{pt(LABEL_PT, plot)}pt", "color": "#000"}
    item = plot.getPlotItem()
    item.setLabel("bottom", x, **style)
    item.setLabel("left", y, **style)


def set_legend(plot: pg.PlotWidget, entries: list) -> None:
    """Show exactly these (item, text) legend entries; rebuilt only when the items change,
    otherwise the texts are updated in place (a rebuild on every live update is slow)."""
    legend = plot.getPlotItem().legend
    items = [item for item, _ in entries]
    if getattr(plot, "_legend_items", None) == items and len(legend.items) == len(entries):
        for (_, label), (_, text) in zip(legend.items, entries):
            if plot.__dict__.get("_legend_full", {}).get(id(label)) != text:
                label.setText(text)
        legend.setVisible(bool(entries))
        fit_legend(plot)
        return
    legend.clear()
    for item, text in entries:
        legend.addItem(item, text)
    plot._legend_items = items
    legend.setVisible(bool(entries))
    fit_legend(plot)


class _LegendFitter(QtCore.QObject):
    """Refit a plot's legend when its widget is resized (see fit_legend)."""

    def eventFilter(self, obj, event):
        if event.type() == QtCore.QEvent.Type.Resize:
            fit_legend(obj)
        return False


_LEGEND_FITTER = _LegendFitter()


def fit_legend(plot: pg.PlotWidget) -> None:
    """Keep the legend (below the plot) no wider than the plot area: fewer columns, and in
    one column texts cut with "…" — an over-wide legend would widen the plot beyond its window
    and push the data out of sight."""
    legend = plot.getPlotItem().legend
    if not legend.items or getattr(plot, "_legend_place", "below") != "below":
        return
    item = plot.getPlotItem()
    # the widget's width, not the view box's: an over-wide legend has widened the box already
    avail = plot.width() - item.getAxis("left").width() - 24
    if avail < 60:
        return
    texts = getattr(plot, "_legend_full", {})
    for _, label in legend.items:                      # start from the full texts
        full = texts.get(id(label))
        if full is None or (label.text != full and not label.text.endswith("…")):
            texts[id(label)] = full = label.text
        if label.text != full:
            label.setText(full)
    plot._legend_full = texts
    gap = 18.0                        # the layout's spacing, also between sample and text
    sample = 30.0 + gap
    widths = [label.item.boundingRect().width() for _, label in legend.items]
    n = len(widths)
    cols = max(1, min(getattr(plot, "_legend_columns", 2), n))
    while cols > 1 and cols * (sample + max(widths)) + (cols - 1) * gap > avail:
        cols -= 1
    # ... and no taller than a third of the plot: more columns, shorter texts
    row = max(label.item.boundingRect().height() for _, label in legend.items) * 0.85
    max_rows = max(1, int(plot.height() / 3 // max(row, 1.0)))
    by_height = min(n, -(-n // max_rows))
    cols = max(cols, by_height)
    while cols > by_height and (avail - cols * sample - (cols - 1) * gap) / cols < 130:
        cols -= 1                                   # not so many that no text can be read
    if getattr(legend, "columnCount", None) != cols:
        legend.setColumnCount(cols)
    room = (avail - cols * sample - (cols - 1) * gap) / cols - 8
    if cols * (sample + max(widths)) + (cols - 1) * gap > avail:
        for (_, label), width in zip(legend.items, widths):
            if width > room:                            # the text's width is about linear in its length
                full = texts[id(label)]
                label.setText(full[: max(1, int(len(full) * room / width) - 1)].rstrip() + "…")
    # A plot item once laid out wider than its widget keeps that width until the widget is
    # resized again: give it the widget's size back now that it fits.
    if item.geometry().width() > plot.width() + 1:
        legend.updateSize()
        item.layout.activate()
        item.setGeometry(QtCore.QRectF(0, 0, plot.width(), plot.height()))
