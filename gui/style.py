"""Fonts, colours and plot set-up shared by the views: large type for a projector, white
backgrounds so screenshots and exported figures can go straight into a paper."""
from __future__ import annotations

import weakref

import pyqtgraph as pg
from PySide6 import QtCore
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

# Okabe–Ito: distinguishable with every common colour-vision deficiency. Orange, sky blue,
# yellow and reddish purple are darker variants of its hues (same hue and saturation, less
# lightness) so that every line and text reaches a contrast of 3:1 on white (WCAG 2's minimum
# for graphics; before: 2.25, 2.31, 2.03 and 3.06). CONTRAST_MIN is checked by
# tests/test_gui_legends.py on every colour the views draw.
CONTRAST_MIN = 3.0
BLUE = "#0072B2"        # 5.19:1
ORANGE = "#BB8100"      # 3.36:1 (Okabe–Ito #E69F00)
GREEN = "#009E73"       # 3.42:1
VERMILLION = "#D55E00"  # 3.87:1
PURPLE = "#C870A1"      # 3.34:1 (#CC79A7)
SKY = "#1C95D9"         # 3.31:1 (#56B4E9)
YELLOW = "#9B8E00"      # 3.35:1 (#C9B800, itself a darker #F0E442)
BLACK = "#000000"
GREY = "#777777"        # 4.48:1


def contrast_on_white(c) -> float:
    """WCAG 2 contrast ratio of a colour (its alpha blended over white) against white."""
    c = QColor(c)
    a = c.alphaF()

    def linear(x: float) -> float:
        x = a * x + 1 - a
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())
    return 1.05 / (lum + 0.05)

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


_SUBSCRIPT = str.maketrans("0123456789+-", "₀₁₂₃₄₅₆₇₈₉₊₋")


def subscript(value) -> str:
    """A number as Unicode subscript digits (v₁₂): plain text, so it measures, wraps and
    exports (SVG, PDF) like any other text — a literal "v_12" only looks like code."""
    return str(value).translate(_SUBSCRIPT)


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


def set_legend(plot: pg.PlotWidget, entries: list, fold: tuple | None = None) -> None:
    """Show these legend entries: (item, text), or (item, text, True) for one the view's
    summary already states. `fold` is the one (item, text) entry that stands for all of those
    when the legend would not otherwise fit (see fit_legend)."""
    plot._legend_spec = ([(e[0], e[1], len(e) > 2 and bool(e[2])) for e in entries], fold)
    fit_legend(plot)


def _show_entries(plot: pg.PlotWidget, entries: list) -> None:
    """Exactly these (item, text) entries: rebuilt only when the items change, otherwise the
    texts are updated in place (a rebuild on every live update is slow)."""
    legend = plot.getPlotItem().legend
    items = [item for item, _ in entries]
    if getattr(plot, "_legend_items", None) == items and len(legend.items) == len(entries):
        for (_, label), (_, text) in zip(legend.items, entries):
            if label.text != text:
                label.setText(text)
    else:
        legend.clear()
        for item, text in entries:
            legend.addItem(item, text)
        plot._legend_items = items
    legend.setVisible(bool(entries) and getattr(plot, "_legend_place", "below") != "off")


class _LegendFitter(QtCore.QObject):
    """Refit a plot's legend when its widget is resized (see fit_legend)."""

    def eventFilter(self, obj, event):
        if event.type() == QtCore.QEvent.Type.Resize:
            fit_legend(obj)
        return False


_LEGEND_FITTER = _LegendFitter()


LEGEND_SHARE = 1 / 3      # a legend below the plot: at most this share of the plot's height
LEGEND_GAP = 18.0         # the legend layout's spacing, also between a sample and its text
LEGEND_SAMPLE = 30.0      # the width of an entry's line sample
TEXT_MARGIN = 8.0         # a QGraphicsTextItem's document margins, both sides together


def legend_font(plot: pg.PlotWidget) -> QFont:
    """The font the legend's texts are drawn in (the application's, at the legend's size)."""
    font = QFont()
    font.setPointSizeF(float(str(plot.getPlotItem().legend.opts["labelTextSize"]).rstrip("pt")))
    return font


def _legend_plan(texts: list[str], metrics: QFontMetricsF, avail: float, limit: float,
                 preferred: int) -> tuple[bool, int, float]:
    """(fits, columns, room): the legend layout for these texts in `avail` px of width, every
    text whole. fits: each text on one line and the legend within `limit` px of height. room:
    the width (margins included) a text wraps at."""
    n = len(texts)
    natural = [metrics.horizontalAdvance(t) + TEXT_MARGIN + 2 for t in texts]
    word = max((metrics.horizontalAdvance(w) for t in texts for w in t.split()), default=0.0) + TEXT_MARGIN + 2
    line = metrics.lineSpacing()
    best = None
    for cols in range(n, 0, -1):
        room = (avail - (cols - 1) * LEGEND_GAP) / cols - LEGEND_SAMPLE - LEGEND_GAP
        if room < word and cols > 1:
            continue
        room = max(room, word)
        heights = [line + TEXT_MARGIN if w <= room else metrics.boundingRect(
            QtCore.QRectF(0, 0, room - TEXT_MARGIN, 1e6), QtCore.Qt.TextFlag.TextWordWrap, t).height()
            + TEXT_MARGIN for t, w in zip(texts, natural)]
        height = sum(max(heights[r:r + cols]) for r in range(0, n, cols))
        wraps = any(w > room for w in natural)
        bad = wraps or height > limit
        # whole lines within the height limit: the view's preferred column count, or the
        # nearest; otherwise the shortest legend, unwrapped if possible
        key = (bad, wraps, height if bad else 0.0, cols > preferred, abs(cols - preferred))
        if best is None or key < best[0]:
            best = (key, cols, room)
    (bad, *_), cols, room = best
    return not bad, cols, room


def fit_legend(plot: pg.PlotWidget) -> None:
    """Fit the legend below the plot into the plot's own width, every text whole.

    As many columns as fit — the view's preferred number if each text then stays on one line
    and the legend within LEGEND_SHARE of the plot's height. Otherwise the entries the view's
    summary already states fold into one (set_legend's `fold`), and if it still does not fit,
    the texts wrap at word boundaries in the column count that makes the legend shortest. A
    text is never cut. Measured on the plot widget as it is now, so any layout (tiled, one
    view per page, full screen, a figure) gets its own fit on every resize."""
    legend = plot.getPlotItem().legend
    spec = getattr(plot, "_legend_spec", None)
    if spec is None:          # entries pyqtgraph added itself (items made with a name)
        if not legend.items:
            return
        spec = ([(sample.item, label.text, False) for sample, label in legend.items], None)
        plot._legend_items = [e[0] for e in spec[0]]
    entries, fold = spec
    full = [(item, text) for item, text, _ in entries]
    place = getattr(plot, "_legend_place", "below")
    if not entries or place == "off":
        _show_entries(plot, full)
        return
    item = plot.getPlotItem()
    metrics = QFontMetricsF(legend_font(plot))
    if place == "right":
        # beside the plot (a figure export): one column, at most 40 % of the width, wrapped
        _show_entries(plot, full)
        texts = [label.text for _, label in legend.items]
        word = max(metrics.horizontalAdvance(w) for t in texts for w in t.split()) + TEXT_MARGIN + 2
        room = max(word, 0.4 * plot.width() - LEGEND_SAMPLE)
        _apply_plan(plot, 1, room, metrics)
        return
    # the widget's width, not the view box's: an over-wide legend has widened the box already
    avail = plot.width() - item.getAxis("left").width() - 24
    limit = plot.height() * LEGEND_SHARE
    preferred = max(1, getattr(plot, "_legend_columns", 2))
    fits, cols, room = _legend_plan([t for _, t in full], metrics, avail, limit, min(preferred, len(full)))
    shown = full
    if not fits and fold is not None and any(f for *_, f in entries):
        shown = [(i, t) for i, t, f in entries if not f] + [fold]
        _, cols, room = _legend_plan([t for _, t in shown], metrics, avail, limit, min(preferred, len(shown)))
    _show_entries(plot, shown)
    _apply_plan(plot, cols, room, metrics)


def _apply_plan(plot: pg.PlotWidget, cols: int, room: float, metrics: QFontMetricsF) -> None:
    """Lay the legend out in `cols` columns, texts wider than `room` wrapped at it."""
    item = plot.getPlotItem()
    legend = item.legend
    for _, label in legend.items:
        wrap = metrics.horizontalAdvance(label.text) + TEXT_MARGIN + 2 > room
        width = room if wrap else -1
        if label.item.textWidth() != width:
            label.item.setTextWidth(width)
            label.updateMin()
    if getattr(legend, "columnCount", None) != cols:
        legend.setColumnCount(cols)
    legend.updateSize()
    # A plot item once laid out wider than its widget keeps that width until the widget is
    # resized again: give it the widget's size back now that it fits.
    if item.geometry().width() > plot.width() + 1:
        item.layout.activate()
        item.setGeometry(QtCore.QRectF(0, 0, plot.width(), plot.height()))
