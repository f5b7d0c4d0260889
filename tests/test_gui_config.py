"""The GUI's configuration format: JSON round-trips, presets, and the settings panel."""
import json

import pytest

from engine.ensemble import SpectrumConfig, prepare
from engine.errors import InputError
from gui.config import (DYNAMICS_DEFAULTS, default_config, dynamics_config, load_config,
                        normalize, save_config, spectrum_config)
from gui.presets import find_preset, list_presets

EXPECTED_PRESETS = {"01_linear_10x20", "02_linear_30x10", "03_quadratic", "04_cubic",
                    "05_cubic_alexander_hirschowitz", "06_erf_full_rank", "07_erf_slow_tail"}


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
