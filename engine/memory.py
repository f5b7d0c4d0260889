"""Refuse a request before allocating it if it cannot fit in memory, saying what to change."""
from __future__ import annotations

import os

from .errors import InputError

GB = 1024 ** 3


def available_bytes() -> int:
    """MemAvailable from /proc/meminfo (Linux); else physical memory; else assume plenty."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def require(n_bytes: float, what: str, advice: str) -> None:
    """Raise InputError if n_bytes (an estimate of the peak) exceeds available memory."""
    avail = available_bytes()
    if n_bytes > avail:
        raise InputError(f"{what} needs about {n_bytes / GB:.1f} GB but only {avail / GB:.1f} GB "
                         f"is available; {advice}")
