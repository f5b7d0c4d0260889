"""Fonts, colours and plot set-up shared by the views: large type for a projector, white
backgrounds so screenshots and exported figures can go straight into a paper."""
from __future__ import annotations

import math
import weakref

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen, QResizeEvent, QTextDocument
from PySide6.QtWidgets import QLabel

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
    whole_pixels(item.getAxis("left"))
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
    item.vb.sigResized.connect(lambda *_: fit_texts(w))
    w.installEventFilter(_TEXT_FITTER)
    lay_out_when_hidden(w)
    w._title = title
    apply_fonts(w)
    _plots.add(w)
    return w


def lay_out_when_hidden(plot: pg.PlotWidget) -> None:
    """Resized while hidden (a view on another page than the one shown, exported at a figure's
    size by gui.export.figure_shape), a widget gets its resize event only when it is shown
    again: the plot kept its old layout and the figure was that layout scaled — tiny text in a
    small figure. Such a resize is delivered at once."""
    resize = plot.resize

    def resize_now(*size) -> None:
        old = plot.size()
        resize(*size)
        if not plot.isVisible() and plot.size() != old:
            # (QApplication.sendEvent of a QResizeEvent did not reach a hidden view's handler)
            plot.resizeEvent(QResizeEvent(plot.size(), old))
            fit_texts(plot)

    plot.resize = resize_now


def apply_fonts(plot: pg.PlotWidget) -> None:
    """(Re)apply the text sizes: ticks, title, and — at their next update — labels and legend."""
    item = plot.getPlotItem()
    tick_font = QFont()
    tick_font.setPointSizeF(pt(TICK_PT, plot))
    for name in ("left", "bottom", "right"):
        item.getAxis(name).setTickFont(tick_font)
    if plot._title:
        item.setTitle(plot._title, size=f"{pt(TITLE_PT, plot)}pt", color="k")
        shrinkable(item.titleLabel)               # a long title shrinks or wraps (fit_title)
        plot._title_shown = None
        fit_title(plot)
    item.legend.opts["labelTextSize"] = f"{pt(LEGEND_PT, plot)}pt"
    labels = getattr(plot, "_labels", None)
    plot._labels = None
    plot._legend_items = None
    if labels:
        set_labels(plot, *labels)


def whole_pixels(axis: pg.AxisItem) -> None:
    """A vertical axis as wide as pyqtgraph asks, rounded up to a whole pixel: from a
    fractional width (72.39375 px) Qt's grid layout gave the view box 1 ulp more or less
    depending on its history, and a pixel column at the edge of the data came and went between
    two runs' screenshots. (Heights are left alone: rounded, they moved exported figures.)"""
    update_width = axis._updateWidth

    def width() -> None:
        update_width()
        w = axis.maximumWidth()
        if w < 1e6 and w != math.ceil(w):
            axis.setMaximumWidth(math.ceil(w))
            axis.setMinimumWidth(math.ceil(w))

    axis._updateWidth = width
    width()


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


class Summary(QLabel):
    """The word-wrapped line of text above a plot: as tall as its text needs at its width, so
    no word is ever cut (at a projector's size a fixed three lines were not enough), and at
    least `lines` lines, so that a live update which keeps the number of lines (most do) does
    not re-lay out — and repaint — the plot below it."""

    MAX_LINES = 6        # a text longer than this (never seen) is cut rather than squeeze the plot

    def __init__(self, lines: int = 2, rich: bool = False, parent=None):
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextFormat(QtCore.Qt.TextFormat.RichText if rich else QtCore.Qt.TextFormat.PlainText)
        self.lines = lines
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._fit()

    def _fit(self) -> None:
        line = self.fontMetrics().lineSpacing()
        height = line * self.lines + 6
        if self.isVisible() and self.text():        # before it is laid out its width means nothing
            height = min(max(height, self.needed_height()), line * self.MAX_LINES + 6)
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()

    def needed_height(self) -> int:
        """The height the text takes at the label's width, in its font. (QLabel.heightForWidth
        answered from sizes cached before a change of font: six lines for three drawn.)"""
        doc = QTextDocument()
        doc.setDefaultFont(self.font())
        doc.setDocumentMargin(0)
        if self.textFormat() == QtCore.Qt.TextFormat.RichText:
            doc.setHtml(self.text())
        else:
            doc.setPlainText(self.text())
        doc.setTextWidth(max(1, self.contentsRect().width()))
        return int(np.ceil(doc.size().height())) + 6


def set_grid(plot: pg.PlotWidget, on: bool) -> None:
    """Grid lines: off by default — pyqtgraph redraws them with the axes on every live update,
    which roughly doubles the cost of a repaint (View → Grid lines turns them on)."""
    plot.getPlotItem().showGrid(x=on, y=on, alpha=0.18 if on else 0)


Label = "str | tuple[str, ...] | None"
LABEL_SHRINK_MIN = 0.7    # an axis label shrinks to this share of its size before it would be cut


def set_labels(plot: pg.PlotWidget, x: Label, y: Label) -> None:
    """Axis labels: a text, or texts from the fullest to the shortest, of which the axis shows
    the fullest that fits its length (see fit_labels); None for an axis without one."""
    if getattr(plot, "_labels", None) == (x, y):
        return
    plot._labels = (x, y)
    plot._labels_shown = {}
    fit_labels(plot)


TITLE_SHRINK_MIN = 0.7    # a title shrinks to this share of its size, then wraps


def fit_title(plot: pg.PlotWidget) -> None:
    """The title whole within the plot widget: centred over the data, it may reach as far as
    the nearer edge of the widget allows on both sides. Too long at its size, it is set smaller
    (down to TITLE_SHRINK_MIN) and, if still too long, wraps at word boundaries onto more lines
    (the layout gives it their height); it is never cut. Refitted on every resize."""
    title = getattr(plot, "_title", "")
    item = plot.getPlotItem()
    label = item.titleLabel
    if not title or not label.isVisible() or plot.width() < 50:
        return
    box = item.vb.sceneBoundingRect()
    centre = box.center().x() if box.width() > 1 else plot.width() / 2
    avail = 2 * max(1.0, min(centre, plot.width() - centre)) - TEXT_MARGIN
    size = pt(TITLE_PT, plot)
    font = QFont()
    font.setPointSizeF(size)
    natural = QFontMetricsF(font).horizontalAdvance(title) + TEXT_MARGIN
    if natural > avail:
        size = round(size * max(TITLE_SHRINK_MIN, avail / natural), 1)
        font.setPointSizeF(size)
    wrap = QFontMetricsF(font).horizontalAdvance(title) + TEXT_MARGIN > avail
    choice = (size, round(avail) if wrap else -1)
    if getattr(plot, "_title_shown", None) == choice:
        return
    plot._title_shown = choice
    label.setText(title, size=f"{size}pt", color="k")
    text = label.item
    option = text.document().defaultTextOption()
    option.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
    text.document().setDefaultTextOption(option)
    text.setTextWidth(choice[1])
    label.updateMin()
    label.resizeEvent(None)                  # centred again at its new width


def fit_labels(plot: pg.PlotWidget) -> None:
    """Show each axis label whole at the text size of the moment (presentation mode: larger):
    the fullest of its texts that fits the axis, else the shortest made smaller, down to
    LABEL_SHRINK_MIN of its size. Refitted on every resize (fit_texts); a label is only
    set when its choice changes (setting one re-lays out the plot)."""
    labels = getattr(plot, "_labels", None)
    if not labels:
        return
    item = plot.getPlotItem()
    size = pt(LABEL_PT, plot)
    font = QFont()
    font.setPointSizeF(size)
    metrics = QFontMetricsF(font)
    for side, texts in (("bottom", labels[0]), ("left", labels[1])):
        if texts is None:
            continue
        texts = (texts,) if isinstance(texts, str) else tuple(texts)
        axis = item.getAxis(side)
        # the label's item: its text, a space pyqtgraph appends, a 4 px margin on both sides
        length = (axis.width() if side == "bottom" else axis.height()) - 2 * 4 - 2
        choice = (texts[0], size)
        if length > 50:                      # laid out (a new plot's axes are a few px long)
            fitting = [t for t in texts if metrics.horizontalAdvance(t + " ") <= length]
            if fitting:
                choice = (fitting[0], size)
            else:
                shrink = length / metrics.horizontalAdvance(texts[-1] + " ")
                choice = (texts[-1], round(size * max(LABEL_SHRINK_MIN, shrink), 1))
        if plot._labels_shown.get(side) != choice:
            plot._labels_shown[side] = choice
            item.setLabel(side, choice[0], **{"font-size": f"{choice[1]}pt", "color": "#000"})
        axis.resizeEvent(None)     # centre it again: pyqtgraph centres a label only on a resize
                                   # of its axis, and one set or shrunk while hidden stayed off-centre


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
    legend.setVisible(bool(entries) and getattr(plot, "_legend_place", "auto") != "off")


def fit_texts(plot: pg.PlotWidget) -> None:
    """Refit every text of a plot to its size: legend, title, axis labels (the one call made
    on every resize, of the widget or of its data area)."""
    fit_legend(plot)
    fit_title(plot)
    fit_labels(plot)


class _TextFitter(QtCore.QObject):
    """fit_texts when a plot widget is resized."""

    def eventFilter(self, obj, event):
        if event.type() == QtCore.QEvent.Type.Resize:
            fit_texts(obj)
        return False


_TEXT_FITTER = _TextFitter()


LEGEND_SHARE = 1 / 3      # a legend below the plot: at most this share of the plot's height
BESIDE_GAIN = 1.1         # a legend moves beside the plot when the data's shorter side gains this
DATA_ASPECT = 1.6         # ... its width counted over this
LEGEND_GAP = 18.0         # the legend layout's spacing, also between a sample and its text
LEGEND_SAMPLE = 30.0      # the width of an entry's line sample
TEXT_MARGIN = 8.0         # a QGraphicsTextItem's document margins, both sides together


def legend_font(plot: pg.PlotWidget) -> QFont:
    """The font the legend's texts are drawn in (the application's, at the legend's size)."""
    font = QFont()
    font.setPointSizeF(float(str(plot.getPlotItem().legend.opts["labelTextSize"]).rstrip("pt")))
    return font


def _legend_plan(texts: list[str], metrics: QFontMetricsF, avail: float, limit: float,
                 preferred: int) -> tuple[bool, int, float, float]:
    """(fits, columns, room, height): the legend layout for these texts in `avail` px of width,
    every text whole. fits: each text on one line and the legend within `limit` px of height.
    room: the width (margins included) a text wraps at; height: the legend's."""
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
            best = (key, cols, room, height)
    (bad, *_), cols, room, height = best
    return not bad, cols, room, height


QWIDGETSIZE_MAX = 16777215


def _place_legend(plot: pg.PlotWidget, where: str) -> None:
    """Put the legend below the plot area (LEGEND_ROW) or beside it (column 3 of the view's row)."""
    if getattr(plot, "_legend_at", "below") == where:
        return
    item = plot.getPlotItem()
    item.layout.removeItem(item.legend)
    if where == "right":
        item.layout.addItem(item.legend, 2, 3)
        item.layout.setAlignment(item.legend, QtCore.Qt.AlignmentFlag.AlignTop)
    else:
        item.legend.setMaximumHeight(QWIDGETSIZE_MAX)
        item.layout.addItem(item.legend, LEGEND_ROW, 1)
    plot._legend_at = where


def _beside_room(plot: pg.PlotWidget, texts: list[str], metrics: QFontMetricsF) -> tuple[float, float]:
    """(room, width) of a one-column legend beside the plot: texts wrap at `room` (at most 40 %
    of the plot's width, never inside a word) and the legend is `width` px wide."""
    word = max(metrics.horizontalAdvance(w) for t in texts for w in t.split()) + TEXT_MARGIN + 2
    room = max(word, 0.4 * plot.width() - LEGEND_SAMPLE)
    widest = max(metrics.horizontalAdvance(t) + TEXT_MARGIN + 2 for t in texts)
    return room, min(room, widest) + LEGEND_SAMPLE + LEGEND_GAP


def fit_legend(plot: pg.PlotWidget) -> None:
    """Fit the legend into the plot's own widget, every text whole.

    Below the plot: as many columns as fit — the view's preferred number if each text then
    stays on one line and the legend within LEGEND_SHARE of the plot's height. Otherwise the
    entries the view's summary already states fold into one (set_legend's `fold`), and if it
    still does not fit, the texts wrap at word boundaries in the column count that makes the
    legend shortest — or, where that leaves the data a shorter side than a legend beside the
    plot would (a wide, low plot: the Learning page in presentation mode), the legend moves
    beside the plot in one column. A text is never cut. Measured on the plot widget as it is
    now, so any layout (one view per page, full screen, a figure) gets its own fit on every
    resize. A figure's `_legend_place` ("below", "right", "off") fixes the place instead."""
    legend = plot.getPlotItem().legend
    spec = getattr(plot, "_legend_spec", None)
    if spec is None:          # entries pyqtgraph added itself (items made with a name): from
        if not legend.items:  # now on as if set_legend had named them (rebuilt at each text size)
            return
        spec = plot._legend_spec = ([(sample.item, label.text, False) for sample, label in legend.items], None)
    entries, fold = spec
    full = [(item, text) for item, text, _ in entries]
    place = getattr(plot, "_legend_place", "auto")
    if not entries or place == "off":
        _place_legend(plot, "below")
        _show_entries(plot, full)
        return
    item = plot.getPlotItem()
    metrics = QFontMetricsF(legend_font(plot))
    texts = [t for _, t in full]
    if place == "right":
        _beside(plot, full, metrics)
        return
    # the widget's width, not the view box's: an over-wide legend has widened the box already
    avail = plot.width() - item.getAxis("left").width() - 24
    limit = plot.height() * LEGEND_SHARE
    preferred = max(1, getattr(plot, "_legend_columns", 2))
    fits, cols, room, height = _legend_plan(texts, metrics, avail, limit, min(preferred, len(full)))
    shown = full
    if not fits and fold is not None and any(f for *_, f in entries):
        shown = [(i, t) for i, t, f in entries if not f] + [fold]
        fits, cols, room, height = _legend_plan([t for _, t in shown], metrics, avail, limit,
                                                min(preferred, len(shown)))
    if place == "auto":
        # the data area's shorter side (its width counted over DATA_ASPECT: a curve reads best
        # in a wide box), legend below against legend beside: beside when that makes it
        # clearly (BESIDE_GAIN times) longer, so a plot does not flip at every pixel
        chrome = item.getAxis("bottom").height() + (item.titleLabel.height() if item.titleLabel.isVisible() else 0)
        tall = plot.height() - chrome
        _, width = _beside_room(plot, texts, metrics)
        if min((avail - width) / DATA_ASPECT, tall) > BESIDE_GAIN * min(avail / DATA_ASPECT, tall - height):
            _beside(plot, full, metrics)
            return
    _place_legend(plot, "below")
    _show_entries(plot, shown)
    _apply_plan(plot, cols, room, metrics)


def _beside(plot: pg.PlotWidget, entries: list, metrics: QFontMetricsF) -> None:
    """The legend beside the plot: one column, its texts wrapped at _beside_room's width."""
    _place_legend(plot, "right")
    _show_entries(plot, entries)
    room, _ = _beside_room(plot, [t for _, t in entries], metrics)
    _apply_plan(plot, 1, room, metrics)
    legend = plot.getPlotItem().legend      # its own height, at the top: not spread down the plot
    legend.setMaximumHeight(legend.layout.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).height())


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
