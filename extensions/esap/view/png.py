"""Tiles as PNG files, written by Pillow.

Pillow is in the base install (reproductions compare notebook images with
it), so tiles are encoded by it rather than by a PNG writer of our own.
zlib's fast level: a tile is made on demand for one screen, and a smaller
file is not worth the extra milliseconds on loopback.
"""

from __future__ import annotations

import io

import numpy as np

#: Pillow's mode by channels: grey, grey+alpha, RGB, RGBA.
MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # what Image.fromarray makes of each
#: zlib's level: fast; tiles are made on demand for a screen.
LEVEL = 3


def encode(pixels: np.ndarray) -> bytes:
    """``pixels`` ((h, w) or (h, w, channels) uint8, 1 to 4 channels) as a PNG file's bytes."""
    from PIL import Image

    if pixels.dtype != np.uint8:
        raise ValueError(f"PNG pixels must be uint8, not {pixels.dtype}")
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels not in MODES or height == 0 or width == 0:
        raise ValueError(f"cannot encode pixels of shape {pixels.shape} as PNG")
    flat = pixels if pixels.ndim == 2 or channels > 1 else pixels[:, :, 0]
    image = Image.fromarray(np.ascontiguousarray(flat))  # the mode follows the shape
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=LEVEL)
    return buffer.getvalue()


__all__ = ["encode"]
