"""Exported figures: SVG and PDF have the PNG's geometry, checked on rendered pixels.

Each view of a run with log axes (preset 07: log λ, log σ, log step) is exported as PNG, SVG
and PDF; the SVG is rendered back with Qt's own SVG renderer and the PDF with PDFium, both at
the PNG's size. Where things are is compared: the dark pixels (axes, ticks, labels, text) and the
coloured ones (the data), their centroids and extents, and the picture block by block.
"""
import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from gui.main_window import MainWindow
from gui.worker import shutdown

pdfium = pytest.importorskip("pypdfium2")


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    a = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return a[:, : image.width(), 2::-1].astype(float)          # BGRA in memory → RGB


def render_svg(path, size) -> np.ndarray:
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    QSvgRenderer(str(path)).render(painter)
    painter.end()
    return pixels(image)


def render_pdf(path, width) -> np.ndarray:
    doc = pdfium.PdfDocument(str(path))
    assert len(doc) == 1
    page = doc[0]
    bitmap = page.render(scale=width / page.get_width())
    a = bitmap.to_numpy()[..., :3].astype(float)
    return a[..., ::-1] if bitmap.mode.startswith("BGR") else a


def where(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Centroid and 2nd–98th percentile extent (x, then y) of the masked pixels."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean(), *np.percentile(xs, [2, 98]), *np.percentile(ys, [2, 98])])


def dark(a):
    return a.max(axis=2) < 90


def coloured(a):
    return a.max(axis=2) - a.min(axis=2) > 60


def blocks(a, k=16):
    h, w = a.shape[0] // k * k, a.shape[1] // k * k
    return a[:h, :w].reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3))


@pytest.mark.parametrize("preset, pages", [("07_erf_slow_tail", ("spectrum", "rank", "learning")),
                                           ("09_slow_mode_anatomy", ("mode", "landscape", "structure"))])
@pytest.mark.slow
def test_svg_and_pdf_exports_put_everything_where_the_png_has_it(qtbot, tmp_path, preset, pages):
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    with qtbot.waitSignal(window.run_finished, timeout=60_000) as blocker:
        window.load_preset(preset)
    assert blocker.args == ["finished"]
    assert window.spectrum_view.log_axis and window.dynamics_view._log_x
    try:
        for name in [n for n, v in window.views.items() if v.page in pages]:
            window.show_page(window.views[name].page)       # the page as the user sees it
            qtbot.waitUntil(lambda: not window.is_running(), timeout=60_000)   # with its data
            qtbot.wait(200)                                  # laid out and redrawn
            paths = {f: tmp_path / f"{name}.{f}" for f in ("png", "svg", "pdf")}
            for fmt, path in paths.items():
                assert window.export(name, fmt, str(path)), window.error_text()
            png_image = QImage(str(paths["png"]))
            png = pixels(png_image)
            for fmt, other in (("svg", render_svg(paths["svg"], png_image.size())),
                               ("pdf", render_pdf(paths["pdf"], png_image.width()))):
                assert other.shape == png.shape, (name, fmt)
                # Measured: ≤ 46 px from line rendering alone (antialiasing, cosmetic pens, of
                # 1600 × 1040); pyqtgraph's own SVG exporter moved the axes by 166–241 px.
                for what, mask, tol in (("text and axes", dark, 60), ("data", coloured, 60)):
                    shift = np.abs(where(png, mask(png)) - where(other, mask(other))).max()
                    assert shift < tol, f"{name} {fmt}: {what} moved by {shift:.0f} px"
                diff = np.abs(blocks(png) - blocks(other)).max(axis=2)
                assert np.mean(diff > 40) < 0.06, f"{name} {fmt}: {np.mean(diff > 40):.1%} of blocks differ"
    finally:
        window.confirm_close_answer = True
        window.close()
        assert shutdown(timeout_ms=5000)


def test_the_figure_dialog_sets_size_resolution_text_and_legend(qtbot, tmp_path, monkeypatch):
    import re

    from PySide6.QtWidgets import QFileDialog

    from engine.errors import InputError
    from gui.export import Figure
    from gui.figure_dialog import FigureDialog

    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.run_finished, timeout=60_000):
            window.load_preset("03_quadratic")
        target = {}
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target["path"]), ""))

        def export(fmt, unit="in", w=4.0, h=3.0, dpi=300, scale=1.0, legend="below"):
            d = FigureDialog(window.figure, ["png", "svg", "pdf"], window)
            d.unit.setCurrentIndex(d.unit.findData(unit))
            d.width_box.setValue(w)
            d.height_box.setValue(h)
            d.dpi.setValue(dpi)
            d.font_scale.setValue(scale)
            d.legend.setCurrentIndex(d.legend.findData(legend))
            d.format.setCurrentIndex(d.format.findData(fmt))
            d._accept()
            target["path"] = tmp_path / f"f{len(list(tmp_path.iterdir()))}.{fmt}"
            assert window.figure_dialog("spectrum", d), window.error_text()
            return target["path"]

        png = QImage(str(export("png")))
        assert (png.width(), png.height()) == (1200, 900)                 # 4 × 3 in at 300 dpi
        assert round(png.dotsPerMeterX() * 0.0254) == 300
        pdf = pdfium.PdfDocument(str(export("pdf")))[0]
        assert (round(pdf.get_width()), round(pdf.get_height())) == (288, 216)   # points
        plain, big, off = (export("svg", "px", 800, 520, scale=s, legend=lg).read_text()
                           for s, lg in ((1.0, "below"), (2.0, "below"), (1.0, "off")))

        def largest_font(svg):
            return max(float(x) for x in re.findall(r'font-size="([0-9.]+)', svg))

        assert largest_font(big) == pytest.approx(2 * largest_font(plain), rel=0.1)
        assert "zero modes" in plain and "zero modes" not in off         # the legend's text
        right = export("svg", "px", 800, 520, legend="right").read_text()
        assert "zero modes" in right
        # back to the screen: the legend is below the plot again, at the screen's text size
        assert window.spectrum_view.plot.getPlotItem().legend.isVisible()
        with pytest.raises(InputError, match="100 to 20000"):
            Figure(50, 50)
        d = FigureDialog(window.figure, ["png"], window)
        d.unit.setCurrentIndex(d.unit.findData("in"))
        d.width_box.setValue(0.1)
        d._accept()
        assert d.result() != FigureDialog.DialogCode.Accepted and "100 to 20000" in d.error.text()
    finally:
        window.confirm_close_answer = True
        window.close()
        assert shutdown(timeout_ms=5000)


def test_axis_labels_and_texts_have_real_subscripts_in_window_and_figures(window, qtbot, tmp_path):
    """Issue 19: "σ_k of J", "√λ_k", "v_3", "λ_max" read as code. Subscripts are Unicode
    (σₖ, λₘₐₓ, v₃): the window's font has every one of them, and SVG and PDF carry them as text."""
    import re

    from PySide6.QtGui import QFontMetrics, QTextDocument
    from PySide6.QtWidgets import QApplication, QLabel

    with qtbot.waitSignal(window.run_finished, timeout=60_000):
        window.load_preset("11_edge_of_stability")       # erf: sample σₖ, training, landscape
    window.controller.want({"anatomy", "landscape"})
    qtbot.waitUntil(lambda: window.views["landscape"].slice is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not window.is_running(), timeout=60_000)
    texts = []
    for view in window.views.values():
        view.refresh()
        for plot in [view.plot] + [p for p in vars(view).values() if p is not view.plot and hasattr(p, "getPlotItem")]:
            item = plot.getPlotItem()
            texts += [item.getAxis(a).labelText for a in ("left", "bottom")]
            texts += [label.text for _, label in item.legend.items]
        for label in view.findChildren(QLabel):
            doc = QTextDocument()
            doc.setHtml(label.text())
            texts.append(doc.toPlainText())
    shown = "\n".join(texts)
    assert "σₖ of J" in shown and "λₘₐₓ" in shown and re.search("along v[₀-₉]+", shown)
    assert not re.findall(r"[A-Za-zλσδ]_[A-Za-z0-9{]", shown)
    metrics = QFontMetrics(QApplication.instance().font())
    assert all(metrics.inFontUcs4(ord(c)) for c in set(re.findall("[ₐ-ₜ₀-₉ᵢⱼ]", shown)))
    svg, pdf = tmp_path / "rank.svg", tmp_path / "rank.pdf"
    assert window.export("rank", "svg", str(svg)) and window.export("rank", "pdf", str(pdf))
    import xml.etree.ElementTree as ET
    svg_text = "".join(e.text or "" for e in ET.parse(svg).iter() if e.tag.endswith("text"))
    assert "σₖ of J" in svg_text               # one run of text per script, side by side
    page = pdfium.PdfDocument(str(pdf))[0]
    assert "σₖofJ" in "".join(page.get_textpage().get_text_range().split())   # rotated: a line per glyph
