"""The desktop application: a thin PySide6 + pyqtgraph layer over the Qt-free engine.

Modules: app (start-up, screenshot mode), main_window, config_panel, config (the configuration
dict and its JSON form), worker (engine jobs off the GUI thread), spectrum_view, rank_view,
dynamics_view, export, presets, lesson_panel, style (fonts and colours shared by the views).
"""
