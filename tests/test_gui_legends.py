"""Legends a lecture hall can read (issue 19): at 1024 × 768, in normal and presentation mode,
every visible legend shows each of its texts whole — no "…", and each text inside its plot."""
import pytest

RUN_TIMEOUT = 60_000
PRESETS = ("01_linear_10x20", "07_erf_slow_tail", "09_slow_mode_anatomy", "11_edge_of_stability")


def visible_legends(window):
    """(view name, plot widget, legend) of every legend a person sees now."""
    for name, view in window.views.items():
        plots = [view.plot] + [p for p in vars(view).values()
                               if p is not view.plot and hasattr(p, "getPlotItem")]
        for plot in plots:
            legend = plot.getPlotItem().legend
            if plot.isVisible() and legend.isVisible() and legend.items:
                yield name, plot, legend


def cut_texts(window) -> list[str]:
    """Every legend text shown cut, or reaching outside its plot widget."""
    bad = []
    for name, plot, legend in visible_legends(window):
        view_rect = plot.viewport().rect()
        for _, label in legend.items:
            shown = label.item.toPlainText()
            # the text's box in the plot widget's pixels
            box = plot.mapFromScene(label.item.mapToScene(label.item.boundingRect())).boundingRect()
            if "…" in shown or shown.split() != label.text.split() \
                    or box.left() < 0 or box.right() > view_rect.right() + 1:
                bad.append(f"{name}: {shown!r} at x {box.left()}–{box.right()} of {view_rect.width()}")
    return bad


@pytest.mark.parametrize("preset", PRESETS)
def test_legend_texts_are_whole_at_1024x768(window, qtbot, preset):
    window.resize(1024, 768)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.load_preset(preset)
    seen = 0
    for presentation in (False, True):
        window.set_presentation(presentation)
        qtbot.wait(50)                      # resize events, then the legends refit
        seen += len(list(visible_legends(window)))
        assert cut_texts(window) == [], f"presentation={presentation}"
    window.set_presentation(False)
    assert seen or preset == "09_slow_mode_anatomy", "no legend shown"   # 09: the Modes view, no legend


def test_a_narrow_plot_folds_what_the_summary_says_then_wraps(qtbot):
    """The tiled wall gave plots of about 300 × 290 px: the legend then folds the entries the
    summary states into one, and wraps what is still too wide — no text cut."""
    import pyqtgraph as pg

    from gui import style

    plot = style.make_plot("narrow", legend_columns=3)
    qtbot.addWidget(plot)
    plot.resize(300, 290)
    plot.show()
    curves = [pg.PlotDataItem([0, 1], [0, 1], pen=c) for c in (style.BLUE, style.GREEN, style.GREY)]
    for c in curves:
        plot.addItem(c)
    lines = [pg.PlotDataItem(pen=c) for c in (style.BLUE, style.ORANGE, style.GREY, style.VERMILLION)]
    fold = (pg.PlotDataItem(pen=None), "lines: named in the summary above")
    entries = [(curves[0], "teacher 1"), (curves[1], "teachers 2–2000"),
               (curves[2], "theory: χ² ⊛ Marchenko–Pastur (N → ∞), KS = 0.012")]
    entries += [(line, f"line number {i}", True) for i, line in enumerate(lines)]
    style.set_legend(plot, entries, fold=fold)
    qtbot.wait(20)
    texts = [label.text for _, label in plot.getPlotItem().legend.items]
    assert texts == [t for _, t in entries[:3]] + [fold[1]]
    legend = plot.getPlotItem().legend
    for _, label in legend.items:
        box = plot.mapFromScene(label.item.mapToScene(label.item.boundingRect())).boundingRect()
        assert "…" not in label.item.toPlainText() and 0 <= box.left() and box.right() <= plot.width()
    # Wide enough, everything is there, each text on one line.
    plot.resize(1400, 900)
    qtbot.wait(20)
    assert [label.text for _, label in legend.items] == [e[1] for e in entries]
    assert all(label.item.textWidth() < 0 for _, label in legend.items)


def drawn_colours(window):
    """(where, QColor) of every line, marker and text the views draw now, and of the
    coloured words of their summaries: fills and colour maps aside."""
    import re

    import pyqtgraph as pg
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QLabel

    for name, view in window.views.items():
        plots = [view.plot] + [p for p in vars(view).values() if p is not view.plot and hasattr(p, "getPlotItem")]
        for plot in plots:
            for item in plot.getPlotItem().items:
                if isinstance(item, pg.PlotDataItem):
                    if item.opts["pen"] is not None:
                        yield f"{name} curve", pg.mkPen(item.opts["pen"]).color()
                    if item.opts.get("symbol") is not None and item.opts.get("symbolBrush") is not None:
                        yield f"{name} marker", pg.mkBrush(item.opts["symbolBrush"]).color()
                elif isinstance(item, pg.InfiniteLine):
                    yield f"{name} line", item.pen.color()
                    if getattr(item, "label", None) is not None:
                        yield f"{name} line label", item.label.color
                elif isinstance(item, pg.TextItem) and item is not view.readout:
                    yield f"{name} text", item.color
        for label in view.findChildren(QLabel):
            for hex_colour in re.findall(r"color:\s*(#[0-9A-Fa-f]{6})", label.text()):
                yield f"{name} summary", QColor(hex_colour)


@pytest.mark.parametrize("preset", ("01_linear_10x20", "07_erf_slow_tail", "11_edge_of_stability"))
def test_every_line_and_text_colour_has_3_to_1_contrast_on_white(window, qtbot, preset):
    """Issue 19: the teachers' curves were #A9D9F4 on white (1.5:1), orange 2.25:1."""
    from gui import style
    from gui.views.sweep import SERIES_COLOURS

    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.load_preset(preset)
    window.controller.want({"anatomy", "landscape"})       # the anatomy views drawn too
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT)
    colours = list(drawn_colours(window))
    assert len(colours) > 10
    low = {(where, c.name(c.NameFormat.HexArgb), round(style.contrast_on_white(c), 2))
           for where, c in colours if c.alpha() and style.contrast_on_white(c) < style.CONTRAST_MIN}
    assert low == set()
    # ... and the palettes that only some runs use (more slow modes, a sweep's series)
    for c in style.SLOW_MODE_COLOURS + SERIES_COLOURS:
        assert style.contrast_on_white(c) >= style.CONTRAST_MIN, c
