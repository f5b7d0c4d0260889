"""The main window driven through its real widgets (pytest-qt, offscreen).

Every check compares what the window shows with the engine computed directly in the test.
"""
import json
import os
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from engine.ensemble import iter_spectra, prepare
from gui.config import default_config, load_config, spectrum_config
from gui.main_window import MainWindow
from gui.presets import list_presets
from gui.worker import live_jobs
from tests.engine_side import SpectrumFromVanishedInputs

RUN_TIMEOUT = 60_000


def make_config(**kw):
    dyn = kw.pop("dynamics", {})
    view = kw.pop("view", {})
    cfg = default_config()
    cfg.update(kw)
    cfg["dynamics"].update(dyn)
    cfg["view"].update(view)
    return cfg


SMALL = dict(activation="erf", ni=4, nh=3, teachers=3, seed=5)
# ~0.1 s a teacher on one core: long enough to watch, cancel and close during a run.
SLOW = dict(activation="erf", ni=10, nh=20, samples=2500, seed=1)


def run_config(qtbot, window, cfg, timeout=RUN_TIMEOUT):
    with qtbot.waitSignal(window.run_finished, timeout=timeout) as blocker:
        window.set_config(cfg, run=True)
    assert blocker.args == ["finished"], window.error_text()
    return blocker


def engine_results(cfg):
    return list(iter_spectra(prepare(spectrum_config(cfg))))


def test_parameter_change_reruns_and_histogram_holds_the_engines_eigenvalues(window, qtbot):
    run_config(qtbot, window, make_config(**SMALL, view={"log_axis": False}))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.config_panel.nh.setValue(5)            # debounced automatic re-run
    assert blocker.args == ["finished"]
    cfg = window.config()
    assert cfg["nh"] == 5
    results = engine_results(cfg)
    expected = np.concatenate([r.spectrum.eigenvalues for r in results])
    view = window.spectrum_view
    assert view.n_teachers == 3
    np.testing.assert_allclose(view.eigenvalues(), expected, rtol=1e-10, atol=1e-300)
    nonzero = np.concatenate([r.spectrum.eigenvalues[r.spectrum.eigenvalues > r.spectrum.rank_tolerance]
                              for r in results])
    counts, _ = np.histogram(nonzero, bins=view.edges)
    np.testing.assert_array_equal(view.heights, counts)
    assert view.heights.sum() == nonzero.size == 3 * (5 * 4 + 5)
    # The log axis bins log₁₀ λ of the same eigenvalues.
    view.log_button.setChecked(True)
    counts, _ = np.histogram(np.log10(nonzero), bins=view.edges)
    np.testing.assert_array_equal(view.heights, counts)
    assert "log₁₀ λ" in view.x_label()


def test_ensemble_histogram_grows_as_teachers_finish(window, qtbot):
    seen = []
    window.spectrum_view.updated.connect(
        lambda: seen.append((window.spectrum_view.n_teachers, float(window.spectrum_view.heights.sum()))))
    run_config(qtbot, window, make_config(**dict(SLOW, samples=5000), teachers=10))
    teachers = [t for t, _ in seen]
    assert teachers == sorted(teachers) and teachers[-1] == 10
    distinct = sorted(set(teachers) - {0})
    assert len(distinct) >= 3, f"the histogram only updated at teacher counts {distinct}"
    totals = [total for t, total in seen if t > 0]
    assert totals == sorted(totals) and totals[-1] == 10 * 220 and totals[0] < totals[-1]
    assert "10 teachers" in window.status_label.text() and "rank 220/220" in window.status_label.text()


def test_automatic_rerun_computes_only_what_is_cheap(window, qtbot):
    from engine.ensemble import estimate_seconds
    from gui.run_controller import PREVIEW_BUDGET_S

    cfg = make_config(**SLOW, teachers=100)
    per_teacher = estimate_seconds(prepare(spectrum_config(cfg)))
    k = int(PREVIEW_BUDGET_S // per_teacher)
    assert 1 <= k < 100
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.set_config(cfg, run=False)                 # as if edited: the debounced preview
    assert blocker.args == ["finished"]
    assert window.spectrum_view.n_teachers == k
    assert f"preview: {k} of 100 teachers" in window.status_label.text()
    # Far too big for a preview: nothing starts, the status line says to press Run.
    window.set_config(make_config(activation="erf", ni=40, nh=80, population=True, teachers=2), run=False)
    qtbot.waitUntil(lambda: "press Run" in window.status_label.text(), timeout=5000)
    assert not window.is_running()


def test_escape_cancels_mid_run_and_keeps_partial_results(window, qtbot):
    cfg = make_config(**SLOW, teachers=300)
    window.set_config(cfg, run=True)
    qtbot.waitUntil(lambda: window.spectrum_view.n_teachers >= 2, timeout=RUN_TIMEOUT)
    assert window.is_running() and window.config_panel.cancel_button.isEnabled()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    with qtbot.waitSignal(window.run_finished, timeout=2000) as blocker:
        t0 = time.monotonic()
        qtbot.keyClick(window.config_panel.ni, Qt.Key.Key_Escape)      # Esc from any field
    assert blocker.args == ["cancelled"]
    assert time.monotonic() - t0 < 1.0
    qtbot.waitUntil(lambda: not live_jobs(), timeout=2000)       # the worker thread has ended
    n = window.spectrum_view.n_teachers
    assert 2 <= n < 300
    qtbot.wait(300)
    assert window.spectrum_view.n_teachers == n                  # nothing arrives after cancel
    expected = np.concatenate([r.spectrum.eigenvalues for r in engine_results(make_config(**SLOW, teachers=n))])
    np.testing.assert_allclose(window.spectrum_view.eigenvalues(), expected, rtol=1e-10, atol=1e-300)
    assert not window.config_panel.cancel_button.isEnabled()


def test_keyboard_shortcuts(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.config_panel.set_config(make_config(**SMALL))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.keyClick(window.config_panel.teachers, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == ["finished"] and window.spectrum_view.n_teachers == 3
    keys = [a.shortcut().toString() for a in (window.open_action, window.save_action, window.run_action,
                                               window.cancel_action, window.quit_action)]
    assert keys == ["Ctrl+O", "Ctrl+S", "Ctrl+R", "Esc", "Ctrl+Q"]


def test_large_text_for_a_projector(window, qtbot):
    from PySide6.QtWidgets import QApplication

    run_config(qtbot, window, make_config(**SMALL))
    axis = window.spectrum_view.plot.getPlotItem().getAxis("bottom")
    tick = axis.style["tickFont"].pointSizeF()
    app_pt = QApplication.instance().font().pointSizeF()
    legend_label = window.spectrum_view.plot.getPlotItem().legend.items[0][1]
    window.large_text_action.trigger()
    try:
        assert axis.style["tickFont"].pointSizeF() == pytest.approx(1.4 * tick)
        assert QApplication.instance().font().pointSizeF() == pytest.approx(1.4 * app_pt)
        new_label = window.spectrum_view.plot.getPlotItem().legend.items[0][1]
        assert new_label.opts["size"] != legend_label.opts["size"]
        assert window.settings.value("largeText") in (True, "true")
    finally:
        window.large_text_action.trigger()
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(tick)
    assert QApplication.instance().font().pointSizeF() == pytest.approx(app_pt)


def test_new_run_cancels_the_one_in_flight(window, qtbot):
    window.set_config(make_config(**SLOW, teachers=300), run=True)
    qtbot.waitUntil(lambda: window.spectrum_view.n_teachers >= 1, timeout=RUN_TIMEOUT)
    second = make_config(**SMALL)
    run_config(qtbot, window, second)
    qtbot.wait(200)
    expected = np.concatenate([r.spectrum.eigenvalues for r in engine_results(second)])
    np.testing.assert_allclose(window.spectrum_view.eigenvalues(), expected, rtol=1e-10, atol=1e-300)
    qtbot.waitUntil(lambda: not live_jobs(), timeout=3000)


def test_close_during_run_asks_then_stops_the_worker(qtbot, tmp_path, monkeypatch):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    asked = []
    answer = [QMessageBox.StandardButton.No]

    def question(*args, **kwargs):
        asked.append(args)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    w.set_config(make_config(**SLOW, teachers=300), run=True)
    qtbot.waitUntil(lambda: w.spectrum_view.n_teachers >= 1, timeout=RUN_TIMEOUT)
    assert not w.close()                      # "No": the window stays and the run goes on
    assert len(asked) == 1 and w.isVisible() and w.is_running()
    n = w.spectrum_view.n_teachers
    qtbot.waitUntil(lambda: w.spectrum_view.n_teachers > n, timeout=RUN_TIMEOUT)
    answer[0] = QMessageBox.StandardButton.Yes
    t0 = time.monotonic()
    assert w.close()
    assert time.monotonic() - t0 < 2.0
    assert len(asked) == 2 and not w.isVisible()
    assert not live_jobs()                    # closing waited for every worker thread
    assert settings.value("geometry") is not None


def test_close_when_idle_does_not_ask(window, qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: pytest.fail("asked while idle"))
    run_config(qtbot, window, make_config(**SMALL))
    assert window.close()


def test_exports_read_back(window, qtbot, tmp_path):
    cfg = make_config(**SMALL, dynamics={"enabled": True, "steps": 300, "slow_modes": 2})
    run_config(qtbot, window, cfg)
    assert window.dynamics_view.data["steps"].size == 301
    for what in ("spectrum", "rank", "dynamics"):
        view = window.views[what]
        png, svg, csv, npz = (tmp_path / f"{what}.{ext}" for ext in ("png", "svg", "csv", "npz"))
        assert window.export(what, "png", str(png)), window.error_text()
        image = QImage(str(png))
        assert not image.isNull() and (image.width(), image.height()) == (1600, 1040)   # figure shape
        assert window.export(what, "svg", str(svg)), window.error_text()
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        texts = "".join(root.itertext())
        assert {"spectrum": "λ", "rank": "σ", "dynamics": "step"}[what] in texts
        assert window.export(what, "csv", str(csv))
        header, table = view.csv_table()
        loaded = np.loadtxt(csv, delimiter=",", ndmin=2)
        np.testing.assert_array_equal(loaded, table)
        assert header in csv.read_text()
        assert window.export(what, "npz", str(npz))
        with np.load(npz) as data:
            arrays = view.export_arrays()
            assert set(arrays) <= set(data.files)
            for key, value in arrays.items():
                np.testing.assert_array_equal(data[key], value)
            assert json.loads(str(data["config_json"])) == window.config()
    hist = window.spectrum_view
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "spectrum.csv", delimiter=",")[:, 3], hist.heights)
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "spectrum.png").stat().st_mode & 0o777 == 0o666 & ~mask    # not private
    shot = tmp_path / "window.png"
    assert window.export("window", "png", str(shot))
    assert QImage(str(shot)).size() == window.size()
    cfg_path = tmp_path / "run.json"
    assert window.save_config(str(cfg_path))
    assert load_config(cfg_path) == window.config()
    assert json.loads(cfg_path.read_text())["seed"] == 5


def test_export_error_is_a_message_and_writes_nothing(window, qtbot, tmp_path):
    run_config(qtbot, window, make_config(**SMALL))
    target = tmp_path / "no" / "such" / "dir" / "s.png"
    assert not window.export("spectrum", "png", str(target))
    assert "does not exist" in window.error_text()
    assert not target.exists()
    readonly = tmp_path / "ro"
    readonly.mkdir()
    good = readonly / "s.svg"
    assert window.export("spectrum", "svg", str(good))
    assert sorted(p.name for p in readonly.iterdir()) == ["s.svg"]     # no temporary files left


def test_open_saved_configuration_reproduces_the_run(window, qtbot, tmp_path):
    first = make_config(activation="cubic", ni=5, nh=7, teachers=4, seed=12)
    run_config(qtbot, window, first)
    eig = window.spectrum_view.eigenvalues().copy()
    path = tmp_path / "saved.json"
    assert window.save_config(str(path))
    run_config(qtbot, window, make_config(activation="cubic", ni=5, nh=7, teachers=4, seed=13))
    assert not np.array_equal(window.spectrum_view.eigenvalues(), eig)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        assert window.open_config(str(path))
    np.testing.assert_array_equal(window.spectrum_view.eigenvalues(), eig)
    assert window.config()["seed"] == 12
    assert window.recent_files()[0] == str(path.resolve())
    # The recent list lives in the test's own settings file and reaches a new window's menu.
    w2 = MainWindow(window.settings)
    qtbot.addWidget(w2)
    assert [a.toolTip() for a in w2.recent_menu.actions()][0] == str(path.resolve())


def test_a_command_line_result_opens_as_the_same_run(window, qtbot, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "cli.json"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, os.path.join(root, "main.py"), "spectrum", "--activation", "quadratic",
                        "--ni", "6", "--nh", "4", "--teachers", "3", "--seed", "21", "--json", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        assert window.open_config(str(out)), window.error_text()
    assert blocker.args == ["finished"]
    cli = np.concatenate([t["eigenvalues"] for t in doc["teachers"]])
    np.testing.assert_allclose(window.spectrum_view.eigenvalues(), cli, rtol=1e-12, atol=1e-300)
    assert window.rank_view.ranks == [t["rank"] for t in doc["teachers"]]


def test_rank_tolerance_typed_or_dragged_recounts(window, qtbot):
    run_config(qtbot, window, make_config(activation="quadratic", ni=8, nh=5, teachers=3, seed=3))
    rank = window.rank_view
    results = engine_results(window.config())
    assert rank.ranks == [30, 30, 30]
    assert rank.rank_line.label.toPlainText() == "rank 30"
    assert rank.pred_line.label.toPlainText() == "predicted 30"
    sv = results[0].spectrum.singular_values
    tol = float(sv[9])                                  # the 10th largest: 9 values lie above it
    rank.tol_edit.setText(f"{tol!r}")
    with qtbot.waitSignal(rank.tolerance_changed, timeout=1000):
        qtbot.keyClick(rank.tol_edit, Qt.Key.Key_Return)
    want = [r.spectrum.rank_at(tol ** 2 / r.spectrum.n_samples) for r in results]
    assert rank.ranks == want and want[0] == 9
    assert "numerical rank" in rank.summary.text()
    # Drag the line into the gap: back to 30.
    rank.tol_line.setValue(np.log10(1e-8))
    rank.tol_line.sigPositionChangeFinished.emit(rank.tol_line)
    assert rank.ranks == [30, 30, 30]
    assert rank.tolerance() == pytest.approx(1e-8)
    assert "rank 30/45" in window.status_label.text()
    rank.reset_button.click()
    assert rank.ranks == [r.spectrum.rank for r in results]


def test_bad_input_and_engine_failures_show_in_the_window(window, qtbot, monkeypatch, tmp_path):
    panel = window.config_panel
    panel.activation.setCurrentIndex(panel.activation.findData("poly"))
    panel.coefficients.setText("1, two")
    panel.coefficients.editingFinished.emit()
    assert not window.run()
    assert "coefficients must be numbers" in window.error_text()
    assert not window.is_running()

    # A failure inside the engine process: there the inputs file has vanished since the window
    # checked and loaded it (SpectrumFromVanishedInputs runs in the engine process).
    import gui.run_controller as rc

    inputs = tmp_path / "x.npy"
    np.save(inputs, np.random.default_rng(0).standard_normal((50, 4)))
    monkeypatch.setattr(rc, "SpectrumRequest", SpectrumFromVanishedInputs)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.set_config(make_config(**SMALL, inputs=str(inputs)), run=True)
    assert blocker.args == ["error"]
    assert "does not exist" in window.error_text() and "spectrum" in window.error_text()
    assert window.isVisible() and not window.is_running()
    monkeypatch.undo()
    run_config(qtbot, window, make_config(**SMALL))       # the next run works
    assert window.error_text() == ""


def test_event_loop_keeps_ticking_during_an_ensemble(window, qtbot):
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.set_config(make_config(**SLOW, teachers=20), run=True)
        t0 = time.monotonic()
    duration = time.monotonic() - t0
    timer.stop()
    gaps = np.diff(ticks)
    assert duration > 0.3, "the run was too short to measure"
    assert len(ticks) > duration / 0.05
    assert gaps.max() < 0.25, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"


def test_theory_curve_and_ks_for_linear_networks(window, qtbot):
    laws = pytest.importorskip("engine.laws")
    cfg = make_config(activation="linear", ni=10, nh=20, population=True, teachers=300, seed=4)
    run_config(qtbot, window, cfg)
    view = window.spectrum_view
    law = laws.pooled_law(10, 20, None, None, None)
    assert view.ks_distance == pytest.approx(law.ks_distance(view.nonzero_eigenvalues()), rel=1e-12)
    assert view.ks_distance < 0.05
    assert view.theory_x.size > 50
    # Counts mode: the curve is the density scaled by (number of eigenvalues × bin width).
    width = view.edges[1] - view.edges[0]
    i = np.argmax(view.theory_y)
    assert view.theory_y[i] == pytest.approx(law.density_at(view.theory_x[i]) / law.mass * 3000 * width, rel=1e-6)
    assert f"KS {view.ks_distance:.3f}" in window.status_label.text()
    # One teacher: the law for that teacher's ‖W2‖².
    run_config(qtbot, window, make_config(activation="linear", ni=30, nh=10, population=True, teachers=1, seed=4))
    assert "shifted by ‖W2‖²" in view.theory_item.opts["name"]
    s = float(engine_results(window.config())[0].spectrum.w2_norm_sq)
    assert f"{s:.3g}" in view.theory_item.opts["name"]
    law = laws.conditional_law(30, 10, None, s, None)
    assert view.ks_distance == pytest.approx(law.ks_distance(view.nonzero_eigenvalues()), rel=1e-12)
    # γ = Ni/Nh = 3: 20 of the 30 eigenvalues sit exactly at s, an atom of 2/3 drawn as a stick.
    np.testing.assert_allclose(view.atom_x, [s, s])
    assert view.atom_y[1] == pytest.approx(20, rel=1e-6)


def test_dynamics_view_shows_the_engines_trajectory(window, qtbot):
    from engine.dynamics import prepare_dynamics, run_dynamics
    from gui.config import dynamics_config, dynamics_spectrum_config

    cfg = make_config(activation="erf", ni=4, nh=3, teachers=2, seed=0,
                      dynamics={"enabled": True, "steps": 3000, "slow_modes": 3})
    run_config(qtbot, window, cfg)
    view = window.dynamics_view
    result = run_dynamics(prepare_dynamics(dynamics_spectrum_config(cfg), dynamics_config(cfg)))
    np.testing.assert_array_equal(view.data["steps"], result.steps)
    np.testing.assert_allclose(view.data["loss"], result.loss, rtol=1e-9)
    np.testing.assert_allclose(view.prediction(), result.loss_linearized, rtol=1e-9)
    np.testing.assert_allclose(view.slow_eigenvalues(), result.slow_eigenvalues, rtol=1e-12)
    assert view.status == "finished"
    step, _ = view.takeover_step()
    assert step == result.takeover_step.actual and view.takeover_line.isVisible()
    assert view.takeover_line.label.toPlainText() == f"slow modes take over: t = {step}"
    assert f"{result.slow_eigenvalues[0]:.3g}" in view._mode_items[0][0].opts["name"]
    # Drawn: at most DISPLAY_POINTS of the 3001 steps (exports keep all); the log axis drops step 0.
    from gui.views.dynamics import DISPLAY_POINTS, display_index

    shown = result.steps[display_index(result.steps.size)]
    assert shown.size <= DISPLAY_POINTS + 2 and shown[0] == 0 and shown[-1] == 3000
    x, _ = view.loss_item.getData()
    np.testing.assert_array_equal(x, shown)
    view.log_x_box.setChecked(True)
    x, _ = view.loss_item.getData()
    assert x.size == shown.size - 1
    assert view.csv_table()[1].shape[0] == 3001


def test_expected_learning_curve_before_any_training(window, qtbot):
    from engine.curves import expected_coeff_sq, mode_energies, predicted_loss

    run_config(qtbot, window, make_config(**SMALL, dynamics={"steps": 5000, "slow_modes": 2}))
    view = window.dynamics_view
    assert view.start is None and view.expected is not None and view.plot.isVisibleTo(view)
    spec = engine_results(window.config())[0].spectrum
    lam = spec.eigenvalues
    e = view.expected
    c2 = expected_coeff_sq(1e-2, lam.size)
    np.testing.assert_allclose(e.loss, predicted_loss(lam, c2, e.steps, 1 / lam[-1]), rtol=1e-9)
    slow = lam[lam > spec.rank_tolerance][:2]
    np.testing.assert_allclose(e.slow_eigenvalues, slow, rtol=1e-12)
    np.testing.assert_allclose(e.slow_energies, mode_energies(slow, c2, e.steps, 1 / lam[-1]), rtol=1e-9)
    assert e.steps[0] == 0 and e.steps[-1] == 5000
    header, table = view.csv_table()
    assert header.startswith("step,expected_loss") and table.shape == (e.steps.size, 4)
    # Only a training setting changes: the expectation follows, the spectrum is not recomputed.
    seen = []
    window.spectrum_view.updated.connect(lambda: seen.append(1))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.config_panel.steps.setValue(800)
    assert view.expected.steps[-1] == 800 and not seen
    # Training replaces the expectation by the trajectory.
    window.config_panel.dynamics.setChecked(True)
    window._debounce.stop()
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        window.run()
    assert view.start is not None and view.expected is None and view.data["steps"].size == 801


@pytest.mark.slow
def test_every_preset_runs_without_error(window, qtbot):
    presets = list_presets()
    assert len(presets) >= 7
    for preset in presets:
        t0 = time.monotonic()
        with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
            window.load_preset(preset.name)
        elapsed = time.monotonic() - t0
        assert blocker.args == ["finished"], (preset.name, window.error_text())
        assert window.error_text() == ""
        cfg = preset.config()
        assert window.spectrum_view.n_teachers == cfg["teachers"]
        assert window.lesson_panel.name == preset.name and "Why" in window.lesson_panel.text()
        if cfg["dynamics"]["enabled"]:
            assert window.dynamics_view.status == "finished"
        assert elapsed < 15, f"{preset.name} took {elapsed:.1f} s"
        window.config_panel.seed.setValue(cfg["seed"] + 1)
        assert window.lesson_panel.note.isVisibleTo(window.lesson_panel)
        window._debounce.stop()
