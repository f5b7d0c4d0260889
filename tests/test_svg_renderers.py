"""Exported SVGs drawn by two renderers that are not Qt — librsvg (`rsvg-convert`, behind
GNOME and many converters) and resvg (`resvg_py`) — look like the PNG export of the same
view: block correlation (16 px blocks) ≥ 0.95 and the share of dark pixels 0.7–1.4× the
PNG's, for every view of presets 01, 07 and 09 (issue 20: librsvg drew Qt's SVG lines as
bands, correlation down to −0.17, dark pixels up to 15×)."""
import shutil
import subprocess

import numpy as np
import pytest
from PySide6.QtGui import QImage

resvg = pytest.importorskip("resvg_py")
RSVG = shutil.which("rsvg-convert")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(RSVG is None, reason="rsvg-convert (Debian librsvg2-bin) missing")]


def pixels(path_or_bytes) -> np.ndarray:
    image = QImage()
    if isinstance(path_or_bytes, bytes):
        image.loadFromData(path_or_bytes)
    else:
        image.load(str(path_or_bytes))
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    a = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return a[:, : image.width(), 2::-1].astype(float)


def blocks(a: np.ndarray, k: int = 16) -> np.ndarray:
    g = a.mean(axis=2)
    h, w = g.shape[0] // k * k, g.shape[1] // k * k
    return g[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3)).ravel()


def dark_share(a: np.ndarray) -> float:
    return float(np.mean(a.max(axis=2) < 128))


def render_rsvg(svg, w, h, out) -> np.ndarray:
    subprocess.run([RSVG, "-w", str(w), "-h", str(h), "-b", "white", str(svg), "-o", str(out)], check=True)
    return pixels(out)


def render_resvg(svg, w, h) -> np.ndarray:
    return pixels(bytes(resvg.svg_to_bytes(svg_path=str(svg), width=w, height=h, background="#ffffff")))


@pytest.mark.parametrize("preset", ["01_linear_10x20", "07_erf_slow_tail", "09_slow_mode_anatomy"])
def test_every_view_svg_renders_like_its_png_outside_qt(window, qtbot, tmp_path, preset):
    with qtbot.waitSignal(window.run_finished, timeout=60_000) as blocker:
        window.load_preset(preset)
    assert blocker.args == ["finished"]
    results = []
    for name, view in window.views.items():
        if name == "sweep":
            continue                       # no sweep in these presets: nothing to draw
        window.show_page(view.page)
        qtbot.waitUntil(lambda: not window.is_running(), timeout=60_000)
        qtbot.wait(150)
        png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
        assert window.export(name, "png", str(png)), window.error_text()
        assert window.export(name, "svg", str(svg)), window.error_text()
        ref = pixels(png)
        h, w = ref.shape[:2]
        for renderer, other in (("librsvg", render_rsvg(svg, w, h, tmp_path / f"{name}.rsvg.png")),
                                ("resvg", render_resvg(svg, w, h))):
            assert other.shape == ref.shape, (name, renderer)
            r = float(np.corrcoef(blocks(ref), blocks(other))[0, 1])
            ratio = dark_share(other) / max(dark_share(ref), 1e-9)
            results.append((name, renderer, r, ratio))
    print("\n".join(f"{preset} {n} {rn}: correlation {r:.3f}, dark ×{q:.2f}" for n, rn, r, q in results))
    bad = [f"{n} {rn}: correlation {r:.3f}, dark ×{q:.2f}" for n, rn, r, q in results
           if not (r >= 0.95 and 0.7 <= q <= 1.4)]
    assert not bad, "\n".join(bad)
