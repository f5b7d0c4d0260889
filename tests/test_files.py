"""Hostile input files: every damaged, malicious or wrongly typed .npy/.npz is one line, read
header first, never unpickled, never decompressed beyond what its header allows."""
import io
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npformat

from engine import arrays
from engine.errors import InputError
from engine.model import load_inputs, load_teacher

ROOT = Path(__file__).resolve().parent.parent


def npy_header(shape, dtype="<f8") -> bytes:
    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def raw_header(text: str) -> bytes:
    """An .npy header with any dict text (shapes numpy's writer would refuse)."""
    body = text.encode("latin1")
    pad = 64 - (10 + len(body) + 1) % 64
    body += b" " * pad + b"\n"
    return npformat.MAGIC_PREFIX + b"\x01\x00" + struct.pack("<H", len(body)) + body


def npz_with(tmp_path, name, members: dict[str, bytes], method=zipfile.ZIP_STORED) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for key, data in members.items():
            zf.writestr(key + ".npy", data)
    return path


def hostile(tmp_path) -> dict[str, Path]:
    d = {}
    d["object.npy"] = tmp_path / "object.npy"
    np.save(d["object.npy"], np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    d["object.npz"] = tmp_path / "object.npz"
    np.savez(d["object.npz"], W1=np.array([[object()]], dtype=object), W2=np.zeros(1))
    good = io.BytesIO()
    np.save(good, np.ones((2, 3)))
    crc = npz_with(tmp_path, "crc.npz", {"W1": good.getvalue(), "W2": good.getvalue()})
    raw = bytearray(crc.read_bytes())
    at = raw.index(b"\x00\x00\xf0?") + 2        # inside the data of the first member
    raw[at] ^= 0xFF
    crc.write_bytes(bytes(raw))
    d["crc.npz"] = crc
    d["truncated.npy"] = tmp_path / "truncated.npy"
    d["truncated.npy"].write_bytes(npy_header((1000,)) + b"\x00" * 100)
    d["huge.npy"] = tmp_path / "huge.npy"
    d["huge.npy"].write_bytes(npy_header((10 ** 12, 3)))
    d["negative.npy"] = tmp_path / "negative.npy"
    d["negative.npy"].write_bytes(raw_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-5, 3), }"))
    d["complex.npy"] = tmp_path / "complex.npy"
    np.save(d["complex.npy"], np.ones((2, 3), dtype=complex))
    d["strings.npy"] = tmp_path / "strings.npy"
    np.save(d["strings.npy"], np.array([["a", "b", "c"]]))
    d["badheader.npy"] = tmp_path / "badheader.npy"
    d["badheader.npy"].write_bytes(raw_header("{'descr': __import__('os'), 'shape': (1,)}"))
    d["notnpz.npz"] = npz_with(tmp_path, "notnpz.npz", {"W1": b"hello", "W2": b"world"})
    d["text.npy"] = tmp_path / "text.npy"
    d["text.npy"].write_text("1 2 3\n")
    d["empty.npz"] = tmp_path / "empty.npz"
    d["empty.npz"].write_bytes(b"")
    d["folder.npy"] = tmp_path / "folder.npy"
    d["folder.npy"].mkdir()
    return d


def bomb(tmp_path, elements=2 ** 29) -> Path:
    """A few-MB .npz whose W1 member unpacks to elements float64 zeros (4 GB for 2²⁹), written
    in chunks so the test itself stays small."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        with zf.open("W1.npy", "w", force_zip64=True) as fh:
            fh.write(npy_header((elements // 2, 2)))
            chunk = bytes(1 << 24)
            for _ in range(elements * 8 // len(chunk)):
                fh.write(chunk)
        zf.writestr("W2.npy", npy_header((elements // 2,)))
    return path


@pytest.mark.parametrize("name", ["object.npy", "truncated.npy", "huge.npy", "negative.npy",
                                  "complex.npy", "strings.npy", "badheader.npy", "text.npy",
                                  "folder.npy", "crc.npz"])
def test_hostile_inputs_are_one_line(tmp_path, name):
    path = hostile(tmp_path)[name]
    with pytest.raises(InputError) as info:
        load_inputs(path, 3)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("name", ["object.npz", "crc.npz", "notnpz.npz", "empty.npz",
                                  "text.npy", "object.npy", "folder.npy"])
def test_hostile_weights_are_one_line(tmp_path, name):
    path = hostile(tmp_path)[name]
    with pytest.raises(InputError) as info:
        load_teacher(path, 3, 2)
    assert "\n" not in str(info.value)


def test_nothing_is_ever_unpickled(tmp_path, monkeypatch):
    import pickle

    def refuse(*a, **k):
        raise AssertionError("unpickled")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    files = hostile(tmp_path)
    with pytest.raises(InputError, match="objects"):
        load_inputs(files["object.npy"], 3)
    with pytest.raises(InputError, match="objects"):
        load_teacher(files["object.npz"])


def test_a_deflate_bomb_is_refused_before_it_is_decompressed(tmp_path, monkeypatch):
    path = bomb(tmp_path, elements=2 ** 26)          # 512 MB unpacked, ~0.5 MB on disk
    assert path.stat().st_size < 4 << 20
    monkeypatch.setattr(arrays, "max_elements", lambda: 2 ** 20)   # as if 16 MB were free
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match="more than fits in memory"):
        load_teacher(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024   # kB


def test_good_files_load_exactly_as_numpy_saves_them(tmp_path):
    rng = np.random.default_rng(0)
    W1, W2, X = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((7, 3))
    np.savez_compressed(tmp_path / "w.npz", W1=W1, W2=W2)
    np.save(tmp_path / "x.npy", np.asfortranarray(X))
    np.save(tmp_path / "x32.npy", X.astype(np.float32))
    t = load_teacher(tmp_path / "w.npz", 3, 4)
    np.testing.assert_array_equal(t.W1, W1)
    np.testing.assert_array_equal(t.W2, W2)
    np.testing.assert_array_equal(load_inputs(tmp_path / "x.npy", 3), X)
    np.testing.assert_array_equal(load_inputs(tmp_path / "x32.npy", 3), X.astype(np.float32))
    t.W1[0, 0] = 1.0                                  # writable copies, not file buffers


@pytest.mark.parametrize("flag, name", [("--weights", "crc.npz"), ("--inputs", "huge.npy"),
                                        ("--init-file", "object.npy")])
def test_the_command_line_turns_a_hostile_file_into_one_line(tmp_path, flag, name):
    path = hostile(tmp_path)[name]
    out = tmp_path / "out.json"
    command = ["dynamics", "--lr", "auto", "--steps", "3"] if flag == "--init-file" else ["spectrum"]
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), *command, "--activation", "erf",
                        "--ni", "3", "--nh", "2", "--samples", "10", flag, str(path),
                        "--json", str(out)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()
