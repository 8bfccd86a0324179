"""A PNG encoder for 8-bit grey, grey+alpha, RGB and RGBA tiles, on the standard library's zlib.

Pillow would write the same bytes, but it is not in the base install's
dependency closure (``pyproject.toml`` ``[project] dependencies``, followed
transitively), and a tile needs only what the PNG specification's minimal
file holds: the signature, ``IHDR``, one ``IDAT`` and ``IEND``. Each row is
filtered with the "Up" filter (the difference to the row above, one numpy
subtraction for the whole tile), which compresses smooth astronomical images
better than no filter, at zlib's fast level: a tile is made for one screen.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour type by channels: grey, grey+alpha, RGB, RGBA.
COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}
#: zlib's level: fast; tiles are made on demand for a screen.
LEVEL = 3
#: The filter type byte of PNG's "Up" filter.
UP = 2


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode(pixels: np.ndarray) -> bytes:
    """``pixels`` ((h, w) or (h, w, channels) uint8, 1 to 4 channels) as a PNG file's bytes."""
    if pixels.dtype != np.uint8:
        raise ValueError(f"PNG pixels must be uint8, not {pixels.dtype}")
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels not in COLOR_TYPES or height == 0 or width == 0:
        raise ValueError(f"cannot encode pixels of shape {pixels.shape} as PNG")
    rows = np.ascontiguousarray(pixels).reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), dtype=np.uint8)
    filtered[:, 0] = UP
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # uint8 arithmetic wraps, as PNG's
    header = struct.pack(">IIBBBBB", width, height, 8, COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(filtered.tobytes(), LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


__all__ = ["encode"]
