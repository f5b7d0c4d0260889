"""Every setting of a run, declared once: as a field of the engine's config dataclasses
(engine.ensemble.SpectrumConfig, engine.dynamics.DynamicsConfig) whose metadata is a `Setting`.

A declaration says everything the rest of the program needs: its type and check (engine.validate),
default (engine/defaults.py), unit and help, the command-line flag and the subcommands that take
it, the settings panel's widget and range, and whether a sweep may vary it. From it come the
subcommands' flags (`add_flags`, `values`), the one check of a value wherever it comes from
(`Setting.check`: the engine's `prepare`, a JSON configuration), the settings panel's rows
(gui/config_panel.py), the sweep axes (`sweep_axes`) and docs/settings.md
(`python -m engine.settings > docs/settings.md`; tests/test_settings.py fails when it is stale).

Plain dataclass field metadata is enough here: attrs, pydantic or msgspec would bring their own
coercion (which the format must not do: a bad value is refused, never converted), and the
checks, flags and widgets would still have to be declared beside them.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from importlib import import_module
from numbers import Real
from typing import Callable

import numpy as np

from .errors import InputError
from .validate import positive, whole

# The config dataclasses whose fields are settings, by JSON section ("" = the top level). Looked
# up when asked (not at import) so that a subclass put in their place adds its settings.
SECTIONS = {"": ("engine.ensemble", "SpectrumConfig"), "dynamics": ("engine.dynamics", "DynamicsConfig")}
SAME = "(the setting's default)"      # a flag whose default is the setting's
SPEC = "a number, a range A:B (inclusive) or A:B:STEP, or a list A,B,C"


# ----------------------------------------------------------------------------- checks
# Each check is called as check(value, name, flag) and returns the clean value, or raises
# InputError naming `name` (and suggesting `flag`, on the command line). None is handled by
# Setting.check (optional settings).

@dataclass(frozen=True)
class Whole:
    lo: int = 1
    hi: int | None = None
    type = int

    def __call__(self, value, name, flag=None):
        return whole(value, name, flag, lo=self.lo, hi=self.hi)

    def __str__(self):
        return f"whole number ≥ {self.lo}" if self.hi is None else \
            f"whole number, {self.lo} to {self.hi:,}"


@dataclass(frozen=True)
class Positive:
    below: float | None = None     # an exclusive upper bound (and why), e.g. rtol < 1
    why: str = ""
    type = float

    def __call__(self, value, name, flag=None):
        v = positive(value, name, flag)
        if self.below is not None and v >= self.below:
            hint = f"; set {flag}" if flag else ""
            raise InputError(f"{name} must be below {self.below:g}: {self.why.format(v)}{hint}")
        return v

    def __str__(self):
        return "positive number" + ("" if self.below is None else f" < {self.below:g}")


@dataclass(frozen=True)
class Parse:
    """A value the engine parses itself (an activation, a step that may be "auto"); its own
    message is kept, prefixed with the field's name when it does not start with it."""
    parse: Callable
    what: str
    type = str

    def __call__(self, value, name, flag=None):
        try:
            return self.parse(value)
        except InputError as exc:
            if flag is None and not str(exc).startswith(name):
                raise InputError(f"{name}: {exc}") from None
            raise

    def __str__(self):
        return self.what


@dataclass(frozen=True)
class FileName:
    type = str

    def __call__(self, value, name, flag=None):
        if not isinstance(value, str):
            raise InputError(f"{name} must be a file name (a string) or null, got {value!r}")
        return value

    def __str__(self):
        return "file name"


@dataclass(frozen=True)
class Switch:
    type = None          # a flag without a value (store_true)

    def __call__(self, value, name, flag=None):
        if not isinstance(value, (bool, np.bool_)):
            raise InputError(f"{name} must be true or false, got {value!r}")
        return bool(value)

    def __str__(self):
        return "true or false"


# ----------------------------------------------------------------------------- the declaration

@dataclass(frozen=True)
class Setting:
    """One setting. `name` and `section` come from the dataclass field it is declared on."""
    check: Callable
    help: str
    flag_help: str = ""            # the flag's help, where it says more (the activations' list)
    noun: str = ""                 # in the engine's messages ("the number of teachers"); default: name
    unit: str = ""
    flag: str | None = None        # command line; None: not a flag
    commands: tuple = ()           # the subcommands that take the flag
    required: tuple = ()           # ... and those where it must be given
    exclusive: str = ""            # flags sharing this group name exclude each other
    metavar: str | None = None
    cli_default: object = SAME     # the flag's default, if not the setting's (None: "not given")
    label: str = ""                # the settings panel's row; "" : no widget, kept from the file
    widget: str = ""               # "spin" (whole), "sci" (positive, × factor), "choice", "activation"
    panel: tuple | None = None     # the range the widget holds (a file beyond it is refused)
    special: tuple | None = None   # (text, value): the widget's minimum shows text, means value
    factor: float = 2.0            # a "sci" widget's arrow step, a factor
    choices: tuple = ()            # a "choice" widget's (value, text) pairs
    sweep: bool = False            # can be a sweep axis (`sweep` takes a SPEC for it)
    nullable: bool = False         # null (None) is allowed although the default is not
    name: str = ""
    section: str = ""
    default: object = None

    @property
    def key(self) -> str:
        """The JSON path: "ni", "dynamics.steps"."""
        return f"{self.section}.{self.name}" if self.section else self.name

    @property
    def optional(self) -> bool:
        return self.nullable or self.default is None

    def check_value(self, value, name: str | None = None, flag: str | None = None):
        """The clean value, or InputError naming `name` (default: the noun; with the flag)."""
        if value is None and self.optional:
            return None
        return self.check(value, name or self.noun or self.name, flag)

    def cli(self, value):
        """A checked value on the command line: the engine's noun and the flag in the message."""
        return self.check_value(value, None, self.flag)


def setting(default, help: str, **declaration):
    """A dataclass field that is a setting: `x: int = setting(3, "what x is", flag="--x", ...)`."""
    return field(default=default, metadata={"setting": Setting(help=help, **declaration)})


@lru_cache(maxsize=None)
def settings_of(cls, section: str = "") -> tuple[Setting, ...]:
    """The settings declared on a config dataclass, in field order, name and default filled in
    (a class is fixed once made, so this is worked out once per class)."""
    return tuple(replace(f.metadata["setting"], name=f.name, section=section, default=f.default)
                 for f in fields(cls) if "setting" in f.metadata)


def config_class(section: str = ""):
    module, name = SECTIONS[section]
    return getattr(import_module(module), name)


def all_settings() -> list[Setting]:
    """Every setting, section by section, in declaration order."""
    return [s for section in SECTIONS for s in settings_of(config_class(section), section)]


def by_key() -> dict[str, Setting]:
    return {s.key: s for s in all_settings()}


def section_defaults(section: str = "") -> dict:
    return {s.name: s.default for s in all_settings() if s.section == section}


def sweep_axes() -> tuple[str, ...]:
    """What a sweep may vary, in grid order (the last fastest): every setting declared a sweep
    axis, then the power k of power:K and the activation (both from the --activation text)."""
    return (*(s.name for s in all_settings() if s.sweep), "k", "activation")


def check_fields(config, section: str = "") -> dict:
    """Every setting of a config object checked on its own (relations between settings are the
    engine's prepare functions' business): {name: clean value}, messages as on the command line."""
    return {s.name: s.cli(getattr(config, s.name)) for s in settings_of(type(config), section)}


# ----------------------------------------------------------------------------- command line

def add_flags(parser: argparse.ArgumentParser, command: str, helps: dict | None = None) -> None:
    """The flag of every setting `command` takes, in declaration order. `sweep` takes a SPEC
    (text) for each sweep axis; `helps` replaces a flag's help where a subcommand means more."""
    groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
    for s in all_settings():
        if s.flag is None or command not in s.commands:
            continue
        kind = s.check.type
        spec = command == "sweep" and s.sweep
        own = s.flag_help or s.help
        help_text = (helps or {}).get(s.name) or (f"{own}: {SPEC}" if spec else own)
        default = s.default if s.cli_default is SAME else s.cli_default
        if command in s.required:
            default = None
        options = dict(dest=s.name, help=help_text, required=command in s.required)
        if kind is None:
            options.update(action="store_true")
        else:
            options.update(default=default, metavar="SPEC" if spec else s.metavar or s.name.upper(),
                           type=str if spec or kind is str else kind)
        target = parser
        if s.exclusive:
            group = groups.get(s.exclusive)
            if group is None:
                group = groups[s.exclusive] = parser.add_mutually_exclusive_group()
            target = group
        target.add_argument(s.flag, **options)


def values(args: argparse.Namespace, section: str = "") -> dict:
    """{name: value} of a section's settings that the parsed command line has."""
    return {s.name: getattr(args, s.name) for s in all_settings()
            if s.section == section and hasattr(args, s.name)}


def from_args(args: argparse.Namespace, section: str = "", **overrides):
    """The section's config dataclass from the parsed flags (the rest at their defaults)."""
    return config_class(section)(**{**values(args, section), **overrides})


# ----------------------------------------------------------------------------- docs

def _value(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:g}"
    if isinstance(v, Real) and not isinstance(v, bool) and abs(v) >= 10 ** 5:
        return f"{v:,}" if isinstance(v, int) else f"{v:g}"
    return f"`{v}`" if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)


def markdown() -> str:
    """docs/settings.md: one table row per setting."""
    lines = ["# Settings", "",
             "Generated from the declarations in `engine/ensemble.py` and `engine/dynamics.py` "
             "(`engine/settings.py`) by `python -m engine.settings > docs/settings.md`; "
             "`tests/test_settings.py` fails when this file is stale. JSON keys of the `dynamics` "
             "section are written `dynamics.KEY`. A range in the window is what the settings "
             "panel holds (a file beyond it is refused); the engine's own limit is in *check*.", "",
             "| JSON key | flag | subcommands | default | check | window | sweep axis | meaning |",
             "|---|---|---|---|---|---|---|---|"]
    for s in all_settings():
        window = ""
        if s.label:
            window = s.label.replace("  ", " ")
            if s.panel:
                window += f" ({_value(s.panel[0])} to {_value(s.panel[1])})"
        unit = f" [{s.unit}]" if s.unit else ""
        meaning = (s.help + unit).replace("|", "\\|")
        lines.append(f"| `{s.key}` | {f'`{s.flag}`' if s.flag else ''} | {', '.join(s.commands)} | "
                     f"{_value(s.default)} | {s.check} | {window} | {'yes' if s.sweep else ''} | "
                     f"{meaning} |")
    lines += ["", "Sweep axes besides these: `k` (the power of `power:K`, from `--activation "
              "power:A:B`) and `activation` (a list, `--activation quadratic,cubic,erf`).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
