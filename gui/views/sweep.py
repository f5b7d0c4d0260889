"""The Sweep view: the paper's claims across architectures, filled live as points finish.

Choose one or two axes among Ni, Nh, N, σ1, σ2, the power k and the activation (each a sweep
spec: a number, A:B, A:B:STEP or A,B,C; engine.sweep), and a measure; everything else (the
activation when it is not an axis, data, σ's, teachers, seed) comes from the settings panel.
One axis gives curves — the numerical rank against the predicted rank and P, λ_min/λ_max on a
log axis, the KS distance of linear networks — and two give a family of curves or a heatmap
of a difference, where the Alexander–Hirschowitz exceptions stand out as single cells (the
naive count min(Nh·Ni, C(Ni+k−1, k)) minus the rank: engine.rank.naive_rank). Click a point
or a cell: that architecture opens in the run's views.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QPushButton

from engine.activations import parse_activation
from engine.rank import naive_rank
from engine.settings import by_key, sweep_axes

from .. import style
from .base import View

# measure key → (menu text, axis or colour-bar label)
MEASURES = {
    "rank": ("rank, predicted rank and P", "rank"),
    "ratio": ("λₘᵢₙ / λₘₐₓ (log)", "λₘᵢₙ / λₘₐₓ"),
    "ks": ("KS distance to the law (linear)", "KS distance"),
    "deficit": ("P − rank (zero modes)", "P − rank"),
    "exceptions": ("naive count − rank (Alexander–Hirschowitz)", "naive count − rank"),
    "surprise": ("rank − predicted", "rank − predicted"),
}
PLOTS = ("curves", "heatmap")
AXIS_LABELS = {"ni": "Ni (inputs)", "nh": "Nh (hidden units)", "samples": "N (samples)",
               "sigma1": "σ1 (W1 std)", "sigma2": "σ2 (W2 std)", "k": "power k",
               "activation": "activation"}
EXAMPLES = {"ni": "2:8", "nh": "1:12", "samples": "50:500:50", "sigma1": "0.25:2:0.25",
            "sigma2": "0.25:2:0.25", "k": "2:5", "activation": "quadratic, cubic, erf"}


def axis_label(key: str) -> str:
    """An axis's label: the ones above, else its setting's panel label (engine.settings), so a
    setting declared a sweep axis is offered here without more code."""
    if key in AXIS_LABELS:
        return AXIS_LABELS[key]
    s = by_key().get(key)
    return " ".join(s.label.split()) if s is not None and s.label else key


SERIES_COLOURS = [style.BLUE, style.VERMILLION, style.GREEN, style.PURPLE, style.ORANGE,
                  style.SKY, style.YELLOW, style.BLACK]
HEATMAP = pg.colormap.get("CET-L17")
CELL_TEXT_MAX = 400      # cells written into the heatmap (more would be unreadable)
PICK_PX = 25             # how near (pixels) a click must be to a plotted point


def measure_of(record: dict, key: str) -> float:
    """The number a point shows for a measure (NaN where it has none)."""
    rank = float(np.mean(record["ranks"]))
    if key == "rank":
        return rank
    if key == "ratio":
        lo = record["lambda_min_nonzero"]
        return np.nan if lo is None or not record["lambda_max"] else lo / record["lambda_max"]
    if key == "ks":
        return np.nan if record["ks_distance"] is None else record["ks_distance"]
    if key == "deficit":
        return record["n_params"] - rank
    if key == "exceptions":
        act = parse_activation(record["activation"])
        return naive_rank(act, record["ni"], record["nh"], record["samples"]) - rank
    pred = record["predicted_rank"]
    return np.nan if pred is None else rank - pred


def _fmt(value) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def _series_name(axis: str, value) -> str:
    """A curve's legend entry: the activation itself, or "Ni = 4", "k = 3", …"""
    return str(value) if axis == "activation" else f"{axis_label(axis).split(' (')[0]} = {_fmt(value)}"


class SweepView(View):
    name = "sweep"
    title = "Sweep"
    page = "sweep"

    open_point = Signal(dict)     # the architecture of a clicked point, as config fields
    sweep_requested = Signal(list)   # [(axis, spec), …]: the window runs it with its settings

    def __init__(self, parent=None):
        super().__init__("Sweep over architectures", parent, legend_columns=4)
        self.grid = None
        self.records: dict[int, dict] = {}
        self.running = False
        self._x: str | None = None          # the swept axis along x (the user's first)
        self._items: dict[tuple, object] = {}        # (series, role) → its plot item, reused
        self._used: set = set()                        # the items this draw shows
        self._cells: list = []                         # heatmap value labels, reused
        self._cells_shown: list = []                   # ... those this draw wrote
        self._marks: list[tuple[float, float, int]] = []   # plotted (x, y, point index)
        self._build()
        self.refresh()

    def _build(self) -> None:
        item = self.plot.getPlotItem()
        item.vb.sigResized.connect(lambda *_: self._fit_cells())
        self.image = pg.ImageItem()
        self.image.setColorMap(HEATMAP)
        item.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=HEATMAP, interactive=False, width=18, pen="k")
        self.colorbar.setImageItem(self.image)
        self.colorbar.getAxis("right").setTextPen("k")
        self.colorbar.hide()
        self.axis_combos, self.spec_edits = [], []
        grid = QGridLayout()
        for row, (text, default) in enumerate((("x axis", "nh"), ("second axis", None))):
            combo = QComboBox()
            if default is None:
                combo.addItem("none", None)
            for key in sweep_axes():
                combo.addItem(axis_label(key), key)
            combo.setCurrentIndex(combo.findData(default))
            edit = QLineEdit(EXAMPLES.get(default, "") if default else "")
            edit.setToolTip("values: a number, a range A:B or A:B:STEP, or a list A,B,C "
                            "(activations: quadratic, cubic, erf)")
            edit.setMinimumWidth(90)
            edit.returnPressed.connect(self.run_sweep)
            combo.currentIndexChanged.connect(lambda _i, c=combo, e=edit: self._axis_chosen(c, e))
            grid.addWidget(QLabel(text), row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(edit, row, 2)
            self.axis_combos.append(combo)
            self.spec_edits.append(edit)
        self.spec_edits[1].setEnabled(False)
        self.measure = QComboBox()
        for key, (text, _) in MEASURES.items():
            self.measure.addItem(text, key)
        self.plot_kind = QComboBox()
        self.plot_kind.addItem("automatic", None)
        for kind in PLOTS:
            self.plot_kind.addItem(kind, kind)
        self.plot_kind.setToolTip("two axes: one curve per value of the second axis, or a heatmap")
        for combo in (self.measure, self.plot_kind, *self.axis_combos):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        for combo in (self.measure, self.plot_kind):
            combo.currentIndexChanged.connect(lambda _i: self._shown_changed())
        self.run_button = QPushButton("Run sweep")
        self.run_button.setToolTip("compute every point of the grid (Enter in a values field)")
        self.run_button.clicked.connect(self.run_sweep)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        grid.addWidget(QLabel("measure"), 0, 3)
        grid.addWidget(self.measure, 0, 4)
        grid.addWidget(QLabel("plot"), 1, 3)
        grid.addWidget(self.plot_kind, 1, 4)
        grid.addWidget(self.run_button, 0, 5)
        grid.addWidget(self.cancel_button, 1, 5)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(4, 2)
        self.summary = style.Summary(rich=False)
        self.stack(grid, self.summary)

    # ------------------------------------------------------------------ settings
    def _axis_chosen(self, combo: QComboBox, edit: QLineEdit) -> None:
        key = combo.currentData()
        edit.setEnabled(key is not None)
        edit.setText(EXAMPLES.get(key, "") if key else "")

    def specs(self) -> list[tuple[str, str]]:
        """The axes as typed, [(name, spec), …], the x axis first."""
        return [(combo.currentData(), edit.text().strip())
                for combo, edit in zip(self.axis_combos, self.spec_edits) if combo.currentData() is not None]

    def settings(self) -> dict:
        """What the configuration saves as "view.sweep"."""
        return {"axes": dict(self.specs()), "measure": self.measure.currentData(),
                "plot": self.plot_kind.currentData()}

    def set_settings(self, sweep: dict) -> None:
        """A configuration's "view.sweep" (checked by gui.config): axes, measure, plot."""
        axes = list(sweep["axes"].items()) + [(None, "")]
        widgets = [*self.axis_combos, *self.spec_edits, self.measure, self.plot_kind]
        for w in widgets:
            w.blockSignals(True)
        try:
            for combo, edit, (key, spec) in zip(self.axis_combos, self.spec_edits, axes):
                combo.setCurrentIndex(combo.findData(key))
                edit.setText(str(spec))
                edit.setEnabled(key is not None)
            self.measure.setCurrentIndex(max(0, self.measure.findData(sweep.get("measure") or "rank")))
            self.plot_kind.setCurrentIndex(max(0, self.plot_kind.findData(sweep.get("plot"))))
        finally:
            for w in widgets:
                w.blockSignals(False)
        self.refresh()

    def apply_options(self, options: dict) -> None:
        sweep = options.get("sweep")
        if sweep and sweep != self.settings():
            self.set_settings(sweep)

    def _shown_changed(self) -> None:
        self.option_changed.emit("sweep", self.settings())
        self.refresh()

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        self.cancel_button.clicked.connect(controller.cancel_sweep)
        controller.sweep_started.connect(self.start)
        controller.sweep_point.connect(self.add_point)
        controller.sweep_finished.connect(self._finished)

    def run_sweep(self) -> None:
        """Ask for the grid the axes describe (the window adds its settings for the rest)."""
        self.option_changed.emit("sweep", self.settings())
        self.sweep_requested.emit(self.specs())

    def start(self, grid) -> None:
        """An engine.sweep.Grid: clear and wait for its points."""
        self.grid = grid
        first = next(iter(dict(self.specs())), None)
        self._x = first if first in grid.axes else next(iter(grid.axes), None)
        self.records.clear()
        self.running = True
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.refresh()

    def add_point(self, item) -> None:
        i, record, _reused = item
        self.records[int(i)] = record
        self.schedule_refresh()

    def _finished(self, status: str) -> None:
        self.running = False
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.refresh()

    # ------------------------------------------------------------------ geometry
    def axes(self) -> list[tuple[str, list]]:
        """The swept axes, x first."""
        if self.grid is None:
            return []
        items = list(self.grid.axes.items())
        return sorted(items, key=lambda kv: kv[0] != self._x)

    def _coords(self, i: int) -> dict[str, int]:
        """Index of point i along each swept axis (grid order: the last axis fastest)."""
        out = {}
        for name, values in reversed(list(self.grid.axes.items())):
            out[name] = i % len(values)
            i //= len(values)
        return out

    def plot_kind_shown(self) -> str:
        chosen = self.plot_kind.currentData()
        axes = self.axes()
        if len(axes) < 2:
            return "curves"
        if chosen is not None:
            return chosen
        return "curves" if any(name == "activation" for name, _ in axes) else "heatmap"

    @staticmethod
    def _positions(name: str, values: list) -> np.ndarray:
        """Where an axis's values sit: themselves, or 0, 1, … for activations (labelled)."""
        return np.arange(len(values), dtype=float) if name == "activation" else np.asarray(values, float)

    def _point_config(self, i: int) -> dict:
        """Point i as fields of the window's configuration (None: the default, as swept)."""
        c = self.grid.points[i]
        names = ("activation", "population", *(a for a in sweep_axes() if a not in ("k", "activation")))
        return {name: getattr(c, name) for name in names}

    def pick_point(self, x: float, y: float) -> int | None:
        """The point under view coordinates (x, y): the heatmap's cell, or the nearest plotted
        point within PICK_PX pixels."""
        axes = self.axes()
        if not axes or not self.records:
            return None
        if self.plot_kind_shown() == "heatmap":
            (xn, xv), (yn, yv) = axes
            p, q = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))    # cells at index positions
            if not (0 <= p < len(xv) and 0 <= q < len(yv)):
                return None
            for i in self.records:
                c = self._coords(i)
                if c[xn] == p and c[yn] == q:
                    return i
            return None
        vb = self.plot.getPlotItem().vb
        log_y = self.plot.getPlotItem().ctrl.logYCheck.isChecked()
        target = vb.mapViewToScene(pg.Point(x, y))
        best, best_d = None, PICK_PX
        for px, py, i in self._marks:
            if not np.isfinite(py) or (log_y and py <= 0):
                continue
            s = vb.mapViewToScene(pg.Point(px, np.log10(py) if log_y else py))
            d = float(np.hypot(s.x() - target.x(), s.y() - target.y()))
            if d < best_d:
                best, best_d = i, d
        return best

    def clicked(self, x: float, y: float) -> None:
        """A click on a point or cell: open that architecture."""
        i = self.pick_point(x, y)
        if i is not None:
            self.open_point.emit(self._point_config(i))

    # ------------------------------------------------------------------ data out
    def _describe(self, r: dict) -> str:
        where = f"{r['activation']} · Ni={r['ni']} · Nh={r['nh']}"
        if r["samples"] is not None:
            where += f" · N={r['samples']}"
        ranks = ", ".join(map(str, r["ranks"]))
        pred = "—" if r["predicted_rank"] is None else r["predicted_rank"]
        return f"{where}: rank {ranks} (predicted {pred}, P={r['n_params']})"

    def hover_text(self, x: float, y: float) -> str:
        i = self.pick_point(x, y)
        if i is None or i not in self.records:
            return ""
        r = self.records[i]
        value = measure_of(r, self.measure.currentData())
        label = MEASURES[self.measure.currentData()][1]
        return f"{self._describe(r)}\n{label} = {value:.4g} — click to open"

    status_everywhere = True          # a sweep runs on whatever page is shown

    def status_text(self) -> str:
        if self.grid is None or not self.running:
            return ""
        return f"sweep {len(self.records)}/{len(self.grid)}"

    def export_arrays(self) -> dict[str, np.ndarray]:
        """Every finished point (grid index, its axis values and all it records)."""
        idx = sorted(self.records)
        recs = [self.records[i] for i in idx]
        out: dict[str, np.ndarray] = {"index": np.asarray(idx, dtype=int)}
        for name, values in self.axes():
            out[f"axis_{name}"] = np.asarray(values)
        out["activation"] = np.asarray([r["activation"] for r in recs], dtype=str)
        for key in ("ni", "nh", "samples", "sigma1", "sigma2", "n_params", "predicted_rank",
                    "rank_upper_bound", "lambda_max", "lambda_min_nonzero", "ks_distance"):
            out[key] = np.array([np.nan if r[key] is None else r[key] for r in recs], dtype=float)
        teachers = max((len(r["ranks"]) for r in recs), default=0)
        out["ranks"] = np.array([r["ranks"] for r in recs], dtype=float).reshape(len(recs), teachers)
        out["zero_modes"] = np.array([r["zero_modes"] for r in recs], dtype=float).reshape(len(recs), teachers)
        out["measure"] = np.array([measure_of(r, self.measure.currentData()) for r in recs], dtype=float)
        return out

    def empty_reason(self) -> str:
        if self.grid is None:
            return ('this run has no sweep; give the configuration one, e.g. "view": {"sweep": '
                    '{"axes": {"nh": "1:12"}}} (as presets 12 and 13 do)')
        return "no point of the sweep finished"

    def csv_table(self) -> tuple[str, np.ndarray]:
        """One row per finished point; activations by their index in the header's list."""
        a = self.export_arrays()
        names = sorted(set(a["activation"].tolist()), key=a["activation"].tolist().index)
        cols = ["index", "activation_index", "ni", "nh", "samples", "sigma1", "sigma2", "n_params",
                "predicted_rank", "rank_upper_bound", "rank_mean", "lambda_max",
                "lambda_min_nonzero", "ks_distance", "measure"]
        table = {**a, "activation_index": np.array([names.index(n) for n in a["activation"]], float),
                 "rank_mean": a["ranks"].mean(axis=1) if a["ranks"].size else np.zeros(0)}
        key = "activations: " + "; ".join(f"{k} = {n}" for k, n in enumerate(names))
        header = f"{key}\nmeasure: {MEASURES[self.measure.currentData()][1]}\n" + ",".join(cols)
        if not a["index"].size:
            return header, np.zeros((0, len(cols)))
        return header, np.column_stack([np.asarray(table[c], float) for c in cols])

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        """Redraw from the records. Plot items are kept and given new data (a live sweep
        redraws every REFRESH_MS: recreating them each time churns Qt objects and the legend)."""
        self._used, self._marks = set(), []
        try:
            self._draw()
        finally:
            for key, it in self._items.items():
                if key not in self._used:
                    it.hide()

    def refresh(self) -> None:
        super().refresh()
        self._fit_cells()               # after the text scale is applied

    def _fit_cells(self) -> None:
        """A heatmap value is written only where it fits its cell: one wider than its cell
        would cover its neighbours' and, at the edge, be cut by the plot."""
        if not self._cells_shown:
            return
        vb = self.plot.getPlotItem().vb
        cell = vb.mapViewToScene(pg.QtCore.QRectF(0, 0, 1, 1)).boundingRect()
        for text in self._cells_shown:
            size = text.textItem.boundingRect()
            text.setVisible(size.width() <= cell.width() + 1 and size.height() <= cell.height() + 1)

    def _draw(self) -> None:
        self.image.hide()
        self._cells_shown = []
        for text in self._cells:
            text.hide()
        key = self.measure.currentData()
        if self.grid is None:
            self._show_colorbar(False)
            self.summary.setText("Choose one or two axes and their values, a measure, and press "
                                 "Run sweep; every other setting comes from the settings panel.")
            style.set_legend(self.plot, [])
            return
        n = len(self.grid)
        state = "running" if self.running else "done" if len(self.records) == n else "stopped"
        names = " × ".join(f"{axis_label(k)} ({len(v)})" for k, v in self.axes()) or "one point"
        self.summary.setText(f"{len(self.records)} of {n} points ({state}) over {names} · "
                             f"{MEASURES[key][0]} · click a point to open it")
        if self.plot_kind_shown() == "heatmap":
            self._draw_heatmap(key)
        else:
            self._draw_curves(key)

    def _show_colorbar(self, on: bool) -> None:
        layout = self.plot.getPlotItem().layout
        inside = any(layout.itemAt(i) is self.colorbar for i in range(layout.count()))
        if on and not inside:
            layout.addItem(self.colorbar, 2, 5)
        elif not on and inside:
            layout.removeItem(self.colorbar)
        self.colorbar.setVisible(on)

    def _set_ticks(self, side: str, name: str | None, values: list | None) -> None:
        """Labelled ticks for an activation axis or a heatmap's cells; automatic otherwise."""
        axis = self.plot.getPlotItem().getAxis(side)
        if values is None:
            axis.setTicks(None)
            return
        step = max(1, -(-len(values) // 14))            # at most about 14 labels
        axis.setTicks([[(float(p), _fmt(v)) for p, v in enumerate(values) if p % step == 0], []])

    def _draw_curves(self, key: str) -> None:
        item = self.plot.getPlotItem()
        self._show_colorbar(False)
        axes = self.axes()
        log_y = key == "ratio"
        item.setLogMode(x=False, y=log_y)
        if not axes:                                       # one point: say it, plot nothing
            for r in self.records.values():
                self.summary.setText(self._describe(r))
            style.set_legend(self.plot, [])
            return
        xname, xvalues = axes[0]
        xpos = self._positions(xname, xvalues)
        self._set_ticks("bottom", xname, xvalues if xname == "activation" else None)
        self._set_ticks("left", None, None)
        series = axes[1] if len(axes) > 1 else (None, [None])
        legend = []
        shared_p = len({r["n_params"] for r in self.records.values()}) <= len(xvalues)
        for s, svalue in enumerate(series[1]):
            colour = SERIES_COLOURS[s % len(SERIES_COLOURS)] if series[0] else style.BLUE
            pts = sorted((self._coords(i)[xname], i) for i in self.records
                         if series[0] is None or self._coords(i)[series[0]] == s)
            if not pts:
                continue
            x = np.array([xpos[p] for p, _ in pts])
            recs = [self.records[i] for _, i in pts]
            y = np.array([measure_of(r, key) for r in recs])
            name = _series_name(series[0], svalue) if series[0] else MEASURES[key][1]
            main = self._curve((s, "main"), x, y, pen=pg.mkPen(colour, width=2), symbol="o",
                               symbolSize=7, symbolBrush=colour, symbolPen=None)
            legend.insert(s, (main, name))
            self._marks += [(float(a), float(b), i) for a, b, (_, i) in zip(x, y, pts)]
            if key != "rank":
                continue
            many = [(a, t) for a, r in zip(x, recs) for t in r["ranks"] if len(r["ranks"]) > 1]
            if many and any(len(set(r["ranks"])) > 1 for r in recs):    # teachers that differ
                self._curve((s, "teachers"), [a for a, _ in many], [t for _, t in many], pen=None,
                            symbol="o", symbolSize=5, symbolPen=pg.mkPen(colour), symbolBrush=None)
            pred = [r["predicted_rank"] for r in recs]
            if all(p is not None for p in pred):
                line = self._curve((s, "predicted"), x, np.asarray(pred, float),
                                   pen=pg.mkPen(colour if series[0] else style.ORANGE, width=2,
                                                style=Qt.PenStyle.DashLine))
                if s == 0:
                    legend.append((line, "predicted (dashed)"))
            if s == 0 or not shared_p:
                p_line = self._curve((s, "P"), x, np.asarray([r["n_params"] for r in recs], float),
                                     pen=pg.mkPen(style.GREY if shared_p or not series[0] else colour,
                                                  width=2, style=Qt.PenStyle.DotLine))
                if s == 0:
                    legend.append((p_line, "P = Nh·Ni + Nh (dotted)"))
        style.set_labels(self.plot, axis_label(xname), MEASURES[key][1])
        style.set_legend(self.plot, legend)
        self._set_title(f"{MEASURES[key][1]} vs {axis_label(xname).split(' (')[0]}")
        item.enableAutoRange()

    def _draw_heatmap(self, key: str) -> None:
        item = self.plot.getPlotItem()
        item.setLogMode(x=False, y=False)
        (xname, xs), (yname, ys) = self.axes()
        data = np.full((len(xs), len(ys)), np.nan)
        for i, r in self.records.items():
            c = self._coords(i)
            data[c[xname], c[yname]] = measure_of(r, key)
        log = key == "ratio"
        if log:
            data = np.where(data > 0, np.log10(np.where(data > 0, data, 1.0)), np.nan)
        finite = data[np.isfinite(data)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        hi = max(hi, lo + 1.0)        # a constant map: the lowest colour, a readable scale
        shown = np.where(np.isfinite(data), data, np.nan)
        self.image.setImage(shown, levels=(lo, hi), autoLevels=False)
        self.image.setRect(-0.5, -0.5, len(xs), len(ys))
        self.image.show()
        self.colorbar.setLevels((lo, hi))
        self.colorbar.setLabel("right", ("log₁₀ " if log else "") + MEASURES[key][1], color="k")
        self._show_colorbar(True)
        if data.size <= CELL_TEXT_MAX:
            cells = [(p, q) for p in range(len(xs)) for q in range(len(ys)) if np.isfinite(data[p, q])]
            while len(self._cells) < len(cells):
                text = pg.TextItem("", anchor=(0.5, 0.5))
                item.addItem(text, ignoreBounds=True)
                self._cells.append(text)
            for text, (p, q) in zip(self._cells, cells):
                dark = (data[p, q] - lo) / (hi - lo) > 0.5
                text.setText(f"{data[p, q]:.3g}" if log or key == "ks" else f"{data[p, q]:g}",
                             color="w" if dark else "k")
                text.setPos(p, q)
                text.show()
                self._cells_shown.append(text)
        self._set_ticks("bottom", xname, xs)
        self._set_ticks("left", yname, ys)
        style.set_labels(self.plot, axis_label(xname), axis_label(yname))
        style.set_legend(self.plot, [])
        self._set_title(("log₁₀ " if log else "") + MEASURES[key][1])
        item.setRange(xRange=(-0.5, len(xs) - 0.5), yRange=(-0.5, len(ys) - 0.5), padding=0)

    def _set_title(self, what: str) -> None:
        """What is plotted, and the settings every point shares (a figure says what it shows)."""
        c, swept = self.grid.config, set(self.grid.axes)
        first = self.grid.points[0]
        fixed = [] if swept & {"activation", "k"} else [first.activation]
        fixed += [f"{label} = {getattr(first, name)}" for name, label in (("ni", "Ni"), ("nh", "Nh"))
                  if name not in swept]
        if "samples" not in swept:
            fixed.append("N → ∞" if c.population else "N = 4·P" if first.samples is None
                         else f"N = {first.samples}")
        fixed += [f"{label} = {getattr(first, name):g}" for name, label in (("sigma1", "σ1"), ("sigma2", "σ2"))
                  if name not in swept and getattr(first, name) is not None]
        fixed.append(f"{c.teachers} teacher{'s' * (c.teachers > 1)}")
        title = f"{what} · {', '.join(fixed)}"
        if self.plot._title != title:
            self.plot._title = title
            style.apply_fonts(self.plot)

    def _curve(self, key: tuple, x, y, **opts) -> pg.PlotDataItem:
        """The plot item `key` (made on first use, then reused) showing (x, y) drawn with opts."""
        it = self._items.get(key)
        if it is None:
            it = self._items[key] = pg.PlotDataItem()
            self.plot.getPlotItem().addItem(it)
        it.setData(np.asarray(x, float), np.asarray(y, float), **opts)
        it.show()
        self._used.add(key)
        return it
