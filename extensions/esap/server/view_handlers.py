"""``view/*``: the image and cube viewer's server side — tiles, pointer, grid, overlays, regions.

Every request names its file by ``path`` (in the home, by the path rule of
``esap.core.paths``) or by ``product`` (a remote product the ``view`` job
fetched into the viewer's cache, ``esap.view.products``), and optionally its
image ``hdu``. The file stays open (memory-mapped) between requests
(``esap.view.files.OpenFiles``); all the work runs on worker threads, so a
large tile never holds up the server's other requests.

``GET view/tile`` answers a PNG (``image/png``), the only binary answer of
the API; the rest are JSON. Catalogue rows for the overlay come from a
stored result (``esap.data.results``): the columns whose role is ``ra`` and
``dec``, placed on the image by ``esap.view``. This composition of two
capabilities happens here, in the face, so neither imports the other.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from tornado import web

from esap.core.errors import EsapError, FieldError
from esap.core.paths import user_path
from esap.server.answers import (
    ViewGridAnswer,
    ViewInfoAnswer,
    ViewLimitsAnswer,
    ViewOverlayAnswer,
    ViewRegionAnswer,
    ViewWorldAnswer,
)
from esap.server.base import EsapHandler
from esap.server.bodies import ViewOverlayBody, ViewRegionBody, ViewSourceBody
from esap.server.data_common import in_thread, result_store
from esap.view import sky, tiles, viewer
from esap.view.files import FitsImage, OpenFiles
from esap.view.products import product_path

#: Rows of a stored result read for an overlay at most (the first ones).
OVERLAY_ROWS = 200_000
#: Points an overlay answers at most (and by default).
POINTS_MAX = 50_000
POINTS_DEFAULT = 5_000
#: Whole numbers a query parameter may be (tile indices, planes): SQLite's and JSON's safe range.
INT_MAX = 2**31 - 1
#: Seconds a browser may keep a tile: its URL names the file's version (``v``).
TILE_CACHE = 3600
#: Where a stored result's positions are, when its columns have no roles (ObsCore, then common).
RA_NAMES = ("s_ra", "ra", "raj2000", "ra_icrs")
DEC_NAMES = ("s_dec", "dec", "dej2000", "decj2000", "de_icrs", "dec_icrs")


@functools.cache
def open_files() -> OpenFiles:
    """The images this server keeps open (one set per process)."""
    return OpenFiles()


class ViewHandler(EsapHandler):
    """The base of the viewer's handlers: the file a request names, opened."""

    @property
    def root(self) -> Path:
        return Path(self.settings.get("server_root_dir") or Path.home()).expanduser()

    def number(self, name: str, default: float | None = None) -> float | None:
        """The query argument ``name`` as a finite number, or a 400 naming it."""
        raw = self.get_argument(name, None)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or len(raw) > 40:
            raise FieldError(name, f"{raw[:40]!r}: not a number", f"give {name} as a number")
        return value

    def coordinate(self, name: str, default: float) -> float:
        """The query argument ``name`` as a pixel coordinate, ``default`` when not given."""
        value = self.number(name)
        return default if value is None else value

    def required(self, name: str) -> float:
        value = self.number(name)
        if value is None:
            raise FieldError(name, "missing", f"give {name}, a pixel coordinate (0-based)")
        return value

    def source_args(self) -> ViewSourceBody:
        """The file a GET names in its query (``path`` or ``product``, ``hdu``)."""
        given: dict[str, object] = {
            name: self.get_argument(name)
            for name in ("path", "product")
            if self.get_argument(name, None) is not None
        }
        if self.get_argument("hdu", None) is not None:
            given["hdu"] = self.integer("hdu", 0, 0, 9999)
        return ViewSourceBody.model_validate(given)

    async def image(self, source: ViewSourceBody) -> FitsImage:
        """The image the request names, opened (or reused) on a worker thread."""
        if (source.path is None) == (source.product is None):
            raise FieldError(
                "path",
                "give either path (a file in your home) or product (a fetched product)",
                "send path=<file.fits> or product=<id>",
            )
        if source.path is not None:
            path = user_path(source.path, self.root, field="path", allow_absolute=True)
            field = "path"
        else:
            path = await in_thread(lambda: product_path(source.product))
            field = "product"
        return await in_thread(lambda: open_files().get(path, source.hdu, field))


class InfoHandler(ViewHandler):
    """What the viewer needs to show a file."""

    @web.authenticated
    async def get(self) -> None:
        image = await self.image(self.source_args())
        self.write_answer(ViewInfoAnswer, await in_thread(lambda: viewer.describe(image)))


class LimitsHandler(ViewHandler):
    """The display range of a plane for an interval."""

    @web.authenticated
    async def get(self) -> None:
        image = await self.image(self.source_args())
        plane = self.integer("plane", 0, 0, INT_MAX)
        interval = self.get_argument("interval", "zscale")
        answer = await in_thread(lambda: viewer.limits(image, plane, interval))
        self.write_answer(ViewLimitsAnswer, answer)


class TileHandler(ViewHandler):
    """One PNG tile of the zoom pyramid."""

    @web.authenticated
    async def get(self) -> None:
        image = await self.image(self.source_args())
        plane = self.integer("plane", 0, 0, INT_MAX)
        level = self.integer("level", 0, 0, 40)
        tx = self.integer("x", 0, 0, INT_MAX)
        ty = self.integer("y", 0, 0, INT_MAX)
        low, high = self.number("vmin"), self.number("vmax")
        options = {
            "interval": self.get_argument("interval", "zscale"),
            "stretch": self.get_argument("stretch", "linear"),
            "colormap": self.get_argument("cmap", "gray"),
        }

        def render() -> bytes:
            scale = viewer.scale_of(image, plane, low=low, high=high, **options)
            return tiles.render(image, plane, level, tx, ty, scale)

        data = await in_thread(render)
        self.set_header("Cache-Control", f"private, max-age={TILE_CACHE}")
        self.finish(data, set_content_type="image/png")


class WorldHandler(ViewHandler):
    """The sky position, value and spectral value under the pointer."""

    @web.authenticated
    async def get(self) -> None:
        image = await self.image(self.source_args())
        x, y = self.required("x"), self.required("y")
        plane = self.integer("plane", 0, 0, INT_MAX)
        answer = await in_thread(lambda: sky.world(image, x, y, plane))
        self.write_answer(ViewWorldAnswer, answer)


class GridHandler(ViewHandler):
    """Coordinate grid lines over a pixel box, as polylines in pixel coordinates."""

    @web.authenticated
    async def get(self) -> None:
        image = await self.image(self.source_args())
        box = (
            self.coordinate("x0", -0.5),
            self.coordinate("y0", -0.5),
            self.coordinate("x1", image.nx - 0.5),
            self.coordinate("y1", image.ny - 0.5),
        )
        answer = await in_thread(lambda: sky.grid(image, box))
        self.write_answer(ViewGridAnswer, answer)


def _position_columns(columns: list[dict[str, Any]]) -> tuple[int, int]:
    """The indices of a stored result's RA and Dec columns (by role, then by name)."""
    names = [str(c.get("name", "")).lower() for c in columns]
    roles = [c.get("role") for c in columns]
    found = []
    for role, fallbacks in (("ra", RA_NAMES), ("dec", DEC_NAMES)):
        index = roles.index(role) if role in roles else None
        if index is None:
            index = next((names.index(n) for n in fallbacks if n in names), None)
        if index is None:
            raise FieldError(
                "result_id",
                "the result has no position columns (no column with the role ra/dec, "
                f"nor one named {' or '.join(fallbacks[:2])})",
                "overlay a result of a positional search (a cone search, ObsCore, a catalogue)",
            )
        found.append(index)
    return found[0], found[1]


def _positions(result_id: str) -> tuple[list[Any], list[Any], int]:
    """The RA and Dec of a stored result's first rows, and its row count."""
    store = result_store()
    try:
        stored = store.describe(result_id)
    except EsapError as exc:  # no such result (never stored, or dropped from the cache)
        raise exc.at("result_id") from None
    ra_index, dec_index = _position_columns(stored.columns)
    ra: list[Any] = []
    dec: list[Any] = []
    for chunk in store.iter_rows(result_id):
        for row in chunk:
            ra.append(row[ra_index])
            dec.append(row[dec_index])
        if len(ra) >= OVERLAY_ROWS:
            break
    return ra[:OVERLAY_ROWS], dec[:OVERLAY_ROWS], stored.total


class OverlayHandler(ViewHandler):
    """A stored result's rows placed on the image (the rows with positions)."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(ViewOverlayBody)
        image = await self.image(body)
        limit = POINTS_DEFAULT if body.limit is None else body.limit
        if not 1 <= limit <= POINTS_MAX:
            raise FieldError("limit", f"{limit}: out of range", f"give 1 to {POINTS_MAX}")
        ra, dec, total = await in_thread(lambda: _positions(body.result_id))
        placed = await in_thread(lambda: viewer.overlay(image, ra, dec, limit))
        placed.update(result_id=body.result_id, total=total, read=len(ra))
        self.write_answer(ViewOverlayAnswer, placed)


class RegionHandler(ViewHandler):
    """A selection drawn on the image (box or circle, pixels) as a region of the sky."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(ViewRegionBody)
        image = await self.image(body)
        plane = body.plane or 0
        corners = (body.x0, body.y0, body.x1, body.y1)
        answer = await in_thread(lambda: sky.region(image, body.shape, corners, plane))
        self.write_answer(ViewRegionAnswer, answer)


default_handlers = [
    ("view/info", InfoHandler),
    ("view/limits", LimitsHandler),
    ("view/tile", TileHandler),
    ("view/world", WorldHandler),
    ("view/grid", GridHandler),
    ("view/overlay", OverlayHandler),
    ("view/region", RegionHandler),
]
