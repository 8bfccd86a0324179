"""Footprints for a sky view: ObsCore ``s_region`` text parsed into shapes.

ObsCore services write ``s_region`` as STC-S (``Polygon ICRS 10 40 11 40 11 41``,
``Circle ICRS 10.68 41.27 0.1``, ``Box ...``, ``Union (...)``) or as a DALI
polygon or circle (xtype ``polygon``/``circle``: bare numbers, which reach the
lab as space-separated text, e.g. ``10 40 11 40 11 41``). The sky view
draws these as polygons and circles, in the lab (Aladin Lite overlays) and in
notebooks (ipyaladin, ``esap.data.sky_view``).

Written by hand because no kept library returns the shapes: astropy-regions
reads DS9/CRTF but not STC-S, mocpy's ``MOC.from_stcs`` turns STC-S into HEALPix
cells (no vertices to draw, and it refuses UNION of overlapping parts), and
Aladin Lite's own ``A.footprintsFromSTCS`` lives in the browser. The parser
takes the STC-S subset ObsCore services emit (DALI 1.1 section 3.3 shapes with
an optional frame, reference position and flavour) and refuses the rest with a
message naming the token and how to write it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from esap.core.errors import EsapError

if TYPE_CHECKING:
    from astropy.table import Table

#: Frames whose coordinates are ICRS degrees to within the accuracy of a sky view.
SKY_FRAMES = frozenset({"ICRS", "FK5", "J2000", "UNKNOWNFRAME"})
#: Reference positions and flavours STC-S allows after the frame; all ignored here.
_QUALIFIERS = frozenset(
    {"BARYCENTER", "GEOCENTER", "TOPOCENTER", "HELIOCENTER", "UNKNOWNREFPOS", "SPHERICAL2"}
)
#: Frames STC-S knows that are not ICRS-like: refused rather than drawn in the wrong place.
_OTHER_FRAMES = frozenset({"GALACTIC", "ECLIPTIC", "FK4", "B1950", "GEO_C", "GEO_D"})

_HOW = (
    "write s_region as STC-S, e.g. 'Polygon ICRS 10 40 11 40 11 41', "
    "'Circle ICRS 10.7 41.3 0.1', 'Box ICRS 10.7 41.3 0.2 0.1' or 'Union (Circle ... Polygon ...)'"
)


class SRegionError(EsapError, ValueError):
    """An ``s_region`` value the sky view cannot draw; the message says why and how to fix it."""

    code = "bad_s_region"


@dataclass(frozen=True)
class Circle:
    """A cone: centre and radius in ICRS degrees."""

    ra: float
    dec: float
    radius: float

    def stcs(self) -> str:
        return f"Circle ICRS {self.ra:.10g} {self.dec:.10g} {self.radius:.10g}"


@dataclass(frozen=True)
class Polygon:
    """A polygon: its vertices (ra, dec) in ICRS degrees, in the order given."""

    vertices: tuple[tuple[float, float], ...]

    def stcs(self) -> str:
        return "Polygon ICRS " + " ".join(f"{ra:.10g} {dec:.10g}" for ra, dec in self.vertices)


Shape = Circle | Polygon


def _tokens(text: str) -> list[str]:
    return text.replace("(", " ( ").replace(")", " ) ").split()


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _number(tokens: list[str], at: int, what: str, text: str) -> float:
    if at >= len(tokens) or tokens[at] in {"(", ")"}:
        raise SRegionError(f"s_region {text!r}: {what} is missing; {_HOW}")
    try:
        value = float(tokens[at])
    except ValueError:
        raise SRegionError(
            f"s_region {text!r}: {what} {tokens[at]!r} is not a number; {_HOW}"
        ) from None
    if not math.isfinite(value):
        raise SRegionError(f"s_region {text!r}: {what} {tokens[at]!r} is not finite; {_HOW}")
    return value


def _check_dec(dec: float, text: str) -> None:
    if not -90.0 <= dec <= 90.0:
        raise SRegionError(f"s_region {text!r}: declination {dec:g} is outside -90..90 degrees")


def _qualifiers(tokens: list[str], at: int, text: str) -> int:
    """Skip the frame, reference position and flavour after a shape name."""
    while at < len(tokens):
        word = tokens[at].upper()
        if word in SKY_FRAMES or word in _QUALIFIERS:
            at += 1
        elif word in _OTHER_FRAMES:
            raise SRegionError(
                f"s_region {text!r}: frame {tokens[at]} is not drawn; the sky view takes "
                "ICRS (or FK5/J2000) coordinates: convert the footprint to ICRS"
            )
        else:
            return at
    return at


def _box(ra: float, dec: float, width: float, height: float) -> Polygon:
    """STC-S Box (centre, full width and height) as the four corners on the tangent plane."""
    half_w, half_h = width / 2.0, height / 2.0
    scale = 1.0 / max(math.cos(math.radians(dec)), 1e-6)
    corners = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        corner_dec = max(-90.0, min(90.0, dec + dy * half_h))
        corners.append(((ra + dx * half_w * scale) % 360.0, corner_dec))
    return Polygon(tuple(corners))


def _shape(tokens: list[str], at: int, text: str) -> tuple[list[Shape], int]:
    """One shape (or a UNION of shapes) starting at ``tokens[at]``; returns the next index."""
    if at >= len(tokens):
        raise SRegionError(f"s_region {text!r}: a shape name is missing; {_HOW}")
    word = tokens[at]
    name = word.upper()
    at = _qualifiers(tokens, at + 1, text)
    if name == "CIRCLE":
        ra = _number(tokens, at, "circle RA", text)
        dec = _number(tokens, at + 1, "circle Dec", text)
        radius = _number(tokens, at + 2, "circle radius", text)
        _check_dec(dec, text)
        if radius <= 0:
            raise SRegionError(f"s_region {text!r}: circle radius must be > 0 degrees")
        return [Circle(ra % 360.0, dec, radius)], at + 3
    if name == "BOX":
        values = [_number(tokens, at + i, f"box value {i + 1}", text) for i in range(4)]
        _check_dec(values[1], text)
        if values[2] <= 0 or values[3] <= 0:
            raise SRegionError(f"s_region {text!r}: box width and height must be > 0 degrees")
        return [_box(*values)], at + 4
    if name == "POLYGON":
        numbers: list[float] = []
        while at < len(tokens) and tokens[at] not in {"(", ")"}:
            try:
                numbers.append(float(tokens[at]))
            except ValueError:
                break
            at += 1
        if len(numbers) % 2:
            raise SRegionError(
                f"s_region {text!r}: polygon has an odd count of numbers ({len(numbers)}); "
                "give RA Dec pairs"
            )
        if len(numbers) < 6:
            raise SRegionError(
                f"s_region {text!r}: a polygon needs at least 3 vertices, got {len(numbers) // 2}"
            )
        if not all(math.isfinite(n) for n in numbers):
            raise SRegionError(f"s_region {text!r}: polygon holds a value that is not finite")
        pairs = [(numbers[i] % 360.0, numbers[i + 1]) for i in range(0, len(numbers), 2)]
        for _, dec in pairs:
            _check_dec(dec, text)
        return [Polygon(tuple(pairs))], at
    if name == "UNION":
        if at >= len(tokens) or tokens[at] != "(":
            raise SRegionError(f"s_region {text!r}: UNION takes its shapes in parentheses; {_HOW}")
        at += 1
        shapes: list[Shape] = []
        while at < len(tokens) and tokens[at] != ")":
            part, at = _shape(tokens, at, text)
            shapes.extend(part)
        if at >= len(tokens):
            raise SRegionError(f"s_region {text!r}: UNION is missing its closing parenthesis")
        if not shapes:
            raise SRegionError(f"s_region {text!r}: UNION holds no shape")
        return shapes, at + 1
    raise SRegionError(f"s_region {text!r}: shape {word!r} is not drawn; {_HOW}")


def parse_s_region(text: str) -> list[Shape]:
    """The shapes of one ObsCore ``s_region`` value (several for a UNION).

    Raises :class:`SRegionError` for anything else: an unknown shape, a
    non-ICRS frame, a missing or non-numeric value, a declination off the sphere.
    """
    if not isinstance(text, str) or not text.strip():
        raise SRegionError(f"s_region {text!r} is empty; {_HOW}")
    tokens = _tokens(text)
    if _is_number(tokens[0]):
        # DALI xtype circle (ra dec radius) or polygon (ra dec pairs): bare numbers
        name = "Circle" if len(tokens) == 3 else "Polygon"
        tokens = [name, *tokens]
    shapes, at = _shape(tokens, 0, text)
    if at != len(tokens):
        raise SRegionError(
            f"s_region {text!r}: unexpected {' '.join(tokens[at:])!r} after the shape; {_HOW}"
        )
    return shapes


def _column(table: Table, names: tuple[str, ...]) -> str | None:
    lowered = {name.lower(): name for name in table.colnames}
    return next((lowered[n] for n in names if n in lowered), None)


def _value(cell: Any) -> Any:
    """A table cell, ``None`` when masked (a row without a position or footprint)."""
    import numpy as np

    return None if np.ma.is_masked(cell) else cell


def sky_view(
    table: Table,
    *,
    ra: float | None = None,
    dec: float | None = None,
    radius: float | None = None,
    survey: str | None = None,
    height: int = 400,
) -> Any:
    """An ipyaladin widget showing a search: region (circle), positions, footprints.

    The widget loads Aladin Lite from the user's own lab, not a CDN
    (:class:`esap.data.aladin_widget.EsapAladin`).

    ``table`` is a search result (``esap.data.search(...).combined``); its
    ``s_ra``/``s_dec`` (or ``ra``/``dec``) give the catalogue layer and its
    ``s_region`` the footprints. ``ra``/``dec``/``radius`` (degrees) draw the
    search region. ``survey`` is a HiPS id or URL; by default the one set in
    ``esap.yaml`` under ``sky_view.hips``. Rows whose ``s_region`` cannot be
    drawn are skipped, and the first reason is raised only if none can.
    """
    from esap import plugins

    try:
        from esap.data.aladin_widget import EsapAladin
    except ModuleNotFoundError as exc:  # a lean install: ipyaladin comes with the sky extra
        raise plugins.missing_library(exc, "the sky view in notebooks", "sky") from exc

    if survey is None:
        from esap.config.models import SkyViewSection

        survey = SkyViewSection().hips
    ra_col = _column(table, ("s_ra", "ra", "ra_icrs"))
    dec_col = _column(table, ("s_dec", "dec", "dec_icrs"))
    region_col = _column(table, ("s_region",))
    if ra_col is None and region_col is None and ra is None:
        raise SRegionError(
            "the table has no positions (s_ra/s_dec or ra/dec columns) nor s_region footprints, "
            "and no search position was given: nothing to show on the sky"
        )
    # hips_list: Aladin Lite asks CDS for its list of surveys unless given one
    options: dict[str, Any] = {"survey": survey, "height": height, "hips_list": [survey]}
    if ra is not None and dec is not None:
        options["target"] = f"{ra} {dec}"
        options["fov"] = max(2.5 * (radius or 0.1), 0.05)
    widget = EsapAladin(**options)
    if ra is not None and dec is not None and radius:
        widget.add_graphic_overlay_from_stcs(
            Circle(ra, dec, radius).stcs(), name="search region", color="#ffa000"
        )
    if ra_col is not None and dec_col is not None:
        mask = [
            _value(table[ra_col][i]) is not None and _value(table[dec_col][i]) is not None
            for i in range(len(table))
        ]
        positioned = table[mask]
        if len(positioned):
            widget.add_table(positioned, name="results", ra_field=ra_col, dec_field=dec_col)
    if region_col is not None:
        footprints: list[str] = []
        first_error: SRegionError | None = None
        for cell in table[region_col]:
            value = _value(cell)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                footprints.extend(shape.stcs() for shape in parse_s_region(str(value)))
            except SRegionError as exc:
                first_error = first_error or exc
        if footprints:
            widget.add_graphic_overlay_from_stcs(footprints, name="footprints", color="#00bcd4")
        elif first_error is not None:
            raise first_error
    return widget


__all__ = ["Circle", "Polygon", "SRegionError", "Shape", "parse_s_region", "sky_view"]
