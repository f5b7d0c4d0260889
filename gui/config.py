"""The configuration dict the GUI edits, saves and opens.

Its spectrum part is exactly `SpectrumConfig.to_dict()` (so the CLI and the GUI share one
format); a "dynamics" section holds the training settings. Saved with the seed, it reproduces a
run exactly. Presets in resources/presets/ use the same format.
"""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from engine.activations import parse_activation
from engine.dynamics import DynamicsConfig
from engine.ensemble import SpectrumConfig
from engine.errors import InputError
from engine.fileio import write_json

SPECTRUM_KEYS = tuple(f.name for f in fields(SpectrumConfig))

# The "dynamics" section: "enabled" (train on Run) plus engine.dynamics.DynamicsConfig's fields
# with the engine's defaults (engine/defaults.py): lr "auto" = 1/λ_max, steps, init_distance ε,
# slow_modes m, ...
DYNAMICS_DEFAULTS: dict = {"enabled": False, **DynamicsConfig().to_dict()}


# The "view" section: how the run is shown (not what is computed). log_axis None: automatic
# (log₁₀ λ for erf and tanh, whose spectra span many decades; linear for polynomials);
# log_steps: a log₁₀ step axis in the Dynamics view; tolerance: the rank tolerance on the
# singular-value scale chosen in the Rank view (None: each teacher's default), which also
# decides which eigenvalues the Spectrum view counts as zero modes.
VIEW_DEFAULTS: dict = {"log_axis": None, "log_steps": False, "tolerance": None}


def view_options(config: dict) -> dict:
    """The "view" section with every automatic choice made: log_axis None becomes the
    activation's preference (engine.activations: log for erf and tanh)."""
    view = dict(normalize(config)["view"])
    if view["log_axis"] is None:
        try:
            view["log_axis"] = parse_activation(config["activation"]).log_axis
        except InputError:
            view["log_axis"] = False
    return view


def default_config() -> dict:
    d = SpectrumConfig().to_dict()
    d["dynamics"] = dict(DYNAMICS_DEFAULTS)
    d["view"] = dict(VIEW_DEFAULTS)
    return d


def normalize(data: dict, source: str = "configuration") -> dict:
    """A complete config dict from a (possibly partial) one; unknown keys are an InputError."""
    if not isinstance(data, dict):
        raise InputError(f"{source} must be a JSON object with fields like \"activation\", \"ni\", \"nh\"")
    data = _from_cli_document(data)
    allowed = set(SPECTRUM_KEYS) | {"dynamics", "view", "mode"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputError(f"{source}: unknown field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(SPECTRUM_KEYS)}, dynamics, view")
    out = default_config()
    for key in SPECTRUM_KEYS:
        if key in data:
            out[key] = data[key]
    if data.get("mode") == "population":      # accept the engine's resolved_config() too
        out["population"] = True
        out["samples"] = None
    dyn = data.get("dynamics", {})
    if dyn is None:
        dyn = {}
    if not isinstance(dyn, dict):
        raise InputError(f"{source}: \"dynamics\" must be an object with fields "
                         f"{', '.join(DYNAMICS_DEFAULTS)}")
    unknown = sorted(set(dyn) - set(DYNAMICS_DEFAULTS))
    if unknown:
        raise InputError(f"{source}: unknown dynamics field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(DYNAMICS_DEFAULTS)}")
    out["dynamics"].update(dyn)
    view = data.get("view") or {}
    if not isinstance(view, dict) or set(view) - set(VIEW_DEFAULTS):
        raise InputError(f"{source}: \"view\" must be an object with fields {', '.join(VIEW_DEFAULTS)}")
    out["view"].update(view)
    return out


def _from_cli_document(data: dict) -> dict:
    """Accept what the command line writes, too: a `spectrum` result (its "config" section) or a
    `dynamics` result (one flat config: the model, the training, and the step used)."""
    if isinstance(data.get("config"), dict) and ("teachers" in data or "steps" in data):
        data = dict(data["config"])
        dyn_keys = set(DYNAMICS_DEFAULTS) - {"enabled"}
        if "lr_requested" in data or dyn_keys & set(data) - set(SPECTRUM_KEYS):
            dyn = {k: data.pop(k) for k in list(data) if k in dyn_keys}
            dyn["lr"] = data.pop("lr_requested", dyn.get("lr", "auto"))
            dyn["enabled"] = True
            data["dynamics"] = dyn
        if data.get("mode") == "sample":
            data.pop("mode")
    return data


def spectrum_config(config: dict) -> SpectrumConfig:
    """The engine's SpectrumConfig for a config dict (checked later by engine.ensemble.prepare)."""
    return SpectrumConfig(**{k: config[k] for k in SPECTRUM_KEYS if k in config})


def dynamics_config(config: dict) -> DynamicsConfig:
    """The engine's DynamicsConfig for the config's "dynamics" section."""
    d = {k: v for k, v in config["dynamics"].items() if k != "enabled"}
    if isinstance(d.get("init_modes"), list):
        d["init_modes"] = tuple(d["init_modes"])
    return DynamicsConfig(**d)


def dynamics_spectrum_config(config: dict) -> SpectrumConfig:
    """Dynamics trains teacher 1 of the ensemble: the same SpectrumConfig with one teacher."""
    cfg = spectrum_config(config)
    return SpectrumConfig(**{**cfg.to_dict(), "teachers": 1})


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
    return normalize(data, p.name)


def save_config(path: str | Path, config: dict) -> None:
    """Write the config as JSON atomically (engine.fileio.write_json)."""
    write_json(path, normalize(config))
