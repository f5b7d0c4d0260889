"""SVG that every renderer draws alike: Qt's SVG generator output, rewritten.

QSvgGenerator writes each item's shapes in the item's own coordinates under a scaling
`transform` (a curve in data units under matrix(0.001, 0, 0, -1e4, …)) and keeps its lines
thin with `vector-effect="non-scaling-stroke"`, which librsvg (GNOME, most converters) and
other renderers ignore: there the lines became bands hundreds of pixels wide. It also names
the font "Sans Serif", which only Qt resolves, and lets images be smoothed. It drops the
painter's clipping, so data outside the axes would show.

Here every path, polyline, polygon and rectangle is written in figure coordinates (the
transform applied to its points, its stroke width in figure units), texts and images keep
their transform (they scale correctly everywhere), the font is a named family with generic
fallbacks, images are drawn pixel for pixel (`image-rendering`), and the plot's data, rendered
separately, are clipped to the axes' box with a clipPath (`compose`). Pure functions on
bytes: no Qt here.
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT_FAMILY = "DejaVu Sans, Bitstream Vera Sans, Arial, Helvetica, sans-serif"
_SHAPES = {"path", "polyline", "polygon", "rect", "line"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COMMAND = re.compile(r"([MLCQZHVmlcqzhv])([^MLCQZHVmlcqzhv]*)")

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

Matrix = tuple[float, float, float, float, float, float]     # SVG's matrix(a, b, c, d, e, f)
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def parse_matrix(text: str | None) -> Matrix:
    """The matrix of a transform attribute Qt writes (`matrix(...)`, or none)."""
    if not text:
        return IDENTITY
    m = re.fullmatch(r"\s*matrix\(([^)]*)\)\s*", text)
    if not m:
        raise ValueError(f"unexpected SVG transform {text!r}")
    values = tuple(float(v) for v in _NUMBER.findall(m.group(1)))
    if len(values) != 6:
        raise ValueError(f"unexpected SVG transform {text!r}")
    return values  # type: ignore[return-value]


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def scale_of(m: Matrix) -> float:
    """How much the transform stretches lengths (the square root of its area factor)."""
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


def _fmt(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def transform_path(d: str, m: Matrix) -> str:
    """Path data (absolute commands, as Qt writes them) with every point transformed."""
    out = []
    for cmd, args in _COMMAND.findall(d):
        nums = [float(v) for v in _NUMBER.findall(args)]
        if cmd in "Zz":
            out.append("Z")
        elif cmd in "MLCQ":
            pts = [apply(m, nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2)]
            out.append(cmd + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts))
        else:
            raise ValueError(f"unexpected SVG path command {cmd!r} (Qt writes absolute M, L, C, Q, Z)")
    return " ".join(out)


def _points(text: str, m: Matrix) -> str:
    nums = [float(v) for v in _NUMBER.findall(text)]
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in
                    (apply(m, nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2)))


def _flatten_shape(shape, m: Matrix, stroke_width: float | None, hairline: float) -> None:
    """Write a shape's geometry in figure coordinates; a non-cosmetic stroke scales with it."""
    kind = _tag(shape)
    if kind == "path":
        shape.set("d", transform_path(shape.get("d", ""), m))
    elif kind in ("polyline", "polygon"):
        shape.set("points", _points(shape.get("points", ""), m))
    elif kind == "line":
        x1, y1 = apply(m, float(shape.get("x1", 0)), float(shape.get("y1", 0)))
        x2, y2 = apply(m, float(shape.get("x2", 0)), float(shape.get("y2", 0)))
        for k, v in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
            shape.set(k, _fmt(v))
    elif kind == "rect":
        x, y = float(shape.get("x", 0)), float(shape.get("y", 0))
        w, h = float(shape.get("width", 0)), float(shape.get("height", 0))
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        shape.tag = f"{{{SVG_NS}}}polygon"
        for k in ("x", "y", "width", "height"):
            shape.attrib.pop(k, None)
        shape.set("points", " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in (apply(m, *c) for c in corners)))
    cosmetic = shape.attrib.pop("vector-effect", None) == "non-scaling-stroke"
    if stroke_width is None:
        return
    if cosmetic:                   # a width in device pixels: as thick as in the PNG
        shape.set("stroke-width", _fmt(max(stroke_width, 1.0) * hairline))
    elif m != IDENTITY:
        shape.set("stroke-width", _fmt(stroke_width * scale_of(m)))


def _enlarge(image, m: Matrix, hairline: float, resample) -> None:
    """An embedded PNG (a heatmap of a few pixels) made as many pixels as it covers, each
    pixel a block: librsvg smooths images whatever `image-rendering` says."""
    href_key = f"{{{XLINK_NS}}}href"
    href = image.get(href_key) or image.get("href") or ""
    prefix = "data:image/png;base64,"
    if resample is None or not href.startswith(prefix):
        return
    import base64
    w, h = float(image.get("width", 0)), float(image.get("height", 0))
    if w <= 0 or h <= 0:
        return
    png = base64.b64decode(href[len(prefix):])
    native = resample(png, 1)[1]
    shown = max(w, h) * scale_of(m) / hairline                 # PNG pixels it covers
    k = int(min(max(1, math.ceil(shown / max(native, 1))), 4096 // max(native, 1)))
    if k > 1:
        image.set(href_key, prefix + base64.b64encode(resample(png, k)[0]).decode("ascii"))


def flatten(root, hairline: float = 1.0, resample=None) -> None:
    """Rewrite Qt's groups in place: shapes into figure coordinates, texts and images each
    in a group of their own that keeps the transform, fonts named, images unsmoothed."""
    for element in root.iter():
        if element.get("font-family") is not None:
            element.set("font-family", FONT_FAMILY)
        if _tag(element) == "image":
            element.set("image-rendering", "optimizeSpeed")
            element.set("style", "image-rendering:pixelated;image-rendering:optimizeSpeed")
    for group in list(root.iter(f"{{{SVG_NS}}}g")):
        m = parse_matrix(group.get("transform"))
        for image in group.findall(f"{{{SVG_NS}}}image"):
            _enlarge(image, m, hairline, resample)
        width = group.get("stroke-width")
        stroke_width = float(width) if width is not None else 1.0
        for index, child in enumerate(list(group)):
            kind = _tag(child)
            if kind in _SHAPES:
                _flatten_shape(child, m, stroke_width, hairline)
            elif kind == "g" and m != IDENTITY:          # nested: it takes this transform on
                child.set("transform", _matrix_text(multiply(m, parse_matrix(child.get("transform")))))
            elif kind in ("text", "image") and m != IDENTITY:
                wrapper = ET.Element(f"{{{SVG_NS}}}g", {"transform": _matrix_text(m)})
                group.remove(child)
                wrapper.append(child)
                group.insert(index, wrapper)
        group.attrib.pop("transform", None)
    _drop_empty_groups(root)


def multiply(p: Matrix, c: Matrix) -> Matrix:
    """The transform that applies c, then p."""
    a1, b1, c1, d1, e1, f1 = p
    a2, b2, c2, d2, e2, f2 = c
    return (a1 * a2 + c1 * b2, b1 * a2 + d1 * b2, a1 * c2 + c1 * d2, b1 * c2 + d1 * d2,
            a1 * e2 + c1 * f2 + e1, b1 * e2 + d1 * f2 + f1)


def _matrix_text(m: Matrix) -> str:
    return "matrix(" + ",".join(repr(float(v)) for v in m) + ")"


def _drop_empty_groups(root) -> None:
    for parent in list(root.iter()):
        for child in list(parent):
            if _tag(child) == "g" and len(child) == 0:
                parent.remove(child)


def compose(frame: bytes, data: bytes, clip: tuple[float, float, float, float],
            hairline: float = 1.0, resample=None) -> bytes:
    """One SVG: the frame (axes, texts, legend) and, on it, the data clipped to `clip`
    (x, y, width, height in figure coordinates: the axes' box). A cosmetic line (a width in
    device pixels) is `hairline` figure units per pixel wide, as in the PNG. `resample(png, k)`
    returns (the PNG k times larger, each pixel a k × k block; its larger side's pixels)."""
    root = ET.fromstring(frame)
    flatten(root, hairline, resample)
    data_root = ET.fromstring(data)
    flatten(data_root, hairline, resample)
    defs = root.find(f"{{{SVG_NS}}}defs")
    if defs is None:
        defs = ET.SubElement(root, f"{{{SVG_NS}}}defs")
    clip_path = ET.SubElement(defs, f"{{{SVG_NS}}}clipPath", {"id": "data-area"})
    x, y, w, h = clip
    ET.SubElement(clip_path, f"{{{SVG_NS}}}rect", {"x": _fmt(x), "y": _fmt(y), "width": _fmt(w), "height": _fmt(h)})
    holder = ET.SubElement(root, f"{{{SVG_NS}}}g", {"clip-path": "url(#data-area)"})
    for child in list(data_root):
        if _tag(child) not in ("title", "desc", "defs"):
            holder.append(child)
    # the size in CSS pixels (96 per inch, as the figure's): the physical size, which Qt wrote
    # in mm and some renderers (resvg) refuse
    _, _, vw, vh = (float(v) for v in _NUMBER.findall(root.get("viewBox", "")))
    root.set("width", _fmt(vw))
    root.set("height", _fmt(vh))
    root.set("version", "1.1")
    root.attrib.pop("baseProfile", None)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
