"""The zoom pyramid: which pixels a tile shows, read and reduced, rendered as a PNG.

Level 0 shows the image at one screen pixel per image pixel; level ``n``
halves that ``n`` times (a tile of level ``n`` covers ``256 * 2**n`` image
pixels a side). The lab asks for the tiles of the level that fits its zoom
and only those on screen, so what the server reads follows what is looked
at, not the file's size. Zooming in past level 0 is the browser's: it
draws level-0 tiles larger.

Tiles are counted from the image's top-left corner as displayed: FITS
images have their first row at the bottom (y up, north up for most
images), so a tile's rows are read bottom-up and flipped.

Reducing a block of ``f x f`` pixels to one: the block's mean (NaN-aware)
up to :data:`MEAN_MAX`, which keeps faint extended emission visible and
reads every pixel of the block; past it, one pixel per block (striding),
which reads ``1/f`` of the rows — an overview of a huge plane costs a few
pages per row shown. ``scipy.ndimage.zoom`` and ``skimage.transform``
were considered; neither is a dependency and both read the whole block.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from esap.core.errors import FieldError
from esap.view.files import FitsImage
from esap.view.png import encode
from esap.view.scaling import to_pixels

#: A tile's size in screen pixels (what the lab draws).
TILE = 256
#: Largest reduction factor done by block mean; past it, by striding.
MEAN_MAX = 8


def levels(image: FitsImage) -> int:
    """The coarsest level: the one at which the whole image fits in one tile."""
    largest = max(image.nx, image.ny)
    return max(0, math.ceil(math.log2(largest / TILE))) if largest > TILE else 0


def tiles_at(image: FitsImage, level: int) -> tuple[int, int]:
    """How many tiles across and down the image is at ``level``."""
    span = TILE * 2**level
    return math.ceil(image.nx / span), math.ceil(image.ny / span)


@dataclass(frozen=True)
class Scale:
    """How values become pixels: the display range, the stretch and the colour map."""

    low: float
    high: float
    stretch: str = "linear"
    colormap: str = "gray"


def _reduce_mean(values: np.ndarray, factor: int) -> np.ndarray:
    """Block means of ``factor x factor`` pixels (a partial block at an edge: its own mean)."""
    height, width = values.shape
    out_h, out_w = math.ceil(height / factor), math.ceil(width / factor)
    padded = np.full((out_h * factor, out_w * factor), np.nan, dtype=np.float32)
    padded[:height, :width] = values
    blocks = padded.reshape(out_h, factor, out_w, factor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-blank block is NaN, as wanted
        return np.asarray(np.nanmean(blocks, axis=(1, 3)), dtype=np.float32)


def tile_pixels(image: FitsImage, plane: int, level: int, tx: int, ty: int) -> np.ndarray:
    """The float values a tile shows (rows top-down as displayed); at most 256x256."""
    across, down = tiles_at(image, level)
    for name, index, count in (("x", tx, across), ("y", ty, down)):
        if not 0 <= index < count:
            raise FieldError(
                name,
                f"{index}: the image is {across}x{down} tiles at level {level}",
                f"give {name} from 0 to {count - 1}",
            )
    factor = 2**level
    span = TILE * factor
    col0, col1 = tx * span, min((tx + 1) * span, image.nx)
    # display rows (0 = top) of the tile, and the data rows (0 = bottom) they are
    top, bottom = ty * span, min((ty + 1) * span, image.ny)
    row0, row1 = image.ny - bottom, image.ny - top
    if factor <= MEAN_MAX:
        values = image.read(plane, slice(row0, row1), slice(col0, col1))[::-1]
        return values if factor == 1 else _reduce_mean(values, factor)
    # one pixel per block, from the block's middle; data rows run bottom-up, so flip them
    rows = _strided(row0, row1, factor)
    return image.read(plane, rows, _strided(col0, col1, factor))[::-1]


def _strided(start: int, stop: int, factor: int) -> slice:
    """Every ``factor``-th index of ``start:stop``, one per block, near the blocks' middles.

    As many indices as blocks (a partial block at the end included), all
    inside the range: the offset into each block is its middle, or less
    where the last block is too short for it.
    """
    count = math.ceil((stop - start) / factor)
    offset = min(factor // 2, stop - start - 1 - (count - 1) * factor)
    return slice(start + offset, stop, factor)


def render(image: FitsImage, plane: int, level: int, tx: int, ty: int, scale: Scale) -> bytes:
    """One tile as PNG bytes."""
    values = tile_pixels(image, plane, level, tx, ty)
    return encode(to_pixels(values, scale.low, scale.high, scale.stretch, scale.colormap))


def overview(image: FitsImage, plane: int, scale: Scale, size: int = 512) -> bytes:
    """The whole plane reduced to at most ``size`` pixels a side, as one PNG (notebooks)."""
    factor = max(1, math.ceil(max(image.nx, image.ny) / size))
    if factor <= MEAN_MAX:
        values = _reduce_mean(image.read(plane, slice(0, image.ny), slice(0, image.nx)), factor)
    else:
        rows, cols = _strided(0, image.ny, factor), _strided(0, image.nx, factor)
        values = image.read(plane, rows, cols)
    return encode(to_pixels(values[::-1], scale.low, scale.high, scale.stretch, scale.colormap))


__all__ = ["MEAN_MAX", "TILE", "Scale", "levels", "overview", "render", "tile_pixels", "tiles_at"]
