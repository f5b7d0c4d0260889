"""Entry point: `python main.py` opens the desktop application; `python main.py SUBCOMMAND`
runs the engine from the command line (see `python main.py --help`)."""
from __future__ import annotations

import signal
import sys


class Terminated(BaseException):
    """SIGTERM: stop like Ctrl+C (atomic writes leave nothing half-written), exit 143."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    # Before the first heavy import: Ctrl+C or SIGTERM during start-up is one line too.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from engine.cli import build_parser, run_command

        args = build_parser().parse_args(argv)
        if args.command:
            return run_command(args)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)   # the window: Qt's own way to end
        from gui.app import run_gui  # Qt is imported only when the GUI is wanted

        return run_gui(args)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted; nothing was written\n")
        return 130
    except Terminated:
        sys.stderr.write("\nterminated; nothing was written\n")
        return 143


if __name__ == "__main__":
    sys.exit(main())
