"""Progress on a terminal for the command line: the JobState callback of a CLI run."""
from __future__ import annotations

import sys
import time


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
