"""Checks of user-given numbers, shared by every engine entry point so that the same mistake
always gets the same one-line message (what is wrong, and the flag that sets it)."""
from __future__ import annotations

import math
from numbers import Integral, Real

from .errors import InputError
from .model import default_sigmas


def _hint(flag: str | None) -> str:
    return f"; set {flag}" if flag else ""


def whole(value, name: str, flag: str | None = None, lo: int = 1, hi: int | None = None) -> int:
    """An integer in [lo, hi]; floats that are whole numbers (e.g. from JSON) are accepted."""
    if isinstance(value, Real) and not isinstance(value, (bool, Integral)) \
            and math.isfinite(value) and float(value).is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, Integral) or value < lo:
        what = "a positive whole number" if lo == 1 else f"a whole number ≥ {lo}"
        raise InputError(f"{name} must be {what}, got {value!r}{_hint(flag)}")
    if hi is not None and value > hi:
        raise InputError(f"{name} must be at most {hi}, got {value!r}{_hint(flag)}")
    return int(value)


def positive(value, name: str, flag: str | None = None) -> float:
    """A positive finite float; a number, not text that looks like one (a JSON "1e3" is a
    mistake the file should show, and would otherwise travel on as a string)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{name} must be a positive number, got {value!r}{_hint(flag)}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a positive finite number, got {value!r}{_hint(flag)}")
    return v


def sigmas(ni: int, nh: int, sigma1, sigma2) -> tuple[float, float]:
    """σ1, σ2 (standard deviations) with the defaults 1/√Ni, 1/√Nh where not given."""
    d1, d2 = default_sigmas(ni, nh)
    s1 = d1 if sigma1 is None else positive(sigma1, "sigma1", "--sigma1")
    s2 = d2 if sigma2 is None else positive(sigma2, "sigma2", "--sigma2")
    return s1, s2
