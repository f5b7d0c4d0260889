"""The GUI's configuration format: JSON round-trips, presets, and the settings panel."""
import json

import pytest

from engine.ensemble import SpectrumConfig, prepare
from engine.errors import InputError
from gui.config import (DYNAMICS_DEFAULTS, default_config, dynamics_config, load_config,
                        normalize, save_config, spectrum_config)
from gui.presets import find_preset, list_presets

EXPECTED_PRESETS = {"01_linear_10x20", "02_linear_30x10", "03_quadratic", "04_cubic",
                    "05_cubic_alexander_hirschowitz", "06_erf_full_rank", "07_erf_slow_tail",
                    "12_rank_vs_width", "13_alexander_hirschowitz_map"}


def test_spectrum_part_is_the_engines_config_and_dynamics_section_matches_engine():
    from engine.dynamics import DynamicsConfig

    cfg = default_config()
    assert {k: v for k, v in cfg.items() if k not in ("dynamics", "view")} == SpectrumConfig().to_dict()
    assert set(DYNAMICS_DEFAULTS) - {"enabled"} == set(DynamicsConfig().to_dict())
    assert dynamics_config(cfg) == DynamicsConfig(**{k: v for k, v in DYNAMICS_DEFAULTS.items() if k != "enabled"})


def test_json_round_trip_keeps_every_field(tmp_path):
    cfg = default_config()
    cfg.update(activation="poly:0,1,0.5", ni=7, nh=3, samples=123, teachers=4, seed=99,
               sigma1=0.25, sigma2=None, rtol=1e-10)
    cfg["dynamics"].update(enabled=True, lr=0.3, steps=77, init_distance=1e-3, slow_modes=2)
    cfg["view"]["log_axis"] = True
    path = tmp_path / "c.json"
    save_config(path, cfg)
    assert json.loads(path.read_text())["seed"] == 99
    back = load_config(path)
    assert back == cfg
    assert spectrum_config(back) == spectrum_config(cfg)


def test_bad_files_give_one_line_messages(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_config(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_config(tmp_path / "missing.json")
    with pytest.raises(InputError, match="unknown field 'nii'"):
        normalize({"nii": 3})
    with pytest.raises(InputError, match="unknown dynamics field"):
        normalize({"dynamics": {"eta": 1}})


def test_presets_are_complete_and_valid():
    presets = {p.name: p for p in list_presets()}
    assert EXPECTED_PRESETS <= set(presets)
    for name, preset in presets.items():
        cfg = preset.config()
        problem = prepare(spectrum_config(cfg))       # raises on a bad preset
        lesson = preset.lesson()
        assert lesson is not None and len(lesson[0]) > 300, f"{name} has no real lesson"
        assert "What to look at" in lesson[0] and "Why" in lesson[0]
        assert problem.n_teachers >= 1
    with pytest.raises(InputError, match="no preset named 'nope'"):
        find_preset("nope")


def test_preset_ranks_are_the_ones_the_lessons_teach():
    want = {"03_quadratic": 30, "04_cubic": 56, "05_cubic_alexander_hirschowitz": 34,
            "06_erf_full_rank": 220, "01_linear_10x20": 10, "02_linear_30x10": 30}
    for name, rank in want.items():
        problem = prepare(spectrum_config(find_preset(name).config()))
        assert problem.predicted_rank == rank, name
        assert str(rank) in find_preset(name).lesson()[0]


def test_panel_shows_and_returns_every_preset(qtbot):
    from gui.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    for preset in list_presets():
        cfg = normalize(preset.config())
        panel.set_config(cfg)
        assert panel.config() == cfg, preset.name


def test_panel_edits_reach_the_config(qtbot):
    from gui.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.changed, timeout=1000):
        panel.ni.setValue(7)
    panel.activation.setCurrentIndex(panel.activation.findData("poly"))
    panel.coefficients.setText("0, 1, 0.5")
    panel.coefficients.editingFinished.emit()
    panel.data_mode.setCurrentIndex(1)
    panel.sigma1.setValue(0.5)
    cfg = panel.config()
    assert cfg["ni"] == 7 and cfg["activation"] == "poly:0,1,0.5"
    assert cfg["population"] is True and cfg["samples"] is None and cfg["sigma1"] == 0.5
    panel.sigma1.setValue(0.0)                       # the special value: default 1/√Ni
    assert panel.config()["sigma1"] is None
    panel.coefficients.setText("0, x")
    panel.coefficients.editingFinished.emit()
    assert "coefficients must be numbers" in panel.activation_error.text()


# ---------------------------------------------------------------- refused, never clamped
BAD_VALUES = [
    ({"ni": -5}, "ni must be a positive whole number, got -5"),
    ({"ni": "abc"}, "ni must be a positive whole number, got 'abc'"),
    ({"nh": 0}, "nh must be a positive whole number, got 0"),
    ({"teachers": 1e9}, "teachers must be between 1 and 1000000 in the window"),
    ({"ni": 100_000}, "ni must be between 1 and 5000 in the window"),
    ({"seed": 2 ** 40}, "seed must be between 0 and 2147483647 in the window"),
    ({"seed": -1}, "seed must be a whole number ≥ 0, got -1"),
    ({"activation": "power:abc"}, "activation 'power:abc': the power must be a whole number"),
    ({"activation": "power:99"}, "activation 'power:99'"),
    ({"sigma1": -1}, "sigma1 must be a positive finite number, got -1"),
    ({"sigma2": 1e13}, "sigma2 must be between 1e-300 and 1e+12 in the window"),
    ({"samples": 0}, "samples must be a positive whole number, got 0"),
    ({"rtol": 2}, "rtol must be below 1"),
    ({"population": "no"}, "population must be true or false"),
    ({"population": True, "samples": 50}, "population mode (N → ∞) uses no samples"),
    ({"weights": 5}, "weights must be a file name"),
    ({"mode": "both"}, "mode must be \"population\" or \"sample\""),
    ({"dynamics": {"enabled": "no"}}, "dynamics.enabled must be true or false"),
    ({"dynamics": {"enabled": 1}}, "dynamics.enabled must be true or false"),
    ({"dynamics": {"flow": "yes"}}, "dynamics.flow must be true or false"),
    ({"dynamics": {"steps": -5}}, "dynamics.steps must be a positive whole number, got -5"),
    ({"dynamics": {"steps": 10 ** 8}}, "dynamics.steps must be between 1 and 10000000 in the window"),
    ({"dynamics": {"slow_modes": 10}}, "dynamics.slow_modes must be between 1 and 7 in the window"),
    ({"dynamics": {"lr": "fast"}}, "dynamics.lr: the learning rate must be a positive number"),
    ({"dynamics": {"init_distance": 0}}, "dynamics.init_distance must be a positive finite number"),
    ({"dynamics": {"init_modes": [999]}}, "dynamics.init_modes: --init-modes 999 is out of range"),
    ({"dynamics": {"target_decades": "many"}}, "dynamics.target_decades must be a positive number"),
    ({"view": {"log_axis": "yes"}}, "view.log_axis must be true or false"),
    ({"view": {"log_steps": 1}}, "view.log_steps must be true or false"),
    ({"view": {"tolerance": -1}}, "view.tolerance must be a positive finite number"),
    ({"view": {"sweep": {"ni": "2:6"}}}, "view.sweep must be an object with axes"),
    ({"view": {"sweep": {"axes": {}}}}, "view.sweep must be an object with axes"),
    ({"view": {"sweep": {"axes": {"width": "1:4"}}}}, "view.sweep.axes: 'width' is not an axis"),
    ({"view": {"sweep": {"axes": {"nh": "5:x"}}}}, "view.sweep.axes: --nh '5:x': expected whole numbers"),
    ({"view": {"sweep": {"axes": {"nh": "1:400", "ni": "1:400"}}}}, "a sweep has at most 100000"),
    ({"view": {"sweep": {"axes": {"activation": "erf, foo"}}}}, "unknown activation 'foo'"),
    ({"view": {"sweep": {"axes": {"nh": [1, 2]}}}}, "view.sweep.axes.nh must be a text"),
    ({"view": {"sweep": {"axes": {"nh": "1:3"}, "measure": "beauty"}}}, "view.sweep.measure must be one of"),
    ({"view": {"sweep": {"axes": {"nh": "1:3"}, "plot": "pie"}}}, "view.sweep.plot must be one of"),
]


@pytest.mark.parametrize("bad, message", BAD_VALUES, ids=[json.dumps(b) for b, _ in BAD_VALUES])
def test_a_bad_value_in_a_file_is_refused_naming_the_field(tmp_path, bad, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(InputError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith("bad.json: ") and message in text, text
    assert "\n" not in text


def test_switches_take_true_false_or_null(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps({"population": None, "dynamics": {"enabled": None, "flow": None},
                                "view": {"log_axis": None, "log_steps": None}}))
    cfg = load_config(path)
    assert cfg["population"] is False and cfg["dynamics"]["enabled"] is False
    assert cfg["dynamics"]["flow"] is False
    assert cfg["view"]["log_axis"] is None and cfg["view"]["log_steps"] is False
    path.write_text(json.dumps({"ni": 5.0, "dynamics": {"enabled": True}, "view": {"log_axis": False}}))
    cfg = load_config(path)                          # whole numbers written as floats are whole
    assert cfg["ni"] == 5 and cfg["dynamics"]["enabled"] is True


def test_the_panel_ranges_are_the_widgets_ranges(qtbot):
    from gui.config import PANEL_RANGES
    from gui.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    widgets = {"ni": panel.ni, "nh": panel.nh, "teachers": panel.teachers, "seed": panel.seed,
               "sigma1": panel.sigma1, "sigma2": panel.sigma2, "dynamics.lr": panel.lr,
               "dynamics.steps": panel.steps, "dynamics.init_distance": panel.distance,
               "dynamics.slow_modes": panel.slow_modes}
    for key, widget in widgets.items():
        lo, hi = PANEL_RANGES[key]
        assert widget.maximum() == hi, key
        assert widget.minimum() <= lo, key
    assert panel.samples.maximum() == PANEL_RANGES["samples"][1]


PANEL_REFUSES = [("seed", 2 ** 40), ("teachers", 10 ** 9), ("ni", -5), ("ni", 100_000),
                 ("samples", 2 ** 33), ("activation", "power:abc"),
                 ("dynamics.steps", 2 ** 31), ("dynamics.enabled", "no")]


@pytest.mark.parametrize("key, value", PANEL_REFUSES, ids=[f"{k}={v}" for k, v in PANEL_REFUSES])
def test_the_panel_refuses_a_bad_config_and_keeps_its_own(qtbot, key, value):
    """No OverflowError from QSpinBox.setValue (2**31 and beyond), no clamping: InputError
    naming the field, and the panel exactly as it was."""
    from gui.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.set_config(find_preset("07_erf_slow_tail").config())
    before = panel.config()
    cfg = default_config()
    section, dot, field = key.partition(".")
    (cfg[section] if dot else cfg)[field if dot else key] = value
    changed = []
    panel.changed.connect(lambda: changed.append(1))
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        panel.set_config(cfg)
    assert panel.config() == before and not changed


def test_a_deeply_nested_file_is_refused_in_one_line(tmp_path):
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
                 '{"ni": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        path = tmp_path / "deep.json"
        path.write_text(text)
        with pytest.raises(InputError, match=r"^deep\.json is nested too deeply") as info:
            load_config(path)
        assert "\n" not in str(info.value)
    path.write_text('{"seed": ' + "9" * 5000 + "}")     # past Python's digit limit
    with pytest.raises(InputError, match="not a usable JSON file"):
        load_config(path)


def test_saving_refuses_what_opening_would_refuse(tmp_path):
    cfg = default_config()
    cfg["activation"] = "poly:1,two"
    with pytest.raises(InputError, match="coefficients"):
        save_config(tmp_path / "c.json", cfg)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("bad", [{"ni": -5}, {"teachers": 1e9}, {"dynamics": {"enabled": "no"}},
                                 {"activation": "power:abc"}, {"seed": 2 ** 40}])
def test_file_open_refuses_a_bad_file_and_leaves_the_window_as_it_was(window, qtbot, tmp_path, bad):
    qtbot.waitUntil(lambda: not window.is_running(), timeout=30_000)
    good = tmp_path / "good.json"
    cfg = default_config()
    cfg.update(activation="linear", ni=4, nh=3, teachers=2, seed=5)
    save_config(good, cfg)
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        assert window.open_config(str(good))
    before, title, recent = window.config(), window.windowTitle(), window.recent_files()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert not window.open_config(str(path))
    message = window.error_text()
    key = next(iter(bad)) if not isinstance(next(iter(bad.values())), dict) else "dynamics.enabled"
    assert message.startswith("Not opened — bad.json: ") and key in message, message
    assert "settings are unchanged" in message
    assert window.config() == before and window.windowTitle() == title
    assert window.recent_files() == recent and not window.is_running()
    qtbot.wait(500)                                   # no debounced preview clears it
    assert window.error_text() == message and window.config() == before


def test_an_opened_configuration_reads_its_files_once(tmp_path, monkeypatch):
    """File → Open checks the model and the training with one read of each file, and the run
    of that configuration takes the same arrays (gui.config.prepare_config)."""
    import numpy as np

    from engine import dynamics, ensemble
    from gui.run_controller import make_plan

    reads = []

    def counted(name, load):
        return lambda *a, **k: reads.append(name) or load(*a, **k)
    monkeypatch.setattr(ensemble, "load_teacher", counted("weights", ensemble.load_teacher))
    monkeypatch.setattr(ensemble, "load_inputs", counted("inputs", ensemble.load_inputs))
    monkeypatch.setattr(dynamics, "load_init_vector", counted("init", dynamics.load_init_vector))
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "w.npz", W1=rng.normal(size=(2, 3)), W2=rng.normal(size=2))
    np.save(tmp_path / "x.npy", rng.normal(size=(40, 3)))
    np.save(tmp_path / "d.npy", rng.normal(size=8) * 1e-3)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"activation": "erf", "ni": 3, "nh": 2, "weights": str(tmp_path / "w.npz"),
                                "inputs": str(tmp_path / "x.npy"),
                                "dynamics": {"enabled": True, "steps": 5,
                                             "init_file": str(tmp_path / "d.npy")}}))
    cfg = load_config(path)
    assert sorted(reads) == ["init", "inputs", "weights"]
    plan = make_plan(cfg, full=True)
    assert sorted(reads) == ["init", "inputs", "weights"]
    assert plan.dynamics.init_vector is not None and plan.problem.inputs.shape == (40, 3)
    cfg["ni"] = 4                                     # another shape: read (and refused) anew
    with pytest.raises(InputError):
        make_plan(cfg, full=True)
