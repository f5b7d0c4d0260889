"""The command line: `python main.py SUBCOMMAND ...` for scripting, or no subcommand for the GUI.

Every subcommand is one module engine/commands/<name>.py with `HELP` (one line),
`add_arguments(parser)`, `estimate(args) -> engine.memory.Estimate` (what --dry-run prints:
the flags checked, nothing computed or written) and `run(args) -> int`; it is found by its file name, so adding a
subcommand is adding that file (modules whose name starts with "_" hold shared helpers).
Every failure becomes one line on standard error and exit status 2 (run_command); nothing is
written then.
"""
from __future__ import annotations

import argparse
import json
import pkgutil
import sys
import warnings
from pathlib import Path
from importlib import import_module

from . import commands
from .errors import Cancelled, is_bug, user_message
from .threads import blas_threads, set_threads
from .validate import whole


def _discover() -> dict[str, str]:
    """name → one-line help of every subcommand module, in alphabetical order."""
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    return {name: import_module(f"{commands.__name__}.{name}").HELP for name in names}


COMMANDS = _discover()


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
    launcher = Path(sys.argv[0]).name == "hessian-explorer"     # the installed launcher
    parser = OneLineParser(
        prog="hessian-explorer" if launcher else "python main.py",
        description=("Hessian Explorer: the Hessian spectrum, rank and learning dynamics of a "
                     "two-layer teacher-student network at its optimum (arXiv 2512.15606). "
                     "Without a subcommand the desktop application opens."),
        formatter_class=HelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="on an unexpected error, show the Python traceback (and turn "
                             "numerical warnings into errors)")
    parser.add_argument("--preset", metavar="NAME",
                        help="GUI: load resources/presets/NAME.json at start")
    parser.add_argument("--config", metavar="FILE.json",
                        help="GUI: load a saved configuration at start")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="GUI: run the preset/config to completion, save a screenshot of the window and exit")
    parser.add_argument("--window-size", metavar="WxH",
                        help="GUI: the window's size in pixels, e.g. 1024x768 (default: fit the "
                             "screen; 1680x1050 for --screenshot)")
    parser.add_argument("--presentation", action="store_true",
                        help="GUI: start in presentation mode (full screen, one page at a time, "
                             "side panels hidden, large text, thick lines; F11 leaves it), also "
                             "for --screenshot")
    parser.add_argument("--export", nargs=2, action="append", metavar=("VIEW", "FILE"),
                        help="GUI, headless: run the preset/config to completion and write VIEW "
                             "(spectrum, rank, dynamics, modes, landscape, structure, sweep) to "
                             "FILE, its format from the extension "
                             "(.png .svg .pdf: the figure; .csv .npz: the plotted data); repeatable")
    # a figure's shape, as File → Export → Figure… sets it (checked by gui.figure_size)
    parser.add_argument("--figure-size", metavar="WxH[px|in|cm]",
                        help="GUI, with --export: the figures' size, e.g. 3.4x2.4in (one column), "
                             "7x4.5in, 8.6x6cm or 1600x1000px; no unit is px at 96 per inch "
                             "(default 800x520px)")
    parser.add_argument("--dpi", metavar="N",
                        help="GUI, with --export: the PNG's resolution, 24 to 2400 dots per inch "
                             "(default 192); SVG and PDF are vectors")
    parser.add_argument("--text-scale", metavar="S",
                        help="GUI, with --export: the figures' text size, 0.25 to 6 times the "
                             "default (default 1)")
    parser.add_argument("--legend", metavar="below|right|off",
                        help="GUI, with --export: where the legend goes (default below)")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND",
                                parser_class=OneLineParser)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=HelpFormatter)
        import_module(f"engine.commands.{name}").add_arguments(p)
        # also after the subcommand, where users put it (SUPPRESS keeps the top-level value)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="on an unexpected error, show the Python traceback")
        p.add_argument("--threads", type=int, metavar="N",
                       help="BLAS threads for every computation (default: chosen per call from "
                            "its size: one for small problems, every core for large ones)")
        p.add_argument("--dry-run", action="store_true",
                       help="check the flags and print one JSON object with the run's peak "
                            "memory_bytes and estimated seconds (null if unknown), the "
                            "available_bytes and whether it fits; compute and write nothing")
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Run a subcommand inside the command line's one error boundary: every failure is one
    line on standard error (what is wrong, how to fix it) and exit status 2; warnings (numpy's
    overflow notes) never reach the user; a bug gets one line and a hint, its traceback only
    with --debug."""
    module = import_module(f"engine.commands.{args.command}")
    debug = bool(getattr(args, "debug", False))
    try:
        if getattr(args, "threads", None) is not None:
            set_threads(whole(args.threads, "the number of BLAS threads", "--threads", hi=1024))
        with warnings.catch_warnings():
            warnings.simplefilter("error" if debug else "ignore")
            if getattr(args, "dry_run", False):
                print(json.dumps(module.estimate(args).to_dict()))
                return 0
            with blas_threads(0.0):     # small unless a computation states its size (threads.py)
                return module.run(args)
    except Cancelled:
        sys.stderr.write("cancelled\n")
        return 130
    except Exception as exc:  # one line (engine.errors.user_message); a bug's traceback with --debug
        if debug and is_bug(exc):
            raise
        return _fail(user_message(exc))


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2
