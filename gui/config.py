"""The configuration dict the GUI edits, saves and opens.

Its spectrum part is exactly `SpectrumConfig.to_dict()` (so the CLI and the GUI share one
format); a "dynamics" section holds the training settings. Saved with the seed, it reproduces a
run exactly. Presets in resources/presets/ use the same format.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from engine.activations import parse_activation
from engine.dynamics import parse_init_modes, prepare_dynamics
from engine.ensemble import prepare
from engine.errors import InputError
from engine.fileio import write_json
from engine.model import n_params
from engine.settings import Switch, all_settings, config_class, section_defaults
from engine.validate import positive

# The model settings (the top level) and the "dynamics" section are the engine's settings,
# each declared once (engine.settings: SpectrumConfig's and DynamicsConfig's fields); the
# "dynamics" section adds "enabled" (train on Run). Only the "view" section is the window's own.
# Read from the declarations when used, so a setting declared (or added by a test) is known.
def _model_keys() -> tuple:
    return tuple(section_defaults(""))


def _dynamics_defaults() -> dict:
    return {"enabled": False, **section_defaults("dynamics")}


DYNAMICS_DEFAULTS: dict = _dynamics_defaults()


# The "view" section: how the run is shown (not what is computed). log_axis None: automatic
# (the activation family's choice: log₁₀ λ where spectra span many decades, linear for polynomials);
# log_steps: a log₁₀ step axis in the Dynamics view; tolerance: the rank tolerance on the
# singular-value scale chosen in the Rank view (None: each teacher's default), which also
# decides which eigenvalues the Spectrum view counts as zero modes.
VIEW_DEFAULTS: dict = {"log_axis": None, "log_steps": False, "tolerance": None, "views": None,
                       "slice": None, "sweep": None}
# "views": which views the window shows — "main" (spectrum, rank, dynamics; also null),
# "anatomy" (modes, landscape, structure), "all", or one view's name (gui.views). "slice": the
# Landscape view's two modes [i, j] (ascending indices, negative from the top), null: the
# slowest above the rank tolerance and the fastest.


def _sweep(value, name):
    """The Sweep view's settings: {"axes": {AXIS: SPEC, ...} (one or two of engine.sweep.AXES,
    the x axis first), "measure": KEY, "plot": "curves" | "heatmap" | null}, or null."""
    if value is None:
        return
    from engine.sweep import AXES
    from .views.sweep import MEASURES, PLOTS
    if not isinstance(value, dict) or set(value) - {"axes", "measure", "plot"} or \
            not isinstance(value.get("axes"), dict) or not 1 <= len(value["axes"]) <= 2:
        raise InputError(f"{name} must be an object with axes (one or two of {', '.join(AXES)}, "
                         f"each with its values), measure and plot, got {value!r}")
    for axis, spec in value["axes"].items():
        if axis not in AXES:
            raise InputError(f"{name}.axes: {axis!r} is not an axis; choose from {', '.join(AXES)}")
        if not isinstance(spec, (str, int, float)) or isinstance(spec, bool):
            raise InputError(f"{name}.axes.{axis} must be a text like \"1:12\" or a number, got {spec!r}")
    _named(lambda axes: sweep_grid(default_config(), axes), value["axes"], f"{name}.axes")
    if value.get("measure") not in (None, *MEASURES):
        raise InputError(f"{name}.measure must be one of {', '.join(MEASURES)}, got {value['measure']!r}")
    if value.get("plot") not in (None, *PLOTS):
        raise InputError(f"{name}.plot must be one of {', '.join(PLOTS)} (or null), got {value['plot']!r}")


def sweep_grid(config: dict, axes):
    """The engine's sweep grid (engine.sweep.Grid, checked): the window's model settings, with
    the swept ones from `axes` ({name: spec} or [(name, spec), …], names from
    engine.sweep.AXES); the k axis makes the activation power:SPEC. Raises InputError for a bad
    spec or grid."""
    from engine.sweep import SweepConfig, build_grid, sweep_settings
    fields = {name: config[name] for name in sweep_settings()}
    if config["population"]:
        fields["samples"] = None
    pairs = list(axes.items()) if isinstance(axes, dict) else list(axes)
    names = [axis for axis, _ in pairs]
    if len(set(names)) < len(names):
        raise InputError(f"the two axes must differ (both are {names[0]}); choose another second axis")
    for axis, spec in pairs:
        if axis == "k":
            fields["activation"] = f"power:{spec}"
        elif axis == "samples":
            fields.update(samples=spec, population=False)
        else:
            fields[axis] = spec
    return build_grid(SweepConfig(**fields))


def _slice(value, name):
    if value is None:
        return
    if not isinstance(value, list) or len(value) != 2 or \
            not all(isinstance(k, int) and not isinstance(k, bool) for k in value) or value[0] == value[1]:
        raise InputError(f"{name} must be two different mode indices like [0, -1] (or null), "
                         f"got {value!r}")


def _views(value, name):
    from .views import GROUPS, VIEWS
    allowed = [*GROUPS, "all", *(cls.name for cls in VIEWS)]
    if value is not None and value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)} (or null), got {value!r}")

# The window's own switches: true or false, or null for the default (log_axis null:
# automatic). Anything else ("no", 0, "false") is refused rather than guessed at; the engine's
# switches (population, dynamics.flow) are declared with theirs.
GUI_SWITCHES = ("dynamics.enabled", "view.log_axis", "view.log_steps")


def switches() -> tuple:
    return (*(s.key for s in all_settings() if isinstance(s.check, Switch)), *GUI_SWITCHES)


def panel_ranges() -> dict[str, tuple[float, float]]:
    """What the settings panel's widgets hold (declared with each setting: engine.settings).
    The engine accepts more (Ni up to engine.ensemble.MAX_SIZE, any seed, ...); a file beyond
    these is refused naming the field and the range, never clamped to the widget's limit."""
    return {s.key: s.panel for s in all_settings() if s.panel is not None}


PANEL_RANGES = panel_ranges()


def _optional(check):
    return lambda value, name: None if value is None else check(value, name)


def _named(check, value, name):
    """An engine check whose message names a command-line flag: name the field instead."""
    try:
        return check(value)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None


# The "view" section's checks (the engine's settings check themselves, as declared).
VIEW_CHECKS: dict = {
    "view.tolerance": _optional(positive),
    "view.views": _views,
    "view.slice": _slice,
    "view.sweep": _sweep,
}


def _get(config: dict, key: str):
    section, dot, field = key.partition(".")
    return config[section][field] if dot else config[key]


def view_options(config: dict) -> dict:
    """The "view" section with every automatic choice made: log_axis None becomes the
    activation family's preference (engine.activations.Family.log_axis), and log_axis_auto
    says it was automatic — the Spectrum view then lets the eigenvalues decide (a spread over
    more than three decades: log), and keeps the choice out of the configuration."""
    view = dict(normalize(config)["view"])
    view["log_axis_auto"] = view["log_axis"] is None
    if view["log_axis"] is None:
        try:
            view["log_axis"] = parse_activation(config["activation"]).log_axis
        except InputError:
            view["log_axis"] = False
    return view


def default_config() -> dict:
    d = section_defaults("")
    d["dynamics"] = _dynamics_defaults()
    d["view"] = dict(VIEW_DEFAULTS)
    return d


def normalize(data: dict, source: str = "configuration") -> dict:
    """A complete config dict from a (possibly partial) one; unknown keys are an InputError."""
    if not isinstance(data, dict):
        raise InputError(f"{source} must be a JSON object with fields like \"activation\", \"ni\", \"nh\"")
    data = _from_cli_document(data)
    model_keys, dynamics_defaults = _model_keys(), _dynamics_defaults()
    allowed = set(model_keys) | {"dynamics", "view", "mode"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputError(f"{source}: unknown field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(model_keys)}, dynamics, view")
    out = default_config()
    for key in model_keys:
        if key in data:
            out[key] = data[key]
    if data.get("mode") not in (None, "population", "sample"):
        raise InputError(f"{source}: mode must be \"population\" or \"sample\", got {data['mode']!r}")
    if data.get("mode") == "population":      # accept the engine's resolved_config() too
        out["population"] = True
        out["samples"] = None
    dyn = data.get("dynamics", {})
    if dyn is None:
        dyn = {}
    if not isinstance(dyn, dict):
        raise InputError(f"{source}: \"dynamics\" must be an object with fields "
                         f"{', '.join(dynamics_defaults)}")
    unknown = sorted(set(dyn) - set(dynamics_defaults))
    if unknown:
        raise InputError(f"{source}: unknown dynamics field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(dynamics_defaults)}")
    out["dynamics"].update(dyn)
    view = data.get("view") or {}
    if not isinstance(view, dict) or set(view) - set(VIEW_DEFAULTS):
        raise InputError(f"{source}: \"view\" must be an object with fields {', '.join(VIEW_DEFAULTS)}")
    out["view"].update(view)
    for key in switches():
        value = _get(out, key)
        if value is not None and not isinstance(value, bool):
            raise InputError(f"{source}: {key} must be true or false (or null for the default), "
                             f"got {value!r}")
        if value is None and key != "view.log_axis":        # null: the default (false)
            section, dot, field = key.partition(".")
            (out[section] if dot else out)[field if dot else key] = False
    return out


def check_values(config: dict, source: str = "configuration") -> None:
    """Every field of a normalised config as its declaration checks it (engine.settings), and
    within what the settings panel can show; InputError names the field. Cheap: no files."""
    try:
        for s in all_settings():
            s.check_value(_get(config, s.key), s.key)
        for key, check in VIEW_CHECKS.items():
            check(_get(config, key), key)
        # the mode indices need P = Nh·Ni + Nh, known once Ni and Nh are
        _named(lambda v: parse_init_modes(v, n_params(int(config["ni"]), int(config["nh"]))),
               config["dynamics"]["init_modes"], "dynamics.init_modes")
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    for key, (lo, hi) in panel_ranges().items():
        value = _get(config, key)
        if isinstance(value, (int, float)) and not lo <= value <= hi:
            raise InputError(f"{source}: {key} must be between {_number(lo)} and {_number(hi)} "
                             f"in the window (the range of its settings panel), got {value!r}")


def _number(x) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


# The problems of the configuration last checked with its files (model, training): their
# arrays (teacher weights, inputs, start vector) are handed on to the runs of that
# configuration instead of being read again.
_loaded: list = [None, None]


def check_config(config: dict, source: str = "configuration", memory: bool = False) -> None:
    """check_values, then the engine's own preparation (engine.ensemble.prepare and
    engine.dynamics.prepare_dynamics), which loads the files named — once: the training
    settings are checked with the same arrays. Whatever the engine would refuse at Run is
    refused now. The training settings are checked whether or not training is switched on (as
    the engine checks them for teacher 1 on N samples), so a file never holds a value the panel
    would quietly change. memory: also the engine's estimate of whether the run fits in memory
    (the headless mode)."""
    check_values(config, source)
    try:
        spectrum = spectrum_config(config)
        problem = prepare(spectrum, check=memory)
        train = replace(spectrum, teachers=1, population=False)
        training = prepare_dynamics(
            train, dynamics_config(config), model=problem,
            check=memory and config["dynamics"]["enabled"] and not spectrum.population)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    _loaded[:] = [problem, training]


def prepare_config(config: dict):
    """engine.ensemble.prepare for a config dict, taking the arrays of the files it names from
    the configuration last opened (check_config) when it names the same ones."""
    return prepare(spectrum_config(config), loaded=_loaded[0])


def prepare_training(config: dict, model):
    """engine.dynamics.prepare_dynamics for a config dict's training (teacher 1 of `model`),
    its start vector, if any, taken from the configuration last opened when it is the same."""
    return prepare_dynamics(dynamics_spectrum_config(config), dynamics_config(config),
                            model=model, loaded=_loaded[1])


def _from_cli_document(data: dict) -> dict:
    """Accept what the command line writes, too: a `spectrum` result (its "config" section) or a
    `dynamics` result (one flat config: the model, the training, and the step used)."""
    if isinstance(data.get("config"), dict) and ("teachers" in data or "steps" in data):
        data = dict(data["config"])
        dyn_keys = set(_dynamics_defaults()) - {"enabled"}
        if "lr_requested" in data or dyn_keys & set(data) - set(_model_keys()):
            dyn = {k: data.pop(k) for k in list(data) if k in dyn_keys}
            dyn["lr"] = data.pop("lr_requested", dyn.get("lr", "auto"))
            dyn["enabled"] = True
            data["dynamics"] = dyn
        if data.get("mode") == "sample":
            data.pop("mode")
    return data


def spectrum_config(config: dict) -> SpectrumConfig:
    """The engine's SpectrumConfig for a config dict (checked later by engine.ensemble.prepare)."""
    return config_class("")(**{k: config[k] for k in _model_keys() if k in config})


def dynamics_config(config: dict) -> DynamicsConfig:
    """The engine's DynamicsConfig for the config's "dynamics" section."""
    d = {k: v for k, v in config["dynamics"].items() if k != "enabled"}
    if isinstance(d.get("init_modes"), list):
        d["init_modes"] = tuple(d["init_modes"])
    return config_class("dynamics")(**d)


def dynamics_spectrum_config(config: dict) -> SpectrumConfig:
    """Dynamics trains teacher 1 of the ensemble: the same SpectrumConfig with one teacher."""
    return replace(spectrum_config(config), teachers=1)


def load_config(path: str | Path) -> dict:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"configuration file {str(p)!r} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{str(p)!r} is not a text (JSON) file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p.name} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(f"{p.name} is nested too deeply to be a configuration") from None
    except ValueError as exc:            # e.g. an integer of more than 4300 digits
        first = str(exc).split(":")[0]
        raise InputError(f"{p.name} is not a usable JSON file ({first})") from None
    config = normalize(data, p.name)
    check_config(config, p.name)
    return config


def save_config(path: str | Path, config: dict) -> None:
    """Write the config as JSON atomically (engine.fileio.write_json); a value that File →
    Open would refuse (e.g. an unfinished polynomial) is refused here first."""
    config = normalize(config)
    check_values(config, "cannot save the configuration")
    write_json(path, config)
