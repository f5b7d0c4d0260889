"""The Sweep view through the real window: it fills live with the engine's numbers, draws
curves per activation and the Alexander–Hirschowitz map, opens a clicked point, exports what
it shows, cancels (killing its workers), and keeps its settings in the configuration."""
import json
import time

import numpy as np
import psutil
import pytest
from PySide6.QtCore import QPointF, Qt

from engine.sweep import SweepConfig, build_grid, compute_point
from gui.config import load_config

RUN_TIMEOUT = 120_000


def set_axes(view, x: tuple, second: tuple | None = None) -> None:
    """Choose the axes as a user does: the combo boxes, then the values."""
    for combo, edit, axis in zip(view.axis_combos, view.spec_edits, (x, second or (None, ""))):
        combo.setCurrentIndex(combo.findData(axis[0]))
        edit.setText(axis[1])


def ready(window, x, second=None, **settings):
    """The Sweep view shown, with these window settings and axes."""
    config = window.config()
    config.update(settings)
    window.set_config(config, run=False)
    window.focus_view("sweep")
    view = window.views["sweep"]
    set_axes(view, x, second)
    return view


def sweep(window, qtbot, x, second=None, **settings):
    view = ready(window, x, second, **settings)
    with qtbot.waitSignal(window.controller.sweep_finished, timeout=RUN_TIMEOUT) as blocker:
        view.run_button.click()
    assert blocker.args == ["finished"], window.error_text()
    qtbot.wait(150)                      # the coalesced redraw
    return view


def click(qtbot, view, x: float, y: float) -> None:
    vb = view.plot.getPlotItem().vb
    pos = view.plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_sweep_fills_live_with_the_engines_points_and_a_click_opens_one(window, qtbot):
    view = ready(window, ("nh", "5:8"), activation="cubic", ni=5, teachers=1, seed=0)
    seen = []
    window.controller.sweep_point.connect(lambda item: seen.append(item[0]))
    with qtbot.waitSignal(window.controller.sweep_finished, timeout=RUN_TIMEOUT) as blocker:
        view.run_button.click()
    assert blocker.args == ["finished"], window.error_text()
    assert sorted(seen) == [0, 1, 2, 3]                     # one signal per point, as it finished
    grid = build_grid(SweepConfig("cubic", "5", "5:8", teachers=1, seed=0))
    for i, point in enumerate(grid.points):                 # the engine's numbers, point by point
        expected = compute_point(point)
        assert {k: v for k, v in view.records[i].items() if k != "computed_by"} == \
            {k: v for k, v in expected.items() if k != "computed_by"}
    assert [view.records[i]["ranks"][0] for i in range(4)] == [25, 30, 34, 35]
    qtbot.wait(150)
    x, y = view.plot.getPlotItem().listDataItems()[0].getData()
    np.testing.assert_array_equal(x, [5, 6, 7, 8])
    np.testing.assert_array_equal(y, [25, 30, 34, 35])
    assert "rank" in view.hover(7.0, 34.0) and "Nh=7" in view.hover(7.0, 34.0)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        click(qtbot, view, 7.0, 34.0)
    assert window.config()["nh"] == 7 and window.config()["ni"] == 5
    assert window.config()["sigma1"] is None                # the default stays the default
    assert not window.spectrum_view.isHidden() and view.isHidden()
    assert window.rank_view.ranks[0] == 34
    assert len(view.records) == 4                           # the sweep is kept for Ctrl+8


def test_one_curve_per_activation_against_the_predicted_rank(window, qtbot):
    view = sweep(window, qtbot, ("nh", "1:3"), ("activation", "quadratic, erf"), ni=3, teachers=1)
    names = [label.text for _, label in view.plot.getPlotItem().legend.items]
    assert names[:2] == ["quadratic", "erf"] and "predicted (dashed)" in names
    curves = view.plot.getPlotItem().listDataItems()
    # quadratic, Ni = 3: Nh·Ni − Nh(Nh−1)/2 = 3, 5, 6; erf: full rank P = 4, 8, 12
    np.testing.assert_array_equal(curves[0].getData()[1], [3, 5, 6])
    erf = next(c for c in curves if c is view.plot.getPlotItem().legend.items[1][0].item)
    np.testing.assert_array_equal(erf.getData()[1], [4, 8, 12])
    assert view.plot_kind_shown() == "curves"
    view.measure.setCurrentIndex(view.measure.findData("ratio"))    # λ_min/λ_max on a log axis
    assert view.plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert window.config()["view"]["sweep"]["measure"] == "ratio"


def test_the_alexander_hirschowitz_cell_stands_out_and_opens(window, qtbot):
    view = sweep(window, qtbot, ("ni", "3:4"), ("nh", "4:6"), activation="power:4", teachers=1)
    view.measure.setCurrentIndex(view.measure.findData("exceptions"))
    assert view.plot_kind_shown() == "heatmap"
    image = view.image.image
    assert image.shape == (2, 3)
    # z⁴ at Ni = 3, Nh = 5 is one below min(Nh·Ni, C(Ni+3, 4)) = 15; every other cell is 0
    expected = np.zeros((2, 3))
    expected[0, 1] = 1
    np.testing.assert_array_equal(image, expected)
    assert [t.toPlainText() for t in view._cells if t.isVisible()].count("1") == 1
    assert view.colorbar.isVisible()
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT):
        click(qtbot, view, 0.0, 1.0)                        # the cell (Ni = 3, Nh = 5)
    cfg = window.config()
    assert (cfg["activation"], cfg["ni"], cfg["nh"]) == ("power:4", 3, 5)
    assert window.rank_view.ranks[0] == 14


def test_exports_hold_every_point(window, qtbot, tmp_path):
    view = sweep(window, qtbot, ("nh", "2:4"), ("activation", "cubic, erf"), ni=3, teachers=2)
    for fmt in ("png", "svg", "pdf", "csv", "npz"):
        assert window.export("sweep", fmt, str(tmp_path / f"s.{fmt}")), window.error_text()
        assert (tmp_path / f"s.{fmt}").stat().st_size > 0
    table = np.loadtxt(tmp_path / "s.csv", delimiter=",", ndmin=2)
    header = [line for line in (tmp_path / "s.csv").read_text().splitlines() if line.startswith("#")]
    cols = header[-1].lstrip("# ").split(",")
    assert "activations: 0 = cubic; 1 = erf" in header[-3]
    assert table.shape == (6, len(cols))
    for row in table:
        rec = view.records[int(row[cols.index("index")])]
        assert ["cubic", "erf"][int(row[cols.index("activation_index")])] == rec["activation"]
        assert row[cols.index("rank_mean")] == np.mean(rec["ranks"])
        assert row[cols.index("lambda_max")] == rec["lambda_max"]
    with np.load(tmp_path / "s.npz") as data:
        assert data["ranks"].shape == (6, 2)
        for k, i in enumerate(data["index"]):
            assert data["ranks"][k].tolist() == view.records[int(i)]["ranks"]
            assert str(data["activation"][k]) == view.records[int(i)]["activation"]
        assert json.loads(str(data["config_json"]))["view"]["sweep"]["axes"] == \
            {"nh": "2:4", "activation": "cubic, erf"}


def _pool_workers() -> list:
    """This test process's descendants that are process-pool workers (multiprocessing)."""
    me = psutil.Process()
    out = []
    for p in me.children(recursive=True):
        try:
            if "multiprocessing.spawn" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def _not_computing(pid: int) -> bool:
    """Killed, or back among the window's idle warm engine processes."""
    from gui.engine_process import POOL

    try:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
    except psutil.NoSuchProcess:
        return True
    return pid in [w.pid for w in POOL._idle]


def _computing_points(qtbot, window) -> list:
    """Once the second point has started: the processes computing points."""
    runner = window.controller._sweep
    qtbot.waitUntil(lambda: runner._next >= 2 and bool(runner.pids()), timeout=RUN_TIMEOUT)
    return runner.pids()


def test_the_sweep_runs_on_the_windows_engine_processes_not_a_pool_inside_one(window, qtbot):
    """One pool: every point is a job of the window's own engine processes (children of this
    process), at most cores − 1 at once; no process pool is started anywhere."""
    import os

    from engine.sweep import default_workers

    view = ready(window, ("nh", "2:9"), activation="erf", ni=6, teachers=2, samples=3000)
    parents, in_flight = set(), []

    def look(_item):
        pids = window.controller._sweep.pids()
        in_flight.append(len(pids))
        parents.update(psutil.Process(pid).ppid() for pid in pids)
        assert not _pool_workers()

    window.controller.sweep_point.connect(look)
    with qtbot.waitSignal(window.controller.sweep_finished, timeout=RUN_TIMEOUT) as blocker:
        view.run_button.click()
    assert blocker.args == ["finished"], window.error_text()
    assert len(view.records) == 8 and 1 <= max(in_flight) <= default_workers()
    assert parents == {os.getpid()}                     # the window's engine processes
    assert not _pool_workers()


@pytest.mark.parametrize("how", ["button", "escape"])
def test_cancel_stops_the_sweep_and_its_workers(window, qtbot, how):
    view = ready(window, ("nh", "40:80"), activation="erf", ni=30, teachers=1, samples=40000)
    with qtbot.waitSignal(window.controller.sweep_point, timeout=RUN_TIMEOUT):
        view.run_button.click()
    assert window.is_running() and window.cancel_button.isEnabled()
    computing = _computing_points(qtbot, window)
    with qtbot.waitSignal(window.run_finished, timeout=10_000) as blocker:
        if how == "button":
            view.cancel_button.click()
        else:
            qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert blocker.args == ["cancelled"]
    assert not window.is_running() and view.run_button.isEnabled()
    assert 0 < len(view.records) < 41                       # what finished stays on screen
    deadline = time.monotonic() + 10
    while not all(map(_not_computing, computing)) and time.monotonic() < deadline:
        qtbot.wait(50)
    assert all(map(_not_computing, computing)), "a point's process outlived the cancel"
    assert not _pool_workers()


def test_closing_the_window_mid_sweep_leaves_nothing_computing(window, qtbot):
    from gui.worker import live_jobs

    view = ready(window, ("nh", "40:80"), activation="erf", ni=30, teachers=1, samples=40000)
    view.run_button.click()
    computing = _computing_points(qtbot, window)
    runner = window.controller._sweep
    window.close()
    qtbot.waitUntil(lambda: all(map(_not_computing, computing)), timeout=10_000)
    qtbot.waitUntil(lambda: runner.status == "cancelled", timeout=10_000)   # and starts no more
    qtbot.waitUntil(lambda: not live_jobs(), timeout=10_000)
    assert not runner.pids() and runner._next < len(runner.grid)


def test_a_bad_spec_is_a_message_not_a_sweep(window, qtbot):
    window.focus_view("sweep")
    view = window.views["sweep"]
    set_axes(view, ("nh", "5:x"))
    view.run_button.click()
    assert "sweep:" in window.error_text() and "expected whole numbers" in window.error_text()
    assert view.grid is None and not window.is_running()
    set_axes(view, ("nh", "1:3"), ("nh", "2"))
    view.run_button.click()
    assert view.grid is None


def test_the_settings_are_saved_and_a_preset_runs_its_sweep(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.load_preset("13_alexander_hirschowitz_map")
    assert blocker.args == ["finished"], window.error_text()
    view = window.views["sweep"]
    assert not view.isHidden() and len(view.records) == len(view.grid) == 65
    image = view.image.image                                # Ni = 2…6 by Nh = 2…14
    ones = {(p + 2, q + 2) for p, q in zip(*np.nonzero(image))}
    assert ones == {(3, 5), (4, 9), (5, 14)} and image.max() == 1   # the three quartic exceptions
    path = tmp_path / "map.json"
    assert window.save_config(str(path))
    saved = load_config(path)["view"]["sweep"]
    assert saved == {"axes": {"ni": "2:6", "nh": "2:14"}, "measure": "exceptions", "plot": "heatmap"}


def test_a_point_that_fails_in_its_engine_process_is_one_line_and_ends_the_sweep(qtbot):
    """A grid whose second point the engine refuses (built past build_grid's checks): the
    first point arrives, the failure is the engine's one line, nothing more is started."""
    from dataclasses import replace

    from engine.errors import InputError, user_message
    from engine.ensemble import prepare
    from gui.sweep_runner import SweepRunner

    grid = build_grid(SweepConfig("cubic", "3", "2:4", teachers=1))
    bad = replace(grid.points[1], nh=0)
    with pytest.raises(InputError) as refused:
        prepare(bad)
    grid = replace(grid, points=(grid.points[0], bad, grid.points[2]))
    runner = SweepRunner(grid, workers=1)
    points, failures = [], []
    runner.point.connect(points.append)
    runner.failed.connect(failures.append)
    with qtbot.waitSignal(runner.finished, timeout=RUN_TIMEOUT) as blocker:
        runner.start()
    assert blocker.args == ["error"]
    assert [i for i, _, _ in points] == [0] and failures == [user_message(refused.value)]
    assert runner._next == 2                                # the third point never started
    qtbot.waitUntil(lambda: not runner.pids(), timeout=10_000)
