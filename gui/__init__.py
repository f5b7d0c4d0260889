"""The desktop application: a thin PySide6 + pyqtgraph layer over the Qt-free engine.

Modules: app (start-up, headless screenshots and exports), main_window, config_panel, config
(the configuration dict and its JSON form), run_controller (plans runs, chains and cancels
their jobs), tasks (the requests an engine process runs), worker (Job: a request run in an
engine process, relayed as Qt signals by a QThread), engine_process (the warm engine processes
and their watchdog), sweep_runner (a sweep as one job per point on those processes), replay,
zero_modes, export, figure_dialog, presets, lesson_panel, style (fonts and colours shared by
the views), and views/ (one module per view; VIEWS is the registry).
"""
