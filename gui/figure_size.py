"""A figure's size, resolution, text scale and legend as text: the units of the Figure… dialog
and the parser of `--figure-size WxH[px|in|cm]`, `--dpi`, `--text-scale`, `--legend`. The
ranges are gui.export.Figure's own checks, so the command line and the dialog accept exactly
the same figures."""
from __future__ import annotations

import re

from engine.errors import InputError

from .export import LEGEND_PLACES, PDF_DPI, Figure

UNITS = {"px": 1.0, "in": float(PDF_DPI), "cm": PDF_DPI / 2.54}    # logical pixels per unit

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_SIZE = re.compile(rf"^\s*{_NUMBER}\s*[x×]\s*{_NUMBER}\s*([a-z]*)\s*$", re.IGNORECASE)
EXAMPLE = "e.g. 3.4x2.4in, 8.6x6cm or 1600x1000px (no unit: px)"


def parse_size(text: str) -> tuple[float, float]:
    """'3.4x2.4in' → (326.4, 230.4) logical pixels (96 per inch); InputError for anything else."""
    m = _SIZE.match(str(text))
    if not m:
        raise InputError(f"--figure-size {text!r}: give WIDTHxHEIGHT and a unit, {EXAMPLE}")
    unit = m.group(3).lower() or "px"
    if unit not in UNITS:
        raise InputError(f"--figure-size {text!r}: unknown unit {m.group(3)!r}; use px, in or cm, {EXAMPLE}")
    k = UNITS[unit]
    return float(m.group(1)) * k, float(m.group(2)) * k


def _number(text, flag: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InputError(f"{flag} {text!r}: give a number") from None
    return value


def figure_from_text(size: str | None = None, dpi=None, text_scale=None, legend: str | None = None,
                     base: Figure | None = None) -> Figure:
    """The Figure these texts describe, the others as in `base` (the default figure); one
    InputError naming the flag for a bad value."""
    base = base or Figure()
    width, height = parse_size(size) if size is not None else (base.width, base.height)
    values = {"width": width, "height": height,
              "dpi": _number(dpi, "--dpi") if dpi is not None else base.dpi,
              "font_scale": _number(text_scale, "--text-scale") if text_scale is not None else base.font_scale,
              "legend": str(legend).lower() if legend is not None else base.legend}
    if legend is not None and values["legend"] not in LEGEND_PLACES:
        raise InputError(f"--legend {legend!r}: choose one of {', '.join(LEGEND_PLACES)}")
    try:
        return Figure(**values)
    except InputError as exc:
        flag = next((f"--{name} {text!r}: " for name, text, words in
                     (("figure-size", size, "a side"), ("dpi", dpi, "dpi"),
                      ("text-scale", text_scale, "text scale")) if words in str(exc) and text is not None), "")
        raise InputError(f"{flag}{exc}") from None
