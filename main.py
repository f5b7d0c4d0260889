"""Entry point: `python main.py` opens the desktop application; `python main.py SUBCOMMAND`
runs the engine from the command line (see `python main.py --help`)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from engine.cli import build_parser, run_command

    args = build_parser().parse_args(argv)
    if args.command:
        return run_command(args)
    from gui.app import run_gui  # Qt is imported only when the GUI is wanted

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
