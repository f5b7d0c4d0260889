"""gui.svg on small hand-written inputs in Qt's SVG shape: geometry moved into figure
coordinates, stroke widths in figure units, texts keeping their transform, data clipped."""
import xml.etree.ElementTree as ET

import numpy as np

from gui import svg

NS = {"s": svg.SVG_NS}
QT_LIKE = b"""<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="5mm" viewBox="0 0 100 50">
<g fill="none" stroke="#000" stroke-width="2" transform="matrix(10,0,0,-5,3,40)" font-family="Sans Serif">
<path vector-effect="non-scaling-stroke" d="M0,0 L1,2 C2,2 3,1 4,0 Z"/>
<polyline points="0,0 2,4"/>
<text x="1" y="1">a label</text>
</g></svg>"""


def test_points_are_transformed_and_strokes_in_figure_units():
    root = ET.fromstring(QT_LIKE)
    svg.flatten(root, hairline=0.5)
    path = root.find(".//s:path", NS)
    assert path.get("d") == "M3,40 L13,30 C23,30 33,35 43,40 Z"       # (10x+3, −5y+40)
    assert path.get("vector-effect") is None and path.get("stroke-width") == "1"   # 2 px × 0.5
    poly = root.find(".//s:polyline", NS)
    assert poly.get("points") == "3,40 23,20"
    assert abs(float(poly.get("stroke-width")) - np.sqrt(50) * 2) < 1e-3   # scaled with the shape
    text = root.find(".//s:text", NS)
    wrapper = [g for g in root.iter(f"{{{svg.SVG_NS}}}g") if text in list(g)][0]
    assert svg.parse_matrix(wrapper.get("transform")) == (10, 0, 0, -5, 3, 40)
    assert all(g.get("transform") is None for g in root.iter(f"{{{svg.SVG_NS}}}g") if g is not wrapper)
    assert "sans-serif" in text.get("font-family", root.find(".//s:g", NS).get("font-family"))


def test_compose_clips_the_data_and_sizes_in_pixels():
    out = ET.fromstring(svg.compose(QT_LIKE, QT_LIKE, (5, 6, 70, 30)))
    assert (out.get("width"), out.get("height")) == ("100", "50")
    rect = out.find(".//s:clipPath/s:rect", NS)
    assert [rect.get(k) for k in ("x", "y", "width", "height")] == ["5", "6", "70", "30"]
    clipped = [g for g in out.findall("s:g", NS) if g.get("clip-path") == "url(#data-area)"]
    assert len(clipped) == 1 and clipped[0].find(".//s:path", NS) is not None


def test_multiply_composes_in_order():
    p, c = (2, 0, 0, 3, 1, 1), (1, 0, 0, 1, 5, 7)
    x, y = svg.apply(svg.multiply(p, c), 1.0, 1.0)
    assert (x, y) == svg.apply(p, *svg.apply(c, 1.0, 1.0)) == (13.0, 25.0)
