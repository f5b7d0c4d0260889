"""The window's one zero-mode tolerance, which every view and every export reads.

A spectrum's eigenvalues at or below a tolerance are its zero modes: the Rank view counts the
others as the rank, the Spectrum view leaves them out of the histogram, Modes, Landscape and
Structure choose their "slowest nonzero" modes above it. The engine gives each spectrum its own
default (`Spectrum.rank_tolerance`, from --rtol); the user may replace it by one value on J's
singular-value scale (dragging the Rank view's line, typing it, or the configuration's
`view.tolerance`). This object holds that choice and converts it for each spectrum, so no view
keeps a copy that could disagree with another.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, Signal


class ZeroModes(QObject):
    """The zero-mode tolerance chosen in the window (None: each spectrum's own default)."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.singular: float | None = None

    def set(self, singular: float | None) -> bool:
        """Choose a tolerance on the singular-value scale (None: back to the defaults).
        Anything but a positive finite number or None is ignored; returns whether it changed."""
        if singular is not None:
            singular = float(singular)
            if not (math.isfinite(singular) and singular > 0):
                return False
        if singular == self.singular:
            return False
        self.singular = singular
        self.changed.emit()
        return True

    def tolerance(self, spectrum) -> float:
        """The tolerance for `spectrum` (an engine Spectrum) in eigenvalue units."""
        if self.singular is None:
            return float(spectrum.rank_tolerance)
        return float(spectrum.eigen_tolerance(self.singular))

    def singular_tolerance(self, spectrum) -> float:
        """The same tolerance on `spectrum`'s singular-value scale (what the Rank view draws)."""
        return float(spectrum.singular_tolerance if self.singular is None else self.singular)

    def rank(self, spectrum) -> int:
        """The number of eigenvalues above the tolerance."""
        return int(spectrum.rank if self.singular is None else spectrum.rank_at(self.tolerance(spectrum)))

    def nonzero(self, spectrum) -> np.ndarray:
        """The eigenvalues above the tolerance, ascending."""
        lam = np.asarray(spectrum.eigenvalues, dtype=float)
        return lam[lam > self.tolerance(spectrum)]
