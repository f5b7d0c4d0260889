"""Interaction details of the window: hover read-outs, the right-click menu, one tolerance for
rank and histogram, Reset, pre-filled fields, the close question, lessons of saved presets."""
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.ensemble import iter_spectra, prepare
from gui.config import default_config, load_config, spectrum_config

RUN_TIMEOUT = 60_000


def run(qtbot, window, **cfg):
    config = default_config()
    dyn = cfg.pop("dynamics", {})
    config.update(cfg)
    config["dynamics"].update(dyn)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.set_config(config, run=True)
    assert blocker.args == ["finished"], window.error_text()
    return config


def test_hover_reads_out_the_data_under_the_mouse(window, qtbot):
    run(qtbot, window, activation="quadratic", ni=4, nh=3, teachers=2, seed=1,
        dynamics={"enabled": True, "steps": 200}, view={"log_axis": False})
    spectrum, rank, dynamics = window.spectrum_view, window.rank_view, window.dynamics_view
    i = int(np.argmax(spectrum.heights))
    centre = 0.5 * (spectrum.edges[i] + spectrum.edges[i + 1])
    assert f": {int(spectrum.heights[i])} eigenvalues" in spectrum.hover(centre, 0.0)
    assert spectrum.readout.isVisible()
    sv = rank._spectra[0].singular_values
    assert rank.hover(3.2, 0.0).startswith(f"k = 3: σ = {sv[2]:.4g} (teacher 1)")
    t = dynamics.data["steps"]
    text = dynamics.hover(57.4, 0.0)
    assert text.startswith(f"t = 57: loss {dynamics.data['loss'][57]:.4g}")
    assert dynamics.hover(float(t[-1]) + 50, 0.0) == "" and not dynamics.readout.isVisible()
    # Through the scene, as the mouse reports it (on the rank's page: a plot never shown has
    # no size for the mouse to be in).
    window.focus_view("rank")
    vb = rank.plot.getPlotItem().vb
    qtbot.waitUntil(lambda: rank.plot.isVisible() and rank.plot.height() > 100
                    and vb.viewRect().width() > 2)       # laid out and ranged to its k = 1 … P
    rank.plot.scene().sigMouseMoved.emit(vb.mapViewToScene(vb.viewRect().center()))
    assert rank.readout.isVisible() and rank.readout.textItem.toPlainText().startswith("k = ")
    # The mouse leaves the plot: the read-out goes (issue 19: it stayed).
    from PySide6.QtCore import QEvent
    QApplication.sendEvent(rank.plot.viewport(), QEvent(QEvent.Type.Leave))
    assert not rank.readout.isVisible()
    rank.plot.scene().sigMouseMoved.emit(vb.mapViewToScene(vb.viewRect().center()))
    assert rank.readout.isVisible()
    # The read-out never goes into a figure.
    assert window.export("rank", "png", str(window.settings.fileName()) + ".png")
    assert not rank.readout.isVisible()


def test_the_right_click_menu_exports_like_the_file_menu(window):
    for view in window.views.values():
        texts = [a.text() for a in view.plot.scene().contextMenu if not a.isSeparator()]
        assert texts == ["Figure as PNG…", "Figure as SVG…", "Figure as PDF…",
                         "Plotted data as CSV…", "Plotted data as NPZ…",
                         "Figure… (size, resolution, text, legend)"]
        assert view.plot.getPlotItem().getContextMenus(None) is None    # no "Plot Options"


def test_one_tolerance_for_rank_and_histogram_kept_in_the_config(window, qtbot, tmp_path):
    cfg = run(qtbot, window, activation="cubic", ni=5, nh=7, teachers=2, seed=3)
    spectrum, rank = window.spectrum_view, window.rank_view
    results = list(iter_spectra(prepare(spectrum_config(cfg))))
    assert spectrum.n_zero == sum(r.spectrum.eigenvalues.size - r.spectrum.rank for r in results)
    rank.set_tolerance(1e-30)                 # below round-off: every eigenvalue counts
    want = [r.spectrum.rank_at(r.spectrum.eigen_tolerance(1e-30)) for r in results]
    assert rank.ranks == want
    assert spectrum.n_zero == sum(r.spectrum.eigenvalues.size for r in results) - sum(want)
    assert window.config()["view"]["tolerance"] == 1e-30
    path = tmp_path / "c.json"
    assert window.save_config(str(path)) and load_config(path)["view"]["tolerance"] == 1e-30
    rank.reset_button.click()
    assert window.config()["view"]["tolerance"] is None
    assert spectrum.n_zero == sum(r.spectrum.eigenvalues.size - r.spectrum.rank for r in results)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        assert window.open_config(str(path))
    assert rank.ranks == want and rank.tolerance() == pytest.approx(1e-30)


def test_reset_to_the_preset_and_to_defaults(window, qtbot):
    assert not window.reset_preset_action.isEnabled()
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.load_preset("03_quadratic")
    preset = window.config()
    window.config_panel.ni.setValue(3)
    window._debounce.stop()
    assert window.config()["ni"] == 3 and window.lesson_panel.note.isVisibleTo(window.lesson_panel)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.reset_preset_action.trigger()
    assert window.config() == preset and not window.lesson_panel.note.isVisibleTo(window.lesson_panel)
    window.reset_defaults_action.trigger()
    window._debounce.stop()
    cfg = window.config()
    assert {k: cfg[k] for k in ("activation", "ni", "nh", "teachers")} == \
        {k: default_config()[k] for k in ("activation", "ni", "nh", "teachers")}


def test_polynomial_coefficients_start_filled_in(window):
    panel = window.config_panel
    panel.activation.setCurrentIndex(panel.activation.findData("poly"))
    assert panel.config()["activation"] == "poly:0,1,0.5" and not panel.activation_error.isVisible()


def test_spin_boxes_preview_while_typing(window, qtbot):
    from PySide6.QtCore import Qt

    window.config_panel.ni.selectAll()
    with qtbot.waitSignal(window.config_panel.changed, timeout=1000):
        qtbot.keyClicks(window.config_panel.ni, "7")            # no Enter
    assert window.config()["ni"] == 7 and window._debounce.isActive()
    qtbot.keyClick(window.config_panel.ni, Qt.Key.Key_Backspace)
    window._debounce.stop()


def test_the_close_question_goes_away_when_the_run_ends(window, qtbot):
    config = default_config()
    config.update(activation="erf", ni=10, nh=20, samples=2500, teachers=6, seed=1)
    window.set_config(config, run=True)
    qtbot.waitUntil(lambda: window.spectrum_view.n_teachers >= 1, timeout=RUN_TIMEOUT)
    assert window.is_running()
    window.confirm_close_answer = None         # the real question
    seen = []
    window.controller.finished.connect(lambda _s: seen.append(type(QApplication.activeModalWidget())))
    assert window.close()                      # returns once the run has ended by itself
    assert seen == [QMessageBox] and window.spectrum_view.n_teachers == 6


def test_a_saved_preset_opens_with_its_lesson(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.load_preset("04_cubic")
    path = tmp_path / "mine.json"
    assert window.save_config(str(path))
    window.lesson_panel.show_lesson(None)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        assert window.open_config(str(path))
    assert window.lesson_panel.name == "04_cubic"


def test_a_new_run_resets_the_replay(window, qtbot):
    """Issue 19: the replay kept t = 229 of an earlier run, and Play ran with nothing trained."""
    run(qtbot, window, activation="erf", ni=3, nh=2, teachers=1, seed=1,
        dynamics={"enabled": True, "steps": 400})
    replay, view = window.controller.replay, window.dynamics_view
    assert len(replay) > 2
    replay.seek(len(replay) // 2)
    assert view.replay_label.text() == f"t = {replay.step}" and replay.step > 0
    run(qtbot, window, activation="erf", ni=3, nh=3, teachers=1, seed=1, dynamics={"enabled": False})
    assert len(replay) == 0 and replay.step == -1
    assert view.replay_label.text() == "t = –" and not view.slider.isEnabled()
    assert not view.cursor.isVisible()
    view.play_button.click()
    assert not replay.playing and view.play_button.text() == "▶ Play"


def test_an_automatic_lambda_axis_is_log_when_the_eigenvalues_span_three_decades(window, qtbot):
    """Issue 19: a cubic network clicked in a sweep opened on a linear λ axis, every eigenvalue
    below λmax/1000 in one bin. log_axis null (automatic) now lets the data decide; a choice
    the user makes stays theirs."""
    spectrum = window.spectrum_view
    run(qtbot, window, activation="cubic", ni=5, nh=7, teachers=2, seed=3, view={"log_axis": None})
    lam = spectrum.nonzero_eigenvalues()
    assert lam.max() / lam.min() > 1e3 and spectrum.log_axis
    assert window.config()["view"]["log_axis"] is None        # still automatic
    # Bins: most of them hold something (on a linear axis one bin held nearly everything).
    assert spectrum.heights.max() < 0.5 * spectrum.heights.sum()
    run(qtbot, window, activation="linear", ni=10, nh=20, teachers=2, seed=1, view={"log_axis": None})
    lam = spectrum.nonzero_eigenvalues()
    assert lam.max() / lam.min() < 1e3 and not spectrum.log_axis
    # A point clicked in a sweep opens with the settings shown: still automatic.
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.open_sweep_point({"activation": "cubic", "ni": 5, "nh": 7})
    assert spectrum.log_axis and window.config()["view"]["log_axis"] is None
    run(qtbot, window, activation="linear", ni=10, nh=20, teachers=2, seed=1, view={"log_axis": None})
    spectrum.log_button.click()                                # the user's choice
    assert spectrum.log_axis and window.config()["view"]["log_axis"] is True
    run(qtbot, window, activation="linear", ni=10, nh=20, teachers=2, seed=2,
        view={"log_axis": window.config()["view"]["log_axis"]})
    assert spectrum.log_axis


def test_the_dynamics_page_says_a_cancelled_run_will_not_train(window, qtbot):
    """Issue 19: after Esc the Dynamics view said "Waiting for the spectrum…" for good."""
    from gui.views.dynamics import CANCELLED

    config = default_config()
    config.update(activation="erf", ni=10, nh=20, samples=2500, teachers=40, seed=1)
    config["dynamics"].update(enabled=True, steps=200)
    window.set_config(config, run=True)
    view = window.dynamics_view
    qtbot.waitUntil(lambda: window.spectrum_view.n_teachers >= 1, timeout=RUN_TIMEOUT)
    assert view.empty_text.textItem.toPlainText() == "Waiting for the spectrum…"
    with qtbot.waitSignal(window.run_finished, timeout=5000) as blocker:
        window.cancel()                                    # what Esc does
    assert blocker.args == ["cancelled"]
    assert view.empty_text.textItem.toPlainText() == CANCELLED and view.empty_text.isVisible()


@pytest.mark.parametrize("presentation", (False, True))
def test_progress_texts_fit_the_status_bar_at_1024x768(window, qtbot, presentation):
    """Issue 19: the progress text was cut to "teacher 20/4". Every text a run shows there
    fits its label (the bar beside it gives the fraction)."""
    window.resize(1024, 768)
    window.set_presentation(presentation)
    texts = []
    window.controller.progress.connect(lambda _f, text: texts.append(text))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.load_preset("07_erf_slow_tail")               # a spectrum, then training
    assert any(t.startswith("teacher ") for t in texts) and any(t.startswith("step ") for t in texts)
    label = window.progress_label
    for text in dict.fromkeys(texts):
        window.controller.progress.emit(0.5, text)           # shown again, laid out at leisure
        qtbot.waitUntil(lambda: label.width() >= label.fontMetrics().horizontalAdvance(text),
                        timeout=2000)
    window.set_presentation(False)
