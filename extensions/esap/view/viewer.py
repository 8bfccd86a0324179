"""One opened image as every face sees it: its description, tiles, pointer, grid, overlays.

The REST handlers (``esap.server.view_handlers``) and the notebook
(``esap.view.open``) call the same functions here, so the lab's viewer and
a notebook describe a file, place a catalogue row or convert a selection
the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from esap.core.errors import FieldError
from esap.view import sky, tiles
from esap.view.files import FitsImage
from esap.view.scaling import COLORMAPS, INTERVALS, STRETCHES


def describe(image: FitsImage) -> dict[str, Any]:
    """What the viewer needs to show a file: size, planes, levels, WCS (or why not), header."""
    found = image.sky()
    stat = image.path.stat()
    spectral = found.spectral
    return {
        "name": image.path.name,
        "hdu": image.hdu_index,
        "hdus": [
            {
                "index": h.index,
                "name": h.name,
                "kind": h.kind,
                "shape": h.shape,
                "image": h.image,
            }
            for h in image.hdus
        ],
        "shape": image.shape,
        "width": image.nx,
        "height": image.ny,
        "planes": image.planes,
        "bitpix": image.bitpix,
        "bunit": image.bunit,
        "memory_mapped": image.memory_mapped,
        "tile_size": tiles.TILE,
        "levels": tiles.levels(image),
        "wcs": None if found.celestial is None else {"frame": found.frame, "ctypes": found.ctypes},
        "no_wcs": found.reason,
        "spectral": None
        if spectral is None
        else {
            "ctype": spectral.ctype,
            "unit": spectral.unit,
            "values": spectral.values,
            "wavelengths": spectral.wavelengths,
        },
        "header": image.header_text(),
        "notes": [*image.notes, *found.notes],
        "version": f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
    }


def choice(value: str, allowed: Sequence[str], field: str) -> str:
    """``value`` if it is one of ``allowed``, else a 400 naming them."""
    if value not in allowed:
        raise FieldError(field, f"{value[:40]!r}: unknown", f"use one of {', '.join(allowed)}")
    return value


def scale_of(
    image: FitsImage,
    plane: int,
    *,
    interval: str = "zscale",
    stretch: str = "linear",
    colormap: str = "gray",
    low: float | None = None,
    high: float | None = None,
) -> tiles.Scale:
    """The scale of a tile: the interval's range of the plane, unless ``low``/``high`` are given."""
    choice(interval, INTERVALS, "interval")
    choice(stretch, STRETCHES, "stretch")
    choice(colormap, COLORMAPS, "cmap")
    if (low is None) != (high is None):
        raise FieldError(
            "vmin" if low is None else "vmax",
            "missing while the other is given",
            "give both vmin and vmax, or neither (the interval's range)",
        )
    if low is None or high is None:
        low, high = image.limits(plane, interval)
    elif not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise FieldError("vmax", f"{high} is not above vmin {low}", "give vmin < vmax")
    return tiles.Scale(low, high, stretch, colormap)


def limits(image: FitsImage, plane: int, interval: str) -> dict[str, Any]:
    """The display range of a plane for an interval."""
    choice(interval, INTERVALS, "interval")
    image.plane_index(plane)
    low, high = image.limits(plane, interval)
    return {"plane": plane, "interval": interval, "vmin": low, "vmax": high}


def floats(values: Sequence[Any]) -> np.ndarray:
    """Cells as floats: NaN for what is no number (None, masked, text)."""
    found = np.full(len(values), np.nan)
    for index, value in enumerate(values):
        if value is None or value is np.ma.masked:
            continue
        try:
            found[index] = float(value)
        except (TypeError, ValueError):
            continue
    return found


def overlay(image: FitsImage, ra: Sequence[Any], dec: Sequence[Any], limit: int) -> dict[str, Any]:
    """Rows with positions placed on the image: ``points`` ``{row, x, y}`` (0-based pixels)."""
    if len(ra) != len(dec):
        raise FieldError("dec", f"{len(dec)} values for {len(ra)} of ra", "give one dec per ra")
    index, xs, ys = sky.project(image, floats(ra), floats(dec))
    points = [
        {"row": int(i), "x": round(float(x), 3), "y": round(float(y), 3)}
        for i, x, y in zip(index[:limit], xs[:limit], ys[:limit], strict=True)
    ]
    return {"total": len(ra), "shown": len(points), "on_image": int(index.size), "points": points}


__all__ = ["choice", "describe", "floats", "limits", "overlay", "scale_of"]
