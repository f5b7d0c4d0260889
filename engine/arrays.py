"""Reading user-given .npy and .npz files without trusting them.

np.load reads an .npz member lazily, so a damaged member fails later, outside any error handling;
it decompresses a member completely before anyone sees its shape (a deflate bomb of a few kB
becomes gigabytes); and object arrays would need unpickling. Here the header of every array is
read and checked first (dtype real and numeric, shape sane, size within what memory allows and
what the file can hold), then the data, and every way a file can be damaged is one InputError
line naming the file. Nothing is ever unpickled.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

from .errors import InputError
from .memory import available_bytes

_DAMAGED = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError,
            NotImplementedError, OverflowError, SyntaxError, TypeError, UnicodeDecodeError)


def max_elements() -> int:
    """The largest array a file may hold: half of the memory still available, in float64s."""
    return max(1, available_bytes() // 16)


def _fix(what: str) -> str:
    return f"{what}; save it again with numpy (np.save / np.savez)"


def _regular_file(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file {str(p)!r} does not exist")
    if not p.is_file():
        raise InputError(f"{what} file {str(p)!r} is not a regular file (a folder or a device)")
    return p


def _header(fh, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from an .npy header, checked before any data is read."""
    version = npformat.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = npformat.read_array_header_1_0(fh, max_header_size=10000)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = npformat.read_array_header_2_0(fh, max_header_size=10000)
    else:
        raise ValueError(f"unknown .npy version {version}")
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"{name} holds {dtype} data (objects or records); it must be an array "
                         "of real numbers")
    if dtype.kind not in "biuf":
        raise InputError(f"{name} holds {dtype} data; it must be an array of real numbers")
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise ValueError(f"impossible shape {shape}")
    count = int(np.prod(shape, dtype=object))
    if count > max_elements():
        raise InputError(f"{name} claims shape {shape} ({count:.3g} numbers), more than fits in "
                         "memory; check the file")
    return shape, fortran, dtype


def _read(fh, name: str, room: int | None) -> np.ndarray:
    """One array from an open .npy stream; `room`: the bytes of data the container can hold."""
    shape, fortran, dtype = _header(fh, name)
    count = int(np.prod(shape, dtype=object))
    nbytes = count * dtype.itemsize
    if room is not None and nbytes > room:
        raise ValueError(f"the header promises {nbytes} bytes of data but the file holds {room}")
    data = fh.read(nbytes)
    if len(data) != nbytes:
        raise ValueError(f"the data stops after {len(data)} of {nbytes} bytes (truncated)")
    a = np.frombuffer(data, dtype=dtype, count=count)
    return a.reshape(shape[::-1]).T if fortran else a.reshape(shape)


def read_npy(path: str | Path, what: str) -> np.ndarray:
    """The one array of an .npy file (never unpickled, header checked first)."""
    p = _regular_file(path, what)
    name = f"{what} file {str(p)!r}"
    try:
        with open(p, "rb") as fh:
            if fh.read(6) != npformat.MAGIC_PREFIX:
                raise InputError(_fix(f"{name} is not an .npy array"))
            fh.seek(0)
            size = p.stat().st_size
            a = _read(fh, name, None)
            if fh.tell() > size:
                raise ValueError("truncated")
            return a
    except InputError:
        raise
    except _DAMAGED as exc:
        raise InputError(_fix(f"{name} is damaged or not an .npy array ({_reason(exc)})")) from None


def read_npz(path: str | Path, what: str, names: tuple[str, ...], hint: str) -> dict[str, np.ndarray]:
    """The named arrays of an .npz archive: each member's uncompressed size and header are
    checked before it is decompressed, its CRC when it has been read."""
    p = _regular_file(path, what)
    name = f"{what} file {str(p)!r}"
    try:
        if not zipfile.is_zipfile(p):
            raise InputError(_fix(f"{name} is not an .npz archive"))
        with zipfile.ZipFile(p) as zf:
            members = {m.filename[:-4] if m.filename.endswith(".npy") else m.filename: m
                       for m in zf.infolist()}
            missing = [k for k in names if k not in members]
            if missing:
                have = ", ".join(sorted(members)) or "nothing"
                raise InputError(f"{name} lacks {', '.join(missing)} (has {have}); {hint}")
            out = {}
            for key in names:
                info = members[key]
                if info.file_size > 16 * max_elements() + 10000:
                    raise InputError(f"{name}: member {key} unpacks to {info.file_size:.3g} bytes, "
                                     "more than fits in memory; check the file")
                with zf.open(info) as fh:
                    a = _read(fh, f"{key} in {name}", info.file_size)
                    fh.read(1)                 # reach the end, where zipfile checks the CRC
                out[key] = a
            return out
    except InputError:
        raise
    except _DAMAGED as exc:
        raise InputError(_fix(f"{name} is damaged or not an .npz archive ({_reason(exc)})")) from None


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text[:120]}" if text else exc.__class__.__name__


def real_finite(a: np.ndarray, what: str) -> np.ndarray:
    """float64 copy of a real array, refused if it holds NaN or infinity."""
    a = np.array(a, dtype=np.float64)        # a writable copy (file buffers are read-only)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{what} contains NaN or infinite values; replace them with finite numbers")
    return a
