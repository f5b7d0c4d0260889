"""The Dynamics view: the training loss vs step on a log axis, live, against its linearisation.

Gradient descent from θ* + δ0 (engine.dynamics) streams TrajectoryChunks; the view draws the
actual loss, the linearised prediction ½ Σ λ_k c_k² (1 − ηλ_k)^{2t}, and the energies of the m
slowest nonzero modes (actual solid, predicted dashed, one colour each, labelled with λ). A
vertical marker shows where the slow modes take over (their share of the loss passes ½):
after it the loss is set by the smallest eigenvalues alone.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSlider

from .. import style
from .base import View

FIELDS = ("steps", "loss", "loss_linearized", "loss_flow", "slow_share_predicted", "slow_share_actual")


CANCELLED = "Cancelled before training: press Run (Ctrl+R) to train"
FAILED = "Not trained: the run failed (the message above says why)"

DISPLAY_POINTS = 1500     # points drawn per curve (the data and exports keep every step)


# The loss axis spans at most this many decades: a linear network's expected curve falls to
# 1e-300 within a thousand steps, and below ~1e-32 rounding of y − y* is all there is to see.
MAX_DECADES = 30


def display_index(n: int) -> np.ndarray:
    """Indices of the recorded steps to draw: all up to DISPLAY_POINTS, else a mix of evenly and
    geometrically spaced ones (dense at the start for the log step axis). Thick and dashed
    curves through 20 000 points would cost ~100 ms a repaint; the loss curves are smooth."""
    if n <= DISPLAY_POINTS:
        return np.arange(n)
    half = DISPLAY_POINTS // 2
    idx = np.concatenate([np.linspace(0, n - 1, half), np.geomspace(1, n - 1, half)])
    return np.unique(np.concatenate([[0], idx.round().astype(np.int64), [n - 1]]))


def _positive(x: np.ndarray, y: np.ndarray, log_x: bool) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(y) & (y > 0)
    if log_x:
        ok &= x > 0
    return x[ok], y[ok]


def mode_names(eigenvalues) -> list[str]:
    """Legend names of the slow modes: "mode λ = 0.92", numbered when two would read alike
    (a linear network with Ni > Nh has Ni − Nh equal eigenvalues)."""
    names = [f"λ = {lam:.3g}" for lam in np.asarray(eigenvalues, dtype=float)]
    if len(set(names)) < len(names):
        return [f"mode {j + 1}: {n}" for j, n in enumerate(names)]
    return [f"mode {n}" for n in names]


class DynamicsView(View):
    name = "dynamics"
    title = "Dynamics"
    page = "learning"
    redraw_after = ("dynamics",)

    def __init__(self, parent=None):
        super().__init__("Learning near the optimum", parent, legend_columns=2)
        self._log_x = False
        self._mode_items: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self._expected_items: list[pg.PlotDataItem] = []
        self.expected = None
        self._build()
        self.clear()

    def _build(self) -> None:
        item = self.plot.getPlotItem()
        item.setLogMode(x=False, y=True)
        # A log step axis labels the decades only: pyqtgraph labels 2·10³, 3·10³, … as well,
        # and on a wide plot they run into each other.
        axis = item.getAxis("bottom")
        all_strings = axis.logTickStrings
        axis.logTickStrings = lambda values, scale, spacing: [
            text if abs(v - round(v)) < 1e-9 else "" for v, text in zip(values, all_strings(values, scale, spacing))]
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.loss_item = pg.PlotDataItem(pen=pg.mkPen(style.BLACK, width=3), name="loss L(t)")
        self.lin_item = pg.PlotDataItem(pen=pg.mkPen(style.BLUE, width=3, style=Qt.PenStyle.DashLine),
                                        name="linearised prediction")
        item.addItem(self.lin_item)
        item.addItem(self.loss_item)
        self.loss_item.setZValue(20)
        self.lin_item.setZValue(21)
        self.takeover_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.VERMILLION, width=2, style=Qt.PenStyle.DashDotLine),
                                             label="slow modes take over", labelOpts={"position": 0.93, "color": style.VERMILLION,
                                                                                      "anchors": [(0, 0), (1, 0)]})
        item.addItem(self.takeover_line, ignoreBounds=True)
        self.takeover_line.hide()
        item.vb.sigResized.connect(lambda *_: self._place_takeover_label())
        item.vb.sigXRangeChanged.connect(lambda *_: self._place_takeover_label())
        # Nothing to show yet: a message in the empty plot. (The plot itself is never hidden:
        # showing it for the first time in the middle of a run re-lays out the whole window.)
        self.empty_text = pg.TextItem("", color=style.GREY, anchor=(0.5, 0.5))
        font = QFont()
        font.setPointSize(style.LABEL_PT)
        self.empty_text.setFont(font)
        item.addItem(self.empty_text, ignoreBounds=True)
        self.empty_text.setPos(0.5, 0.5)
        self.log_x_box = QCheckBox("log step axis")
        self.log_x_box.toggled.connect(self.set_log_x)
        self.summary = style.Summary(rich=False)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 3)
        bar.addWidget(self.log_x_box)
        # Replay: scrub through the kept frames δ(t); the Landscape view follows the same step.
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(style.GREY, width=2))
        item.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        self.play_button = QPushButton("▶ Play")
        self.step_button = QPushButton("Step ▸")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.replay_label = QLabel("t = –")
        for w, tip in ((self.play_button, "replay training from the start (Play / Pause)"),
                       (self.step_button, "one frame on"),
                       (self.slider, "the training step shown here and in the Landscape view")):
            w.setToolTip(tip)
        for w in (self.play_button, self.step_button):
            bar.addWidget(w)
        self.slider.setMinimumWidth(80)
        bar.addWidget(self.slider)
        bar.addWidget(self.replay_label)
        self.stack(bar)

    # ------------------------------------------------------------------ data in
    def bind(self, controller) -> None:
        super().bind(controller)
        controller.started.connect(lambda plan: self.clear(plan.dynamics_note))
        controller.dynamics_reset.connect(self.clear)
        controller.expected_ready.connect(self.set_expected)
        controller.dynamics_started.connect(self.set_start)
        controller.dynamics_chunk.connect(self.add_chunk)
        controller.finished.connect(self._run_ended)
        self.replay = controller.replay
        self.replay.changed.connect(self._replay_range)
        self.replay.moved.connect(self._replay_moved)
        self.replay.playing_changed.connect(
            lambda on: self.play_button.setText("❚❚ Pause" if on else "▶ Play"))
        self.play_button.clicked.connect(
            lambda: self.replay.pause() if self.replay.playing else self.replay.play())
        self.step_button.clicked.connect(self.replay.step_forward)
        self.slider.sliderMoved.connect(self.replay.seek)
        self.slider.valueChanged.connect(
            lambda i: self.slider.isSliderDown() or i == self.replay.position or self.replay.seek(i))

    def _run_ended(self, status: str) -> None:
        """A run stopped before training began: say so, instead of waiting for good."""
        if self.start is not None or not self._message or status == "finished":
            return
        self._message = CANCELLED if status == "cancelled" else FAILED
        self.refresh()

    def _replay_range(self) -> None:
        n = len(self.replay)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        if n == 0:
            self.replay_label.setText("t = –")

    def _replay_moved(self, step: int, delta) -> None:
        if step < 0:
            self.cursor.hide()
            return
        self.slider.blockSignals(True)
        self.slider.setValue(self.replay.position)
        self.slider.blockSignals(False)
        self.replay_label.setText(f"t = {step}")
        self.cursor.setValue(np.log10(max(step, 1)) if self._log_x else step)
        self.cursor.show()

    def apply_options(self, options: dict) -> None:
        if "log_steps" in options:
            self.set_log_x(bool(options["log_steps"]))

    def clear(self, message: str = "") -> None:
        self.start = None
        self.status: str | None = None
        self.data = {k: np.zeros(0) for k in FIELDS}
        self.energy_actual = np.zeros((0, 0))
        self.energy_predicted = np.zeros((0, 0))
        self.takeover_actual: int | None = None
        self.last_step = 0
        self._message = message
        for a, p in self._mode_items:
            self.plot.getPlotItem().removeItem(a)
            self.plot.getPlotItem().removeItem(p)
        self._mode_items.clear()
        self._set_expected_items(None)
        self.refresh()

    def _set_expected_items(self, curve) -> None:
        item = self.plot.getPlotItem()
        for it in self._expected_items:
            item.removeItem(it)
        self._expected_items.clear()
        self.expected = curve
        if curve is None:
            return
        for j, name in enumerate(mode_names(curve.slow_eigenvalues)):
            c = style.SLOW_MODE_COLOURS[j % len(style.SLOW_MODE_COLOURS)]
            it = pg.PlotDataItem(pen=pg.mkPen(c, width=2.5, style=Qt.PenStyle.DashLine), name=name)
            item.addItem(it)
            self._expected_items.append(it)

    def set_expected(self, curve) -> None:
        """engine.curves.ExpectedCurve: what training would look like, before any training
        (shown only while no trajectory is on screen)."""
        if self.start is not None:
            return
        self._set_expected_items(curve)
        self.refresh()

    def set_start(self, start) -> None:
        """engine.dynamics.DynamicsStart: eigenvalues, c_k, η, slow modes, predictions."""
        self._set_expected_items(None)
        self.start = start
        m = len(start.slow_modes)
        self.energy_actual = np.zeros((0, m))
        self.energy_predicted = np.zeros((0, m))
        lam = np.asarray(start.eigenvalues)[np.asarray(start.slow_modes, dtype=int)]
        item = self.plot.getPlotItem()
        for j, name in enumerate(mode_names(lam)):
            c = style.SLOW_MODE_COLOURS[j % len(style.SLOW_MODE_COLOURS)]
            actual = pg.PlotDataItem(pen=pg.mkPen(c, width=2.5), name=name)
            pred = pg.PlotDataItem(pen=pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine))
            actual.setZValue(10)
            item.addItem(actual)
            item.addItem(pred)
            self._mode_items.append((actual, pred))
        self._message = ""
        self.refresh()

    def add_chunk(self, chunk) -> None:
        """One engine.dynamics.TrajectoryChunk."""
        for k in FIELDS:
            self.data[k] = np.concatenate([self.data[k], np.asarray(getattr(chunk, k), dtype=float)])
        m = self.energy_actual.shape[1]
        self.energy_actual = np.vstack([self.energy_actual, np.asarray(chunk.mode_energy_actual).reshape(-1, m)])
        self.energy_predicted = np.vstack([self.energy_predicted,
                                           np.asarray(chunk.mode_energy_predicted).reshape(-1, m)])
        self.takeover_actual = chunk.takeover_step_actual
        self.last_step = int(chunk.step)
        if chunk.status != "running":
            self.status = chunk.status
        self.schedule_refresh()

    def set_log_x(self, on: bool) -> None:
        changed = bool(on) != self._log_x
        self._log_x = bool(on)
        if self.log_x_box.isChecked() != self._log_x:
            self.log_x_box.setChecked(self._log_x)
        self.plot.getPlotItem().setLogMode(x=self._log_x, y=True)
        replay = getattr(self, "replay", None)
        if replay is not None and replay.step >= 0:
            self._replay_moved(replay.step, None)
        if changed:
            self.option_changed.emit("log_steps", self._log_x)
        self.refresh()

    # ------------------------------------------------------------------ data out
    @property
    def flow(self) -> bool:
        return bool(self.start is not None and self.start.flow)

    def hover_text(self, x: float, y: float) -> str:
        step = 10.0 ** x if self._log_x else x
        if self.start is None and self.expected is not None:
            steps, loss, what = np.asarray(self.expected.steps), np.asarray(self.expected.loss), "expected loss"
        elif self.data["steps"].size:
            steps, loss, what = self.data["steps"], self.data["loss"], "loss"
        else:
            return ""
        if not steps[0] - 0.5 <= step <= steps[-1] + 0.5:
            return ""
        i = int(np.argmin(np.abs(steps - step)))
        text = f"t = {int(steps[i])}: {what} {loss[i]:.4g}"
        if self.start is not None:
            text += f" (linearised {self.prediction()[i]:.4g})"
        return text

    def prediction(self) -> np.ndarray:
        return self.data["loss_flow" if self.flow else "loss_linearized"]

    def takeover_step(self) -> tuple[int | None, str]:
        """Where the marker goes: the actual takeover if seen, else the prediction."""
        if self.start is None and self.expected is not None:
            return self.expected.takeover_step, "expected"
        if self.takeover_actual is not None:
            return self.takeover_actual, "actual"
        if self.start is not None and self.start.predicted_takeover_step is not None:
            return int(self.start.predicted_takeover_step), "predicted"
        return None, ""

    def slow_eigenvalues(self) -> np.ndarray:
        if self.start is None:
            return np.zeros(0)
        return np.asarray(self.start.eigenvalues)[np.asarray(self.start.slow_modes, dtype=int)]

    def export_arrays(self) -> dict[str, np.ndarray]:
        if self.start is None and self.expected is not None:
            e = self.expected
            t, _ = self.takeover_step()
            return {"steps": np.asarray(e.steps), "expected_loss": np.asarray(e.loss),
                    "slow_eigenvalues": np.asarray(e.slow_eigenvalues),
                    "expected_mode_energy": np.asarray(e.slow_energies), "lr": np.array(e.lr),
                    "init_distance": np.array(e.eps), "takeover_step": np.array(-1 if t is None else t)}
        d = {k: v.copy() for k, v in self.data.items()}
        d["mode_energy_actual"] = self.energy_actual
        d["mode_energy_predicted"] = self.energy_predicted
        d["slow_eigenvalues"] = self.slow_eigenvalues()
        t, _ = self.takeover_step()
        d["takeover_step"] = np.array(-1 if t is None else t)
        if self.start is not None:
            d["lr"] = np.array(self.start.lr)
            d["eigenvalues"] = np.asarray(self.start.eigenvalues)
            d["coefficients"] = np.asarray(self.start.coefficients)
        return d

    def empty_reason(self) -> str:
        plan = getattr(self.controller, "plan", None)
        if plan is not None and plan.dynamics is None:
            return ('this run has no training (and no expected learning curve); turn it on with '
                    '"dynamics": {"enabled": true} in the configuration')
        return "training did not start in this run; see the error above"

    def csv_table(self) -> tuple[str, np.ndarray]:
        if self.start is None and self.expected is not None:
            e = self.expected
            lam = np.asarray(e.slow_eigenvalues)
            cols = ["step", "expected_loss"] + [f"expected_energy_mode{j + 1}_lambda_{lam[j]:.6g}"
                                                 for j in range(lam.size)]
            return ",".join(cols), np.column_stack([e.steps, e.loss, e.slow_energies])
        m = self.energy_actual.shape[1]
        lam = self.slow_eigenvalues()
        cols = ["step", "loss", "loss_linearized"]
        cols += [f"energy_mode{j + 1}_lambda_{lam[j]:.6g}" for j in range(m)]
        cols += [f"energy_predicted_mode{j + 1}" for j in range(m)]
        table = np.column_stack([self.data["steps"], self.data["loss"], self.prediction(),
                                 self.energy_actual, self.energy_predicted]) \
            if self.data["steps"].size else np.zeros((0, len(cols)))
        return ",".join(cols), table

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        self._timer.stop()
        if self.start is None and self.expected is not None:
            self._refresh_expected()
            return
        show = display_index(self.data["steps"].size)
        t = self.data["steps"][show]
        lx = self._log_x
        self.loss_item.setData(*_positive(t, self.data["loss"][show], lx))
        self.lin_item.setData(*_positive(t, self.prediction()[show], lx))
        for j, (a, p) in enumerate(self._mode_items):
            if self.energy_actual.shape[0]:
                a.setData(*_positive(t, self.energy_actual[show, j], lx))
                p.setData(*_positive(t, self.energy_predicted[show, j], lx))
        step, kind = self.takeover_step()
        self._show_takeover(step if t.size else None, " (predicted)" if kind == "predicted" else "")
        entries = []
        if self.start is not None:
            entries.append((self.loss_item, "loss L(t) (gradient descent)"))
            entries.append((self.lin_item, "linearised: ½ Σ λ c² (1−ηλ)²ᵗ" if not self.flow
                            else "linearised (flow): ½ Σ λ c² exp(−2ηλt)"))
            for j, (a, _) in enumerate(self._mode_items):
                entries.append((a, a.opts["name"] + ("  (dashed: predicted)" if j == 0 else "")))
        style.set_legend(self.plot, entries)
        self.empty_text.setText(self._message or "no training run yet: tick “Dynamics” in the "
                                "settings and press Run (Ctrl+R)")
        style.set_labels(self.plot, ("step t  (log scale)", "step t (log)") if lx else "step t",
                         ("loss, mode energy", "loss, energy"))
        self._show_plot(self.start is not None)       # after set_labels, which shows the axes
        self.summary.setText(self._summary_text())
        self._set_ranges()
        self.updated.emit()

    def _show_plot(self, shown: bool) -> None:
        """Axes and curves when there is data; otherwise only the message in the middle."""
        if getattr(self, "_shown", None) != shown:
            item = self.plot.getPlotItem()
            for axis in ("left", "bottom"):
                item.showAxis(axis, shown)
            self._shown = shown
        self.empty_text.setVisible(not shown)
        self.log_x_box.setEnabled(shown)

    def _refresh_expected(self) -> None:
        e = self.expected
        lx = self._log_x
        t = np.asarray(e.steps)
        self.loss_item.setData([], [])
        self.lin_item.setData(*_positive(t, np.asarray(e.loss), lx))
        for j, it in enumerate(self._expected_items):
            it.setData(*_positive(t, np.asarray(e.slow_energies)[:, j], lx))
        self._show_takeover(e.takeover_step, " (expected)")
        entries = [(self.lin_item, f"expected loss, random start |δ0| = {e.eps:.3g} (linearised)")]
        entries += [(it, it.opts["name"]) for it in self._expected_items]
        style.set_legend(self.plot, entries)
        style.set_labels(self.plot, ("step t  (log scale)", "step t (log)") if lx else "step t",
                         ("loss, mode energy", "loss, energy"))
        self._show_plot(True)
        self.summary.setText(
            f"Expected from teacher 1's spectrum, before any training (η = {e.lr:.3g} = "
            f"{e.lr * e.lam_max:.3g}/λₘₐₓ, {e.total_steps} steps). "
            "Run (Ctrl+R) with “Dynamics” ticked trains the network.")
        item = self.plot.getPlotItem()
        item.enableAutoRange(x=True)
        values = np.concatenate([np.ravel(e.loss), np.ravel(e.slow_energies)])
        values = values[np.isfinite(values) & (values > 0)]
        if values.size:
            lo, hi = np.log10(values.min()), np.log10(values.max())
            item.setYRange(max(lo, hi - MAX_DECADES) - 0.3, hi + 0.3, padding=0)
        self.updated.emit()

    def _set_ranges(self) -> None:
        """x: auto; y: from the loss and the predictions (an actual mode energy passing through
        zero would otherwise stretch the log axis over twenty decades)."""
        item = self.plot.getPlotItem()
        item.enableAutoRange(x=True)
        if self.start is None:
            item.setXRange(0, 1, padding=0)         # the message sits at (0.5, 0.5)
            item.setYRange(0, 1, padding=0)
            return
        curves = [self.data["loss"], self.prediction(), self.energy_predicted.ravel()]
        values = np.concatenate([c[np.isfinite(c) & (c > 0)] for c in curves])
        if values.size:
            lo, hi = np.log10(values.min()), np.log10(values.max())
            item.setYRange(max(lo, hi - MAX_DECADES) - 0.3, hi + 0.3, padding=0)
        else:
            item.enableAutoRange(y=True)

    def _show_takeover(self, step: int | None, kind: str) -> None:
        """The vertical line where the slow modes take over, labelled, or no line."""
        line = self.takeover_line
        if step is None or (self._log_x and step <= 0):
            line.hide()
            return
        line.setValue(np.log10(step) if self._log_x else step)
        line.show()                          # before setFormat: a hidden label ignores it
        line.label.setFormat(f"slow modes take over{kind}: t = {step}")
        line.label.whole = line.label.format
        self._place_takeover_label()

    def _place_takeover_label(self) -> None:
        """The label on the side of the line where it fits whole (pyqtgraph picks the side by
        the line's place alone, and a long label near the left edge was cut)."""
        line, vb = self.takeover_line, self.plot.getPlotItem().vb
        if not line.isVisible():
            return
        label = line.label
        box = vb.sceneBoundingRect()
        x = vb.mapViewToScene(pg.QtCore.QPointF(line.value(), 0)).x()
        left, right = x - box.left(), box.right() - x
        metrics = pg.QtGui.QFontMetricsF(label.textItem.font())

        def advance(text: str) -> float:
            return max(metrics.horizontalAdvance(part) for part in text.split("\n")) + 10

        # whole on one line, else on two, else the step alone (the legend says what it marks)
        whole = label.whole
        text = next((t for t in (whole, whole.replace(": ", ":\n", 1)) if advance(t) <= max(left, right)),
                    whole.split(": ")[-1])
        needed = advance(text)
        # left of the line where it fits (pyqtgraph's default side), else right, else the wider
        anchor = (1, 0) if left >= needed or (right < needed and left >= right) else (0, 0)
        if label.format != text:
            label.setFormat(text)
        if label.anchors != [anchor, anchor]:
            label.anchors = [anchor, anchor]
            label.updatePosition()

    def _summary_text(self) -> str:
        if self.start is None:
            return ""
        s = self.start
        lam_max = float(np.asarray(s.eigenvalues)[-1])
        eta = f"η = {s.lr:.3g} = {s.lr * lam_max:.3g}/λₘₐₓ (stable below 2/λₘₐₓ = {s.stability_limit:.3g})"
        total = s.total_steps
        parts = [eta, f"step {self.last_step}/{total}"]
        if self.data["loss"].size:
            parts.append(f"loss {self.data['loss'][-1]:.3g} (start {s.initial_loss:.3g})")
        if self.status == "diverged":
            parts.append(f"<span style='color:{style.VERMILLION}'><b>diverged</b></span>")
        elif self.status:
            parts.append(self.status)
        text = " · ".join(parts)
        if s.warnings:
            text += "<br><span style='color:#A04000'>" + "; ".join(s.warnings) + "</span>"
        return text
