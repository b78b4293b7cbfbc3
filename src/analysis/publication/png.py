"""PNG files written from a chart's RGBA pixels (the PNG copies of `charts.save`).

The format is the W3C's "Portable Network Graphics (PNG) Specification (Third Edition)": the
signature, then chunks (length, type, data, CRC-32 of type and data): IHDR (width, height, bit
depth 8, colour type 6 = RGBA, no interlace), tEXt or iTXt (a text), pHYs (pixels per metre,
so that a page-layout program places the copy at its print size), IDAT (the zlib stream of the
rows, each led by its filter type) and IEND. Every row is written with filter type 0 (None):
Pillow's adaptive filter choice, which tries the five filters on every row, took most of its
0.35 s of CPU for an edition's seven copies; unfiltered rows give the same pixels in 0.13 s,
in files 0.3% larger (the charts are mostly flat colour; benchmarks/README.md).
The rows are compressed by zlib-ng (a zlib stream like zlib's, its own choice of matches):
an edition's seven copies in 0.05 s of CPU against 0.13 s for zlib at level 3, in files 15%
smaller. Its bytes are the same for the same pixels on one machine; another processor may
choose other matches (as zlib itself may from one version to the next): the pixels are the same.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from zlib_ng import zlib_ng

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMPRESSION = 3  # zlib-ng's level: files between zlib's level 3 and its default 6 in size, in a fifth of the latter's time
INCH_M = 0.0254


def chunk(kind: bytes, data: bytes) -> bytes:
    """One chunk: length, type, data, and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def text_chunk(key: str, value: str) -> bytes:
    """A text under `key`: tEXt when the value is Latin-1, else iTXt (UTF-8, uncompressed, no
    language tag), as Pillow writes them."""
    try:
        return chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
    except UnicodeEncodeError:
        return chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8"))


def encode(rgba: np.ndarray, dpi: float, texts: dict[str, str] | None = None) -> bytes:
    """The PNG file of the pixels `rgba` (height × width × 4, uint8) at `dpi`, with `texts`."""
    height, width, channels = rgba.shape
    if channels != 4 or rgba.dtype != np.uint8:
        raise ValueError("expected RGBA pixels of 8 bits")
    rows = np.zeros((height, 1 + 4 * width), dtype=np.uint8)  # column 0: filter type 0
    rows[:, 1:] = rgba.reshape(height, 4 * width)
    per_metre = round(dpi / INCH_M)
    return b"".join([
        SIGNATURE,
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
        *(text_chunk(key, value) for key, value in (texts or {}).items()),
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        chunk(b"IDAT", zlib_ng.compress(rows, COMPRESSION)),
        chunk(b"IEND", b""),
    ])


def write(path: Path, rgba: np.ndarray, dpi: float, texts: dict[str, str] | None = None) -> None:
    """`encode` into the file `path`."""
    Path(path).write_bytes(encode(rgba, dpi, texts))
