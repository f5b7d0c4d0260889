"""Pages a lecture hall can read: every preset, in the real window at 1024 × 768, normal and
presentation mode. On the page the preset opens and on every page that has data, each plot's
data area (its ViewBox, mapped to widget pixels and cut to what its ancestors show) is at least
260 × 160 px (normal) or 400 × 250 px (presentation), no two overlap, tick labels are at least
20 px in presentation mode, and no legend text is cut ("…"). F11 twice puts the window back
as it was; Esc leaves every page saying what it shows.

Offscreen, showFullScreen makes the window the size of the offscreen screen (800 × 800): the
test then resizes the full-screen window to 1024 × 768, a projector's size, itself.
"""
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontInfo

ROOT = Path(__file__).resolve().parent.parent
PRESETS = sorted(p.stem for p in (ROOT / "resources" / "presets").glob("*.json"))
RUN_TIMEOUT = 120_000
SIZE = (1024, 768)
MIN_AREA = {False: (260, 160), True: (400, 250)}
MIN_TICK_PX = 20


@pytest.fixture(autouse=True)
def app_font(qapp):
    """The application's own font (gui.app.create_app: at least 11 pt), not the test runner's
    smaller default: the pages are measured as a person sees them."""
    font = qapp.font()
    real = type(font)(font)
    real.setPointSize(max(real.pointSize(), 11))
    qapp.setFont(real)
    yield
    qapp.setFont(font)


def settle(qtbot, window) -> None:
    """Wait for the jobs a page asked for (teacher 1 taken apart, a landscape), then redraws."""
    qtbot.waitUntil(lambda: not window.is_running(), timeout=RUN_TIMEOUT)
    qtbot.wait(120)                      # coalesced redraws (gui.views.base.REFRESH_MS)


def visible_rect(widget, window) -> QRect:
    """The part of `widget` on screen, in window pixels: its rect cut by every ancestor's
    (offscreen, visibleRegion() is empty)."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect &= QRect(parent.mapTo(window, QPoint(0, 0)), parent.size())
        parent = parent.parentWidget()
    return rect & window.rect()


def plots(window):
    """(view name, PlotWidget) of every plot with axes shown in the window."""
    for name, view in window.views.items():
        if view.isHidden():
            continue
        seen = []
        for plot in [view.plot, *view.findChildren(pg.PlotWidget)]:
            if isinstance(plot, pg.PlotWidget) and plot.isVisibleTo(window) and plot not in seen:
                seen.append(plot)
                yield name, plot


def data_area(plot, window) -> QRect:
    """The ViewBox's scene rect in window pixels, as much of it as is on screen."""
    box = plot.mapFromScene(plot.getPlotItem().vb.sceneBoundingRect()).boundingRect()
    return QRect(plot.mapTo(window, box.topLeft()), box.size()) & visible_rect(plot, window)


def has_data(plot) -> bool:
    """Curves, points, bars or an image drawn (a message alone is no data)."""
    for item in plot.getPlotItem().items:
        if isinstance(item, pg.PlotDataItem):
            x, _ = item.getData()
            if x is not None and len(x):
                return True
        elif isinstance(item, (pg.ScatterPlotItem,)) and len(item.data):
            return True
        elif isinstance(item, pg.ImageItem) and item.image is not None and item.isVisible():
            return True
        elif isinstance(item, pg.BarGraphItem) and item.opts.get("height") is not None \
                and len(item.opts["height"]):
            return True
    return False


def needed_height(label) -> int:
    """The height a label's text needs at its width, asked of a fresh QLabel with the same
    text, font and format (a label's own answer can come from sizes cached before a change of
    font)."""
    from PySide6.QtWidgets import QLabel

    fresh = QLabel()
    fresh.setFont(label.font())
    fresh.setTextFormat(label.textFormat())
    fresh.setWordWrap(True)
    fresh.setText(label.text())
    return fresh.heightForWidth(label.contentsRect().width())


def cut_labels(widget, window) -> list[str]:
    """The labels in a widget (summaries, the status line) whose text does not fit the room
    they have: a wrapped one needs more height, a single line more width."""
    from PySide6.QtWidgets import QLabel

    cut = []
    for label in widget.findChildren(QLabel):
        if not label.isVisibleTo(window) or not label.text().strip():
            continue
        room = label.contentsRect()
        if label.wordWrap():
            if needed_height(label) > room.height() + 1:
                cut.append(f"{label.text()[:60]!r} needs {needed_height(label)} px of height, "
                           f"has {room.height()}")
        elif label.minimumSizeHint().width() > room.width() + 1:
            cut.append(f"{label.text()[:60]!r} needs {label.minimumSizeHint().width()} px of "
                       f"width, has {room.width()}")
    return cut


def check_page(window, presentation: bool, problems: list, legends: list) -> list:
    """Measure the page shown; returns (view, w, h) of its plots."""
    page = window.page
    shown = list(plots(window))
    assert shown, f"{page}: no plot shown"
    min_w, min_h = MIN_AREA[presentation]
    areas = []
    for name, plot in shown:
        r = data_area(plot, window)
        areas.append((name, r))
        if r.width() < min_w or r.height() < min_h:
            problems.append(f"{page}/{name}: data area {r.width()}×{r.height()} px < {min_w}×{min_h}")
        if presentation:
            for side in ("left", "bottom"):
                axis = plot.getPlotItem().getAxis(side)
                if axis.isVisible():
                    px = QFontInfo(axis.style["tickFont"]).pixelSize()
                    if px < MIN_TICK_PX:
                        problems.append(f"{page}/{name}: {side} tick labels {px} px < {MIN_TICK_PX}")
        for side in ("left", "bottom"):
            axis = plot.getPlotItem().getAxis(side)
            if axis.isVisible() and axis.label.isVisible() and axis.label.toPlainText().strip():
                m = axis.label.document().documentMargin()     # blank on every side
                label = axis.label.mapRectToScene(axis.label.boundingRect().adjusted(m, m, -m, -m))
                room = axis.sceneBoundingRect().adjusted(-1, -1, 1, 1)
                inside = (room.top() <= label.top() and label.bottom() <= room.bottom()) if side == "left" \
                    else (room.left() <= label.left() and label.right() <= room.right())
                if not inside:
                    problems.append(f"{page}/{name}: {side} axis label {axis.label.toPlainText()!r} "
                                    f"reaches past its axis")
        box = plot.getPlotItem().vb.sceneBoundingRect().adjusted(-2, -2, 2, 2)
        for text in plot.scene().items():
            if isinstance(text, pg.TextItem) and text.isVisible() and text.toPlainText().strip() \
                    and text is not window.views[name].readout \
                    and box.intersects(text.mapRectToScene(text.boundingRect())) \
                    and not box.contains(text.mapRectToScene(text.boundingRect())):   # partly shown
                problems.append(f"{page}/{name}: text {text.toPlainText()[:40]!r} reaches out of the plot")
        legend = plot.getPlotItem().legend
        if legend is not None and legend.isVisible():
            shown_rect = visible_rect(plot, window)
            for _, label in legend.items:
                box = plot.mapFromScene(label.sceneBoundingRect()).boundingRect()
                box = QRect(plot.mapTo(window, box.topLeft()), box.size())
                if "…" in label.text or not shown_rect.contains(box):
                    legends.append(f"{page}/{name}: legend {label.text!r}")
    for name, widget in [*window.views.items(), ("status line", window.statusBar())]:
        if not widget.isHidden():
            problems.extend(f"{page}/{name}: text cut: {cut}" for cut in cut_labels(widget, window))
    for i, (a, ra) in enumerate(areas):
        for b, rb in areas[i + 1:]:
            if ra.intersects(rb):
                problems.append(f"{page}: the plot areas of {a} and {b} overlap")
    return [(name, r.width(), r.height()) for name, r in areas]


def check_pages(qtbot, window, opened: str, presentation: bool, problems: list, legends: list) -> dict:
    """Every page in turn: the one the preset opened, and each page that has data."""
    sizes = {}
    for page in window.pages:
        window.show_page(page)
        settle(qtbot, window)
        assert window.page == page
        if page != opened and not any(has_data(p) for _, p in plots(window)):
            continue
        assert (window.width(), window.height()) == SIZE, (page, window.size())
        sizes[page] = check_page(window, presentation, problems, legends)
    window.show_page(opened)
    return sizes


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_every_page_of_every_preset_is_readable_at_1024_by_768(window, qtbot, preset):
    window.resize(*SIZE)
    qtbot.wait(20)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.load_preset(preset)
    assert blocker.args == ["finished"], window.error_text()
    settle(qtbot, window)
    opened = window.page
    before = (window.geometry(), window.settings_dock.isVisible(), window.lesson_dock.isVisible())
    assert window.minimumSizeHint().width() <= SIZE[0] and window.minimumSizeHint().height() <= SIZE[1]
    problems, legends = [], []
    normal = check_pages(qtbot, window, opened, False, problems, legends)

    qtbot.keyClick(window, Qt.Key.Key_F11)                      # presentation mode
    assert window.presentation and window.isFullScreen() and window.page == opened
    qtbot.wait(20)
    window.resize(*SIZE)                                        # offscreen: see the docstring
    qtbot.wait(20)
    assert window.minimumSizeHint().width() <= SIZE[0] and window.minimumSizeHint().height() <= SIZE[1]
    presenting = check_pages(qtbot, window, opened, True, problems, legends)
    for mode, sizes in (("normal", normal), ("presentation", presenting)):    # shown by pytest -rP
        areas = [(w, h) for plots_ in sizes.values() for _, w, h in plots_]
        print(f"{preset} {mode}: pages {', '.join(sizes)}; smallest data area "
              f"{min(w for w, _ in areas)}×{min(h for _, h in areas)} px")
    window.show_page(list(window.pages)[-1])                    # leaving restores the page too
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.wait(20)
    assert not window.presentation and not window.isFullScreen()
    assert (window.geometry(), window.settings_dock.isVisible(), window.lesson_dock.isVisible()) == before
    assert window.page == opened
    assert not problems + legends, "\n".join(problems + legends)


def test_page_keys_links_and_a_detached_page(window, qtbot):
    """Ctrl+N and F12 choose pages; a lesson's page: link too; a detached page lives in its own
    window and comes back to its place among the tabs when that window closes."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    pages = list(window.pages)
    for i, page in enumerate(pages):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
        assert window.page == page
        assert [n for n, v in window.views.items() if not v.isHidden()] == \
            [n for n, v in window.views.items() if v.page == page]
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert window.page == pages[0]
    qtbot.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.page == pages[-1]
    assert window.config()["view"]["views"] == pages[-1]        # saved with the configuration
    window.lesson_panel.browser.anchorClicked.emit(pg.QtCore.QUrl("page:landscape"))
    assert window.page == "landscape"
    # detach the landscape: its own window, out of the tabs, its views still shown
    detached = window.detach_page("landscape")
    assert detached is not None and detached.isVisible() and window.page_tabs.indexOf(window.pages["landscape"]) < 0
    assert not window.views["landscape"].isHidden() and window.page != "landscape"
    screen = window.screen().availableGeometry()
    assert detached.width() <= screen.width() and detached.height() <= screen.height()
    detached.close()
    qtbot.wait(20)
    assert window.page_tabs.indexOf(window.pages["landscape"]) == pages.index("landscape")
    assert "landscape" not in window.detached


def test_old_view_names_open_their_page(window):
    """Configurations written before pages ("main", "anatomy", "all", a view's name) open."""
    from gui.config import normalize

    for old, page in (("main", "spectrum"), ("anatomy", "mode"), ("all", "spectrum"),
                      ("dynamics", "learning"), ("modes", "mode"), ("sweep", "sweep"), (None, "spectrum")):
        config = window.config()
        config["view"]["views"] = old
        window.set_config(normalize(config), run=False)
        assert window.page == page, old


def test_esc_leaves_every_page_saying_what_it_shows(window, qtbot):
    """Esc during a run: every page shows its data or says why not (in the plot or on the line
    above it), and no error."""
    window.resize(*SIZE)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    config = window.config()
    config.update(activation="erf", ni=10, nh=20, teachers=400)
    config["dynamics"]["enabled"] = True
    window.set_config(config, run=False)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.run()
        qtbot.wait(300)
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert blocker.args == ["cancelled"]
    assert window.error_text() == "" and not window.is_running()
    for page in window.pages:
        window.show_page(page)
        settle(qtbot, window)
        for name, plot in plots(window):
            texts = [i for i in plot.getPlotItem().items if isinstance(i, pg.TextItem)
                     and i.isVisible() and i.toPlainText().strip() and i is not window.views[name].readout]
            summary = getattr(window.views[name], "summary", None)      # the line above the plot
            said = summary is not None and summary.isVisibleTo(window) and summary.text().strip()
            assert has_data(plot) or texts or said, f"{page}/{name}: neither data nor a message"
    assert window.error_text() == ""


@pytest.mark.parametrize("large", [False, True])
def test_no_page_and_no_text_size_makes_the_window_wider(window, qtbot, large):
    """At 1024 × 768, going through every page (with large text too, Ctrl+Shift+T) leaves the
    window 1024 px wide: the settings give up width first (the old View → All views made it
    2097 px wide)."""
    window.resize(*SIZE)
    qtbot.wait(20)
    window.large_text_action.setChecked(large)
    grown = []
    for page in window.pages:
        window.show_page(page)
        qtbot.wait(60)
        if window.width() != SIZE[0]:
            grown.append(f"{page}: {window.width()} px")
            window.resize(*SIZE)
            qtbot.wait(20)
    window.large_text_action.setChecked(False)
    assert not grown
