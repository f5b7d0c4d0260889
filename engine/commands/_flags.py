"""Flags shared by the subcommands, so that the same flag always means the same thing: the
settings' flags come from their declarations (engine.settings); the output flag is here."""
from __future__ import annotations

import argparse

from ..settings import add_flags, from_args

__all__ = ["add_flags", "add_json_output", "config_from_args", "from_args"]


def add_json_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", required=True, metavar="OUT.json",
                        help="where to write the result (written atomically)")


def config_from_args(args: argparse.Namespace, **overrides):
    """The SpectrumConfig of the model flags given (every other setting at its default)."""
    return from_args(args, "", **overrides)
