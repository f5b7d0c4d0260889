"""The configuration panel: every setting of a run, as a config dict (gui/config.py).

Emits `changed` on any edit; the main window debounces it into a cheap re-run. Fields the panel
has no widget for (a weights or inputs file, rtol, quadrature nodes) are kept from the last
loaded configuration so that File → Open → Save round-trips exactly.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from engine import defaults
from engine.activations import ACTIVATION_HELP, FAMILIES, MAX_POWER, parse_activation
from engine.errors import InputError
from engine.model import default_sigmas, n_params

from .config import PANEL_RANGES, check_values, default_config, normalize


class SciSpinBox(QDoubleSpinBox):
    """A positive number shown in %g form; arrows multiply or divide by `factor`.

    The minimum (0) is the special value "auto" when `special` is given."""

    def __init__(self, special: str | None = None, factor: float = 2.0, maximum: float = 1e12):
        super().__init__()
        self._factor = factor
        self.setDecimals(323)
        self.setRange(0.0 if special else 1e-300, maximum)
        if special:
            self.setSpecialValueText(special)
        self.setKeyboardTracking(True)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.minimum()

    def validate(self, text: str, pos: int):
        t = text.strip()
        if t == self.specialValueText() and t:
            return QValidator.State.Acceptable, text, pos
        if t in ("", "-", "+", ".", "e", "E") or t.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            v = float(t)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= v <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:
        v = self.value()
        if v <= 0:
            v = 1e-3 if steps > 0 else 0.0
        else:
            v *= self._factor ** steps
        self.setValue(v)


def _spin(lo: int, hi: int, special: str | None = None, tip: str = "") -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setKeyboardTracking(True)       # preview while typing: the window debounces edits
    s.setAccelerated(True)
    if special:
        s.setSpecialValueText(special)
    if tip:
        s.setToolTip(tip)
    return s


class ConfigPanel(QWidget):
    changed = Signal()
    run_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._extra: dict = {}        # fields without a widget, kept for round-trips
        self._view: dict = {}         # the "view" section (set by the main window)
        self._loading = False
        self._build()
        self.set_config(default_config())

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.activation = QComboBox()
        for family in FAMILIES.values():
            self.activation.addItem(family.label, family.key)
        self.activation.setToolTip(ACTIVATION_HELP)
        # The argument of a family that takes one (engine.activations.Family.parameter):
        # a whole number, or a list of numbers.
        self.power = _spin(1, MAX_POWER, tip="k in g(z) = z^k")
        self.coefficients = QLineEdit()
        self.coefficients.setPlaceholderText("c0, c1, c2, …   e.g. 0, 1, 0.5")
        self.coefficients.setToolTip("Coefficients c_0, c_1, … of g(z) = Σ c_m z^m, separated by commas")
        self._argument_widgets = {"integer": self.power, "numbers": self.coefficients}
        self.activation_error = QLabel("")
        self.activation_error.setObjectName("fieldError")
        self.activation_error.setWordWrap(True)
        self.ni = _spin(*PANEL_RANGES["ni"], tip="input dimension Ni")
        self.nh = _spin(*PANEL_RANGES["nh"], tip="hidden units Nh")
        self.params = QLabel("")
        self.data_mode = QComboBox()
        self.data_mode.addItem("N samples", "sample")
        self.data_mode.addItem("population  (N → ∞)", "population")
        self.data_mode.setToolTip("Sample Hessian from N Gaussian inputs, or the population Hessian "
                                  "(exact expectation, no sampling noise)")
        self.samples = _spin(0, PANEL_RANGES["samples"][1], special="auto (4·P)",   # 0: auto
                             tip="number of inputs N; auto: 4·P")
        self.sigma1 = SciSpinBox(special="auto", factor=2 ** 0.5, maximum=PANEL_RANGES["sigma1"][1])
        self.sigma1.setToolTip("standard deviation of the teacher's W1 entries; auto: 1/√Ni")
        self.sigma2 = SciSpinBox(special="auto", factor=2 ** 0.5, maximum=PANEL_RANGES["sigma2"][1])
        self.sigma2.setToolTip("standard deviation of the teacher's W2 entries; auto: 1/√Nh")
        self.teachers = _spin(*PANEL_RANGES["teachers"], tip="number of teachers K in the ensemble (pooled in the histogram)")
        self.seed = _spin(*PANEL_RANGES["seed"], tip="seed of teachers and inputs: the same seed gives the same run")

        self.dynamics = QGroupBox("Dynamics (gradient descent, on Run)")
        self.dynamics.setCheckable(True)
        self.lr = SciSpinBox(special="auto (1/λ_max)", factor=2.0, maximum=PANEL_RANGES["dynamics.lr"][1])
        self.lr.setToolTip("step η; auto: 1/λ_max of the teacher. GD is stable for η < 2/λ_max")
        self.steps = _spin(*PANEL_RANGES["dynamics.steps"], tip="number of gradient-descent steps")
        self.distance = SciSpinBox(factor=10.0, maximum=PANEL_RANGES["dynamics.init_distance"][1])
        self.distance.setToolTip("ε: norm of the random initial displacement δ0 from the optimum θ*")
        self.slow_modes = _spin(*PANEL_RANGES["dynamics.slow_modes"], tip="m: the slowest nonzero modes drawn in colour")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("activation g", self.activation)
        self.power_label = QLabel("")
        form.addRow(self.power_label, self.power)
        self.coef_label = QLabel("")
        form.addRow(self.coef_label, self.coefficients)
        self._argument_labels = {"integer": self.power_label, "numbers": self.coef_label}
        form.addRow("", self.activation_error)
        form.addRow("inputs  Ni", self.ni)
        form.addRow("hidden  Nh", self.nh)
        form.addRow("", self.params)
        form.addRow("data", self.data_mode)
        form.addRow("samples  N", self.samples)
        form.addRow("σ1  (W1 std)", self.sigma1)
        form.addRow("σ2  (W2 std)", self.sigma2)
        form.addRow("teachers  K", self.teachers)
        form.addRow("seed", self.seed)
        self.extra_label = QLabel("")
        self.extra_label.setWordWrap(True)
        self.extra_label.setObjectName("extraFields")
        form.addRow("", self.extra_label)

        dform = QFormLayout(self.dynamics)
        dform.addRow("step  η", self.lr)
        dform.addRow("steps", self.steps)
        dform.addRow("start  ε", self.distance)
        dform.addRow("slow modes  m", self.slow_modes)

        self.run_button = QPushButton("Run  (Ctrl+R)")
        self.run_button.setObjectName("runButton")
        self.cancel_button = QPushButton("Cancel  (Esc)")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.dynamics)
        lay.addLayout(buttons)
        lay.addStretch(1)

        for w in (self.activation, self.data_mode):
            w.currentIndexChanged.connect(self._edited)
        for w in (self.power, self.ni, self.nh, self.samples, self.teachers, self.seed, self.steps,
                  self.slow_modes, self.sigma1, self.sigma2, self.lr, self.distance):
            w.valueChanged.connect(self._edited)
        self.coefficients.editingFinished.connect(self._edited)
        self.dynamics.toggled.connect(self._edited)

    # ------------------------------------------------------------------ config dict <-> widgets
    def _activation_text(self) -> str:
        family = FAMILIES[self.activation.currentData()]
        if family.parameter == "integer":
            return family.spec(self.power.value())
        if family.parameter == "numbers":
            text = self.coefficients.text().replace(";", ",").replace(" ", ",")
            return family.spec(",".join(p for p in text.split(",") if p))
        return family.spec()

    def config(self) -> dict:
        cfg = default_config()
        cfg.update(self._extra)
        population = self.data_mode.currentData() == "population"
        cfg.update(activation=self._activation_text(), ni=self.ni.value(), nh=self.nh.value(),
                   population=population,
                   samples=None if population or self.samples.value() == 0 else self.samples.value(),
                   sigma1=self.sigma1.value() or None, sigma2=self.sigma2.value() or None,
                   teachers=self.teachers.value(), seed=self.seed.value())
        if cfg.get("inputs") and not population:
            cfg["samples"] = self._extra.get("samples")
        cfg["dynamics"] = dict(cfg["dynamics"])
        cfg["view"] = dict(self._view)
        cfg["dynamics"].update(enabled=self.dynamics.isChecked(), lr=self.lr.value() or "auto",
                               steps=self.steps.value(), slow_modes=self.slow_modes.value())
        if not cfg["dynamics"].get("init_file"):
            cfg["dynamics"]["init_distance"] = self.distance.value()
        return cfg

    def set_config(self, config: dict) -> None:
        """Show a configuration. Every value is checked first (gui.config.normalize and
        check_values: the engine's checks and the widgets' ranges), so a bad one raises
        InputError naming its field and leaves the panel as it was — nothing is clamped to a
        spin box's limit or coerced to another value."""
        cfg = normalize(config)
        check_values(cfg)
        act = parse_activation(cfg["activation"])
        self._loading = True
        try:
            self._extra = {k: cfg[k] for k in ("weights", "inputs", "rtol", "quadrature_nodes")}
            if cfg.get("inputs"):
                self._extra["samples"] = cfg.get("samples")
            self._extra["dynamics"] = dict(cfg["dynamics"])
            self._view = dict(cfg["view"])
            self.activation.setCurrentIndex(self.activation.findData(act.family))
            parameter = FAMILIES[act.family].parameter
            if parameter == "integer":
                self.power.setValue(int(act.argument))
            elif parameter == "numbers":
                self.coefficients.setText(", ".join(act.argument.split(",")))
            self.ni.setValue(int(cfg["ni"]))
            self.nh.setValue(int(cfg["nh"]))
            self.data_mode.setCurrentIndex(1 if cfg["population"] else 0)
            self.samples.setValue(int(cfg["samples"] or 0))
            self.sigma1.setValue(float(cfg["sigma1"] or 0.0))
            self.sigma2.setValue(float(cfg["sigma2"] or 0.0))
            self.teachers.setValue(int(cfg["teachers"]))
            self.seed.setValue(int(cfg["seed"]))
            d = cfg["dynamics"]
            self.dynamics.setChecked(d["enabled"])
            lr = d["lr"]
            self.lr.setValue(0.0 if lr == "auto" else float(lr))
            self.steps.setValue(int(d["steps"]))
            self.distance.setValue(float(d["init_distance"] or defaults.INIT_DISTANCE))
            self.slow_modes.setValue(int(d["slow_modes"]))
        finally:
            self._loading = False
        self._update_dependent()
        self.changed.emit()

    # ------------------------------------------------------------------ feedback
    def _edited(self, *_):
        if self._loading:
            return
        family = FAMILIES[self.activation.currentData()]
        if family.parameter == "numbers" and not self.coefficients.text().strip():
            self.coefficients.setText(", ".join(family.example.split(",")))   # a valid start
        self._update_dependent()
        self.changed.emit()

    def _update_dependent(self) -> None:
        family = FAMILIES[self.activation.currentData()]
        for kind, widget in self._argument_widgets.items():
            label = self._argument_labels[kind]
            shown = family.parameter == kind
            widget.setVisible(shown)
            label.setVisible(shown)
            if shown:
                label.setText(family.parameter_label)
        try:
            parse_activation(self._activation_text())
            self.activation_error.setText("")
            self.activation_error.hide()
        except InputError as exc:
            self.activation_error.setText(str(exc))
            self.activation_error.show()
        ni, nh = self.ni.value(), self.nh.value()
        p = n_params(ni, nh)
        self.params.setText(f"P = Nh·Ni + Nh = {p}")
        population = self.data_mode.currentData() == "population"
        self.samples.setEnabled(not population and not self._extra.get("inputs"))
        self.samples.setSpecialValueText(f"auto ({defaults.SAMPLES_PER_PARAMETER}·P = "
                                         f"{defaults.default_samples(p)})")
        d1, d2 = default_sigmas(ni, nh)
        self.sigma1.setSpecialValueText(f"auto (1/√Ni = {d1:.3g})")
        self.sigma2.setSpecialValueText(f"auto (1/√Nh = {d2:.3g})")
        extras = [f"{k} = {self._extra[k]}" for k in ("weights", "inputs", "rtol", "quadrature_nodes")
                  if self._extra.get(k) is not None]
        self.extra_label.setText("from file: " + ", ".join(extras) if extras else "")
        self.extra_label.setVisible(bool(extras))
        self.teachers.setEnabled(not self._extra.get("weights"))

    def set_view_option(self, key: str, value) -> None:
        """Record a view choice (e.g. the log axis) in the config without re-running anything."""
        self._view[key] = value

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
