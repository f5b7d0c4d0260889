"""The main window: settings on the left, the three views in the middle, the lesson on the right.

Runs: every engine computation is a gui.worker.Job (its own QThread). A parameter change
re-runs the cheap part automatically after a short pause (the spectrum of as many teachers as fit
in about a second); Run (Ctrl+R) computes the whole ensemble and then, if asked, the training
dynamics of teacher 1. A new run cancels the one in flight; Esc cancels; closing during a run
asks first and then stops the workers cleanly.
"""
from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QFileDialog, QHBoxLayout, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QPushButton, QScrollArea,
                               QSplitter, QToolButton, QVBoxLayout, QWidget)

from engine.ensemble import Problem, prepare
from engine.errors import InputError

from . import export, style
from .config import (dynamics_config, dynamics_spectrum_config, load_config, normalize,
                     save_config, spectrum_config)
from .config_panel import ConfigPanel
from .dynamics_view import DynamicsView
from .engine_process import POOL, DynamicsStartInfo
from .lesson_panel import LessonPanel
from .presets import find_preset, list_presets
from .rank_view import RankView
from .spectrum_view import SpectrumView
from .worker import Job, shutdown

APP_NAME = "Hessian Explorer"
ORGANIZATION = "HessianExplorer"
DEBOUNCE_MS = 350
PREVIEW_BUDGET_S = 1.0        # automatic re-runs compute as many teachers as fit in this
MAX_RECENT = 8
SETTINGS_WIDTH = 345          # the settings panel's minimum width at normal text size
VIEWS = ("spectrum", "rank", "dynamics")


def estimate_seconds(problem: Problem) -> float:
    """Rough time of one teacher's spectrum on one core (calibrated on this project's engine)."""
    ni, nh, p = problem.ni, problem.nh, problem.n_params
    n = problem.n_samples
    if problem.act.is_linear:
        return 0.002 + (1e-9 * n * ni * ni if n else 1e-9 * ni ** 3)
    if n is None:
        q = problem.config.quadrature_nodes or getattr(problem.act, "quadrature_nodes", None) or 64
        return 0.003 + 2e-8 * nh * nh * q * q + 1e-9 * p ** 3
    return 0.003 + 1.2e-9 * n * p * min(n, p)


def describe(problem: Problem, done: int | None = None) -> str:
    n = "N → ∞ (population)" if problem.n_samples is None else f"N={problem.n_samples}"
    k = problem.n_teachers
    teachers = f"{k} teacher{'s' if k != 1 else ''}" if done is None or done == k else \
        f"{done} of {k} teachers"
    return f"{problem.act.name} · Ni={problem.ni} · Nh={problem.nh} · {n} · {teachers}"


class MainWindow(QMainWindow):
    run_finished = Signal(str)        # "finished", "cancelled" or "error": all jobs of a run ended

    def __init__(self, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        style.configure_pyqtgraph()
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APP_NAME)
        self.setWindowTitle(APP_NAME)
        self.resize(1500, 950)
        app_font = QApplication.instance().font()
        self._base_font_pt = app_font.pointSizeF() / style.text_scale() if app_font.pointSizeF() > 0 else 11.0
        self._jobs: dict[str, Job] = {}           # running jobs of the current run, by kind
        self._run_status = "finished"
        self._problem: Problem | None = None        # the spectrum problem shown
        self._full_teachers = 0
        self._pending_dynamics = None
        self._shown_key: str | None = None          # spectrum settings the views show
        self._preset_config: dict | None = None
        self._preset_name: str | None = None
        self._config_path: str | None = None
        self._preview_note = ""
        self._theory_waits_for_s = False
        self._first_spectrum = None
        self.confirm_close_answer: bool | None = None   # tests: answer the close question
        self._build()
        self._build_menus()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.preview)
        self.config_panel.changed.connect(self._config_changed)
        self._restore_settings()
        POOL.reopen()
        POOL.prewarm(1)                 # an engine process ready before the first run
        self._set_idle("Ready. Choose a preset, change a setting, or press Run (Ctrl+R).")

    # ================================================================== layout
    def _build(self) -> None:
        self.spectrum_view = SpectrumView()
        self.rank_view = RankView()
        self.dynamics_view = DynamicsView()
        self.views = {"spectrum": self.spectrum_view, "rank": self.rank_view,
                      "dynamics": self.dynamics_view}
        self.spectrum_view.log_button.toggled.connect(self._log_axis_toggled)
        self.rank_view.tolerance_changed.connect(lambda _tol: self._update_status())
        self.spectrum_view.updated.connect(self._update_status)
        self.dynamics_view.log_x_box.toggled.connect(
            lambda on: self.config_panel.set_view_option("log_steps", bool(on)))

        self.error_banner = QLabel("")
        self.error_banner.setObjectName("errorBanner")
        self.error_banner.setWordWrap(True)
        self.error_banner.setStyleSheet("QLabel#errorBanner { background: #fde2dc; color: #7a1500; "
                                        "border: 1px solid #e0a090; padding: 6px; font-weight: bold; }")
        self.error_close = QToolButton()
        self.error_close.setText("✕")
        self.error_close.setToolTip("Dismiss")
        self.error_close.clicked.connect(self.clear_error)
        banner = QHBoxLayout()
        banner.setContentsMargins(0, 0, 0, 0)
        banner.addWidget(self.error_banner, 1)
        banner.addWidget(self.error_close)
        self.banner_widget = QWidget()
        self.banner_widget.setLayout(banner)
        self.banner_widget.hide()

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.addWidget(self.spectrum_view)
        self.top_splitter.addWidget(self.rank_view)
        self.top_splitter.setSizes([600, 500])
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.dynamics_view)
        self.main_splitter.setSizes([520, 400])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.banner_widget)
        lay.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

        # Settings dock: preset chooser + configuration panel.
        self.config_panel = ConfigPanel()
        self.config_panel.run_requested.connect(self.run)
        self.config_panel.cancel_requested.connect(self.cancel)
        self.preset_combo = QComboBox()
        self.preset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(16)
        self.preset_combo.addItem("— choose a preset —", None)
        for preset in list_presets():
            self.preset_combo.addItem(preset.title, preset.name)
        self.preset_combo.activated.connect(self._preset_chosen)
        settings_widget = QWidget()
        slay = QVBoxLayout(settings_widget)
        slay.setContentsMargins(2, 2, 2, 2)
        slay.addWidget(QLabel("Preset"))
        slay.addWidget(self.preset_combo)
        slay.addWidget(self.config_panel, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(settings_widget)
        scroll.setMinimumWidth(SETTINGS_WIDTH)
        self._settings_scroll = scroll
        self.settings_dock = QDockWidget("Settings", self)
        self.settings_dock.setObjectName("settingsDock")
        self.settings_dock.setWidget(scroll)
        self.settings_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                                       QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.settings_dock)

        self.lesson_panel = LessonPanel()
        self.lesson_dock = QDockWidget("Lesson", self)
        self.lesson_dock.setObjectName("lessonDock")
        self.lesson_dock.setWidget(self.lesson_panel)
        self.lesson_panel.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.lesson_dock)

        self.status_label = QLabel("")
        self.status_label.setObjectName("statusLine")
        font = QFont(self.status_label.font())
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        self.status_label.setFont(font)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        sb = self.statusBar()
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.progress_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open configuration…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.save_action = self._action(file_menu, "&Save configuration…", self.save_dialog, QKeySequence.StandardKey.Save)
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        export_menu = file_menu.addMenu("&Export")
        for view in VIEWS:
            sub = export_menu.addMenu(view.capitalize())
            for fmt, text in (("png", "Figure as PNG…"), ("svg", "Figure as SVG…"),
                              ("csv", "Plotted data as CSV…"), ("npz", "Plotted data as NPZ…")):
                self._action(sub, text, lambda _=False, v=view, f=fmt: self.export_dialog(v, f))
        export_menu.addSeparator()
        self._action(export_menu, "Window screenshot as PNG…", lambda: self.export_dialog("window", "png"))
        file_menu.addSeparator()
        self.quit_action = self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"))

        run_menu = mb.addMenu("&Run")
        self.run_action = self._action(run_menu, "&Run", self.run, QKeySequence("Ctrl+R"))
        self.cancel_action = self._action(run_menu, "&Cancel", self.cancel, QKeySequence(Qt.Key.Key_Escape))

        presets_menu = mb.addMenu("&Presets")
        for preset in list_presets():
            self._action(presets_menu, preset.title, lambda _=False, n=preset.name: self.load_preset(n))

        view_menu = mb.addMenu("&View")
        self.log_action = self._action(view_menu, "&Log₁₀ λ axis", None, QKeySequence("Ctrl+L"))
        self.log_action.setCheckable(True)
        self.log_action.toggled.connect(self.spectrum_view.set_log)
        view_menu.addSeparator()
        group = QActionGroup(self)
        for i, (key, text) in enumerate((("all", "All views"), ("spectrum", "Spectrum only"),
                                         ("rank", "Rank only"), ("dynamics", "Dynamics only"))):
            a = self._action(view_menu, text, lambda _=False, k=key: self.focus_view(k), QKeySequence(f"Ctrl+{i}"))
            a.setCheckable(True)
            a.setChecked(key == "all")
            group.addAction(a)
        self.large_text_action = self._action(view_menu, "Large &text (projector)", None,
                                              QKeySequence("Ctrl+Shift+T"))
        self.large_text_action.setCheckable(True)
        self.large_text_action.toggled.connect(self.set_large_text)
        self.grid_action = self._action(view_menu, "&Grid lines", None, QKeySequence("Ctrl+G"))
        self.grid_action.setCheckable(True)
        self.grid_action.toggled.connect(self.set_grid)
        view_menu.addSeparator()
        view_menu.addAction(self.settings_dock.toggleViewAction())
        view_menu.addAction(self.lesson_dock.toggleViewAction())
        self.lesson_dock.toggleViewAction().setShortcut(QKeySequence("F1"))
        self._update_recent_menu()

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(shortcut)
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if slot is not None:
            a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def set_large_text(self, on: bool) -> None:
        """Every text in the window and its plots 1.4× larger, for a lecture hall."""
        scale = style.PROJECTOR_SCALE if on else 1.0
        style.set_text_scale(scale)
        app = QApplication.instance()
        font = QFont(app.font())
        font.setPointSizeF(self._base_font_pt * scale)
        app.setFont(font)
        status_font = QFont(font)
        status_font.setPointSizeF(font.pointSizeF() + 2)
        status_font.setBold(True)
        self.status_label.setFont(status_font)
        self._settings_scroll.setMinimumWidth(int(SETTINGS_WIDTH * scale))
        for view in self.views.values():
            if hasattr(view, "fit_text"):
                view.fit_text()
            view.refresh()
        self.settings.setValue("largeText", bool(on))

    def set_grid(self, on: bool) -> None:
        for view in self.views.values():
            style.set_grid(view.plot, bool(on))
        self.settings.setValue("grid", bool(on))

    def focus_view(self, key: str) -> None:
        """Show one view alone (big, for a projector) or all three."""
        for name, view in self.views.items():
            view.setVisible(key == "all" or key == name)
        self.top_splitter.setVisible(key in ("all", "spectrum", "rank"))

    # ================================================================== messages
    def show_error(self, message: str) -> None:
        self.error_banner.setText(message)
        self.banner_widget.show()
        self.statusBar().showMessage("")

    def clear_error(self) -> None:
        self.error_banner.setText("")
        self.banner_widget.hide()

    def error_text(self) -> str:
        return self.error_banner.text() if self.banner_widget.isVisibleTo(self) else ""

    def _set_idle(self, text: str) -> None:
        self.status_label.setText(text)
        self.progress.setValue(0)
        self.progress_label.setText("")

    # ================================================================== configuration
    def config(self) -> dict:
        return self.config_panel.config()

    def set_config(self, config: dict, run: bool = True) -> None:
        """Show a configuration; with run=True start the full run at once (presets, File → Open)."""
        self.config_panel.set_config(config)
        self._apply_view_options(normalize(config)["view"])
        if run:
            self._debounce.stop()
            self.run()

    def _apply_view_options(self, view: dict) -> None:
        log = view.get("log_axis")
        if log is None:
            try:
                act = spectrum_config(self.config()).activation.strip().lower()
            except Exception:
                act = ""
            log = act in ("erf", "tanh")
        self._set_log_axis(bool(log))
        self.dynamics_view.set_log_x(bool(view.get("log_steps")))

    def _set_log_axis(self, on: bool) -> None:
        self.spectrum_view.set_log(on)
        self.log_action.blockSignals(True)
        self.log_action.setChecked(on)
        self.log_action.blockSignals(False)

    def _log_axis_toggled(self, on: bool) -> None:
        self.log_action.blockSignals(True)
        self.log_action.setChecked(bool(on))
        self.log_action.blockSignals(False)
        self.config_panel.set_view_option("log_axis", bool(on))

    def _config_changed(self) -> None:
        self._debounce.start()
        if self._preset_config is not None:
            self.lesson_panel.set_modified(self._spectrum_key(self.config()) != self._spectrum_key(self._preset_config)
                                           or self.config()["dynamics"] != self._preset_config["dynamics"])

    @staticmethod
    def _spectrum_key(config: dict) -> str:
        return json.dumps({k: config.get(k) for k in sorted(config) if k not in ("dynamics", "view")},
                          sort_keys=True, default=str)

    def load_preset(self, name: str, run: bool = True) -> None:
        try:
            preset = find_preset(name)
            config = preset.config()
        except InputError as exc:
            self.show_error(str(exc))
            return
        self._preset_name = name
        self._preset_config = normalize(config)
        i = self.preset_combo.findData(name)
        if i >= 0:
            self.preset_combo.setCurrentIndex(i)
        self.lesson_panel.show_lesson(name)
        self.lesson_dock.show()
        self.setWindowTitle(f"{APP_NAME} — {preset.title}")
        self.set_config(config, run=run)
        self.lesson_panel.set_modified(False)

    def _preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name:
            self.load_preset(name)

    def open_config(self, path: str, run: bool = True) -> bool:
        try:
            config = load_config(path)
            self.set_config(config, run=run)
        except InputError as exc:
            self.show_error(str(exc))
            return False
        self._config_path = str(path)
        self._preset_config = None
        self._preset_name = None
        self.lesson_panel.show_lesson(None)
        self.preset_combo.setCurrentIndex(0)
        self.setWindowTitle(f"{APP_NAME} — {Path(path).name}")
        self._add_recent(str(Path(path).resolve()))
        return True

    def _write(self, path: str, write) -> bool:
        """Run one file write; a failure becomes the error banner, never an exception."""
        try:
            write()
        except InputError as exc:
            self.show_error(str(exc))
            return False
        except OSError as exc:
            self.show_error(f"cannot write {path!r}: {exc.strerror or exc}")
            return False
        return True

    def save_config(self, path: str) -> bool:
        if not self._write(path, lambda: save_config(path, self.config())):
            return False
        self._config_path = str(path)
        self._add_recent(str(Path(path).resolve()))
        self.statusBar().showMessage(f"saved {path}", 5000)
        return True

    def _dialog_dir(self) -> str:
        return str(self.settings.value("lastDir", str(Path.cwd())))

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open configuration", self._dialog_dir(),
                                              "Configurations (*.json);;All files (*)")
        if path:
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.open_config(path)

    def save_dialog(self) -> None:
        start = self._config_path or str(Path(self._dialog_dir()) / "config.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save configuration", start, "Configurations (*.json)")
        if path:
            if not path.endswith(".json"):
                path += ".json"
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.save_config(path)

    # ---------------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str) -> None:
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recentFiles", files[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            a = self.recent_menu.addAction(Path(f).name)
            a.setToolTip(f)
            a.setStatusTip(f)
            a.triggered.connect(lambda _=False, p=f: self.open_config(p))
        self.recent_menu.setEnabled(bool(files))

    # ================================================================== runs
    def is_running(self) -> bool:
        return bool(self._jobs)

    def run(self) -> bool:
        """Ctrl+R: the whole ensemble, then the dynamics if enabled."""
        return self._start(full=True)

    def preview(self) -> bool:
        """The automatic re-run after a change: only what is cheap."""
        config = self.config()
        key = self._spectrum_key(config)
        if key == self._shown_key and not self.is_running():
            self.clear_error()                  # e.g. a bad value was put back as it was
            self._mark_dynamics_stale()         # only the dynamics settings changed
            return True
        return self._start(full=False)

    def _mark_dynamics_stale(self) -> None:
        """Only the training settings changed: drop the old trajectory, show the new expectation."""
        enabled = self.config()["dynamics"]["enabled"]
        self.dynamics_view.clear("Settings changed: press Run (Ctrl+R) to train." if enabled else "")
        self._start_expected()

    def _start_expected(self) -> None:
        """The learning curve expected from teacher 1's spectrum (engine.curves), in a job."""
        spectrum = getattr(self, "_first_spectrum", None)
        if spectrum is None:
            return
        d = self.config()["dynamics"]
        if self._jobs.get("expected") is not None:
            self._jobs.pop("expected").cancel()
        args = (spectrum.eigenvalues, spectrum.rank_tolerance, d.get("init_distance") or 1e-2,
                d.get("lr", "auto"), int(d["steps"]), int(d["slow_modes"]))
        if not self._jobs:
            self._run_status = "finished"
        job = Job("expected", "gui.engine_process:expected_dynamics_task", args, self)
        job.result.connect(self.dynamics_view.set_expected)
        self._start_job(job)

    def _start(self, full: bool) -> bool:
        self._debounce.stop()
        self.cancel(quiet=True)
        config = self.config()
        try:
            problem = prepare(spectrum_config(config))
            dyn = None
            dyn_note = ""
            if config["dynamics"]["enabled"]:
                if problem.n_samples is None:
                    dyn_note = "Dynamics trains on N samples: switch data to “N samples” to train."
                elif full:
                    from engine.dynamics import prepare_dynamics
                    dyn = (dynamics_spectrum_config(config), dynamics_config(config))
                    prepare_dynamics(*dyn)          # bad settings fail here, before any work
                else:
                    dyn_note = "Settings changed: press Run (Ctrl+R) to train."
        except InputError as exc:
            self.show_error(str(exc))
            self.status_label.setText("Not run: fix the setting named in the message above.")
            return False
        self.clear_error()
        per_teacher = estimate_seconds(problem)
        k = problem.n_teachers
        note = ""
        if not full:
            fit = int(PREVIEW_BUDGET_S // max(per_teacher, 1e-6))
            if fit < 1 and per_teacher > 3 * PREVIEW_BUDGET_S:
                self._shown_key = None
                self.status_label.setText(f"{describe(problem)} · about {per_teacher:.0f} s per teacher: "
                                          f"press Run (Ctrl+R)")
                self.dynamics_view.clear(dyn_note)
                return False
            k = max(1, min(k, fit))
            if k < problem.n_teachers:
                note = f"preview: {k} of {problem.n_teachers} teachers — Run (Ctrl+R) computes all"
        run_problem = problem if k == problem.n_teachers else \
            prepare(replace(problem.config, teachers=k))
        self._problem = problem
        self._first_spectrum = None
        self._full_teachers = k
        self._preview_note = note
        self._shown_key = self._spectrum_key(config) if k == problem.n_teachers or not full else None
        self._run_status = "finished"
        self.spectrum_view.clear(describe(problem))
        self.rank_view.clear(problem.predicted_rank, problem.rank_upper_bound, problem.n_params,
                             "sample" if problem.n_samples else "population")
        if dyn is None:
            self.dynamics_view.clear(dyn_note)
        else:
            self.dynamics_view.clear("Waiting for the spectrum…")
        self._pending_dynamics = dyn
        self._start_theory(problem)
        job = Job("spectrum", "gui.engine_process:spectrum_task", (run_problem.config,), self)
        job.result.connect(self._spectrum_result)
        self._start_job(job)
        self._update_status()
        return True

    def _start_job(self, job: Job) -> None:
        job.progress.connect(lambda f, m, j=job: self._progress(j, f, m))
        job.error.connect(lambda m, j=job: self._job_error(j, m))
        job.finished.connect(lambda s, j=job: self._job_finished(j, s))
        self._jobs[job.name] = job
        self.config_panel.set_running(True)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        job.start()

    def cancel(self, quiet: bool = False) -> None:
        """Esc: stop every job of the current run (partial results stay on screen).

        quiet: the run is being replaced by a new one (no message, no run_finished)."""
        if not self._jobs:
            return
        jobs = list(self._jobs.values())
        self._jobs.clear()
        self._pending_dynamics = None
        for job in jobs:
            job.cancel()
        self._run_ended("cancelled", quiet)

    def _progress(self, job: Job, fraction: float, message: str) -> None:
        if self._jobs.get(job.name) is not job:
            return
        if job.name in ("theory", "expected") and len(self._jobs) > 1:
            return
        self.progress.setValue(int(1000 * fraction))
        self.progress_label.setText(f"{job.name}: {message}")

    def _job_error(self, job: Job, message: str) -> None:
        if self._jobs.get(job.name) is not job:
            return
        if job.name in ("theory", "expected"):    # the spectrum stands without these curves
            what = "theory curve" if job.name == "theory" else "expected learning curve"
            self.show_error(f"{what} unavailable: {message}")
            return
        self.show_error(f"{job.name}: {message}")
        self._run_status = "error"

    def _job_finished(self, job: Job, status: str) -> None:
        if self._jobs.get(job.name) is not job:
            return                      # a job of an earlier, cancelled run
        del self._jobs[job.name]
        if status == "error" and job.name not in ("theory", "expected"):
            self._run_status = "error"
        if job.name == "spectrum":
            self.spectrum_view.refresh()
            self.rank_view.refresh()
            if status == "finished" and self._pending_dynamics is not None:
                self._start_dynamics(self._pending_dynamics)
            self._pending_dynamics = None
        elif job.name == "dynamics":
            self.dynamics_view.refresh()
        self._update_status()
        if not self._jobs:
            self._run_ended(self._run_status)

    def _run_ended(self, status: str, quiet: bool = False) -> None:
        self.config_panel.set_running(False)
        self.cancel_button.setEnabled(False)
        if status == "finished":
            self.progress.setValue(1000)
            self.progress_label.setText("done")
        elif status == "cancelled":
            self.progress_label.setText("cancelled")
            if not quiet:
                self.statusBar().showMessage("Cancelled: the results computed so far stay on screen.", 6000)
        else:
            self.progress_label.setText("failed")
        self._update_status()
        if not quiet:                  # a run replaced by a new one has no "end" of its own
            self.run_finished.emit(status)

    # ---------------------------------------------------------------- spectrum results
    def _spectrum_result(self, result) -> None:
        if result.index == 0:
            self._first_spectrum = result.spectrum
            if self._pending_dynamics is None and "dynamics" not in self._jobs:
                self._start_expected()
        if self._theory_waits_for_s and self._problem is not None:
            self._start_theory(self._problem, float(result.spectrum.w2_norm_sq))
        self.spectrum_view.add_result(result)
        self.rank_view.add_result(result)       # the status line follows the views' redraws

    def _update_status(self) -> None:
        problem = self._problem
        if problem is None:
            return
        done = self.spectrum_view.n_teachers
        text = describe(problem, done)
        ranks = self.rank_view.recount() if done else []
        if ranks:
            lo, hi = min(ranks), max(ranks)
            r = str(lo) if lo == hi else f"{lo}–{hi}"
            pred = problem.predicted_rank
            text += f" · rank {r}/{problem.n_params}"
            text += f" (predicted {pred})" if pred is not None else f" (bound {problem.rank_upper_bound})"
        ks = self.spectrum_view.ks_distance
        if ks is not None:
            text += f" · KS {ks:.3f}"
        if self._preview_note and self._full_teachers < problem.n_teachers:
            text += f" · {self._preview_note}"
        self.status_label.setText(text)

    # ---------------------------------------------------------------- theory (linear networks)
    def _start_theory(self, problem: Problem, s: float | None = None) -> None:
        """The random-matrix law of engine.laws for linear networks, in its own job.

        Several teachers: the pooled law (χ² ⊛ Marchenko–Pastur, or its finite-data version).
        One teacher: the law for that teacher's s = ‖W2‖², started when its spectrum arrives."""
        self._theory_waits_for_s = False
        if not problem.act.is_linear or problem.teacher is not None:
            return
        if importlib.util.find_spec("engine.laws") is None:     # optional: no curve without it
            return
        ni, nh, s1, s2, n = problem.ni, problem.nh, problem.sigma1, problem.sigma2, problem.n_samples
        if problem.n_teachers == 1 and s is None:
            self._theory_waits_for_s = True
            return
        where = "N → ∞" if n is None else f"N = {n}"
        if s is None:
            label = ("theory: χ² ⊛ Marchenko–Pastur (N → ∞)" if n is None
                     else f"theory: finite-data law, pooled ({where})")

            args = ("pooled", (ni, nh, s1, s2, n))
        else:
            label = f"theory: Marchenko–Pastur shifted by ‖W2‖² = {s:.3g} ({where})"
            args = ("conditional", (ni, nh, s1, s, n))
        job = Job("theory", "gui.engine_process:theory_task", args, self)
        job.result.connect(lambda law: self.spectrum_view.set_theory(law, label))
        self._start_job(job)

    # ---------------------------------------------------------------- dynamics
    def _start_dynamics(self, configs) -> None:
        self.dynamics_view.clear("Decomposing the Hessian (all P eigenvectors)…")
        job = Job("dynamics", "gui.engine_process:dynamics_task", configs, self)
        job.result.connect(self._dynamics_result)
        self._start_job(job)

    def _dynamics_result(self, item) -> None:
        if isinstance(item, DynamicsStartInfo):
            self.dynamics_view.set_start(item)
        else:                                  # TrajectoryChunk
            self.dynamics_view.add_chunk(item)

    # ================================================================== export
    def export(self, what: str, fmt: str, path: str) -> bool:
        """Write one view's figure (png, svg) or data (csv, npz), or the window (png). Errors → banner."""
        def write():
            if what == "window":
                export.save_widget_png(self, path)
            else:
                view = self.views[what]
                if fmt == "png":
                    export.export_png(view.plot, path)
                elif fmt == "svg":
                    export.export_svg(view.plot, path)
                elif fmt == "csv":
                    header, table = view.csv_table()
                    export.export_csv(path, header, table, comment=self._export_comment(what))
                elif fmt == "npz":
                    arrays = dict(view.export_arrays())
                    arrays["config_json"] = json.dumps(self.config())
                    export.export_npz(path, arrays)
                else:
                    raise InputError(f"unknown export format {fmt!r}")

        if not self._write(path, write):
            return False
        self.statusBar().showMessage(f"wrote {path}", 5000)
        return True

    def _export_comment(self, what: str) -> str:
        lines = [f"Hessian Explorer: {what} view, as plotted",
                 "config: " + json.dumps(self.config(), separators=(",", ":"))]
        return "\n".join(lines)

    def export_dialog(self, what: str, fmt: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG image (*.svg)", "csv": "CSV table (*.csv)",
                   "npz": "NumPy archive (*.npz)"}
        start = str(Path(self._dialog_dir()) / f"{what}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, f"Export {what}", start, filters[fmt])
        if path:
            if not path.lower().endswith("." + fmt):
                path += "." + fmt
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.export(what, fmt, path)

    # ================================================================== settings and closing
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        if str(self.settings.value("largeText", "false")).lower() == "true":
            self.large_text_action.setChecked(True)
        if str(self.settings.value("grid", "false")).lower() == "true":
            self.grid_action.setChecked(True)
        for name, splitter in (("mainSplitter", self.main_splitter), ("topSplitter", self.top_splitter)):
            s = self.settings.value(name)
            if isinstance(s, QByteArray) and not s.isEmpty():
                splitter.restoreState(s)

    def save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.setValue("mainSplitter", self.main_splitter.saveState())
        self.settings.setValue("topSplitter", self.top_splitter.saveState())
        self.settings.sync()

    def confirm_close(self) -> bool:
        """Ask before stopping a run. Tests set `confirm_close_answer` instead of clicking."""
        if self.confirm_close_answer is not None:
            return self.confirm_close_answer
        answer = QMessageBox.question(self, "Stop the run?",
                                      "A computation is still running. Stop it and close the window?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:
        if self.is_running() and not self.confirm_close():
            event.ignore()
            return
        self._debounce.stop()
        self.cancel(quiet=True)
        shutdown()                       # every job still alive, this run's and cancelled ones

        self.save_settings()
        event.accept()
