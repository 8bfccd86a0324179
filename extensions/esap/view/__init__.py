"""Look at FITS images and cubes: a server-side tile renderer, whatever the file's size.

The notebook face::

    import esap
    image = esap.view.open("data/m31.fits")   # memory-mapped; nothing read yet
    image                                       # a zscale overview, shown by Jupyter
    image.info["planes"], image.info["no_wcs"]
    image.world(120.5, 80)                      # RA/Dec (and value) at a pixel
    image.project(table["ra"], table["dec"])    # catalogue rows as pixels
    esap.view.open(basket_item)                 # a remote product: fetched once, cached

Why a tile renderer on the user's server, and not the browser: Aladin Lite
(which the lab ships) reads a FITS file by loading all of it into the
browser, which a 2 GB cube does not survive and a 500 MB image makes slow;
JS9 needs a helper server of its own beside Jupyter's. Here the user's
jupyter-server opens the file with astropy, memory-mapped
(``esap.view.files``), so a view reads only the pages of the rows it shows
and one plane of a cube at a time; the display range is astropy's zscale
or percentile interval on a sample of the plane, stretched by astropy
(``esap.view.scaling``); PNG tiles of a zoom pyramid are made for what is on
screen (``esap.view.tiles``); and every sky coordinate — under the pointer,
the grid's lines, catalogue rows, a selection for a cutout — is computed by
astropy.wcs (``esap.view.sky``). The browser only draws.

The same functions serve the lab's viewer through the REST API
(``esap.server.view_handlers``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from esap.view.files import FitsImage, OpenFiles, open_fits

__all__ = ["FitsImage", "OpenFiles", "View", "open"]


class View:
    """An image or cube opened for viewing (memory-mapped): describe it, render it, place rows."""

    def __init__(self, image: FitsImage) -> None:
        self.image = image

    @property
    def info(self) -> dict[str, Any]:
        """Size, planes, BITPIX, the WCS or why there is none, the spectral axis, the header."""
        from esap.view.viewer import describe

        return describe(self.image)

    @property
    def header(self) -> str:
        """The header's cards as text."""
        return self.image.header_text()

    def world(self, x: float, y: float, plane: int = 0) -> dict[str, Any]:
        """RA/Dec (ICRS), the value and, for a cube, the spectral value at 0-based pixel (x, y)."""
        from esap.view.sky import world

        return world(self.image, x, y, plane)

    def grid(self, box: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
        """Coordinate grid lines over a pixel box (default: the whole image) as pixel polylines."""
        from esap.view.sky import grid

        chosen = box or (-0.5, -0.5, self.image.nx - 0.5, self.image.ny - 0.5)
        return grid(self.image, chosen)

    def project(
        self, ra: Sequence[float | None], dec: Sequence[float | None], limit: int = 100_000
    ) -> dict[str, Any]:
        """ICRS positions (degrees) as 0-based pixels; those off the image are left out."""
        from esap.view.viewer import overlay

        return overlay(self.image, list(ra), list(dec), limit)

    def region(
        self, shape: str, corners: tuple[float, float, float, float], plane: int = 0
    ) -> dict[str, Any]:
        """A box (two corners) or circle (centre, edge point) in pixels as a region of the sky."""
        from esap.view.sky import region

        return region(self.image, shape, corners, plane)

    def png(
        self,
        plane: int = 0,
        *,
        interval: str = "zscale",
        stretch: str = "linear",
        cmap: str = "gray",
        size: int = 512,
    ) -> bytes:
        """The plane as one PNG of at most ``size`` pixels a side."""
        from esap.view.tiles import overview
        from esap.view.viewer import scale_of

        scale = scale_of(self.image, plane, interval=interval, stretch=stretch, colormap=cmap)
        return overview(self.image, plane, scale, size)

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        image = self.image
        sky = image.sky()
        wcs = f"WCS {sky.frame}" if sky.celestial is not None else f"no WCS: {sky.reason}"
        planes = f", {image.planes} planes" if image.planes > 1 else ""
        return (
            f"<esap.view {image.path.name} HDU {image.hdu_index}: {image.nx}x{image.ny}"
            f"{planes}, BITPIX {image.bitpix}, {wcs}>"
        )


def open(
    source: str | os.PathLike[str] | Mapping[str, Any] | Any, *, hdu: int | None = None
) -> View:
    """Open a FITS image or cube for viewing: a path, or a basket item / row with ``access_url``.

    A path is read where it is (relative to the notebook's folder): the
    kernel may read any file its user can, so no folder is ruled out here
    (the REST API, which a browser drives, keeps to the home). A remote
    product is fetched once into the viewer's cache (``esap.view.products``)
    and opened from there.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source).expanduser().resolve()
    else:
        from esap.view.products import fetch_product, item_of

        fields = dict(source) if isinstance(source, Mapping) else dict(vars(source))
        _, path = fetch_product(item_of(fields))
    return View(open_fits(path, hdu=hdu, field_name="source"))
