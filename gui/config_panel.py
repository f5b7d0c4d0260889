"""The configuration panel: every setting of a run, as a config dict (gui/config.py).

Its rows are the settings that declare a widget (engine.settings: the label, kind, range and
special value of each), in declaration order. Emits `changed` on any edit; the main window
debounces it into a cheap re-run. Fields the panel has no widget for (a weights or inputs file,
rtol, quadrature nodes, most training settings) are kept from the last loaded configuration so
that File → Open → Save round-trips exactly.
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

from engine.settings import Setting, all_settings

from .config import check_values, default_config, normalize


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


def _widget(s: Setting) -> QWidget:
    """The widget a setting declares (engine.settings): its kind, range, special value, help."""
    special = s.special[0] if s.special else None
    if s.widget == "spin":            # a special value takes the place just below the range
        w = _spin(s.panel[0] - (1 if special else 0), s.panel[1], special)
    elif s.widget == "sci":
        w = SciSpinBox(special=special, factor=s.factor, maximum=s.panel[1])
    elif s.widget == "choice":
        w = QComboBox()
        for value, text in s.choices:
            w.addItem(text, value)
    else:
        raise ValueError(f"setting {s.key}: unknown widget {s.widget!r}")
    w.setToolTip(s.help)
    return w


class ConfigPanel(QWidget):
    changed = Signal()
    run_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loaded: dict = {}       # the configuration shown: fields without a widget round-trip
        self._view: dict = {}         # the "view" section (set by the main window)
        self._loading = False
        self._build()
        self.set_config(default_config())

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        """One form row per setting with a widget, in declaration order (engine.settings),
        the model's in the panel, the training's in the Dynamics box."""
        self.dynamics = QGroupBox("Dynamics (gradient descent, on Run)")
        self.dynamics.setCheckable(True)
        form, dform = QFormLayout(), QFormLayout(self.dynamics)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.forms = forms = {"": form, "dynamics": dform}     # by section
        self.params = QLabel("")
        self.settings = [s for s in all_settings() if s.widget]
        self.widgets: dict[str, QWidget] = {}
        for s in self.settings:
            if s.widget == "activation":
                w = self._build_activation(forms[s.section], s)
                w.currentIndexChanged.connect(self._edited)
            else:
                w = _widget(s)
                forms[s.section].addRow(s.label, w)
                signal = w.currentIndexChanged if isinstance(w, QComboBox) else w.valueChanged
                signal.connect(self._edited)
            self.widgets[s.key] = w
            if not hasattr(type(self), s.name):
                setattr(self, s.name, w)         # panel.ni, panel.steps, …
            if s.key == "nh":
                form.addRow("", self.params)
        self.data_mode = self.widgets["population"]            # older names
        self.distance = self.widgets["dynamics.init_distance"]
        self.extra_label = QLabel("")
        self.extra_label.setWordWrap(True)
        self.extra_label.setObjectName("extraFields")
        form.addRow("", self.extra_label)

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
        self.dynamics.toggled.connect(self._edited)

    def _build_activation(self, form: QFormLayout, s: Setting) -> QComboBox:
        """The family (engine.activations.FAMILIES, read now: a family added later shows up)
        and the argument of a family that takes one (Family.parameter): a whole number, or a
        list of numbers."""
        self.activation = QComboBox()
        for family in FAMILIES.values():
            self.activation.addItem(family.label, family.key)
        self.activation.setToolTip(ACTIVATION_HELP)
        self.power = _spin(1, MAX_POWER, tip="k in g(z) = z^k")
        self.coefficients = QLineEdit()
        self.coefficients.setPlaceholderText("c0, c1, c2, …   e.g. 0, 1, 0.5")
        self.coefficients.setToolTip("Coefficients c_0, c_1, … of g(z) = Σ c_m z^m, separated by commas")
        self._argument_widgets = {"integer": self.power, "numbers": self.coefficients}
        self.activation_error = QLabel("")
        self.activation_error.setObjectName("fieldError")
        self.activation_error.setWordWrap(True)
        form.addRow(s.label, self.activation)
        self.power_label = QLabel("")
        form.addRow(self.power_label, self.power)
        self.coef_label = QLabel("")
        form.addRow(self.coef_label, self.coefficients)
        self._argument_labels = {"integer": self.power_label, "numbers": self.coef_label}
        form.addRow("", self.activation_error)
        self.power.valueChanged.connect(self._edited)
        self.coefficients.editingFinished.connect(self._edited)
        return self.activation

    # ------------------------------------------------------------------ config dict <-> widgets
    def _activation_text(self) -> str:
        family = FAMILIES[self.activation.currentData()]
        if family.parameter == "integer":
            return family.spec(self.power.value())
        if family.parameter == "numbers":
            text = self.coefficients.text().replace(";", ",").replace(" ", ",")
            return family.spec(",".join(p for p in text.split(",") if p))
        return family.spec()

    def _value(self, s: Setting):
        """A widget's value as the setting's: its special value (e.g. auto) at the minimum."""
        w = self.widgets[s.key]
        if s.widget == "activation":
            return self._activation_text()
        if isinstance(w, QComboBox):
            return s.choices[w.currentIndex()][0]
        if s.special is not None and w.value() == w.minimum():
            return s.special[1]
        return w.value()

    def _show(self, s: Setting, value) -> None:
        w = self.widgets[s.key]
        if s.widget == "activation":
            act = parse_activation(value)
            self.activation.setCurrentIndex(self.activation.findData(act.family))
            parameter = FAMILIES[act.family].parameter
            if parameter == "integer":
                self.power.setValue(int(act.argument))
            elif parameter == "numbers":
                self.coefficients.setText(", ".join(act.argument.split(",")))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex([v for v, _ in s.choices].index(value))
        elif s.special is not None and value == s.special[1]:
            w.setValue(w.minimum())
        else:
            value = s.default if value is None else value    # e.g. ε: null is the default
            w.setValue(int(value) if isinstance(w, QSpinBox) else float(value))

    def config(self) -> dict:
        cfg = default_config()
        cfg.update({k: v for k, v in self._loaded.items() if k not in ("dynamics", "view")})
        cfg["dynamics"] = dict(self._loaded.get("dynamics", cfg["dynamics"]))
        cfg["view"] = dict(self._view)
        for s in self.settings:
            (cfg[s.section] if s.section else cfg)[s.name] = self._value(s)
        population = cfg["population"]
        if population:
            cfg["samples"] = None
        elif cfg.get("inputs"):                   # N is the number of rows of the inputs file
            cfg["samples"] = self._loaded.get("samples")
        if cfg["dynamics"].get("init_file"):      # ε is the file's |δ0|
            cfg["dynamics"]["init_distance"] = self._loaded["dynamics"]["init_distance"]
        cfg["dynamics"]["enabled"] = self.dynamics.isChecked()
        return cfg

    def set_config(self, config: dict) -> None:
        """Show a configuration. Every value is checked first (gui.config.normalize and
        check_values: the engine's checks and the widgets' ranges), so a bad one raises
        InputError naming its field and leaves the panel as it was — nothing is clamped to a
        spin box's limit or coerced to another value."""
        cfg = normalize(config)
        check_values(cfg)
        self._loading = True
        try:
            self._loaded = cfg
            self._view = dict(cfg["view"])
            for s in self.settings:
                self._show(s, cfg[s.section][s.name] if s.section else cfg[s.name])
            self.dynamics.setChecked(cfg["dynamics"]["enabled"])
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
        population = self.data_mode.currentIndex() == 1
        self.samples.setEnabled(not population and not self._loaded.get("inputs"))
        self.samples.setSpecialValueText(f"auto ({defaults.SAMPLES_PER_PARAMETER}·P = "
                                         f"{defaults.default_samples(p)})")
        d1, d2 = default_sigmas(ni, nh)
        self.sigma1.setSpecialValueText(f"auto (1/√Ni = {d1:.3g})")
        self.sigma2.setSpecialValueText(f"auto (1/√Nh = {d2:.3g})")
        # the model's settings without a widget, from the file: shown, and kept on Save
        extras = [f"{s.name} = {self._loaded[s.name]}" for s in all_settings()
                  if s.section == "" and not s.widget and self._loaded.get(s.name) is not None]
        self.extra_label.setText("from file: " + ", ".join(extras) if extras else "")
        self.extra_label.setVisible(bool(extras))
        self.teachers.setEnabled(not self._loaded.get("weights"))

    def set_view_option(self, key: str, value) -> None:
        """Record a view choice (e.g. the log axis) in the config without re-running anything."""
        self._view[key] = value

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
