"""Fonts, colours and plot set-up shared by the views: large type for a projector, white
backgrounds so screenshots and exported figures can go straight into a paper."""
from __future__ import annotations

import weakref

import numpy as np
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


def pt(size: float) -> float:
    return round(size * _scale, 1)


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


def make_plot(title: str = "", legend_offset=(-10, 10)) -> pg.PlotWidget:
    """A white PlotWidget with large fonts and a legend."""
    configure_pyqtgraph()
    w = pg.PlotWidget()
    item = w.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setTextPen("k")
        axis.setPen(pg.mkPen("k", width=1))
        axis.enableAutoSIPrefix(False)      # "(x1e-06)" on a log axis only confuses
    legend = item.addLegend(offset=legend_offset, labelTextSize=f"{pt(LEGEND_PT)}pt",
                            labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 215),
                            pen=pg.mkPen("#bbbbbb"))
    legend.setZValue(100)
    w._title = title
    apply_fonts(w)
    _plots.add(w)
    return w


def apply_fonts(plot: pg.PlotWidget) -> None:
    """(Re)apply the text sizes: ticks, title, and — at their next update — labels and legend."""
    item = plot.getPlotItem()
    tick_font = QFont()
    tick_font.setPointSizeF(pt(TICK_PT))
    for name in ("left", "bottom"):
        item.getAxis(name).setTickFont(tick_font)
    if plot._title:
        item.setTitle(plot._title, size=f"{pt(TITLE_PT)}pt", color="k")
    item.legend.opts["labelTextSize"] = f"{pt(LEGEND_PT)}pt"
    labels = getattr(plot, "_labels", None)
    plot._labels = None
    plot._legend_items = None
    if labels:
        set_labels(plot, *labels)


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


def apply_scales(plot: pg.PlotWidget) -> None:
    """Lines `line_scale()` times as thick and in-plot texts (line labels, messages) at the
    text scale: pyqtgraph sizes these per item, so the items are visited after every redraw."""
    for item in plot.getPlotItem().items:
        texts = []
        if isinstance(item, pg.PlotDataItem):
            pen = pg.mkPen(item.opts["pen"]) if item.opts["pen"] is not None else None
            if pen is not None and pen.style() != QtCore.Qt.PenStyle.NoPen:
                base = _scaled(item, "pen", pen.widthF())
                target = base if _line_scale == 1.0 else max(base, 1.0) * _line_scale
                if abs(pen.widthF() - target) > 1e-9:
                    pen.setWidthF(target)
                    item.setPen(pen)
                item._hx_pen = (base, target)
        elif isinstance(item, pg.InfiniteLine):
            pen = QPen(item.pen)
            base = _scaled(item, "pen", pen.widthF())
            target = base if _line_scale == 1.0 else max(base, 1.0) * _line_scale
            if abs(pen.widthF() - target) > 1e-9:
                pen.setWidthF(target)
                item.setPen(pen)
            item._hx_pen = (base, target)
            if item.label is not None:
                texts.append(item.label)
        elif isinstance(item, pg.TextItem):
            texts.append(item)
        for text in texts:
            font = text.textItem.font()
            size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
            base = _scaled(text, "font", size)
            target = round(base * _scale, 1)
            if abs(size - target) > 1e-9:
                font.setPointSizeF(target)
                text.setFont(font)
            text._hx_font = (base, target)


CORNERS = {  # legend anchor: (item point, parent point, offset)
    "top-right": ((1, 0), (1, 0), (-10, 10)),
    "bottom-left": ((0, 1), (0, 1), (10, -10)),
    "top-left": ((0, 0), (0, 0), (10, 10)),
    "bottom-right": ((1, 1), (1, 1), (-10, -10)),
    "middle-right": ((1, 0.5), (1, 0.5), (-10, 0)),
    "middle-left": ((0, 0.5), (0, 0.5), (10, 0)),
}


def place_legend(plot: pg.PlotWidget, curves, box=(0.5, 0.4)) -> str:
    """Put the legend in the corner that hides the fewest plotted points.

    curves: (x, y) arrays in view coordinates (log₁₀ already applied on log axes); the legend
    is taken to cover a `box` fraction (width, height) of the view in its corner."""
    item = plot.getPlotItem()
    (x0, x1), (y0, y1) = item.viewRange()
    if not (x1 > x0 and y1 > y0):
        return getattr(plot, "_legend_corner", "")
    pts = [np.column_stack([(np.asarray(x) - x0) / (x1 - x0), (np.asarray(y) - y0) / (y1 - y0)])
           for x, y in curves if np.size(x)]
    pts = np.concatenate(pts) if pts else np.zeros((0, 2))
    bw, bh = box
    cover = {
        "top-right": (pts[:, 0] > 1 - bw) & (pts[:, 1] > 1 - bh),
        "bottom-left": (pts[:, 0] < bw) & (pts[:, 1] < bh),
        "top-left": (pts[:, 0] < bw) & (pts[:, 1] > 1 - bh),
        "bottom-right": (pts[:, 0] > 1 - bw) & (pts[:, 1] < bh),
        "middle-right": (pts[:, 0] > 1 - bw) & (np.abs(pts[:, 1] - 0.5) < bh / 2),
        "middle-left": (pts[:, 0] < bw) & (np.abs(pts[:, 1] - 0.5) < bh / 2),
    }
    best = min(cover, key=lambda k: (int(cover[k].sum()), list(CORNERS).index(k)))
    if best != getattr(plot, "_legend_corner", None):
        item_pos, parent_pos, offset = CORNERS[best]
        item.legend.anchor(item_pos, parent_pos, offset=offset)
        plot._legend_corner = best
    return best


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
    style = {"font-size": f"{pt(LABEL_PT)}pt", "color": "#000"}
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
            if label.text != text:
                label.setText(text)
        legend.setVisible(bool(entries))
        return
    legend.clear()
    for item, text in entries:
        legend.addItem(item, text)
    plot._legend_items = items
    legend.setVisible(bool(entries))
