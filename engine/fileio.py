"""Atomic writing of result files: a temporary file in the same folder, then os.replace, so a
crash or a bad value never leaves a half-written output behind."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import InputError


def check_writable(path: str | Path, inputs=()) -> Path:
    """Fail early (before any computation) if `path` cannot be written, or writing it would
    destroy one of the `inputs` (files the run reads) or something that is not a plain file."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if len(p.name.encode("utf-8", "surrogateescape")) > 255:
        raise InputError(f"the file name {p.name[:40]!r}… is longer than 255 bytes; shorten it")
    for source in inputs:
        if source is not None and same_file(p, Path(source)):
            raise InputError(f"output path {str(p)!r} is also an input of this run; writing it "
                             "would destroy that input: choose another output name")
    if p.is_dir():
        raise InputError(f"output path {str(p)!r} is a folder; give a file name")
    if p.exists() and not p.is_file():
        raise InputError(f"output path {str(p)!r} is not a regular file (a device or a pipe); "
                         "give a file name")
    if not folder.is_dir():
        raise InputError(f"cannot write {str(p)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise InputError(f"cannot write {str(p)!r}: permission denied; choose another path")
    return p


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (the same path, or links to it)."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[object], None], binary: bool = False) -> None:
    p = Path(path)
    # a short temporary name: any legal output name (up to 255 bytes) stays legal
    fd, tmp = tempfile.mkstemp(prefix=".hx-", suffix=".tmp", dir=p.parent or ".")
    try:
        os.chmod(tmp, 0o666 & ~_umask())     # mkstemp makes it private; outputs are ordinary files
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            write(fh)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def to_jsonable(obj, arrays: bool = True):
    """numpy arrays and scalars to lists and floats; non-finite floats to None (valid JSON).
    arrays=False leaves arrays as they are, for write_json to convert one at a time."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, arrays) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist()) if arrays else obj
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _array(obj):
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    raise TypeError(f"{obj.__class__.__name__} is not JSON serialisable")


def write_json(path: str | Path, data: dict) -> None:
    """Stream the document to the file: arrays become lists one at a time and the text is never
    held whole, so writing costs ~memory.JSON_NUMBER bytes per number of the largest array only."""
    doc = to_jsonable(data, arrays=False)

    def write(fh):
        json.dump(doc, fh, indent=1, default=_array, allow_nan=False)
        fh.write("\n")
    write_atomic(path, write)
