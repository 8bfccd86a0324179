"""Every sky coordinate the viewer shows, computed with astropy.wcs: the browser only draws.

Pixel to world under the pointer, the lines of a coordinate grid as
polylines in pixel coordinates, catalogue rows placed on the image, and a
selection on the image as a cone or box on the sky: each is astropy's
``WCS`` (with SIP and other distortions, ``all_pix2world``) and
``SkyCoord`` (frames), never a projection re-implemented in the browser.
Aladin Lite can project too, but only its own HiPS/FITS layers, and the
viewer's tiles are the server's.

A header without a usable celestial WCS is not an error: :class:`Sky`
then holds the reason (no ``CTYPE`` keywords, axes that are not
celestial, keywords astropy refuses), which the viewer shows as
"no WCS: <reason>" beside pixel coordinates and values. For a cube the
third axis's world values (wavelength, frequency, velocity...) come from
the same WCS.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from esap.core.errors import EsapError, FieldError

if TYPE_CHECKING:
    from esap.view.files import FitsImage

#: Grid spacings in degrees of latitude (and of longitude off the equatorial frame).
_ARCSEC = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800)
DEGREE_STEPS: tuple[float, ...] = (
    *(s / 3600 for s in _ARCSEC),
    *(1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 90.0),
)
#: Grid spacings of right ascension, in seconds of time (15 arcsec each).
_SECONDS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600)
RA_STEPS_S: tuple[float, ...] = (*_SECONDS, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600)
#: The signs of arcminutes and arcseconds.
PRIME, DOUBLE = "\N{PRIME}", "\N{DOUBLE PRIME}"
#: Lines a grid aims for along each axis.
GRID_LINES = 5
#: Points per grid line.
GRID_POINTS = 64


class NoWcs(EsapError):
    """What needs sky coordinates was asked of an image without a usable WCS."""

    status = 422
    code = "no_wcs"


@dataclass
class Spectral:
    """The third axis's world values, one per plane."""

    ctype: str
    unit: str
    values: list[float]
    #: The same as wavelengths in metres, where the axis is spectral (SODA's BAND is in metres).
    wavelengths: list[float] | None = None


@dataclass
class Sky:
    """An image's celestial WCS (or why there is none) and its cube's spectral axis."""

    celestial: Any = None
    reason: str | None = None
    frame: str | None = None
    ctypes: list[str] = field(default_factory=list)
    spectral: Spectral | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, image: FitsImage) -> Sky:
        """Read an image's WCS from its header; never raises for a bad or missing WCS."""
        from astropy.wcs import WCS

        header = image.header
        found = cls()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                wcs = WCS(header, relax=True, fix=True)
            except Exception as exc:  # astropy raises many kinds for a header it refuses
                found.reason = f"astropy cannot read the header's WCS ({exc})"
                return found
        found.notes = sorted({_one_line(str(w.message)) for w in caught})[:5]
        found.ctypes = [str(c) for c in wcs.wcs.ctype]
        if not any(found.ctypes):
            found.reason = "the header has no WCS keywords (CTYPE1, CTYPE2, CRVAL...)"
        elif not wcs.has_celestial:
            found.reason = (
                f"the axes are {', '.join(repr(c) for c in found.ctypes)}: none is a sky "
                "coordinate (RA/DEC, GLON/GLAT, ELON/ELAT)"
            )
        elif sorted((wcs.wcs.lng, wcs.wcs.lat)) != [0, 1]:
            found.reason = (
                "the sky axes are not the image's first two axes "
                f"(they are axes {wcs.wcs.lng + 1} and {wcs.wcs.lat + 1})"
            )
        else:
            found.celestial = wcs.celestial
            found.frame = _frame_name(found.celestial)
            try:
                found.celestial.pixel_to_world(image.nx / 2, image.ny / 2)
            except Exception as exc:  # a projection that cannot place its own centre
                found.celestial, found.reason = None, f"the WCS cannot be evaluated ({exc})"
        if image.planes > 1 and wcs.naxis >= 3 and found.ctypes[2:3] != [""]:
            found.spectral = _spectral(wcs, image.planes)
        return found

    def require(self) -> Any:
        """The celestial WCS, or :class:`NoWcs` saying why there is none."""
        if self.celestial is None:
            raise NoWcs(
                f"the image has no usable sky coordinates: {self.reason}",
                "catalogue rows and sky selections need a WCS in the FITS header",
            )
        return self.celestial


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _frame_name(celestial: Any) -> str:
    """The celestial frame's astropy name (icrs, fk5, galactic...)."""
    from astropy.wcs.utils import wcs_to_celestial_frame

    try:
        return str(wcs_to_celestial_frame(celestial).name)
    except ValueError:
        return "unknown"


def _spectral(wcs: Any, planes: int) -> Spectral | None:
    """The third axis's world value at every plane (None when astropy cannot give them)."""
    import astropy.units as u

    try:
        axis = wcs.sub([3])
        values = np.asarray(axis.all_pix2world(np.arange(planes, dtype=float), 0)[0])
    except Exception:  # a third axis the WCS cannot evaluate: planes are shown by number
        return None
    unit = str(axis.wcs.cunit[0])
    ctype = str(axis.wcs.ctype[0])
    wavelengths = None
    try:
        metres = (values * u.Unit(unit)).to(u.m, equivalencies=u.spectral())
        wavelengths = [float(v) for v in metres.value]
    except (ValueError, u.UnitsError):  # velocity, time, a channel number: no band
        wavelengths = None
    return Spectral(ctype, unit, [float(v) for v in values], wavelengths)


# ---------------------------------------------------------------- pointer


def world(image: FitsImage, x: float, y: float, plane: int = 0) -> dict[str, Any]:
    """What the viewer shows under the pointer at 0-based pixel (x, y) of ``plane``."""
    sky = image.sky()
    image.plane_index(plane)
    answer: dict[str, Any] = {
        "x": x,
        "y": y,
        "plane": plane,
        "value": image.value(plane, x, y),
        "unit": image.bunit,
        "world": None,
        "no_wcs": sky.reason,
    }
    if sky.spectral is not None:
        answer["spectral"] = {
            "value": sky.spectral.values[plane],
            "unit": sky.spectral.unit,
            "ctype": sky.spectral.ctype,
        }
    if sky.celestial is None:
        return answer
    coord = sky.celestial.pixel_to_world(x, y)
    icrs = coord.icrs
    ra, dec = float(icrs.ra.deg), float(icrs.dec.deg)
    if not (math.isfinite(ra) and math.isfinite(dec)):
        answer["world"] = None
        return answer
    found: dict[str, Any] = {
        "ra": ra,
        "dec": dec,
        "ra_hms": str(icrs.ra.to_string(unit="hourangle", sep=":", precision=2, pad=True)),
        "dec_dms": str(
            icrs.dec.to_string(unit="deg", sep=":", precision=1, pad=True, alwayssign=True)
        ),
        "frame": sky.frame,
    }
    if sky.frame not in ("icrs", "fk5", "fk4", "fk4noeterms"):
        spherical = coord.spherical
        found["lon"], found["lat"] = float(spherical.lon.deg), float(spherical.lat.deg)
    answer["world"] = found
    return answer


# ---------------------------------------------------------------- grid


def _nice(span: float, steps: tuple[float, ...]) -> float:
    """The first step that cuts ``span`` into at most :data:`GRID_LINES` pieces."""
    for step in steps:
        if span / step <= GRID_LINES:
            return step
    return steps[-1]


def _label_ra(value: float, step_s: float) -> str:
    seconds_total = (value % 360.0) / 15.0 * 3600.0
    hours = int(seconds_total // 3600)
    minutes = int((seconds_total % 3600) // 60)
    seconds = seconds_total % 60
    if step_s >= 3600:
        return f"{hours % 24}h"
    if step_s >= 60:
        return f"{hours % 24}h{round(minutes + seconds / 60) % 60:02d}m"
    digits = 0 if step_s >= 1 else (1 if step_s >= 0.1 else 2)
    text = f"{seconds:0{3 + digits if digits else 2}.{digits}f}"
    return f"{hours % 24}h{minutes:02d}m{text}s"


def _label_deg(value: float, step: float, signed: bool) -> str:
    sign = "+" if value >= 0 and signed else ("-" if value < 0 else "")
    magnitude = abs(value)
    if step >= 1:
        return f"{sign}{magnitude:.0f}°"
    degrees = int(magnitude)
    arcmin_total = (magnitude - degrees) * 60
    if step >= 1 / 60:
        return f"{sign}{degrees}°{round(arcmin_total):02d}{PRIME}"
    minutes = int(arcmin_total)
    seconds = (arcmin_total - minutes) * 60
    digits = 0 if step >= 1 / 3600 else 1
    shown = f"{seconds:0{3 + digits if digits else 2}.{digits}f}"
    return f"{sign}{degrees}°{minutes:02d}{PRIME}{shown}{DOUBLE}"


def grid(image: FitsImage, box: tuple[float, float, float, float]) -> dict[str, Any]:
    """Grid lines over the pixel box ``(x0, y0, x1, y1)``: polylines in pixel coordinates.

    Meridians (``axis`` ``lon``) and parallels (``lat``) at a round
    spacing chosen for the box's extent on the sky, each with a label;
    right ascension in hours, the rest in degrees. Points where the
    projection has no pixel (beyond a projection's edge) split a line.
    """
    sky = image.sky()
    if sky.celestial is None:
        return {"frame": None, "lines": [], "no_wcs": sky.reason}
    wcs = sky.celestial
    x0, y0, x1, y1 = _clip_box(image, box)
    xs, ys = np.meshgrid(np.linspace(x0, x1, 21), np.linspace(y0, y1, 21))
    with np.errstate(all="ignore"):
        lon, lat = wcs.all_pix2world(xs.ravel(), ys.ravel(), 0)
    good = np.isfinite(lon) & np.isfinite(lat)
    if not good.any():
        return {"frame": sky.frame, "lines": [], "no_wcs": None}
    lon, lat = lon[good], lat[good]
    centre = float(lon[len(lon) // 2])
    offsets = (lon - centre + 180.0) % 360.0 - 180.0
    lon_lo, lon_hi = centre + offsets.min(), centre + offsets.max()
    lat_lo, lat_hi = float(lat.min()), float(lat.max())
    for pole in (90.0, -90.0):  # a pole in the box: every meridian passes through it
        with np.errstate(all="ignore"):
            px, py = wcs.all_world2pix([centre], [pole], 0, quiet=True)
        if np.isfinite(px[0]) and x0 <= px[0] <= x1 and y0 <= py[0] <= y1:
            lon_lo, lon_hi = 0.0, 360.0
            lat_lo, lat_hi = min(lat_lo, pole), max(lat_hi, pole)
    equatorial = sky.frame in ("icrs", "fk5", "fk4", "fk4noeterms")
    ra_step_s = 0.0
    lat_step = _nice(max(lat_hi - lat_lo, 1e-9), DEGREE_STEPS)
    if equatorial:
        ra_step_s = _nice(max(lon_hi - lon_lo, 1e-9) * 240.0, RA_STEPS_S)
        lon_step = ra_step_s / 240.0
    else:
        lon_step = _nice(max(lon_hi - lon_lo, 1e-9), DEGREE_STEPS)
    lines: list[dict[str, Any]] = []
    margin = max(x1 - x0, y1 - y0)
    bounds = (x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    pad_lat = lat_step
    lats = np.linspace(max(lat_lo - pad_lat, -90.0), min(lat_hi + pad_lat, 90.0), GRID_POINTS)
    for k in range(math.ceil(lon_lo / lon_step), math.floor(lon_hi / lon_step) + 1):
        value = (k * lon_step) % 360.0
        label = _label_ra(value, ra_step_s) if equatorial else _label_deg(value, lon_step, False)
        for points in _trace(wcs, np.full(GRID_POINTS, value), lats, bounds):
            lines.append({"axis": "lon", "value": value, "label": label, "points": points})
    lons = np.linspace(lon_lo - lon_step, lon_hi + lon_step, GRID_POINTS)
    for k in range(math.ceil(lat_lo / lat_step), math.floor(lat_hi / lat_step) + 1):
        value = k * lat_step
        if abs(value) >= 90.0:
            continue
        label = _label_deg(value, lat_step, True)
        for points in _trace(wcs, lons, np.full(GRID_POINTS, value), bounds):
            lines.append({"axis": "lat", "value": value, "label": label, "points": points})
    return {"frame": sky.frame, "lines": lines, "no_wcs": None}


def _clip_box(
    image: FitsImage, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The box inside the image (a view larger than the image grids only the image)."""
    x0, y0, x1, y1 = box
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    x0, x1 = max(x0, -0.5), min(x1, image.nx - 0.5)
    y0, y1 = max(y0, -0.5), min(y1, image.ny - 0.5)
    if x1 <= x0 or y1 <= y0:
        return (-0.5, -0.5, image.nx - 0.5, image.ny - 0.5)
    return (x0, y0, x1, y1)


def _trace(
    wcs: Any, lon: np.ndarray, lat: np.ndarray, bounds: tuple[float, float, float, float]
) -> list[list[list[float]]]:
    """Pixel polylines of world points, split where a point has no pixel or leaves ``bounds``."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, ys = wcs.all_world2pix(lon, lat, 0, quiet=True)
    bx0, by0, bx1, by1 = bounds
    pieces: list[list[list[float]]] = []
    current: list[list[float]] = []
    for x, y in zip(xs, ys, strict=True):
        inside = math.isfinite(x) and math.isfinite(y) and bx0 <= x <= bx1 and by0 <= y <= by1
        if inside:
            current.append([round(float(x), 2), round(float(y), 2)])
        elif current:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    return [piece for piece in pieces if len(piece) > 1]


# ---------------------------------------------------------------- catalogue rows


def project(
    image: FitsImage, ra: np.ndarray, dec: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ICRS positions (degrees) placed on the image: (indices on it, x, y), 0-based pixels.

    Rows farther from the image's centre than its diagonal are dropped
    before projecting: a projection (TAN) maps points of the far
    hemisphere to pixels too.
    """
    from astropy.coordinates import SkyCoord

    wcs = image.sky().require()
    good = np.isfinite(ra) & np.isfinite(dec)
    index = np.flatnonzero(good)
    if index.size == 0:
        return index, np.array([]), np.array([])
    coords = SkyCoord(ra[index], dec[index], unit="deg", frame="icrs")
    centre = wcs.pixel_to_world((image.nx - 1) / 2, (image.ny - 1) / 2)
    corner = wcs.pixel_to_world(-0.5, -0.5)
    reach = max(centre.separation(corner).deg * 1.5, 1 / 3600)
    near = coords.separation(centre).deg <= reach
    index, coords = index[near], coords[near]
    if index.size == 0:
        return index, np.array([]), np.array([])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, ys = wcs.world_to_pixel(coords)
    xs, ys = np.atleast_1d(xs), np.atleast_1d(ys)
    on = (
        np.isfinite(xs)
        & np.isfinite(ys)
        & (xs >= -0.5)
        & (xs <= image.nx - 0.5)
        & (ys >= -0.5)
        & (ys <= image.ny - 0.5)
    )
    return index[on], xs[on], ys[on]


# ---------------------------------------------------------------- selections


def region(
    image: FitsImage,
    shape: str,
    corners: tuple[float, float, float, float],
    plane: int = 0,
) -> dict[str, Any]:
    """A selection drawn on the image as a region of the sky (what a cutout asks for).

    ``box``: ``corners`` are two opposite corners (x0, y0, x1, y1) in 0-based
    pixels; the answer is its centre and its width and height in degrees
    (measured through the centre). ``circle``: the centre (x0, y0) and a
    point on the edge (x1, y1); the answer is the centre and the radius in
    degrees. For a cube, ``band`` is the wavelength range (metres) of the
    plane shown.
    """
    from astropy.coordinates import SkyCoord

    wcs = image.sky().require()
    image.plane_index(plane)
    x0, y0, x1, y1 = corners
    if x0 == x1 and (shape == "circle" or y0 == y1):
        raise FieldError(
            "x1",
            f"the {shape} has no size (its corners are one point)",
            "drag across the image to draw the selection",
        )
    if shape == "circle":
        centre = wcs.pixel_to_world(x0, y0)
        radius = float(centre.separation(wcs.pixel_to_world(x1, y1)).deg)
        found: dict[str, Any] = {"shape": "circle", "radius": radius}
    else:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        centre = wcs.pixel_to_world(cx, cy)
        left, right = wcs.pixel_to_world(min(x0, x1), cy), wcs.pixel_to_world(max(x0, x1), cy)
        low, high = wcs.pixel_to_world(cx, min(y0, y1)), wcs.pixel_to_world(cx, max(y0, y1))
        found = {
            "shape": "box",
            "width": float(left.separation(right).deg),
            "height": float(low.separation(high).deg),
        }
    icrs = SkyCoord(centre).icrs
    found["ra"] = float(icrs.ra.deg)
    found["dec"] = float(icrs.dec.deg)
    sizes = [found[k] for k in ("ra", "dec", "radius", "width", "height") if k in found]
    if not all(math.isfinite(v) for v in sizes):
        raise FieldError(
            "x1",
            "the selection reaches where the image's projection has no sky position",
            "draw the selection inside the image",
        )
    band = plane_band(image, plane)
    if band is not None:
        found["band"] = band
    return found


def plane_band(image: FitsImage, plane: int) -> list[float] | None:
    """The wavelength range (metres) a cube's plane covers, None without a spectral axis."""
    spectral = image.sky().spectral
    if spectral is None or spectral.wavelengths is None:
        return None
    image.plane_index(plane)
    waves = spectral.wavelengths
    here = waves[plane]
    neighbour = waves[plane + 1] if plane + 1 < len(waves) else waves[plane - 1]
    half = abs(neighbour - here) / 2 if len(waves) > 1 else 0.0
    return [here - half, here + half]


__all__ = [
    "NoWcs",
    "Sky",
    "Spectral",
    "grid",
    "plane_band",
    "project",
    "region",
    "world",
]
