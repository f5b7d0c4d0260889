"""The Spectrum view: a histogram of the Hessian eigenvalues that grows as teachers finish.

Pooled over all teachers so far. Eigenvalues at or below their teacher's rank tolerance are the
zero modes: they are not drawn (a log axis cannot show them, a linear one would drown the rest
in one bar at 0) but counted in the legend. The λ axis is linear or log₁₀ — log is the only way
to see erf's many decades. For linear networks the random-matrix law the engine chose for the
run (engine.theory) is drawn over the histogram, with its Kolmogorov–Smirnov distance.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton

from .. import style
from .base import View

LN10 = math.log(10.0)
MIN_BINS, MAX_BINS = 12, 90
HEADROOM = 1.08          # y range = tallest bar × this


AUTO_LOG_RATIO = 1e3      # an automatic λ axis is log₁₀ when λmax / λmin (nonzero) exceeds this


def bin_edges(values: np.ndarray) -> np.ndarray:
    """Histogram edges for the plotted values: numpy's 'auto' rule, kept between 12 and 90 bins."""
    if values.size == 0:
        return np.array([0.0, 1.0])
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        half = 0.05 * max(abs(hi), 1e-12)
        return np.linspace(lo - half, hi + half, MIN_BINS + 1)
    n = len(np.histogram_bin_edges(values, bins="auto")) - 1
    return np.linspace(lo, hi, int(np.clip(n, MIN_BINS, MAX_BINS)) + 1)


class SpectrumView(View):
    """`clear()` at the start of a run, `add_result()` per teacher, `set_theory()` if known."""

    name = "spectrum"
    title = "Spectrum"
    page = "spectrum"
    redraw_after = ("spectrum",)

    def __init__(self, parent=None):
        super().__init__("Hessian eigenvalues at the optimum", parent, legend_columns=1)
        self._spectra: list = []                  # per teacher, its engine Spectrum
        self._nonzero: list[np.ndarray] = []      # per teacher, λ above its tolerance
        self._all: list[np.ndarray] = []          # per teacher, all P eigenvalues
        self._tolerances: list[float] = []
        self._log = False
        self._auto_log = False                    # view.log_axis null: the data choose (see _choose_axis)
        self._quiet = False                       # the axis changes by itself, not by the user
        self._counts = True
        self._theory = None                       # engine.theory.TheoryCurve
        self._ks: float | None = None
        self._context = ""
        # Plotted data (the histogram as drawn; exported and checked by tests).
        self.edges = np.array([0.0, 1.0])
        self.heights = np.zeros(1)
        self.theory_x = np.zeros(0)
        self.theory_y = np.zeros(0)
        self.atom_x = np.zeros(0)
        self.atom_y = np.zeros(0)
        self._build()
        self.refresh()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        item = self.plot.getPlotItem()
        self.hist_item = pg.PlotDataItem(name="eigenvalues")
        item.addItem(self.hist_item)
        self.zero_item = pg.PlotDataItem(pen=pg.mkPen(style.GREY, width=3, style=pg.QtCore.Qt.PenStyle.DotLine),
                                         name="zero modes")
        item.addItem(self.zero_item)
        self.theory_item = pg.PlotDataItem(pen=pg.mkPen(style.VERMILLION, width=3), name="theory")
        item.addItem(self.theory_item)
        self.atom_item = pg.PlotDataItem(pen=pg.mkPen(style.VERMILLION, width=4), connect="pairs")
        item.addItem(self.atom_item)
        self.tol_line = pg.InfiniteLine(angle=90, movable=False,
                                        pen=pg.mkPen(style.GREY, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                        label="tol", labelOpts={"position": 0.92, "color": style.GREY})
        item.addItem(self.tol_line, ignoreBounds=True)     # often 20 decades below the data
        self.tol_line.hide()
        self.empty_text = pg.TextItem("press Run (Ctrl+R) or change a parameter", color=style.GREY, anchor=(0.5, 0.5))
        item.addItem(self.empty_text)

        self.axis_group, self.lin_button, self.log_button = self._choice("linear λ", "log₁₀ λ")
        self.log_button.toggled.connect(self.set_log)
        self.log_action = QAction("&Log₁₀ λ axis", self)
        self.log_action.setShortcut(QKeySequence("Ctrl+L"))
        self.log_action.setCheckable(True)
        self.log_action.toggled.connect(self.set_log)
        self.menu_actions = [self.log_action]
        self.y_group, self.count_button, self.density_button = self._choice("counts", "density")
        self.density_button.toggled.connect(lambda on: self.set_counts(not on))

        bar = QHBoxLayout()
        for b in (self.lin_button, self.log_button):
            b.setToolTip("the λ axis: linear or log₁₀ (Ctrl+L)")
            bar.addWidget(b)
        bar.addSpacing(12)
        for b in (self.count_button, self.density_button):
            b.setToolTip("bar heights: counts per bin, or a density")
            bar.addWidget(b)
        bar.addStretch(1)
        self.stack(bar)

    def _choice(self, first: str, second: str):
        """Two exclusive radio buttons, the first checked: (group, first, second)."""
        group = QButtonGroup(self)
        a, b = QRadioButton(first), QRadioButton(second)
        a.setChecked(True)
        group.addButton(a)
        group.addButton(b)
        return group, a, b

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        controller.started.connect(lambda plan: self.clear(plan.problem.describe()))
        controller.spectrum_result.connect(self.add_result)
        controller.theory_ready.connect(self.set_theory)

    def apply_options(self, options: dict) -> None:
        """view.log_axis true or false is the user's; null (log_axis_auto, gui.config.view_options)
        starts on the activation family's preference and lets the data decide (_choose_axis)."""
        if "log_axis" in options:
            self._auto_log = bool(options.get("log_axis_auto", False))
            self._set_log_quietly(bool(options["log_axis"]))
            self._choose_axis()

    def _set_log_quietly(self, on: bool) -> None:
        """Change the axis without recording it as the user's choice in the configuration."""
        self._quiet = True
        try:
            self.set_log(on)
        finally:
            self._quiet = False

    def _choose_axis(self) -> None:
        """Automatic axis: log₁₀ λ when the nonzero eigenvalues span more than AUTO_LOG_RATIO
        (largest / smallest): on a linear axis everything below λmax/1000 is one bin."""
        if not self._auto_log:
            return
        lam = self.nonzero_eigenvalues()
        lam = lam[lam > 0]
        if lam.size:
            self._set_log_quietly(bool(lam.max() / lam.min() > AUTO_LOG_RATIO))

    def zero_modes_changed(self) -> None:
        """Eigenvalues at or below the window's tolerance are the zero modes, counted but not drawn."""
        self._tolerances = [self.zero_modes.tolerance(s) for s in self._spectra]
        self._nonzero = [lam[lam > t] for lam, t in zip(self._all, self._tolerances)]
        self.refresh()

    def clear(self, context: str = "") -> None:
        self._spectra.clear()
        self._nonzero.clear()
        self._all.clear()
        self._tolerances.clear()
        self._theory = None
        self._ks = None
        self._context = context
        self.refresh()

    def add_result(self, result) -> None:
        """One teacher's engine.ensemble.TeacherResult."""
        s = result.spectrum
        lam = np.asarray(s.eigenvalues, dtype=float)
        self._spectra.append(s)
        self._all.append(lam)
        tol = self.zero_modes.tolerance(s)
        self._nonzero.append(lam[lam > tol])
        self._tolerances.append(tol)
        self._ks = None
        self.schedule_refresh()

    def set_theory(self, theory) -> None:
        """An engine.theory.TheoryCurve (or None): its law drawn as a density of the nonzero
        eigenvalues, labelled with the engine's name for it."""
        self._theory = theory
        self._ks = None
        self.refresh()

    def set_log(self, on: bool) -> None:
        on = bool(on)
        if self.log_action.isChecked() != on:
            self.log_action.setChecked(on)          # calls back here
            return
        if on != self._log:
            self._log = on
            if self.log_button.isChecked() != on:
                (self.log_button if on else self.lin_button).setChecked(True)
            if not self._quiet:                     # the user's choice: kept in the config
                self._auto_log = False
                self.option_changed.emit("log_axis", on)
            self.refresh()

    def set_counts(self, on: bool) -> None:
        on = bool(on)
        if on != self._counts:
            self._counts = on
            if self.count_button.isChecked() != on:
                (self.count_button if on else self.density_button).setChecked(True)
            self.refresh()

    # ------------------------------------------------------------------ data out
    @property
    def log_axis(self) -> bool:
        return self._log

    @property
    def n_teachers(self) -> int:
        return len(self._all)

    def eigenvalues(self) -> np.ndarray:
        """All eigenvalues received, pooled in teacher order (zeros included)."""
        return np.concatenate(self._all) if self._all else np.zeros(0)

    def nonzero_eigenvalues(self) -> np.ndarray:
        return np.concatenate(self._nonzero) if self._nonzero else np.zeros(0)

    @property
    def n_zero(self) -> int:
        return sum(a.size for a in self._all) - sum(a.size for a in self._nonzero)

    def plotted_values(self) -> np.ndarray:
        """What the histogram bins: λ > tol, or log₁₀ of it on the log axis."""
        v = self.nonzero_eigenvalues()
        return np.log10(v) if self._log else v

    @property
    def ks_distance(self) -> float | None:
        return self._ks

    def hover_text(self, x: float, y: float) -> str:
        if not self._all or self.edges.size < 2 or not self.edges[0] <= x <= self.edges[-1]:
            return ""
        i = min(int(np.searchsorted(self.edges, x, side="right")) - 1, self.heights.size - 1)
        lo, hi = self.edges[i], self.edges[i + 1]
        if self._log:
            lo, hi = 10.0 ** lo, 10.0 ** hi
        h = self.heights[i]
        what = f"{int(h)} eigenvalues" if self._counts else f"density {h:.3g}"
        return f"λ ∈ [{lo:.3g}, {hi:.3g}]: {what}"

    def pick(self, x: float, y: float) -> int | None:
        """Teacher 1's eigenvalue nearest to the click (on the axis shown)."""
        if not self._all or self.edges.size < 2 or not self.edges[0] <= x <= self.edges[-1]:
            return None
        lam = self._all[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            axis = np.log10(np.where(lam > 0, lam, np.nan)) if self._log else lam
        if not np.any(np.isfinite(axis)):
            return None
        return int(np.nanargmin(np.abs(axis - x)))

    def status_text(self) -> str:
        return "" if self._ks is None else f"KS {self._ks:.3f}"

    def x_label(self) -> str:
        return "log₁₀ λ   (λ: Hessian eigenvalue)" if self._log else "λ   (Hessian eigenvalue)"

    def y_label(self) -> str:
        if self._counts:
            return "count per bin"
        return "density per unit log₁₀ λ" if self._log else "density of nonzero λ"

    def export_arrays(self) -> dict[str, np.ndarray]:
        centres = 0.5 * (self.edges[:-1] + self.edges[1:])
        return {"bin_edges": self.edges, "bin_centres": centres, "heights": self.heights,
                "eigenvalues": self.eigenvalues(), "nonzero_eigenvalues": self.nonzero_eigenvalues(),
                "teacher_of_eigenvalue": np.repeat(np.arange(len(self._all)), [a.size for a in self._all]),
                "rank_tolerances": np.array(self._tolerances),
                "theory_x": self.theory_x, "theory_y": self.theory_y,
                "theory_atoms_x": self.atom_x[::2], "theory_atoms_height": self.atom_y[1::2],
                "log_axis": np.array(self._log), "counts": np.array(self._counts)}

    def csv_table(self) -> tuple[str, np.ndarray]:
        """The histogram as drawn: one row per bin."""
        x = "log10_lambda" if self._log else "lambda"
        y = "count" if self._counts else "density"
        header = f"{x}_left,{x}_right,{x}_centre,{y}"
        left, right = self.edges[:-1], self.edges[1:]
        return header, np.column_stack([left, right, 0.5 * (left + right), self.heights])

    # ------------------------------------------------------------------ drawing
    @property
    def _law(self):
        return None if self._theory is None else self._theory.law

    def _theory_curve(self, n_nonzero: int, width: float) -> tuple[np.ndarray, np.ndarray]:
        law = self._law
        if law is None:
            return np.zeros(0), np.zeros(0)
        lam = np.asarray(law.lam, dtype=float)
        rho = np.asarray(law.density, dtype=float)
        # engine.laws.Law: the law of the nonzero eigenvalues; `density` is its continuous part
        # and `atoms` its point masses, together of total `mass` (1 up to quadrature error).
        mass = float(law.mass or 1.0)
        ok = (lam > 0) & np.isfinite(rho)
        lam, rho = lam[ok], rho[ok] / mass
        if self._log:
            x, y = np.log10(lam), rho * lam * LN10                    # change of variables to u = log₁₀ λ
        else:
            x, y = lam, rho
        if self._counts:
            y = y * n_nonzero * width
        if self.edges.size > 1 and n_nonzero:
            # Only where the histogram is: the law's grid reaches far into a 1e-12 tail.
            span = self.edges[-1] - self.edges[0]
            keep = (x >= self.edges[0] - 0.15 * span) & (x <= self.edges[-1] + 0.15 * span)
            x, y = x[keep], y[keep]
        return x, y

    def _atom_sticks(self, n_nonzero: int, width: float) -> tuple[np.ndarray, np.ndarray]:
        """Point masses of the law as vertical sticks: the height of the bar they would make."""
        atoms = [(x, w) for x, w in self._law.atoms if x > 0] if self._law is not None else []
        if not atoms:
            return np.zeros(0), np.zeros(0)
        mass = float(self._law.mass or 1.0)
        xs = np.array([x for x, _ in atoms])
        ws = np.array([w for _, w in atoms]) / mass
        if self._log:
            xs = np.log10(xs)
        heights = ws * n_nonzero if self._counts else ws / width
        x = np.repeat(xs, 2)
        y = np.column_stack([np.zeros_like(heights), heights]).ravel()
        return x, y

    def draw(self) -> None:
        self._timer.stop()
        self._choose_axis()
        values = self.plotted_values()
        n_nz, n_all = values.size, sum(a.size for a in self._all)
        self.edges = bin_edges(values)
        counts, _ = np.histogram(values, bins=self.edges)
        width = float(self.edges[1] - self.edges[0])
        if self._counts:
            self.heights = counts.astype(float)
        else:
            self.heights = counts / (n_nz * width) if n_nz else counts.astype(float)
        self.empty_text.setVisible(n_all == 0)
        if n_all == 0:
            self.hist_item.setData([], [])
            self.empty_text.setPos(0.5, 0.5)
        else:
            self.hist_item.setData(self.edges, self.heights, stepMode="center", fillLevel=0,
                                   fillBrush=style.colour(style.BLUE, 110),
                                   pen=pg.mkPen(style.BLUE, width=2))
        teachers = len(self._all)
        self.hist_item.opts["name"] = (f"λ > tol: {n_nz} eigenvalues, "
                                       f"{teachers} teacher{'s' if teachers != 1 else ''}")
        self.zero_item.opts["name"] = f"zero modes λ ≤ tol: {n_all - n_nz} of {n_all}, not drawn"
        self.theory_x, self.theory_y = self._theory_curve(n_nz, width)
        if self._theory is not None and n_nz and self._ks is None:
            self._ks = self._theory.ks_distance(self._spectra)
        self.atom_x, self.atom_y = self._atom_sticks(n_nz, width)
        self.atom_item.setData(self.atom_x, self.atom_y, connect="pairs")
        if self.theory_x.size:
            self.theory_item.setData(self.theory_x, self.theory_y)
            ks = f", KS = {self._ks:.3f}" if self._ks is not None else ""
            self.theory_item.opts["name"] = f"{self._theory.label}{ks}"
            self.theory_item.show()
        else:
            self.theory_item.setData([], [])
            self.theory_item.hide()
        tol = max(self._tolerances) if self._tolerances else 0.0
        if self._log and tol > 0 and n_all:
            self.tol_line.setValue(math.log10(tol))
            self.tol_line.show()
        else:
            self.tol_line.hide()
        self._rebuild_legend()
        style.set_labels(self.plot, self.x_label(), self.y_label())
        item = self.plot.getPlotItem()
        item.enableAutoRange(x=True)
        top = max(float(self.heights.max()) if self.heights.size else 0.0,
                  float(self.theory_y.max()) if self.theory_y.size else 0.0,
                  float(self.atom_y.max()) if self.atom_y.size else 0.0)
        if top > 0:
            item.setYRange(0, top * HEADROOM, padding=0)
        else:
            item.enableAutoRange(y=True)
        self.updated.emit()

    def _rebuild_legend(self) -> None:
        entries = []
        if self._all:
            entries += [(self.hist_item, self.hist_item.opts["name"]),
                        (self.zero_item, self.zero_item.opts["name"])]
        if self.theory_item.isVisible():
            entries.append((self.theory_item, self.theory_item.opts["name"]))
        style.set_legend(self.plot, entries)
