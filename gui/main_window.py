"""The main window: settings on the left, one page of views in the middle, the lesson on the right.

A thin layer: it puts the views of gui.views.VIEWS on the pages they declare (gui.views.PAGES:
one page at a time, tabs, Ctrl+1…, a page can be detached into its own window), builds the
menus from that registry and
from gui.export.FORMATS, keeps the configuration files, and hands every run to the
gui.run_controller.RunController, reacting to its signals. A parameter change re-runs the cheap
part after a short pause; Run (Ctrl+R) computes everything; Esc cancels; closing during a run
asks first and then stops the workers cleanly.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QFileDialog, QHBoxLayout, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QPushButton, QScrollArea,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)

from engine.errors import InputError
from engine.threads import cores

from . import engine_process, export, style
from .config import default_config, load_config, normalize, save_config, view_options
from .config_panel import ConfigPanel
from .engine_process import POOL
from .figure_dialog import FigureDialog
from .lesson_panel import LessonPanel
from .presets import find_preset, list_presets
from .run_controller import RunController, spectrum_key
from .views import PAGES, VIEWS, WANTS, page_of
from .worker import set_engine_threads, shutdown

APP_NAME = "Hessian Explorer"
ORGANIZATION = "HessianExplorer"
DEBOUNCE_MS = 350
MAX_RECENT = 8
SETTINGS_WIDTH = 290          # the settings panel's minimum width at normal text size
CLOSE_TITLE = "Stop the run?"
NARROW = 1280                 # below this width the lesson shares the settings' place
PAGE_WIDTH = 700              # below NARROW, the page's share of the width first


class MainWindow(QMainWindow):
    run_finished = Signal(str)        # "finished", "cancelled" or "error": all jobs of a run ended

    def __init__(self, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        style.configure_pyqtgraph()
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APP_NAME)
        self.setWindowTitle(APP_NAME)
        app_font = QApplication.instance().font()
        self._base_font_pt = app_font.pointSizeF() / style.text_scale() if app_font.pointSizeF() > 0 else 11.0
        self._preset_config: dict | None = None
        self._config_path: str | None = None
        self.confirm_close_answer: bool | None = None   # tests: answer the close question
        self.presentation = False
        self._lesson_tabbed = False
        self.figure = export.DEFAULT_FIGURE         # how figures are exported (Figure… dialog)
        self._before_presentation: tuple | None = None   # geometry, docks, window state, page
        self.detached: dict[str, PageWindow] = {}         # pages torn off into their own window
        self._fed: set[str] = set()                       # views fed off screen (feed_views)
        self.controller = RunController(self)
        self._build()
        self._build_menus()
        self._connect()
        self._fit_screen()
        self._restore_settings()
        self.show_page(next(iter(self.pages)))
        POOL.reopen()
        POOL.prewarm(2)                 # engine processes ready for a run and its overlay curves
        self._set_idle("Ready. Choose a preset, change a setting, or press Run (Ctrl+R).")

    # ================================================================== layout
    def _build(self) -> None:
        self.views = {cls.name: cls() for cls in VIEWS}
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

        # One page at a time: each page holds the views that declare it, in VIEWS order.
        self.pages: dict[str, QWidget] = {}
        self.page_tabs = QTabWidget()
        self.page_tabs.setObjectName("pages")
        self.page_tabs.setDocumentMode(True)
        for i, (page, title) in enumerate(PAGES.items()):
            members = [v for v in self.views.values() if v.page == page]
            if not members:
                continue
            widget = QWidget()
            widget.setObjectName(f"page:{page}")
            play = QVBoxLayout(widget)
            play.setContentsMargins(0, 2, 0, 0)
            for view in members:
                play.addWidget(view, 1)
            self.pages[page] = widget
            self.page_tabs.addTab(widget, title)
            self.page_tabs.setTabToolTip(self.page_tabs.count() - 1, f"Ctrl+{i + 1}")
        self.detach_button = QToolButton()
        self.detach_button.setText("Detach")
        self.detach_button.setToolTip("This page in a window of its own (close it to put it back)")
        self.detach_button.clicked.connect(lambda: self.detach_page(self.page))
        self.page_tabs.setCornerWidget(self.detach_button, Qt.Corner.TopRightCorner)
        self.page_tabs.currentChanged.connect(lambda _i: self._page_shown())
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.banner_widget)
        lay.addWidget(self.page_tabs, 1)
        self.setCentralWidget(central)

        # Settings dock: preset chooser + configuration panel.
        self.config_panel = ConfigPanel()
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
        self.lesson_panel.attach(self.controller)      # the lesson's numbers come from the run
        self.lesson_panel.page_requested.connect(self.show_page)
        self.lesson_dock = QDockWidget("Lesson", self)
        self.lesson_dock.setObjectName("lessonDock")
        self.lesson_dock.setWidget(self.lesson_panel)
        self.lesson_panel.setMinimumWidth(220)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.lesson_dock)

        self.status_label = style.Summary(lines=1)      # wraps rather than cut (presentation mode)
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

    def _fit_screen(self) -> None:
        """Open at 1500×950, or smaller to fit the screen's available area."""
        screen = self.screen() or QApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        w, h = 1500, 950
        if avail is not None and avail.width() > 0:
            w, h = min(w, int(avail.width() * 0.96)), min(h, int(avail.height() * 0.92))
        self.resize(max(w, 640), max(h, 480))

    def resize(self, *size) -> None:
        """Narrower than a laptop's 1280 px: the lesson first becomes a tab beside the settings,
        and the settings give the page PAGE_WIDTH px if they can, so the page keeps its room and
        the window can be that narrow (drag the lesson out at will)."""
        width = size[0].width() if len(size) == 1 else size[0]
        if width < NARROW and not self._lesson_tabbed and not self.lesson_dock.isFloating():
            self.tabifyDockWidget(self.settings_dock, self.lesson_dock)
            self.settings_dock.raise_()
            self._lesson_tabbed = True
        super().resize(*size)
        if width < NARROW and not self.settings_dock.isFloating():
            # the page keeps PAGE_WIDTH (two plots side by side stay readable), the settings
            # take the rest, between their minimum and the width they ask for
            dock = self.settings_dock
            self.resizeDocks([dock], [max(dock.minimumSizeHint().width(),
                                          min(dock.sizeHint().width(), width - PAGE_WIDTH))],
                             Qt.Orientation.Horizontal)

    # The views by name, as attributes (tests, benchmarks and scripts use them); nothing is laid
    # out by these names.
    spectrum_view = property(lambda self: self.views["spectrum"])
    rank_view = property(lambda self: self.views["rank"])
    dynamics_view = property(lambda self: self.views["dynamics"])

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open configuration…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.save_action = self._action(file_menu, "&Save configuration…", self.save_dialog, QKeySequence.StandardKey.Save)
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        export_menu = file_menu.addMenu("&Export")
        for name, view in self.views.items():
            sub = export_menu.addMenu(view.title)
            for fmt in export.FORMATS.values():
                self._action(sub, fmt.menu_text, lambda _=False, v=name, f=fmt.extension: self.export_dialog(v, f))
            sub.addSeparator()
            self._action(sub, "Figure… (size, resolution, text, legend)",
                         lambda _=False, v=name: self.figure_dialog(v))
            view.set_export_actions(sub.actions())        # the plot's right-click menu too
        export_menu.addSeparator()
        self._action(export_menu, "Window screenshot as PNG…", lambda: self.export_dialog("window", "png"))
        file_menu.addSeparator()
        self.quit_action = self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"))

        run_menu = mb.addMenu("&Run")
        self.run_action = self._action(run_menu, "&Run", self.run, QKeySequence("Ctrl+R"))
        self.cancel_action = self._action(run_menu, "&Cancel", self.cancel, QKeySequence(Qt.Key.Key_Escape))
        run_menu.addSeparator()
        self.reset_preset_action = self._action(run_menu, "Reset to the &preset", self.reset_to_preset)
        self.reset_defaults_action = self._action(run_menu, "Reset to &defaults", self.reset_to_defaults)
        self.reset_preset_action.setEnabled(False)
        run_menu.addSeparator()
        threads_menu = run_menu.addMenu("BLAS &threads")
        threads_group = QActionGroup(self)
        self.thread_actions = {}
        for n in [None, *range(1, cores() + 1)]:
            text = f"&Automatic (by problem size, at most {engine_process.thread_cap()})" \
                if n is None else f"&{n}"
            a = self._action(threads_menu, text, lambda _=False, k=n: self.set_threads(k))
            a.setCheckable(True)
            a.setChecked(n is None)
            threads_group.addAction(a)
            self.thread_actions[n] = a

        presets_menu = mb.addMenu("&Presets")
        for preset in list_presets():
            self._action(presets_menu, preset.title, lambda _=False, n=preset.name: self.load_preset(n))

        view_menu = mb.addMenu("&View")
        for view in self.views.values():
            for action in view.menu_actions:
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                view_menu.addAction(action)
        view_menu.addSeparator()
        group = QActionGroup(self)
        # Ctrl+1…: the pages, in their order
        self.page_actions = {}
        for i, (page, title) in enumerate((p, t) for p, t in PAGES.items() if p in self.pages):
            a = self._action(view_menu, f"&{title}", lambda _=False, k=page: self.show_page(k),
                             QKeySequence(f"Ctrl+{i + 1}"))
            a.setCheckable(True)
            group.addAction(a)
            self.page_actions[page] = a
        self.next_page_action = self._action(view_menu, "&Next page", lambda: self.step_page(+1))
        self.previous_page_action = self._action(view_menu, "&Previous page", lambda: self.step_page(-1))
        self._page_keys(False)
        self.detach_action = self._action(view_menu, "&Detach this page", lambda: self.detach_page(self.page),
                                          QKeySequence("Ctrl+Shift+D"))
        view_menu.addSeparator()
        self.large_text_action = self._action(view_menu, "Large &text (projector)", None,
                                              QKeySequence("Ctrl+Shift+T"))
        self.large_text_action.setCheckable(True)
        self.large_text_action.toggled.connect(self.set_large_text)
        self.presentation_action = self._action(view_menu, "&Presentation", None, QKeySequence("F11"))
        self.presentation_action.setCheckable(True)
        self.presentation_action.toggled.connect(self.set_presentation)
        self.cycle_action = self.next_page_action           # F12 steps through the pages
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

    def _connect(self) -> None:
        c = self.controller
        for view in self.views.values():
            view.bind(c)
            view.updated.connect(self._update_status)
            view.option_changed.connect(self._option_changed)
        c.started.connect(self._run_started)
        c.not_started.connect(self._run_not_started)
        c.busy.connect(self._set_running)
        c.progress.connect(self._progress)
        c.failed.connect(self.show_error)
        c.job_done.connect(lambda _name, _status: self._update_status())
        c.finished.connect(self._run_ended)
        c.mode_selected.connect(self._mode_selected)
        c.sweep_finished.connect(self._sweep_ended)
        for view in self.views.values():        # a view that sweeps (by what it offers, not its name)
            if hasattr(view, "open_point"):
                view.open_point.connect(self.open_sweep_point)
            if hasattr(view, "sweep_requested"):
                view.sweep_requested.connect(lambda axes: c.start_sweep(self.config(), axes))
        self._ended: list[str] = []       # statuses of what ended since the window was last idle
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.preview)
        self.config_panel.changed.connect(self._config_changed)
        self.config_panel.run_requested.connect(self.run)
        self.config_panel.cancel_requested.connect(self.cancel)

    def _option_changed(self, key: str, value) -> None:
        """A view changed a "view" setting: record it, and let every view follow it."""
        self.config_panel.set_view_option(key, value)
        for view in self.views.values():
            view.apply_options({key: value})

    def set_large_text(self, on: bool) -> None:
        """Every text in the window and its plots 1.4× larger, for a lecture hall."""
        self._apply_scales()
        self.settings.setValue("largeText", bool(on))

    def set_presentation(self, on: bool) -> None:
        """F11: full screen, the side panels hidden, every text 1.6× and every line 2× (a
        lecture hall), one page at a time (F12, Page Down and Page Up step through them, as a
        presenter's clicker sends). Leaving puts back exactly what was: the geometry, the
        docks, the window state and the page."""
        on = bool(on)
        if on == self.presentation:
            return
        self.presentation = on
        if on:
            self._before_presentation = (self.geometry(), self.saveState(), self.windowState(),
                                         self.page, self.saveGeometry())
            for dock in (self.settings_dock, self.lesson_dock):
                dock.hide()
            self._menu_keys()
            self.menuBar().hide()         # as a slide show: its keys still work (_menu_keys)
            self._apply_scales()
            self.showFullScreen()
        else:
            geometry, state, window_state, page, _ = self._before_presentation
            self._before_presentation = None
            self.menuBar().show()
            self._apply_scales()
            self.setWindowState(window_state)
            self.restoreState(state)
            if not window_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
                # the geometry as it was (restoreGeometry would fit it to the screen), now and
                # again once the layouts have the normal text size: until then their minimum
                # is the large text's, which the window would keep
                self.setGeometry(geometry)
                QTimer.singleShot(0, lambda: self.presentation or self.setGeometry(geometry))
            self.show_page(page)
        for view in self.views.values():
            view.presenting(on)
        self._page_keys(on)
        self.presentation_action.blockSignals(True)
        self.presentation_action.setChecked(on)
        self.presentation_action.blockSignals(False)

    def _menu_keys(self) -> None:
        """Every menu action with a key also on the window itself, so its key works while the
        menu bar is hidden (presentation mode)."""
        def actions(widget):
            for action in widget.actions():
                if action.menu() is not None:
                    yield from actions(action.menu())
                elif not action.shortcut().isEmpty() and action not in self.actions():
                    yield action
        self.addActions(list(actions(self.menuBar())))

    def _page_keys(self, presentation: bool) -> None:
        """Ctrl+Page Down/Up and F12 always; bare Page Down/Up only in presentation mode,
        where no text field wants them and a clicker sends them."""
        extra = presentation
        self.next_page_action.setShortcuts([QKeySequence("F12"), QKeySequence("Ctrl+PgDown")] +
                                           ([QKeySequence("PgDown")] if extra else []))
        self.previous_page_action.setShortcuts([QKeySequence("Ctrl+PgUp")] +
                                               ([QKeySequence("PgUp")] if extra else []))

    def _apply_scales(self) -> None:
        if self.presentation:
            scale, lines = style.PRESENTATION_SCALE, style.PRESENTATION_LINES
        else:
            scale, lines = (style.PROJECTOR_SCALE if self.large_text_action.isChecked() else 1.0), 1.0
        style.set_text_scale(scale, lines)
        app = QApplication.instance()
        font = QFont(app.font())
        font.setPointSizeF(self._base_font_pt * scale)
        app.setFont(font)
        status_font = QFont(font)
        if scale == 1.0:      # presenting: the large text is large enough, and bold would need a third line
            status_font.setPointSizeF(font.pointSizeF() + 2)
            status_font.setBold(True)
        self.status_label.setFont(status_font)
        self._settings_scroll.setMinimumWidth(int(SETTINGS_WIDTH * scale))
        for view in self.views.values():
            view.refresh()

    def resizeEvent(self, event) -> None:
        """Larger text or a wider page must not make the window wider: when it grows to its
        new minimum width (not a drag), the settings give up that width (they scroll), down to
        their normal minimum, and the window takes its width back."""
        super().resizeEvent(event)
        old, new = event.oldSize().width(), event.size().width()
        scroll = self._settings_scroll
        if 0 < old < new <= self.minimumSizeHint().width() and not self.presentation and \
                not self.isFullScreen() and scroll.minimumWidth() > SETTINGS_WIDTH:
            scroll.setMinimumWidth(max(SETTINGS_WIDTH, scroll.minimumWidth() - (new - old)))
            QTimer.singleShot(0, lambda: self.width() > old and self.resize(old, self.height()))

    def set_threads(self, n: int | None) -> None:
        """Run → BLAS threads: every later engine task uses n threads (None: chosen per call
        from its size, leaving a core to the window; engine.threads)."""
        set_engine_threads(n)
        self.thread_actions[n].setChecked(True)
        self.settings.setValue("threads", "auto" if n is None else n)

    def set_grid(self, on: bool) -> None:
        for view in self.views.values():
            style.set_grid(view.plot, bool(on))
        self.settings.setValue("grid", bool(on))

    def open_sweep_point(self, point: dict) -> None:
        """A point clicked in the Sweep view: its architecture (config fields) in the run's views."""
        config = self.config()
        config.update(point)
        config["view"] = {**config["view"], "views": "spectrum"}
        self.set_config(config, sweep=False)

    def _mode_selected(self, _k: int) -> None:
        """An eigenvalue was picked: unless a view that shows a picked mode is on screen, show
        the page of the first such view."""
        showing = [v for v in self.views.values() if hasattr(v, "show_mode")]
        if showing and all(v.isHidden() for v in showing):
            self.show_page(showing[0].page)

    # ================================================================== pages
    @property
    def page(self) -> str:
        """The page shown in the window (detached pages aside)."""
        widget = self.page_tabs.currentWidget()
        return next((p for p, w in self.pages.items() if w is widget), next(iter(self.pages)))

    def show_page(self, page: str) -> None:
        """Show a page (gui.views.PAGES); a detached one comes to the front of its window."""
        page = page_of(page)
        if page in self.detached:
            self.detached[page].raise_()
            self.detached[page].activateWindow()
        elif page in self.pages:
            self.page_tabs.setCurrentWidget(self.pages[page])
        self._page_shown()

    def focus_view(self, key: str) -> None:
        """The page of a view, a page, or an old group name ("main", "anatomy"): scripts and
        old configurations name these."""
        self.show_page(page_of(key))

    def step_page(self, step: int) -> None:
        """F12 / Page Down: the next page in the window, Page Up the one before (cyclic)."""
        n = self.page_tabs.count()
        if n:
            self.page_tabs.setCurrentIndex((self.page_tabs.currentIndex() + step) % n)

    def _page_shown(self) -> None:
        """Hide the views not on screen, record the page in the configuration, tick its menu
        entry, and ask the controller for the jobs the views on screen need (WANTS)."""
        page = self.page
        for view in self.views.values():      # a view not on screen is hidden (isHidden() says so)
            view.setVisible(view.page == page or view.page in self.detached)
        self.config_panel.set_view_option("views", page)
        action = getattr(self, "page_actions", {}).get(page)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        self.controller.want({job for name, view in self.views.items()
                              if not view.isHidden() or name in self._fed for job in WANTS.get(name, ())})
        self._update_status()

    def feed_views(self, names) -> None:
        """Compute what these views need even off screen (headless exports of views on other
        pages than the one shown)."""
        self._fed = set(names)
        self._page_shown()

    def detach_page(self, page: str) -> "PageWindow | None":
        """Tear a page off into its own window (beside a projected page, say); closing that
        window puts the page back among the tabs. The last page in the window stays."""
        if page not in self.pages or page in self.detached or self.page_tabs.count() < 2:
            return None
        widget = self.pages[page]
        self.page_tabs.removeTab(self.page_tabs.indexOf(widget))
        window = PageWindow(page, PAGES[page], widget, self)
        window.closed.connect(self.attach_page)
        self.detached[page] = window
        screen = (self.screen() or QApplication.primaryScreen()).availableGeometry()
        window.resize(min(self.page_tabs.width() or 800, screen.width()),
                      min(self.page_tabs.height() or 600, screen.height()))
        window.show()
        self._page_shown()
        return window

    def attach_page(self, page: str) -> None:
        """Put a detached page back in its place among the tabs."""
        window = self.detached.pop(page, None)
        if window is None:
            return
        widget = self.pages[page]
        order = list(self.pages)
        index = sum(1 for p in order[: order.index(page)] if p not in self.detached)
        self.page_tabs.insertTab(index, widget, PAGES[page])
        self.page_tabs.setTabToolTip(index, f"Ctrl+{list(PAGES).index(page) + 1}")
        widget.show()
        window.deleteLater()
        self._page_shown()

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

    def _update_status(self) -> None:
        plan = self.controller.plan
        if plan is None:
            return
        text = plan.problem.describe(self.spectrum_view.n_teachers)
        # the run, its rank, then what the views on screen add (the Mode page: which mode; not
        # on the Learning page, where it would only lengthen the line)
        parts = [t for t in (view.status_text() for view in self.views.values()
                             if view.status_everywhere or not view.isHidden()) if t]
        if plan.note and not plan.complete:
            parts.append(plan.note)
        self.status_label.setText(" · ".join([text] + parts))

    # ================================================================== configuration
    def config(self) -> dict:
        return self.config_panel.config()

    def set_config(self, config: dict, run: bool = True, sweep: bool = True) -> None:
        """Show a configuration; with run=True start the full run at once (presets, File → Open),
        and its sweep too when the Sweep view is shown (sweep=False: not even then)."""
        self.config_panel.set_config(config)
        options = view_options(self.config())
        for view in self.views.values():
            view.apply_options(options)
        self.show_page(page_of(options.get("views")))
        sl = options.get("slice")
        self.controller.landscape_modes = None if sl is None else tuple(sl)
        if run:
            self.run()
            if sweep and options.get("sweep"):
                # a sweep view on screen (or fed off screen: a headless export) runs its sweep
                for name, view in self.views.items():
                    if hasattr(view, "run_sweep") and (not view.isHidden() or name in self._fed):
                        view.run_sweep()

    def _config_changed(self) -> None:
        self._debounce.start()
        if self._preset_config is not None:
            config = self.config()
            self.lesson_panel.set_modified(spectrum_key(config) != spectrum_key(self._preset_config)
                                           or config["dynamics"] != self._preset_config["dynamics"])

    def load_preset(self, name: str, run: bool = True) -> None:
        try:
            preset = find_preset(name)
            config = preset.config()
        except InputError as exc:
            self.show_error(str(exc))
            return
        self._preset_config = normalize(config)
        self.reset_preset_action.setEnabled(True)
        self.reset_preset_action.setText(f"Reset to the &preset “{preset.title}”")
        i = self.preset_combo.findData(name)
        if i >= 0:
            self.preset_combo.setCurrentIndex(i)
        self.lesson_panel.show_lesson(name)
        if not self.presentation:
            self.lesson_dock.show()
        self.setWindowTitle(f"{APP_NAME} — {preset.title}")
        self.set_config(config, run=run)
        self.lesson_panel.set_modified(False)

    def reset_to_preset(self) -> None:
        """Run → Reset to the preset: every setting back to the preset last loaded."""
        if self._preset_config is not None:
            self.set_config(self._preset_config, run=True)
            self.lesson_panel.set_modified(False)

    def reset_to_defaults(self) -> None:
        """Run → Reset to defaults: the engine's defaults (engine/defaults.py), previewed."""
        self.set_config(default_config(), run=False)

    def _preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name:
            self.load_preset(name)

    def open_config(self, path: str, run: bool = True) -> bool:
        """Open a configuration file. A bad value is refused (gui.config.load_config checks
        every field as the engine and the settings panel do): the banner names the field and
        the settings stay as they were — nothing is clamped or coerced."""
        try:
            self.set_config(load_config(path), run=run)
        except InputError as exc:
            self.show_error(f"Not opened — {exc}. The settings are unchanged.")
            return False
        self._config_path = str(path)
        self._preset_config = None
        self.reset_preset_action.setEnabled(False)
        preset = self._preset_matching(self.config())
        self.lesson_panel.show_lesson(preset)      # a saved preset keeps its lesson
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(preset)) if preset else 0)
        self.setWindowTitle(f"{APP_NAME} — {Path(path).name}")
        self._add_recent(str(Path(path).resolve()))
        return True

    @staticmethod
    def _preset_matching(config: dict) -> str | None:
        """The preset whose settings these are (view options aside), if any."""
        for preset in list_presets():
            try:
                p = normalize(preset.config())
            except InputError:
                continue
            if spectrum_key(p) == spectrum_key(config) and p["dynamics"] == config["dynamics"]:
                return preset.name
        return None

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

    def _ask_path(self, save: bool, title: str, start: str, file_filter: str, extension: str) -> str:
        """A file dialog; the chosen path gets `extension` if it lacks it ("" if cancelled)."""
        dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = dialog(self, title, start, file_filter)
        if not path:
            return ""
        if save and not path.lower().endswith("." + extension):
            path += "." + extension
        self.settings.setValue("lastDir", str(Path(path).parent))
        return path

    def open_dialog(self) -> None:
        path = self._ask_path(False, "Open configuration", self._dialog_dir(),
                              "Configurations (*.json);;All files (*)", "json")
        if path:
            self.open_config(path)

    def save_dialog(self) -> None:
        start = self._config_path or str(Path(self._dialog_dir()) / "config.json")
        path = self._ask_path(True, "Save configuration", start, "Configurations (*.json)", "json")
        if path:
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
        """A run's jobs or a sweep."""
        return self.controller.is_running() or self.controller.sweeping()

    def run(self) -> bool:
        """Ctrl+R: the whole ensemble, then the dynamics if enabled."""
        self._debounce.stop()
        return self.controller.run(self.config())

    def preview(self) -> bool:
        """The automatic re-run after a change: only what is cheap."""
        self._debounce.stop()
        if not self.is_running():
            self.clear_error()              # e.g. a bad value was put back as it was
        return self.controller.preview(self.config())

    def cancel(self) -> None:
        """Esc: stop every job of the current run and the sweep (partial results stay on screen)."""
        self.controller.cancel()
        self.controller.cancel_sweep()

    def _run_started(self, plan) -> None:
        self.clear_error()
        self._update_status()

    def _run_not_started(self, error: str, status: str) -> None:
        if error:
            self.show_error(error)
        self.status_label.setText(status)
        self._set_running()

    def _set_running(self) -> None:
        """Cancel is offered while a run's jobs or a sweep are running."""
        running = self.is_running()
        self.config_panel.set_running(running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setValue(0)

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * fraction))
        self.progress_label.setText(message)

    def _run_ended(self, status: str) -> None:
        self._set_running()
        if status == "finished":
            self.progress.setValue(1000)
            self.progress_label.setText("done")
        elif status == "cancelled":
            self.progress_label.setText("cancelled")
            self.statusBar().showMessage("Cancelled: the results computed so far stay on screen.", 6000)
        else:
            self.progress_label.setText("failed")
        self._update_status()
        self._ended_one(status)

    def _sweep_ended(self, status: str) -> None:
        self._set_running()
        self._update_status()
        self._ended_one(status)

    def _ended_one(self, status: str) -> None:
        """A run or a sweep ended: once neither is left, run_finished with the worst status."""
        self._ended.append(status)
        if self.is_running():
            return
        ended, self._ended = self._ended, []
        self.run_finished.emit(next((s for s in ("error", "cancelled") if s in ended), "finished"))

    # ================================================================== export
    def export(self, what: str, fmt: str, path: str) -> bool:
        """Write one view in one of gui.export.FORMATS, or the window (png). Errors → banner."""
        if what == "window":
            write = lambda: export.save_widget_png(self, path)        # noqa: E731
        elif self.nothing_to_export(what):
            self.show_error(self.nothing_to_export(what))
            return False
        else:
            write = lambda: export.export_view(self.views[what], fmt, path, self.config(),  # noqa: E731
                                               self.figure)
        if not self._write(path, write):
            return False
        self.statusBar().showMessage(f"wrote {path}", 5000)
        return True

    def nothing_to_export(self, what: str) -> str:
        """"" when the view `what` has something to draw; otherwise one line saying why not
        and which setting turns it on (an export of it would be an empty figure)."""
        if what == "window" or what not in self.views:
            return ""
        self.views[what].flush_refresh()
        reason = self.views[what].nothing_to_draw()
        return f"nothing to export for {what!r}: {reason}" if reason else ""

    def figure_dialog(self, what: str, dialog: FigureDialog | None = None) -> bool:
        """File → Export → view → Figure…: choose the figure's shape, then where to write it.
        The choice stays for later figure exports. (Tests pass a filled-in dialog.)"""
        dialog = dialog or FigureDialog(self.figure, ["png", "svg", "pdf"], self)
        if dialog.result() != FigureDialog.DialogCode.Accepted and dialog.exec() != FigureDialog.DialogCode.Accepted:
            return False
        self.figure = dialog.figure()
        self.export_dialog(what, dialog.chosen_format())
        return True

    def export_dialog(self, what: str, fmt: str) -> None:
        start = str(Path(self._dialog_dir()) / f"{what}.{fmt}")
        path = self._ask_path(True, f"Export {what}", start, export.FORMATS[fmt].file_filter, fmt)
        if path:
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
        threads = str(self.settings.value("threads", "auto"))
        self.set_threads(int(threads) if threads.isdigit() and int(threads) in self.thread_actions else None)

    def save_settings(self) -> None:
        """The window's geometry and docks as they are outside presentation mode."""
        if self._before_presentation is not None:
            state, geometry = self._before_presentation[1], self._before_presentation[4]
        else:
            geometry, state = self.saveGeometry(), self.saveState()
        self.settings.setValue("geometry", geometry)
        self.settings.setValue("windowState", state)
        self.settings.sync()

    def confirm_close(self) -> bool:
        """Ask before stopping a run. Tests set `confirm_close_answer` instead of clicking.
        If the run ends while the question is open, the question closes: nothing to stop."""
        if self.confirm_close_answer is not None:
            return self.confirm_close_answer

        def answer_yes() -> None:
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox) and box.windowTitle() == CLOSE_TITLE:
                box.button(QMessageBox.StandardButton.Yes).click()

        def run_ended(_status) -> None:      # the run and any sweep: after every other slot
            QTimer.singleShot(0, answer_yes)

        self.run_finished.connect(run_ended)
        try:
            answer = QMessageBox.question(self, CLOSE_TITLE,
                                          "A computation is still running. Stop it and close the window?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
        finally:
            self.run_finished.disconnect(run_ended)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:
        if self.is_running() and not self.confirm_close():
            event.ignore()
            return
        self._debounce.stop()
        self.controller.cancel(quiet=True)
        shutdown()                       # every job still alive, this run's and cancelled ones
        self.save_settings()
        for window in list(self.detached.values()):
            window.close()
        event.accept()


class PageWindow(QWidget):
    """A page torn off the main window (View → Detach this page): closing it puts it back."""
    closed = Signal(str)

    def __init__(self, page: str, title: str, widget: QWidget, parent: QWidget):
        super().__init__(parent, Qt.WindowType.Window)
        self.page = page
        self.setWindowTitle(f"{APP_NAME} — {title}")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(widget)
        widget.show()

    def closeEvent(self, event) -> None:
        self.closed.emit(self.page)
        event.accept()
