"""Checking a search request: every bad field is named, with how to fix it.

The REST API, the notebook API and the command line all pass what a person
typed through :func:`parse_search`, so "radius ≤ 0" reads the same in the lab,
in a notebook and in a shell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from esap.core.errors import FieldError
from esap.data.base import Query

MAX_TEXT = 500
MAX_MAXREC = 10_000_000
DEFAULT_RADIUS = 0.1


class BadField(FieldError):
    """A request field is wrong: ``field`` names it, ``fix`` says what to write instead.

    The message starts with the value as given (shortened), so a person sees
    what they typed: ``dec`` ``100.0: out of range``.
    """

    def __init__(self, field: str, value: Any, what: str, fix: str) -> None:
        shown = repr(value) if not isinstance(value, (int, float)) else str(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(field, f"{shown}: {what}", fix)


def _number(field: str, value: Any, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadField(field, value, "not a number", fix)
    try:
        number = float(value)
    except ValueError:
        raise BadField(field, value, "not a number", fix) from None
    if math.isnan(number) or math.isinf(number):
        raise BadField(field, value, "not a finite number", fix)
    return number


def _optional_text(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadField(field, value, "not a string", f"give {field} as text, or leave it out")
    if len(value) > MAX_TEXT:
        raise BadField(field, value, f"longer than {MAX_TEXT} characters", f"shorten {field}")
    return value.strip() or None


def parse_time_value(field: str, value: Any) -> float:
    """An ISO 8601 date/time or an MJD (number or numeric string) as MJD."""
    fix = "give dates as ISO 8601 (2020-01-31 or 2020-01-31T12:00:00) or as MJD (58879.5)"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadField(field, value, "not a date", fix)
    from astropy.time import Time

    try:
        if isinstance(value, (int, float)) or _looks_numeric(value):
            mjd = float(value)
            if not -1e6 < mjd < 1e6:
                raise BadField(field, value, "MJD out of range", fix)
            return mjd
        return float(Time(value.strip(), format="isot" if "T" in value else "iso", scale="utc").mjd)
    except BadField:
        raise
    except (ValueError, TypeError):
        raise BadField(field, value, "not a date", fix) from None


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pair(field: str, value: Any, fix: str) -> tuple[Any, Any] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise BadField(field, value, "not a pair [min, max]", fix)
    return value[0], value[1]


def parse_query(
    request: Mapping[str, Any], *, position: tuple[float, float] | None = None
) -> Query:
    """The adapter-neutral part of a search request as a :class:`Query`.

    ``position`` is the resolved target, when the request named one (it then
    wins over ``ra``/``dec``, which may be left out).
    """
    ra_fix = "give ra in degrees, 0 <= ra < 360, e.g. 10.68"
    dec_fix = "give dec in degrees, -90 <= dec <= 90, e.g. 41.27"
    ra_raw, dec_raw = request.get("ra"), request.get("dec")
    ra = dec = None
    if position is not None:
        ra, dec = position
    elif ra_raw is not None or dec_raw is not None:
        if ra_raw is None:
            raise BadField("ra", None, "missing while dec is given", ra_fix)
        if dec_raw is None:
            raise BadField("dec", None, "missing while ra is given", dec_fix)
        ra = _number("ra", ra_raw, ra_fix)
        dec = _number("dec", dec_raw, dec_fix)
        if not 0 <= ra < 360:
            raise BadField("ra", ra_raw, "out of range", ra_fix)
        if not -90 <= dec <= 90:
            raise BadField("dec", dec_raw, "out of range", dec_fix)

    radius_fix = "give a radius in degrees, e.g. 0.1"
    radius_raw = request.get("radius")
    radius = DEFAULT_RADIUS if radius_raw is None else _number("radius", radius_raw, radius_fix)
    if radius <= 0:
        raise BadField("radius", radius_raw, "must be > 0", radius_fix)
    if radius > 180:
        raise BadField("radius", radius_raw, "must be <= 180", radius_fix)

    band_fix = "give band as [min, max] wavelengths in metres, e.g. [4e-7, 7e-7]"
    band = None
    pair = _pair("band", request.get("band"), band_fix)
    if pair is not None:
        low, high = (_number("band", v, band_fix) for v in pair)
        if low <= 0 or high <= 0:
            raise BadField("band", request.get("band"), "wavelengths must be > 0", band_fix)
        if low > high:
            raise BadField("band", request.get("band"), "min is larger than max", band_fix)
        band = (low, high)

    time_fix = "give time as [start, end], ISO 8601 or MJD, e.g. ['2019-01-01', '2020-12-31']"
    time = None
    pair = _pair("time", request.get("time"), time_fix)
    if pair is not None:
        start, end = (parse_time_value("time", v) for v in pair)
        if start > end:
            raise BadField("time", request.get("time"), "start is after end", time_fix)
        time = (start, end)

    maxrec_raw = request.get("maxrec")
    maxrec = None
    if maxrec_raw is not None:
        maxrec_fix = f"give maxrec as a whole number from 1 to {MAX_MAXREC}, or leave it out"
        if isinstance(maxrec_raw, bool) or not isinstance(maxrec_raw, int):
            raise BadField("maxrec", maxrec_raw, "not a whole number", maxrec_fix)
        if not 1 <= maxrec_raw <= MAX_MAXREC:
            raise BadField("maxrec", maxrec_raw, "out of range", maxrec_fix)
        maxrec = maxrec_raw

    return Query(
        ra=ra,
        dec=dec,
        radius=radius,
        band=band,
        time=time,
        collection=_optional_text("collection", request.get("collection")),
        text=_optional_text("text", request.get("text")),
        maxrec=maxrec,
    )


KNOWN_FIELDS = frozenset(
    {
        "services",
        "target",
        "ra",
        "dec",
        "radius",
        "band",
        "time",
        "collection",
        "text",
        "maxrec",
        "params",
        "all_vo",
    }
)


def check_shape(request: Any) -> Mapping[str, Any]:
    """The request is an object with known keys only (a typo is a bad field, not ignored)."""
    if not isinstance(request, Mapping):
        raise BadField(
            "body", request, "not a JSON object", 'send a JSON object, e.g. {"target": "M31"}'
        )
    for key in request:
        if key not in KNOWN_FIELDS:
            raise BadField(
                key, request[key], "unknown field", f"use only {', '.join(sorted(KNOWN_FIELDS))}"
            )
    return request


def parse_services(value: Any, known: Sequence[str]) -> list[str] | None:
    """``services``: null (every enabled one) or a list of known names."""
    if value is None:
        return None
    fix = f"name services from: {', '.join(known) or '(none configured)'}"
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise BadField("services", value, "not a list of service names", fix)
    names: list[str] = []
    for name in value:
        if not isinstance(name, str):
            raise BadField("services", name, "not a service name", fix)
        if name not in known:
            raise BadField("services", name, "unknown service", fix)
        if name not in names:
            names.append(name)
    if not names:
        raise BadField("services", value, "empty", fix + ", or send null for all enabled services")
    return names


def parse_params(value: Any, schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``params``: per-service adapter parameters, each checked against its ``query_schema``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadField("params", value, "not an object", "give params as {service: {name: value}}")
    import jsonschema

    checked: dict[str, dict[str, Any]] = {}
    for service, params in value.items():
        if service not in schemas:
            raise BadField(
                f"params.{service}",
                params,
                "unknown service",
                f"name services from: {', '.join(schemas)}",
            )
        if not isinstance(params, Mapping):
            raise BadField(f"params.{service}", params, "not an object", "give {name: value}")
        validator = jsonschema.Draft202012Validator(schemas[service])
        for error in validator.iter_errors(dict(params)):
            where = ".".join(str(p) for p in error.absolute_path)
            field = f"params.{service}" + (f".{where}" if where else "")
            raise BadField(
                field,
                error.instance,
                error.message,
                f"see the query_schema of {service} in GET data/services",
            )
        checked[service] = dict(params)
    return checked


__all__ = [
    "DEFAULT_RADIUS",
    "BadField",
    "check_shape",
    "parse_params",
    "parse_query",
    "parse_services",
    "parse_time_value",
]
