"""A user's own table for a cross-match: read from where it lives, its positions found.

A table comes from a notebook (an astropy ``Table``), from the result cache
(a search's or a job's stored answer, by its id), from the basket (data
items, by the fields their rows had) or from a file in the home (VOTable,
FITS table, ECSV, CSV: astropy's readers, chosen by the file's suffix).
What a cross-match needs of it is each row's position in degrees; which
columns hold it is found the way VO tools find it (TOPCAT, astroquery's
XMatch): the UCD ``pos.eq.ra;meta.main`` / ``pos.eq.dec;meta.main``, then
``pos.eq.ra`` / ``pos.eq.dec``, then the usual names. A table where none is
found is refused with the columns it has, what was looked for, and how to
name them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.core.errors import FieldError
from esap.core.paths import user_path

if TYPE_CHECKING:
    import numpy as np
    from astropy.table import Table

    from esap.data.results import ResultStore

#: Right ascension and declination column names, most telling first (compared lower-cased).
RA_NAMES = (
    "ra", "s_ra", "ra_deg", "radeg", "raj2000", "_raj2000", "ra_icrs", "ra_j2000", "ra_main",
    "alpha", "alpha_j2000", "ra_obj",
)  # fmt: skip
DEC_NAMES = (
    "dec", "s_dec", "dec_deg", "decdeg", "dej2000", "_dej2000", "decj2000", "de_icrs",
    "dec_icrs", "dec_j2000", "dec_main", "de", "delta", "delta_j2000", "dec_obj",
)  # fmt: skip
#: Units that are degrees already (no conversion).
DEGREES = ("deg", "degree", "degrees", "")
#: UCDs of the main position, then of any position (compared lower-cased).
RA_UCDS = ("pos.eq.ra;meta.main", "pos.eq.ra")
DEC_UCDS = ("pos.eq.dec;meta.main", "pos.eq.dec")
#: File suffix -> astropy reader (a ``.csv`` that starts with ``# %ECSV`` is read as ECSV).
FORMATS = {
    ".vot": "votable",
    ".votable": "votable",
    ".xml": "votable",
    ".fits": "fits",
    ".fit": "fits",
    ".fts": "fits",
    ".fits.gz": "fits",
    ".ecsv": "ascii.ecsv",
    ".csv": "ascii.csv",
}


@dataclass(frozen=True)
class ColumnInfo:
    """What finding the position columns reads of a column: its name, UCD, unit, role."""

    name: str
    ucd: str | None = None
    unit: str | None = None
    #: The role the result cache gave it (``ra``/``dec``), if any.
    role: str | None = None


@dataclass
class Positions:
    """A user table as a cross-match sees it: each row's position, and where it came from."""

    #: Right ascension and declination in degrees, one per row (NaN where a row has none).
    ra: np.ndarray[Any, Any]
    dec: np.ndarray[Any, Any]
    ra_column: str
    dec_column: str
    #: What the table is, for people ("result 3f2a...", "file tables/mine.vot").
    label: str

    @property
    def rows(self) -> int:
        """Rows in the table."""
        return len(self.ra)


# ------------------------------------------------------------------ the columns


def _pick(
    columns: Sequence[ColumnInfo], ucds: tuple[str, ...], role: str, names: tuple[str, ...]
) -> str | None:
    """The first column with the main UCD, the role, a plain UCD, then a known name."""
    by_ucd = {(c.ucd or "").lower(): c.name for c in reversed(columns) if c.ucd}
    if ucds[0] in by_ucd:
        return by_ucd[ucds[0]]
    for column in columns:
        if column.role == role:
            return column.name
    for column in columns:
        if (column.ucd or "").lower().split(";")[0] == ucds[1]:
            return column.name
    by_name = {c.name.lower(): c.name for c in reversed(columns)}
    return next((by_name[n] for n in names if n in by_name), None)


def _named(columns: Sequence[ColumnInfo], wanted: str, field: str) -> str:
    """The column a user named: exactly, else ignoring case; else the columns there are."""
    names = [c.name for c in columns]
    if wanted in names:
        return wanted
    folded = [n for n in names if n.lower() == wanted.lower()]
    if len(folded) == 1:
        return folded[0]
    raise FieldError(
        field,
        f"{wanted!r}: no such column",
        f"name one of: {', '.join(names[:40]) or '(the table has no columns)'}",
    )


def find_coordinates(
    columns: Sequence[ColumnInfo],
    ra_column: str | None = None,
    dec_column: str | None = None,
    *,
    what: str = "your table",
    field: str | None = None,
    fix: str | None = None,
) -> tuple[str, str]:
    """The right ascension and declination columns: the ones named, else found.

    Not found: a :class:`FieldError` on ``field`` (default ``ra_column`` /
    ``dec_column``) listing the table's columns, the UCDs and names looked
    for, and ``fix`` (default: how to name them).
    """
    ra = _named(columns, ra_column, "ra_column") if ra_column else None
    dec = _named(columns, dec_column, "dec_column") if dec_column else None
    ra = ra or _pick(columns, RA_UCDS, "ra", RA_NAMES)
    dec = dec or _pick(columns, DEC_UCDS, "dec", DEC_NAMES)
    if ra is not None and dec is not None:
        return ra, dec
    missing = ("right ascension" if ra is None else "") + (
        (" and " if ra is None else "") + "declination" if dec is None else ""
    )
    looked = f"UCDs {' or '.join(RA_UCDS if ra is None else DEC_UCDS)} and the names " + ", ".join(
        RA_NAMES if ra is None else DEC_NAMES
    )
    shown = ", ".join(c.name for c in columns[:40]) or "none"
    raise FieldError(
        field or ("ra_column" if ra is None else "dec_column"),
        f"no {missing} column in {what}: looked for the {looked}; its columns are {shown}",
        fix
        or "name the position columns (ra_column= and dec_column= in a notebook, the RA and "
        "Dec column fields in the Data panel), or call them ra and dec; values in degrees",
    )


def columns_of(table: Table) -> list[ColumnInfo]:
    """The column descriptions of an astropy table (UCD from its VOTable metadata)."""
    found = []
    for column in table.columns.values():
        meta = getattr(column, "meta", {}) or {}
        unit = getattr(column, "unit", None)
        found.append(ColumnInfo(column.name, meta.get("ucd"), str(unit) if unit else None))
    return found


# -------------------------------------------------------------- the positions


def degrees(values: Any, unit: str | None, field: str, column: str) -> np.ndarray[Any, Any]:
    """A column's values in degrees (NaN where empty), converted from its unit.

    Numbers without a unit are degrees; an angle unit (``rad``, ``arcsec``,
    ``hourangle``) is converted by astropy; text is read as sexagesimal
    (hours for right ascension, as astropy's ``SkyCoord`` does) or decimal
    degrees.
    """
    import astropy.units as u
    import numpy as np
    from astropy.coordinates import Angle

    masked = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else None
    data = np.ma.getdata(values) if masked is not None else np.asarray(values)
    if data.dtype.kind in "iuf":
        numbers = data.astype(float)
    elif data.dtype.kind in "USO":
        numbers = _text_angles(data, field, column)
    else:
        raise FieldError(
            field, f"{column!r} holds {data.dtype} values, not angles", "give degrees as numbers"
        )
    if masked is not None:
        numbers = np.where(masked, np.nan, numbers)
    if unit and unit.strip().lower() not in DEGREES and data.dtype.kind in "iuf":
        try:
            numbers = Angle(numbers, unit=u.Unit(unit)).to_value(u.deg)
        except (ValueError, u.UnitsError):
            raise FieldError(
                field,
                f"{column!r} is in {unit!r}, not an angle",
                "name the column that holds the position in degrees",
            ) from None
    return np.asarray(numbers, dtype=float)


def _text_angles(data: Any, field: str, column: str) -> np.ndarray[Any, Any]:
    import astropy.units as u
    import numpy as np
    from astropy.coordinates import Angle

    hours = field.startswith("ra")
    out = np.full(len(data), np.nan)
    for i, value in enumerate(data):
        text = value.decode() if isinstance(value, bytes) else ("" if value is None else str(value))
        text = text.strip()
        if not text:
            continue
        try:
            out[i] = float(text)
            continue
        except ValueError:
            pass
        try:
            out[i] = Angle(text, unit=u.hourangle if hours else u.deg).to_value(u.deg)
        except (ValueError, u.UnitsError):
            raise FieldError(
                field,
                f"{column!r} holds {text[:40]!r}, which is no angle",
                "give positions in degrees (or sexagesimal: 10:41:04.5 +41:16:09)",
            ) from None
    return out


def _checked(
    ra: np.ndarray[Any, Any], dec: np.ndarray[Any, Any], ra_column: str, dec_column: str
) -> None:
    import numpy as np

    with np.errstate(invalid="ignore"):
        bad_dec = np.isfinite(dec) & (np.abs(dec) > 90)
    if bad_dec.any():
        value = float(dec[bad_dec][0])
        raise FieldError(
            "dec_column",
            f"{dec_column!r} holds {value:g}, outside -90..90 degrees",
            "name the declination column, in degrees",
        )
    if not (np.isfinite(ra) & np.isfinite(dec)).any() and len(ra):
        raise FieldError(
            "ra_column",
            f"no row has a position in {ra_column!r} and {dec_column!r}",
            "name the columns that hold the positions",
        )


def positions(
    table: Table,
    label: str,
    ra_column: str | None = None,
    dec_column: str | None = None,
    *,
    infos: Sequence[ColumnInfo] | None = None,
) -> Positions:
    """The positions of an astropy table's rows, from the columns named or found."""
    infos = infos if infos is not None else columns_of(table)
    ra_name, dec_name = find_coordinates(infos, ra_column, dec_column, what=label)
    units = {info.name: info.unit for info in infos}
    ra = degrees(table[ra_name], units.get(ra_name), "ra_column", ra_name)
    dec = degrees(table[dec_name], units.get(dec_name), "dec_column", dec_name)
    _checked(ra, dec, ra_name, dec_name)
    return Positions(ra, dec, ra_name, dec_name, label)


# ------------------------------------------------------------------ the sources


def read_file(raw: object, home: Path, field: str = "path") -> tuple[Table, str]:
    """A table file in the home (the path rule of ``esap.core.paths``) and its label."""
    path = user_path(raw, home, field=field, allow_absolute=True)
    return read_table(path, str(raw), field), f"file {raw}"


def read_table(path: Path, shown: str, field: str = "path") -> Table:
    """A table file, by its suffix's reader; ``shown`` names it in a refusal."""
    import warnings

    from astropy.table import Table

    if not path.is_file():
        raise FieldError(
            field,
            f"{shown!r}: no such file" if not path.exists() else f"{shown!r} is a folder",
            "give the path of a table file in your home, relative to it (e.g. tables/mine.vot)",
        )
    name = path.name.lower()
    suffix = next((s for s in sorted(FORMATS, key=len, reverse=True) if name.endswith(s)), None)
    if suffix is None:
        raise FieldError(
            field,
            f"{shown!r}: not a table file ESAP reads",
            f"give a VOTable, FITS table, ECSV or CSV file ({', '.join(FORMATS)})",
        )
    reader = FORMATS[suffix]
    if reader == "ascii.csv" and path.read_bytes()[:7] == b"# %ECSV":
        reader = "ascii.ecsv"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # VOTable and FITS readers warn about what they fix
            return Table.read(path, format=reader)
    except Exception as exc:  # each reader raises its own kinds
        raise FieldError(
            field,
            f"{shown!r} is not a readable {reader.removeprefix('ascii.').upper()} table "
            f"({type(exc).__name__}: {str(exc)[:200]})",
            "check the file (open it with astropy's Table.read), or save it as VOTable or ECSV",
        ) from None


def from_result(results: ResultStore, result_id: str, field: str = "result_id") -> Table:
    """A stored result (the result cache) as an astropy table, with its columns' metadata.

    The cache keeps JSON cells; a column of numbers comes back as floats
    (NaN where empty), any other as text.
    """
    import numpy as np
    from astropy.table import Column, Table

    from esap.data.results import UnknownResult

    try:
        described = results.describe(result_id)
    except UnknownResult as exc:
        raise exc.at(field) from None
    cells: list[list[Any]] = [[] for _ in described.columns]
    for chunk in results.iter_rows(result_id):
        for row in chunk:
            for values, cell in zip(cells, row, strict=True):
                values.append(cell)
    table = Table()
    for info, values in zip(described.columns, cells, strict=True):
        numeric = all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values
        )
        data = (
            np.array([math.nan if v is None else v for v in values], dtype=float)
            if numeric
            else np.array(["" if v is None else str(v) for v in values], dtype=object)
        )
        meta = {"ucd": info["ucd"]} if info.get("ucd") else {}
        if info.get("role"):
            meta["esap_role"] = info["role"]
        table[info["name"]] = Column(
            data, unit=info.get("unit") or None, description=info.get("description"), meta=meta
        )
    return table


def result_columns(results: ResultStore, result_id: str) -> list[ColumnInfo]:
    """A stored result's column descriptions (its roles too), without reading its rows."""
    from esap.data.results import UnknownResult

    try:
        described = results.describe(result_id)
    except UnknownResult as exc:
        raise exc.at("result_id") from None
    return [
        ColumnInfo(c["name"], c.get("ucd"), c.get("unit"), c.get("role")) for c in described.columns
    ]


def item_fields(item: Any) -> tuple[str | None, Mapping[str, Any]]:
    """A basket data item's id and fields (a typed item, or its JSON form)."""
    if isinstance(item, Mapping):
        return item.get("id"), item.get("fields") or {}
    return getattr(item, "id", None), getattr(item, "fields", None) or {}


def from_items(items: Iterable[Any], field: str = "basket_ids") -> tuple[Table, str]:
    """Basket data items as a table of their fields (one row each) and its label.

    An item keeps the fields of the row it was added from (``s_ra``,
    ``s_dec`` of an ObsCore row, ``ra``/``dec`` of a catalogue's); items
    without any field are refused.
    """
    from astropy.table import Table

    rows = [item_fields(item)[1] for item in items]
    if not rows:
        raise FieldError(field, "no data items", "add search results to your basket first")
    names: list[str] = []
    for row in rows:
        names.extend(name for name in row if name not in names)
    if not names:
        raise FieldError(
            field,
            "these basket items keep no fields (no position)",
            "add the rows of a search result to the basket: their fields come with them",
        )
    table = Table()
    for name in names:
        values = [row.get(name) for row in rows]
        numeric = all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values
        )
        table[name] = (
            [math.nan if v is None else float(v) for v in values]
            if numeric
            else ["" if v is None else str(v) for v in values]
        )
    return table, f"{len(rows)} basket item{'s' if len(rows) != 1 else ''}"


__all__ = [
    "DEC_NAMES",
    "DEC_UCDS",
    "FORMATS",
    "RA_NAMES",
    "RA_UCDS",
    "ColumnInfo",
    "Positions",
    "columns_of",
    "degrees",
    "find_coordinates",
    "from_items",
    "from_result",
    "item_fields",
    "positions",
    "read_file",
    "read_table",
    "result_columns",
]
