"""Progress on a terminal for the command line: the JobState callback of a CLI run."""
from __future__ import annotations

import sys
import time


class ProgressBar:
    """Progress on standard error, once a run has lasted half a second.

    On a terminal one bar redrawn in place; otherwise (a log file, a pipe, CI) a plain line at
    each further tenth of the work, so a log holds a dozen lines, not thousands of redraws."""

    def __init__(self, stream=None, delay: float = 0.5, width: int = 30, interval: float = 0.2,
                 terminal: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.delay, self.width, self.interval = delay, width, interval
        if terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            terminal = bool(isatty and isatty())
        self.terminal = terminal
        self.shown = False
        self.last = -1.0
        self.next_tenth = 0

    def __call__(self, fraction: float, message: str = "") -> None:
        elapsed = time.monotonic() - self.start
        if elapsed < self.delay:
            return
        if not self.terminal:
            tenth = int(10 * fraction + 1e-9)
            if tenth < self.next_tenth:
                return
            self.next_tenth = tenth + 1
            self.stream.write(f"{100 * fraction:5.1f}% {message} ({elapsed:.1f} s{_eta(elapsed, fraction)})\n")
            self.stream.flush()
            return
        if fraction < 1.0 and elapsed - self.last < self.interval:
            return
        self.last = elapsed
        filled = int(round(self.width * fraction))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {100 * fraction:5.1f}% {message[:40]:<40} {elapsed:6.1f}s"
                          f"{_eta(elapsed, fraction):<14}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _eta(elapsed: float, fraction: float) -> str:
    """", ETA 12 s": the time left at the pace so far (nothing before there is a pace)."""
    if not 0.0 < fraction < 1.0:
        return ""
    left = elapsed * (1.0 - fraction) / fraction
    return f", ETA {left:.0f} s" if left < 120 else f", ETA {left / 60:.0f} min"
