"""The command line: `python main.py SUBCOMMAND ...` for scripting, or no subcommand for the GUI.

Every subcommand lives in engine/commands/<name>.py with `add_arguments(parser)` and
`run(args) -> int`. Errors the user can fix (InputError, argparse mistakes) become one line on
standard error and exit status 2; nothing is written then.
"""
from __future__ import annotations

import argparse
import sys
import time
from importlib import import_module

from .errors import Cancelled, InputError

COMMANDS = {
    "spectrum": "Hessian eigenvalues and rank at the teacher-student optimum",
    "theory": "random-matrix law of the linear-network spectrum (density, CDF, support)",
    "dynamics": "gradient descent from near the optimum, resolved into eigenmodes",
}


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line (no usage dump) and exits 2."""

    def error(self, message):  # noqa: D401 - argparse API
        sys.stderr.write(f"error: {message} (see {self.prog} --help)\n")
        sys.exit(2)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a flag's default only when it has a real one (not None/False), so help texts that
    describe a computed default ('default 1/√Ni') are not followed by '(default: None)'."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python main.py",
        description=("Hessian Explorer: the Hessian spectrum, rank and learning dynamics of a "
                     "two-layer teacher-student network at its optimum (arXiv 2512.15606). "
                     "Without a subcommand the desktop application opens."),
        formatter_class=HelpFormatter)
    parser.add_argument("--preset", metavar="NAME",
                        help="GUI: load resources/presets/NAME.json at start")
    parser.add_argument("--config", metavar="FILE.json",
                        help="GUI: load a saved configuration at start")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="GUI: run the preset/config to completion, save a screenshot of the window and exit")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND",
                                parser_class=OneLineParser)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=HelpFormatter)
        import_module(f"engine.commands.{name}").add_arguments(p)
    return parser


def run_command(args: argparse.Namespace) -> int:
    module = import_module(f"engine.commands.{args.command}")
    try:
        return module.run(args)
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except MemoryError:
        sys.stderr.write("error: out of memory; use fewer samples, smaller sizes or --population\n")
        return 2
    except Cancelled:
        sys.stderr.write("cancelled\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted; nothing was written\n")
        return 130


class ProgressBar:
    """A progress bar on standard error that only appears once a run has lasted half a second."""

    def __init__(self, stream=None, delay: float = 0.5, width: int = 30, interval: float = 0.2):
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.delay, self.width, self.interval = delay, width, interval
        self.shown = False
        self.last = -1.0

    def __call__(self, fraction: float, message: str = "") -> None:
        elapsed = time.monotonic() - self.start
        if elapsed < self.delay or (fraction < 1.0 and elapsed - self.last < self.interval):
            return
        self.last = elapsed
        filled = int(round(self.width * fraction))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {100 * fraction:5.1f}% {message[:40]:<40} {elapsed:6.1f}s")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
