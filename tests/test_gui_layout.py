"""The window at a projector's or a laptop's size, one page at a time, presentation mode, legends off
the data."""
import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from gui import style
from gui.main_window import MainWindow
from gui.worker import shutdown
from tests.test_gui_screenshot import run as run_main

RUN_TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.set_presentation(False)
    w.confirm_close_answer = True
    w.close()
    assert shutdown(timeout_ms=5000)


def load(qtbot, window, preset):
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.load_preset(preset)
    assert blocker.args == ["finished"], window.error_text()
    for _ in range(3):
        qtbot.wait(20)


@pytest.mark.parametrize("presentation, preset, page",
                         [(False, "07_erf_slow_tail", "learning"), (True, "07_erf_slow_tail", "learning"),
                          (False, "11_edge_of_stability", "landscape"),
                          (True, "09_slow_mode_anatomy", "mode")])
def test_the_window_fits_1024_by_768_showing_the_page_of_its_preset(window, qtbot, presentation, preset, page):
    window.set_presentation(presentation)
    assert window.isFullScreen() == presentation
    qtbot.wait(20)    # offscreen, full screen is the 800 × 800 screen: the size a projector has, after it
    window.resize(1024, 768)
    load(qtbot, window, preset)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 768, hint
    assert (window.width(), window.height()) == (1024, 768)
    assert window.page == page
    shown = [v for v in window.views.values() if v.page == page]
    assert shown and all(v.isHidden() for v in window.views.values() if v.page != page)
    for view in shown:
        assert view.isVisible() and view.width() > 200 and view.height() > 150, view.name
        item = view.plot.getPlotItem()
        # the plot is not laid out wider than its widget (nothing cut off at the right)
        assert item.geometry().width() <= view.plot.width() + 4, view.name
        assert item.vb.height() > 40, view.name
    assert window.settings_dock.isVisible() != presentation and window.presentation == presentation


def test_presentation_mode_scales_every_text_and_line_and_hides_the_panels(window, qtbot):
    load(qtbot, window, "03_quadratic")
    rank = window.rank_view
    tick = rank.plot.getPlotItem().getAxis("bottom").style["tickFont"].pointSizeF()
    pen = rank._curves[0].opts["pen"].widthF()
    text = rank.empty_text.textItem.font().pointSizeF()
    assert window.lesson_dock.isVisible()
    window.presentation_action.trigger()                                 # F11
    try:
        assert not window.settings_dock.isVisible() and not window.lesson_dock.isVisible()
        assert rank.plot.getPlotItem().getAxis("bottom").style["tickFont"].pointSizeF() == \
            pytest.approx(style.PRESENTATION_SCALE * tick)
        assert rank._curves[0].opts["pen"].widthF() == pytest.approx(style.PRESENTATION_LINES * pen)
        assert rank.empty_text.textItem.font().pointSizeF() == pytest.approx(style.PRESENTATION_SCALE * text, abs=0.1)
        assert window.isFullScreen()
        # F12 steps through the pages, one at a time, and round to the first
        shown = []
        for _ in range(len(window.pages)):
            window.cycle_action.trigger()
            shown.append(tuple(n for n, v in window.views.items() if not v.isHidden()))
        pages = list(window.pages)
        assert shown == [tuple(n for n, v in window.views.items() if v.page == p)
                         for p in pages[pages.index(window.page) + 1:] + pages[: pages.index(window.page) + 1]]
    finally:
        window.presentation_action.trigger()
    assert window.settings_dock.isVisible() and window.lesson_dock.isVisible()
    assert rank._curves[0].opts["pen"].widthF() == pytest.approx(pen)


@pytest.mark.parametrize("preset", ["01_linear_10x20", "07_erf_slow_tail", "05_cubic_alexander_hirschowitz"])
def test_legends_never_cover_plotted_points(window, qtbot, preset):
    window.resize(1024, 768)
    load(qtbot, window, preset)
    for view in window.views.values():
        item = view.plot.getPlotItem()
        legend = item.legend
        if not legend.isVisible() or not legend.items:
            continue
        box = legend.sceneBoundingRect()
        for data in item.listDataItems():
            x, y = data.getData()
            if x is None or not np.size(x):
                continue
            pts = [item.vb.mapViewToScene(pg_point(a, b)) for a, b in zip(x[:: max(1, len(x) // 300)],
                                                                           y[:: max(1, len(y) // 300)])
                   if np.isfinite(a) and np.isfinite(b)]
            inside = [p for p in pts if box.contains(p) and item.vb.sceneBoundingRect().contains(p)]
            assert not inside, f"{preset} {view.name}: the legend covers {len(inside)} points"
        assert not box.intersects(item.vb.sceneBoundingRect()), f"{preset} {view.name}"


def pg_point(x, y):
    from PySide6.QtCore import QPointF

    return QPointF(float(x), float(y))


@pytest.mark.parametrize("extra", [[], ["--presentation"]])
def test_screenshot_at_a_given_window_size(tmp_path, extra):
    out = tmp_path / "s.png"
    r = run_main("--preset", "03_quadratic", "--window-size", "1024x768", *extra, "--screenshot", out)
    assert r.returncode == 0, r.stderr
    assert QImage(str(out)).size().toTuple() == (1024, 768)
    r = run_main("--preset", "03_quadratic", "--window-size", "big", "--screenshot", out, timeout=60)
    assert r.returncode == 2 and "WIDTHxHEIGHT" in r.stderr and len(r.stderr.strip().splitlines()) == 1
