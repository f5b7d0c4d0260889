"""Every setting declared once (engine.settings): a throw-away setting, declared in this test
only, reaches the command line, JSON validation, the sweep axes and the settings panel; and
docs/settings.md is the table its declarations generate."""
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import main
from engine import ensemble, settings
from engine.cli import build_parser
from engine.errors import InputError
from engine.settings import Whole, setting

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Wobbly(ensemble.SpectrumConfig):
    """The model settings plus a throw-away one: its declaration is all there is of it."""
    wobble: int = setting(3, "a throw-away setting", noun="the wobble", check=Whole(lo=1),
                          flag="--wobble", commands=("spectrum", "sweep"), metavar="W",
                          label="wobble  w", widget="spin", panel=(1, 9), sweep=True)


@pytest.fixture
def wobbly(monkeypatch):
    monkeypatch.setattr(ensemble, "SpectrumConfig", Wobbly)


def test_docs_table_is_generated_from_the_declarations():
    committed = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == settings.markdown(), \
        "docs/settings.md is stale: python -m engine.settings > docs/settings.md"


def test_every_setting_is_declared_completely():
    keys = [s.key for s in settings.all_settings()]
    assert len(keys) == len(set(keys))
    for s in settings.all_settings():
        assert s.help and callable(s.check), s.key
        assert s.check_value(s.default) == s.default or s.name in ("activation", "lr"), s.key
        if s.widget:
            assert s.label, s.key
        if s.flag:
            assert s.commands, s.key
    assert settings.sweep_axes() == ("ni", "nh", "samples", "sigma1", "sigma2", "k", "activation")


def test_a_new_setting_is_a_flag_of_the_subcommands_that_take_it(wobbly, tmp_path, capsys):
    parser = build_parser()
    out = tmp_path / "o.json"
    args = parser.parse_args(["spectrum", "--activation", "erf", "--ni", "3", "--nh", "2",
                              "--wobble", "5", "--json", str(out)])
    config = settings.from_args(args)
    assert isinstance(config, Wobbly) and config.wobble == 5
    assert "--wobble" in parser._subparsers._group_actions[0].choices["spectrum"].format_help()
    assert "--wobble" not in parser._subparsers._group_actions[0].choices["dynamics"].format_help()
    # checked as declared, on the command line: one line, exit 2, nothing written
    assert main.main(["spectrum", "--activation", "erf", "--ni", "3", "--nh", "2",
                      "--wobble", "0", "--json", str(out)]) == 2
    assert capsys.readouterr().err == "error: the wobble must be a positive whole number, got 0; set --wobble\n"
    assert not out.exists()
    assert main.main(["spectrum", "--activation", "erf", "--ni", "3", "--nh", "2",
                      "--wobble", "4", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["config"]["wobble"] == 4


def test_a_new_setting_is_a_sweep_axis(wobbly, qtbot):
    from engine.sweep import SweepConfig, build_grid
    from gui.views.sweep import SweepView

    assert "wobble" in settings.sweep_axes()
    view = SweepView()
    qtbot.addWidget(view)
    combo = view.axis_combos[0]
    assert combo.itemText(combo.findData("wobble")) == "wobble w"
    grid = build_grid(SweepConfig("erf", "3", "2", wobble="1:3"))
    assert grid.axes == {"wobble": [1, 2, 3]}
    assert [p.wobble for p in grid.points] == [1, 2, 3]
    assert all(isinstance(p, Wobbly) and p.ni == 3 for p in grid.points)
    with pytest.raises(InputError, match="the wobble must be a positive whole number"):
        build_grid(SweepConfig("erf", "3", "2", wobble="0:2"))


def test_a_new_setting_is_in_the_json_format(wobbly, tmp_path):
    from gui.config import default_config, load_config, normalize, save_config, spectrum_config

    assert default_config()["wobble"] == 3
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"ni": 3, "nh": 2, "wobble": 7}))
    cfg = load_config(path)
    assert cfg["wobble"] == 7 and spectrum_config(cfg).wobble == 7
    save_config(path, cfg)
    assert load_config(path) == cfg
    path.write_text(json.dumps({"wobble": 0}))
    with pytest.raises(InputError, match="^c.json: wobble must be a positive whole number, got 0$"):
        load_config(path)
    path.write_text(json.dumps({"wobble": 12}))
    with pytest.raises(InputError, match="wobble must be between 1 and 9 in the window"):
        load_config(path)
    assert "wobble" not in normalize({"ni": 3}) or normalize({"ni": 3})["wobble"] == 3


def test_a_new_setting_is_a_row_of_the_settings_panel(wobbly, qtbot):
    from PySide6.QtWidgets import QFormLayout

    from gui.config import default_config
    from gui.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    spin = panel.widgets["wobble"]
    assert (spin.minimum(), spin.maximum()) == (1, 9) and spin.value() == 3
    form = panel.forms[""]
    assert isinstance(form, QFormLayout) and form.labelForField(spin).text() == "wobble  w"
    assert spin.toolTip() == "a throw-away setting"
    cfg = default_config()
    cfg["wobble"] = 8
    panel.set_config(cfg)
    assert spin.value() == 8 and panel.config() == cfg
    with qtbot.waitSignal(panel.changed, timeout=1000):
        spin.setValue(2)
    assert panel.config()["wobble"] == 2
    cfg["wobble"] = 99
    with pytest.raises(InputError, match="wobble must be between 1 and 9"):
        panel.set_config(cfg)
    assert panel.config()["wobble"] == 2
