"""The Modes, Structure and Landscape views and the replay, driven through the real window:
clicking an eigenvalue brings its eigenvector, the replay shows the state of the run at its
step, and every number drawn equals an independent engine computation."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from engine.dynamics import DynamicsConfig, iter_trajectory, prepare_dynamics
from engine.ensemble import SpectrumConfig, prepare, teacher_and_inputs
from engine.landscape import compute_slice
from engine.spectrum import sample_hessian

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 120_000


def load(qtbot, window, preset):
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.load_preset(preset)
    assert blocker.args == ["finished"], window.error_text()
    qtbot.wait(50)


def click(qtbot, view, x, y):
    """A real left click at view coordinates (x, y) of a view's plot."""
    vb = view.plot.getPlotItem().vb
    pos = view.plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_clicking_an_eigenvalue_shows_its_eigenvector(window, qtbot):
    load(qtbot, window, "09_slow_mode_anatomy")
    modes, anatomy = window.views["modes"], window.controller.anatomy
    lam, V = anatomy.spectrum.eigenvalues, anatomy.spectrum.eigenvectors
    # the eigenvectors shown are H's, for the run's teacher 1 (dense H, independent route)
    problem = prepare(SpectrumConfig("erf", 6, 5, seed=3))
    teacher, X = teacher_and_inputs(problem, 0)
    H = sample_hessian(teacher, problem.act, X)
    np.testing.assert_allclose(H @ V, V * lam, atol=1e-10 * lam[-1])
    assert modes.summary_data.index == 0                    # the slowest, at first
    window.show_page("spectrum")
    qtbot.wait(100)                                           # laid out again
    spectrum = window.spectrum_view
    k = 20
    click(qtbot, spectrum, float(np.log10(lam[k])), 1.0)      # the log λ axis
    picked = modes.summary_data.index
    assert abs(np.log10(lam[picked]) - np.log10(lam[k])) <= abs(np.log10(lam[k - 1]) - np.log10(lam[k])) + 1e-9
    assert not modes.isHidden()                               # the Modes view came up
    v = V[:, picked] * np.sign(V[np.argmax(np.abs(V[:, picked])), picked])
    np.testing.assert_allclose(modes.summary_data.w1, v[:30].reshape(5, 6), atol=1e-12)
    np.testing.assert_allclose(modes.summary_data.w2, v[30:], atol=1e-12)
    window.show_page("rank")
    qtbot.wait(100)
    click(qtbot, window.rank_view, 3.0, float(np.log10(np.sqrt(lam[-3]))))   # 3rd largest σ
    assert modes.summary_data.index == lam.size - 3
    modes.prev_button.click()
    assert modes.summary_data.index == lam.size - 4


@pytest.mark.slow
def test_the_replay_shows_the_state_of_the_run_at_its_step(window, qtbot):
    load(qtbot, window, "11_edge_of_stability")
    replay, landscape, dynamics = window.controller.replay, window.views["landscape"], window.views["dynamics"]
    assert len(replay) > 100 and landscape.slice is not None
    replay.seek(7)
    step, frame = replay.step, replay.frame()
    cfg = window.config()
    problem = prepare_dynamics(SpectrumConfig("erf", 4, 3, seed=5),
                               DynamicsConfig(lr=cfg["dynamics"]["lr"], steps=step, init_modes=(0, -1)))
    alone = list(iter_trajectory(problem))[-1].final_delta
    np.testing.assert_array_equal(frame, alone)
    qtbot.wait(150)
    (px,), (py,) = landscape.point.getData()
    assert (px, py) == pytest.approx(landscape.slice.project(alone), abs=1e-15)
    assert dynamics.cursor.value() == pytest.approx(np.log10(step) if dynamics._log_x else step)
    assert dynamics.replay_label.text() == f"t = {step}"
    # the energies drawn are ½ λ_k (v_k·δ)² of that step
    lam, energy, _ = landscape.mode_energies(alone)
    s = window.controller.anatomy.spectrum
    direct = [0.5 * s.eigenvalues[k] * (s.eigenvectors[:, k] @ alone) ** 2 for k in (0, 1, 2, -1)]
    np.testing.assert_allclose(energy, direct, rtol=1e-12)
    # the zig-zag: the fast coordinate changes sign every step at η just below 2/λ_max
    b = landscape._frames[:20, 1]
    assert np.all(np.sign(b[1:]) == -np.sign(b[:-1]))
    dynamics.play_button.click()
    qtbot.waitUntil(lambda: replay.position == len(replay) - 1, timeout=30_000)
    assert not replay.playing


def test_the_landscape_is_the_engine_slice_and_follows_the_selected_mode(window, qtbot):
    load(qtbot, window, "10_flat_valley")
    sl = window.views["landscape"].slice
    assert sl.modes == (0, 7)                              # the preset's slice [0, -1]
    problem = prepare(SpectrumConfig("cubic", 3, 2, seed=1))
    direct = compute_slice(problem, (0, -1))
    np.testing.assert_allclose(sl.loss, direct.loss, rtol=1e-10, atol=1e-300)
    summary = window.views["modes"].summary.text()
    assert "2 zero modes = 2 symmetries" in summary
    window.controller.select_mode(3)
    assert window.page == "mode"                            # the mode picked is shown ...
    window.show_page("landscape")                           # ... and the landscape is a page away
    with qtbot.waitSignal(window.controller.landscape_ready, timeout=RUN_TIMEOUT):
        window.views["landscape"].along_button.click()
    assert window.views["landscape"].slice.modes == (3, 7)


def test_the_new_views_export_headless(tmp_path):
    out = {name: tmp_path / f"{name}.{ext}" for name, ext in
           (("modes", "csv"), ("landscape", "npz"), ("structure", "png"))}
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--preset", "09_slow_mode_anatomy",
                        *sum((["--export", n, str(p)] for n, p in out.items()), [])],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert all(p.stat().st_size > 0 for p in out.values())
    data = np.load(out["landscape"])
    assert data["loss"].shape == (41, 41) and data["trajectory_a"].size > 10
    assert "\n# neuron,share,W2,W1_input1," in out["modes"].read_text()


def test_one_zero_mode_tolerance_for_every_view(window, qtbot):
    """Dragging the Rank view's tolerance above the slowest nonzero mode makes it a zero mode in
    every view: the rank, the histogram, the Modes view's slowest mode and gallery, the
    Structure view's nonzero eigenvalues and the Landscape's default plane."""
    load(qtbot, window, "10_flat_valley")
    controller = window.controller
    s = controller.anatomy.spectrum
    lam, p = s.eigenvalues, s.eigenvalues.size
    zero = int(np.count_nonzero(lam <= s.rank_tolerance))
    assert zero == 2                                          # the two symmetries
    modes, structure = window.views["modes"], window.views["structure"]
    assert modes.summary_data.index == zero
    assert structure.h_points.getData()[0].size == p - zero
    # A tolerance between the slowest and the next nonzero eigenvalue, on J's σ scale.
    tol = float(np.sqrt(s.n_samples * np.sqrt(lam[zero] * lam[zero + 1])))
    controller.start_landscape(None)                          # the default plane, shown
    with qtbot.waitSignal(controller.landscape_ready, timeout=RUN_TIMEOUT):
        window.rank_view.set_tolerance(tol)
    assert window.rank_view.ranks == [p - zero - 1]
    assert window.spectrum_view.n_zero == zero + 1
    assert modes.summary_data.index == zero and modes.summary_data.is_zero   # shown, now a zero mode
    assert modes._gallery_indices(1)[0][0] == zero + 1        # the gallery's slowest moved on
    assert structure.h_points.getData()[0].size == p - zero - 1
    assert window.views["landscape"].slice.modes == (zero + 1, p - 1)
    lam_shown, _, _ = window.views["landscape"].mode_energies(np.ones(p))
    assert lam_shown[0] == lam[zero + 1]
    assert window.config()["view"]["tolerance"] == tol
    window.rank_view.reset_button.click()
    assert not modes.summary_data.is_zero and window.spectrum_view.n_zero == zero
