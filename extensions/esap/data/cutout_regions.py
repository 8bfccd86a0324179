"""A cutout's region: what to cut (a circle or a box, a band, a time range), checked before asking.

:mod:`esap.data.cutouts` fetches and writes a cutout; this module only says
whether a region is one (:class:`BadRegion`), whether the product covers it
(:class:`OutsideProduct`, :class:`BandOutside`), whether its service can cut
along each axis asked for (:class:`AxisNotOffered`), and how the region is
put to a SODA service (:func:`constraints`).

The overlap test is plane geometry on the sky's tangent plane at the
region's centre (astropy projects the footprint): the ``regions`` package
needs a WCS and spherical polygon libraries are not dependencies here, and
a footprint's few vertices need no more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esap.core.errors import FieldError
from esap.data.soda import Domain

#: Beyond this distance (degrees) from the centre the tangent plane is no footprint check.
PLANE_LIMIT = 60.0


class BadRegion(FieldError):
    """The region asked for is not one: a radius of zero, a box without a side, a bad position."""

    code = "bad_region"


class OutsideProduct(FieldError):
    """The region lies outside what the product covers on the sky."""

    code = "outside_product"


class BandOutside(FieldError):
    """The band (or time range) lies outside what the cube spans."""

    code = "band_outside"


class AxisNotOffered(FieldError):
    """The product's SODA service cannot cut along this axis (a band of a 2D image)."""

    code = "axis_not_offered"


@dataclass(frozen=True)
class Region:
    """What to cut: a circle (``radius``) or a box (``box``: width, height), degrees, ICRS.

    ``band`` is a wavelength range in metres, ``time`` an MJD range.
    """

    ra: float
    dec: float
    radius: float | None = None
    box: tuple[float, float] | None = None
    band: tuple[float, float] | None = None
    time: tuple[float, float] | None = None

    @property
    def reach(self) -> float:
        """How far (degrees) the region reaches from its centre."""
        if self.box is not None:
            return math.hypot(self.box[0], self.box[1]) / 2
        return self.radius or 0.0

    def describe(self) -> str:
        """The region in words, for messages and a basket item's title."""
        where = f"({self.ra:.5f}, {self.dec:+.5f})"
        shape = (
            f"box {self.box[0]:g}° x {self.box[1]:g}° at {where}"
            if self.box is not None
            else f"circle of radius {self.radius:g}° at {where}"
        )
        if self.band is not None:
            shape += f", band {self.band[0]:.4g} to {self.band[1]:.4g} m"
        if self.time is not None:
            shape += f", MJD {self.time[0]:g} to {self.time[1]:g}"
        return shape

    def as_dict(self) -> dict[str, Any]:
        """The region as a job's params keep it (JSON)."""
        return {
            "ra": self.ra,
            "dec": self.dec,
            "radius": self.radius,
            "box": list(self.box) if self.box is not None else None,
            "band": list(self.band) if self.band is not None else None,
            "time": list(self.time) if self.time is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Region:
        """A region back from :meth:`as_dict` (checked again)."""
        return region(
            data["ra"],
            data["dec"],
            data.get("radius"),
            box=data.get("box"),
            band=data.get("band"),
            time=data.get("time"),
        )


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise BadRegion(name, f"{value!r} is not a number", f"give {name} in degrees") from None
    number = float(value)
    if not math.isfinite(number):
        raise BadRegion(name, f"{value!r} is not a finite number", f"give {name} in degrees")
    return number


def _pair(value: Any, name: str, unit: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise BadRegion(
            name, f"{value!r} is not two numbers", f"give {name} as [low, high] in {unit}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise BadRegion(
            name, f"[{low:g}, {high:g}] is no range", f"give {name} as [low, high] with low < high"
        )
    return (low, high)


def region(
    ra: Any,
    dec: Any,
    radius: Any = None,
    *,
    box: Any = None,
    band: Any = None,
    time: Any = None,
) -> Region:
    """A checked :class:`Region`; :class:`BadRegion` names the field at fault."""
    ra_deg = _number(ra, "ra")
    dec_deg = _number(dec, "dec")
    if not 0.0 <= ra_deg < 360.0:
        ra_deg %= 360.0
    if not -90.0 <= dec_deg <= 90.0:
        raise BadRegion("dec", f"{dec_deg:g} is not a declination", "give dec between -90 and 90")
    if (radius is None) == (box is None):
        raise BadRegion(
            "radius",
            "give either a radius (a circle) or a box (width, height), "
            + ("not both" if radius is not None else "neither was given"),
            "e.g. radius=0.05 (degrees), or box=(0.1, 0.05)",
        )
    size: tuple[float, float] | None = None
    circle: float | None = None
    if radius is not None:
        circle = _number(radius, "radius")
        if circle <= 0:
            raise BadRegion(
                "radius",
                f"a radius of {circle:g}° cuts out nothing",
                "give a radius greater than 0, in degrees (e.g. 0.05 for 3 arcminutes)",
            )
        if circle >= 90:
            raise BadRegion("radius", f"a radius of {circle:g}° is a hemisphere", "download it")
    else:
        try:
            width, height = (_number(v, "box") for v in box)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, BadRegion):
                raise
            raise BadRegion(
                "box", f"{box!r} is not (width, height)", "give box as (width, height) in degrees"
            ) from None
        if width <= 0 or height <= 0 or width >= 180 or height >= 180:
            raise BadRegion(
                "box",
                f"a box of {width:g}° x {height:g}° cuts out nothing"
                if min(width, height) <= 0
                else f"a box of {width:g}° x {height:g}° is too large",
                "give width and height greater than 0 (and under 180), in degrees",
            )
        size = (width, height)
    band_m = _pair(band, "band", "metres")
    if band_m is not None and band_m[0] <= 0:
        raise BadRegion(
            "band", "wavelengths are positive", "give band in metres, e.g. [6.5e-7, 6.6e-7]"
        )
    return Region(ra_deg, dec_deg, circle, size, band_m, _pair(time, "time", "MJD"))


# ----------------------------------------------------------- checks, geometry


def _offsets(ra: float, dec: float, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points as (east, north) offsets in degrees on the tangent plane at (ra, dec) (astropy)."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    centre = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
    others = SkyCoord([p[0] for p in points] * u.deg, [p[1] for p in points] * u.deg, frame="icrs")
    east, north = centre.spherical_offsets_to(others)
    return list(zip(east.deg.tolist(), north.deg.tolist(), strict=True))


def _inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    """Whether ``point`` lies inside ``polygon`` (even-odd rule)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _distance_to_segment(
    point: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _separated(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Whether two polygons are disjoint: some edge normal separates them (SAT).

    Exact for convex polygons (footprints, boxes); for a concave one it may
    miss a separation, and then the service has the last word.
    """
    for polygon in (a, b):
        for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
            nx, ny = y1 - y2, x2 - x1
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            if max(pa) < min(pb) or max(pb) < min(pa):
                return True
    return False


def _misses(chosen: Region, footprint: tuple[tuple[float, float], ...]) -> bool | None:
    """Whether the region misses the footprint; None where the plane says nothing safe."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    centre = SkyCoord(chosen.ra * u.deg, chosen.dec * u.deg, frame="icrs")
    corners = SkyCoord([p[0] for p in footprint] * u.deg, [p[1] for p in footprint] * u.deg)
    if max(centre.separation(corners).deg) > PLANE_LIMIT:
        return None
    polygon = _offsets(chosen.ra, chosen.dec, list(footprint))
    if chosen.box is not None:
        w, h = chosen.box[0] / 2, chosen.box[1] / 2
        return _separated(polygon, [(-w, -h), (w, -h), (w, h), (-w, h)])
    if _inside((0.0, 0.0), polygon):
        return False
    radius = chosen.radius or 0.0
    edges = zip(polygon, polygon[1:] + polygon[:1], strict=True)
    return min(_distance_to_segment((0.0, 0.0), a, b) for a, b in edges) >= radius


def check(chosen: Region, domain: Domain, product: str) -> None:
    """Refuse a region the service declares it cannot cut (see the module docstring)."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    missing = None
    if domain.footprint is not None:
        missing = _misses(chosen, domain.footprint)
    if missing is None and domain.covering is not None:
        ra, dec, radius = domain.covering
        apart = SkyCoord(chosen.ra * u.deg, chosen.dec * u.deg).separation(
            SkyCoord(ra * u.deg, dec * u.deg)
        )
        missing = apart.deg >= radius + chosen.reach
    if missing:
        covers = (
            f"it covers the circle of radius {domain.covering[2]:.4g}° around "
            f"({domain.covering[0]:.5f}, {domain.covering[1]:+.5f})"
            if domain.covering
            else "see its footprint (s_region)"
        )
        raise OutsideProduct(
            "ra",
            f"the {chosen.describe()} lies outside {product}: {covers}",
            "choose a position inside the product (its s_ra/s_dec is a safe centre), "
            "or a larger radius",
        )
    _check_axis(chosen.band, "band", domain.band, product, "m")
    _check_axis(chosen.time, "time", domain.time, product, "MJD")


def _check_axis(
    wanted: tuple[float, float] | None,
    field: str,
    spans: tuple[float, float] | None,
    product: str,
    unit: str,
) -> None:
    """Refuse a range that misses all of what the product spans (a partial overlap is cut)."""
    if wanted is None or spans is None:
        return
    low, high = wanted
    if high < spans[0] or low > spans[1]:
        raise BandOutside(
            field,
            f"{low:.4g} to {high:.4g} {unit} lies outside {product}, which spans "
            f"{spans[0]:.4g} to {spans[1]:.4g} {unit}",
            f"choose a {field} range that overlaps {spans[0]:.4g} to {spans[1]:.4g} {unit}",
        )


def offered(chosen: Region, domain: Domain, product: str) -> None:
    """Refuse an axis the service does not cut (a band of an image, a time range)."""
    for wanted, field, param, what in (
        (chosen.band, "band", "BAND", "a spectral axis (BAND: cubes have one, images not)"),
        (chosen.time, "time", "TIME", "a time axis (TIME)"),
    ):
        if wanted is not None and param not in domain.params:
            raise AxisNotOffered(
                field,
                f"{product} cannot be cut along {what}: its SODA service takes no {param}",
                f"leave {field} out",
            )
    shapes = {"CIRCLE", "POS"} if chosen.box is None else {"POS", "POLYGON"}
    if not shapes & domain.params:
        raise AxisNotOffered(
            "box" if chosen.box is not None else "radius",
            f"{product}'s SODA service takes none of {', '.join(sorted(shapes))}, so it cannot "
            f"cut a {'box' if chosen.box is not None else 'circle'}",
            "try the other shape, or download the whole product",
        )


def constraints(chosen: Region, domain: Domain) -> dict[str, Any]:
    """The SODA parameters of ``chosen``, as pyvo's ``SodaQuery.from_resource`` takes them."""
    asked: dict[str, Any] = {}
    ra, dec = chosen.ra, chosen.dec
    if chosen.box is None:
        radius = chosen.radius or 0.0
        if "CIRCLE" in domain.params:
            asked["circle"] = (ra, dec, radius)
        else:
            asked["POS"] = f"CIRCLE {ra!r} {dec!r} {radius!r}"
    else:
        width, height = chosen.box
        low, high = dec - height / 2, dec + height / 2
        cos = math.cos(math.radians(max(abs(low), abs(high))))
        half = width / 2 / cos if cos > 0 else 180.0
        wraps = ra - half < 0 or ra + half > 360 or half >= 180 or abs(low) > 90 or abs(high) > 90
        if "POS" in domain.params and not wraps:
            asked["POS"] = f"RANGE {ra - half!r} {ra + half!r} {low!r} {high!r}"
        else:
            asked["POLYGON"] = _box_polygon(chosen)
    if chosen.band is not None:
        asked["band"] = chosen.band
    if chosen.time is not None:
        asked["TIME"] = list(chosen.time)
    return asked


def _box_polygon(chosen: Region) -> list[float]:
    """The box as a polygon on the sky: corners and the midpoints of top and bottom.

    Six vertices, not four: pyvo 1.9 checks a polygon's value count to be
    a multiple of three (it should be of two), and twelve values pass.
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    assert chosen.box is not None
    w, h = chosen.box[0] / 2, chosen.box[1] / 2
    centre = SkyCoord(chosen.ra * u.deg, chosen.dec * u.deg, frame="icrs")
    offsets = [(-w, -h), (0.0, -h), (w, -h), (w, h), (0.0, h), (-w, h)]
    flat: list[float] = []
    for east, north in offsets:
        point = centre.spherical_offsets_by(east * u.deg, north * u.deg)
        flat += [float(point.ra.deg), float(point.dec.deg)]
    return flat


__all__ = [
    "PLANE_LIMIT",
    "AxisNotOffered",
    "BadRegion",
    "BandOutside",
    "OutsideProduct",
    "Region",
    "check",
    "constraints",
    "offered",
    "region",
]
