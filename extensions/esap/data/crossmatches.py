"""Cross-matching a user's table against a catalogue of a TAP service, by position.

Two ways to the same answer, every pair of a user row and a catalogue row
closer than the radius:

* ``upload`` (where the service's capabilities declare table uploads, as
  DaCHS's do): the user's positions go to the service as a VOTable
  (``TAP_UPLOAD.esap_user``: row number, ra, dec; BINARY2, the compact
  serialisation) through pyvo's ``uploads=``, and one ADQL query joins them
  with the catalogue (``CONTAINS(POINT, CIRCLE)``, the separation from
  ``DISTANCE``): the service does the match next to its data. A small
  upload is one synchronous query; a larger one an asynchronous (UWS) job,
  which takes far larger uploads (DaCHS: 20 MB against 500 kB) and can be
  aborted. The bytes are counted as they leave (``esap.data.upload``).
* ``local`` (the fallback, for any TAP service): the catalogue's rows
  around the user's positions come back in one cone query, or one per field
  when the table holds fields far apart (:func:`esap.data.sky_pairs.cones`), and they are paired
  here (:func:`esap.data.sky_pairs.pairs_within`: the pairs astropy's ``search_around_sky``
  finds, without scipy).

Both answer one table: ``user_row`` (the user's row, 0 for the first),
``separation`` (arcsec), then the catalogue's columns, ordered by user row
and separation. Rows without a position never match. The radius is an
angle: an astropy ``Quantity``, or a number of arcseconds.

The job around it (progress, cancel, the result cache) is
``esap.data.crossmatch_jobs``; the user's table is read by
``esap.data.usertable``.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from esap.core.errors import EsapError, FieldError, UpstreamError
from esap.data.base import overflowed, request_timeout
from esap.data.catalog import Catalog
from esap.data.failures import failure
from esap.data.jobs import check_maxrec
from esap.data.request import BadField
from esap.data.sky_pairs import Cone, cones, pairs_within
from esap.data.tap import TapService, adql_string
from esap.data.usertable import ColumnInfo, Positions, find_coordinates

if TYPE_CHECKING:
    import numpy as np
    from astropy.table import Table

    from esap.core.runner import JobContext

#: The radius of a plain number.
RADIUS_UNIT = "arcsec"
#: The largest radius taken (arcsec): a cross-match pairs close positions; a wider
#: search around each row is a search.
MAX_RADIUS = 3600.0
METHODS = ("auto", "upload", "local")
#: The name of the user's table at the service (``TAP_UPLOAD.esap_user``).
UPLOAD_TABLE = "esap_user"
#: The columns every match starts with.
ROW, SEPARATION = "user_row", "separation"
#: Uploads up to this size (bytes) are one synchronous query; larger ones a UWS job
#: (DaCHS takes at most 500 kB with a synchronous query, 20 MB with a job).
SYNC_UPLOAD_BYTES = 256_000
#: The TAPRegExt id of inline uploads, as a service's capabilities declare them.
UPLOAD_INLINE = "ivo://ivoa.net/std/TAPRegExt#upload-inline"
#: A cone wider than this (degrees) is the whole catalogue (pgSphere circles stop at 90).
WIDEST_CONE = 89.0
FINAL = frozenset({"COMPLETED", "ERROR", "ABORTED"})
#: Longest wait (seconds) for one change of a UWS job's phase (UWS 1.1 WAIT).
WAIT_SECONDS = 30.0
#: Rows a service is asked for when the request sets no ``maxrec`` and it declares no limit.
DEFAULT_LIMIT = 10_000_000

_REGULAR = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*){0,2}$")
#: ADQL 2.1's reserved words a catalogue's column may be called (then written quoted).
_RESERVED_WORDS = """
    ABS ACOS ALL AND AREA AS ASC ASIN ATAN ATAN2 AVG BETWEEN BOX BY CASE CAST CEILING
    CENTROID CIRCLE CONTAINS COORD1 COORD2 COORDSYS COS COT COUNT CROSS DATE DAY DEGREES DESC
    DISTANCE DISTINCT ELSE END EXISTS EXP FALSE FIRST FLOOR FROM FULL GROUP HAVING HOUR IN
    INNER INTERSECTS INTO IS JOIN LAST LEFT LEVEL LIKE LOG LOG10 MAX MIN MINUTE MOD MONTH
    NATURAL NOT NULL OFFSET ON OR ORDER OUTER PI POINT POLYGON POSITION POWER RADIANS RAND
    REGION RIGHT ROUND SECOND SELECT SET SIN SIZE SOME SQRT SUM TABLE TAN THEN TIME TOP TRUE
    TRUNCATE UNION UNIQUE USER USING VALUE VALUES WHEN WHERE WITH YEAR ZONE"""
_RESERVED = frozenset(_RESERVED_WORDS.split())


# ------------------------------------------------------------------ the request


def check_radius(radius: Any) -> float:
    """The radius in arcseconds: an astropy angle, or a number of arcseconds."""
    fix = "give the match radius as an angle (2 * u.arcsec) or a number of arcseconds, e.g. 2"
    if hasattr(radius, "unit") and hasattr(radius, "to_value"):
        import astropy.units as u

        try:
            value = float(radius.to_value(u.arcsec))
        except (u.UnitsError, TypeError, ValueError):
            raise FieldError("radius", f"{radius}: not an angle", fix) from None
    elif isinstance(radius, bool) or not isinstance(radius, numbers.Real):
        raise BadField("radius", radius, "not a number of arcseconds", fix)
    else:
        value = float(radius)
    if not math.isfinite(value):
        raise FieldError("radius", f"{value}: not a finite angle", fix)
    if value <= 0:
        raise FieldError("radius", f"{value:g} arcsec: must be more than 0", fix)
    if value > MAX_RADIUS:
        raise FieldError(
            "radius",
            f"{value:g} arcsec: more than {MAX_RADIUS:g} arcsec (1 degree)",
            "a cross-match pairs close positions: give a radius of at most 3600 arcsec",
        )
    return value


def check_method(method: Any) -> str:
    if method not in METHODS:
        raise BadField(
            "method",
            method,
            "unknown method",
            "use auto (upload where the service takes it), upload or local",
        )
    return str(method)


def check_columns(columns: Any) -> list[str] | None:
    """The catalogue columns asked for (None: all of them)."""
    if columns is None:
        return None
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise BadField("columns", columns, "not a list of names", 'give e.g. ["source_id", "ra"]')
    names: list[str] = []
    for name in columns:
        if not isinstance(name, str) or not name.strip():
            raise BadField("columns", name, "not a column name", 'give e.g. ["source_id", "ra"]')
        if name.strip() not in names:
            names.append(name.strip())
    return names or None


def tap_service(catalog: Catalog, service: Any) -> TapService:
    """The TAP service named ``service``, or :class:`BadField` naming the TAP services."""
    known = catalog.names()
    taps = [n for n in known if catalog.entry(n).type == "tap"]
    if not isinstance(service, str) or service not in known:
        raise BadField(
            "service", service, "unknown service", f"name one of: {', '.join(taps) or '(none)'}"
        )
    adapter = catalog.adapter(service)
    if not isinstance(adapter, TapService):
        raise BadField(
            "service",
            service,
            "not a TAP service (a cross-match runs ADQL)",
            f"name one of: {', '.join(taps) or '(none)'}",
        )
    return adapter


def check_catalogue(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 500:
        raise BadField(
            "catalogue", name, "not a table name", "name a table of the service, as schema.table"
        )
    if any(ord(ch) < 32 for ch in name):
        raise BadField("catalogue", name, "holds a control character", "write the table's name")
    return name.strip()


# ------------------------------------------------------------------ the service


def quoted(name: str) -> str:
    """A column name as ADQL needs it: as it is when regular, else a delimited identifier."""
    if name.startswith('"'):
        return name
    if _REGULAR.match(name) and name.upper() not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def table_reference(name: str) -> str:
    """A table name from TAP_SCHEMA as ADQL's FROM takes it."""
    if name.startswith('"') or _TABLE.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _bare(name: str) -> str:
    """A name TAP_SCHEMA lists quoted (VizieR's ``"_RAJ2000"``), without its quotes."""
    if len(name) > 1 and name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name


def run_adql(adapter: TapService, adql: str, maxrec: int | None = None) -> Any:
    """pyvo's answer to synchronous ADQL, within the service's timeout; its failure, named."""
    entry = adapter.entry
    try:
        with request_timeout(entry.timeout):
            return adapter.pyvo_service().run_sync(adql, maxrec=maxrec)
    except Exception as exc:
        raise failure(exc, entry.name, entry.url, entry.timeout) from None


def _text(value: Any) -> str:
    from esap.data.cells import json_value

    cell = json_value(value)
    return "" if cell is None else str(cell)


@dataclass(frozen=True)
class Catalogue:
    """A table of the service as TAP_SCHEMA describes it, and its position columns."""

    name: str
    columns: tuple[str, ...]
    ra: str
    dec: str


def _columns(adapter: TapService, name: str) -> list[ColumnInfo]:
    answer = run_adql(
        adapter,
        "SELECT column_name, ucd, unit FROM TAP_SCHEMA.columns "  # noqa: S608 - a literal
        f"WHERE table_name = {adql_string(name)}",
        maxrec=100_000,
    ).to_table()
    return [
        ColumnInfo(_bare(_text(row["column_name"])), _text(row["ucd"]) or None,
                   _text(row["unit"]) or None)
        for row in answer
    ]  # fmt: skip


def find_catalogue(adapter: TapService, name: str) -> Catalogue:
    """The catalogue ``name`` of the service (its name as TAP_SCHEMA lists it), or why not.

    Unknown: a :class:`FieldError` on ``catalogue`` with the service's
    tables whose names are nearest. Without position columns: one naming
    what was looked for.
    """
    infos = _columns(adapter, name)
    if not infos:
        listed = run_adql(
            adapter, "SELECT table_name FROM TAP_SCHEMA.tables", maxrec=1_000_000
        ).to_table()
        tables = [_text(row["table_name"]) for row in listed]
        same = [t for t in tables if t.lower() == name.lower()]
        if same:
            name, infos = same[0], _columns(adapter, same[0])
        if not infos:
            by_lower = {t.lower(): t for t in tables}
            near = [by_lower[n] for n in difflib.get_close_matches(name.lower(), by_lower, 5, 0.5)]
            shown = ", ".join(near or tables[:10]) or "(it lists none)"
            raise FieldError(
                "catalogue",
                f"{name!r}: no such table at {adapter.name}",
                f"name one of its tables{' (nearest first)' if near else ''}: {shown}",
            )
    ra, dec = find_coordinates(
        infos,
        what=f"the catalogue {name}",
        field="catalogue",
        fix="choose a catalogue with positions (columns with the UCDs pos.eq.ra;meta.main "
        "and pos.eq.dec;meta.main, or named ra and dec)",
    )
    return Catalogue(name, tuple(info.name for info in infos), ra, dec)


def capabilities(adapter: TapService) -> tuple[list[str], int]:
    """The upload methods the service declares (VOSI capabilities, TAPRegExt), its row limit.

    One request: pyvo reads both from the same capabilities document. A
    service that declares no limit is asked for ``DEFAULT_LIMIT`` rows.
    """
    entry = adapter.entry
    try:
        with request_timeout(entry.timeout):
            service = adapter.pyvo_service()
            methods = [str(getattr(m, "ivo_id", "") or "") for m in service.upload_methods or ()]
    except Exception as exc:
        raise failure(exc, entry.name, entry.url, entry.timeout) from None
    try:
        limit = int(service.hardlimit or DEFAULT_LIMIT)
    except Exception:  # capabilities without a limit element: ask for plenty
        limit = DEFAULT_LIMIT
    return methods, limit


# ------------------------------------------------------------------ the plan


@dataclass
class Plan:
    """A checked cross-match, ready to run: the service, catalogue, positions, how."""

    adapter: TapService
    catalogue: Catalogue
    positions: Positions
    #: Arcseconds.
    radius: float
    #: ``upload`` or ``local``: what ``auto`` became.
    method: str
    #: The catalogue's columns in the answer, in the catalogue's order.
    columns: tuple[str, ...]
    maxrec: int | None
    #: The answer, once matched (a notebook returns it as it is).
    matched: Table | None = field(default=None, repr=False)
    #: Whether the answer stops short (the service's limit, or ``maxrec``).
    truncated: bool = False
    #: Bytes uploaded (``upload``).
    uploaded: int | None = None
    #: Rows the service gives one query at most (its declared hard limit).
    limit: int = DEFAULT_LIMIT


def prepare(
    catalog: Catalog,
    table: Callable[[], Positions],
    service: Any,
    catalogue: Any,
    radius: Any,
    *,
    columns: Any = None,
    method: Any = "auto",
    maxrec: Any = None,
) -> Plan:
    """Check a cross-match and find what it needs; each bad input is a named error.

    The cheap checks come first (radius, method, maxrec, service), then the
    user's table is read (``table()``), then the service is asked for the
    catalogue (TAP_SCHEMA) and, unless ``method`` is ``local``, whether it
    takes uploads.
    """
    arcsec = check_radius(radius)
    asked = check_method(method)
    limit = check_maxrec(maxrec)
    wanted = check_columns(columns)
    adapter = tap_service(catalog, service)
    name = check_catalogue(catalogue)
    positions = table()
    found = find_catalogue(adapter, name)
    by_lower = {c.lower(): c for c in found.columns}
    if wanted is not None:
        unknown = [c for c in wanted if c.lower() not in by_lower]
        if unknown:
            raise FieldError(
                "columns",
                f"{', '.join(repr(c) for c in unknown)}: no such column in {found.name}",
                f"name some of: {', '.join(found.columns[:40])}",
            )
        chosen = {by_lower[c.lower()] for c in wanted}
        kept = tuple(c for c in found.columns if c in chosen)
    else:
        kept = found.columns
    try:
        methods, most = capabilities(adapter)
    except EsapError:  # no capabilities to read: no upload declared (the cones may still work)
        if asked == "upload":
            raise
        methods, most = [], DEFAULT_LIMIT
    resolved = "local"
    if asked != "local":
        declared = UPLOAD_INLINE in methods
        if asked == "upload" and not declared:
            raise FieldError(
                "method",
                f"{adapter.name} does not take table uploads (its capabilities declare none)",
                "use method local: the catalogue around your table in a few cone queries, "
                "matched here",
            )
        resolved = "upload" if declared else "local"
    return Plan(adapter, found, positions, arcsec, resolved, kept, limit, limit=most)


# ------------------------------------------------------------------ the answer


def _output_name(name: str) -> str:
    """A catalogue column's name in the answer (``cat_`` before one called like ours)."""
    return f"cat_{name}" if name in (ROW, SEPARATION) else name


def finish(plan: Plan, table: Table, truncated: bool) -> Table:
    """The answer as both methods give it: described, ordered, cut at ``maxrec``."""
    import numpy as np

    order = np.lexsort((np.asarray(table[SEPARATION], float), np.asarray(table[ROW], int)))
    table = table[order]
    if plan.maxrec is not None and len(table) > plan.maxrec:
        table, truncated = table[: plan.maxrec], True
    row, separation = table[ROW], table[SEPARATION]
    row.unit, row.description = None, "The row of your table (0 for the first)"
    row.meta = {"ucd": "meta.id;meta.number"}
    separation.unit = "arcsec"
    separation.description = "Separation of your row's position and the catalogue's"
    separation.meta = {"ucd": "pos.angDistance"}
    table.meta = {
        "esap_truncated": truncated,
        "esap_method": plan.method,
        "esap_catalogue": plan.catalogue.name,
        "esap_service": plan.adapter.name,
    }
    plan.truncated = truncated
    return table


def valid_rows(plan: Plan) -> np.ndarray[Any, Any]:
    """The user's rows that have a position."""
    import numpy as np

    ra, dec = plan.positions.ra, plan.positions.dec
    return np.flatnonzero(np.isfinite(ra) & np.isfinite(dec))


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


# ------------------------------------------------------------------ by upload


def upload_adql(plan: Plan) -> str:
    """The join of ``TAP_UPLOAD.esap_user`` with the catalogue, within the radius."""
    cat = plan.catalogue
    ra, dec = f"c.{quoted(cat.ra)}", f"c.{quoted(cat.dec)}"
    picked = ", ".join(
        f"c.{quoted(c)}" + (f" AS {_output_name(c)}" if _output_name(c) != c else "")
        for c in plan.columns
    )
    degrees = plan.radius / 3600.0
    return (
        f"SELECT u.esap_row AS {ROW}, "
        f"DISTANCE(POINT('ICRS', u.ra, u.dec), POINT('ICRS', {ra}, {dec})) * 3600.0 "
        f"AS {SEPARATION}" + (f", {picked}" if picked else "") + " "
        f"FROM TAP_UPLOAD.{UPLOAD_TABLE} AS u "
        f"JOIN {table_reference(cat.name)} AS c "
        f"ON 1 = CONTAINS(POINT('ICRS', {ra}, {dec}), CIRCLE('ICRS', u.ra, u.dec, {degrees!r}))"
    )


def upload_votable(plan: Plan) -> bytes:
    """The user's positions as a BINARY2 VOTable: row number, ra, dec (degrees)."""
    import numpy as np
    from astropy.io.votable import from_table
    from astropy.table import Table

    rows = valid_rows(plan)
    table = Table(
        {
            "esap_row": rows.astype(np.int64),
            "ra": plan.positions.ra[rows],
            "dec": plan.positions.dec[rows],
        }
    )
    table["ra"].unit = table["dec"].unit = "deg"
    buffer = io.BytesIO()
    from_table(table).to_xml(buffer, tabledata_format="binary2")
    return buffer.getvalue()


def match_upload(plan: Plan, job: JobContext) -> Table | None:
    """The match done by the service: the positions uploaded, one ADQL join (None: cancelled)."""
    from pyvo.dal import AsyncTAPJob, TAPService

    from esap.data.upload import UploadSession

    adapter, entry = plan.adapter, plan.adapter.entry
    payload = upload_votable(plan)
    plan.uploaded = len(payload)
    job.report(0, len(payload), f"uploading {megabytes(len(payload))}", now=True)
    session = UploadSession(
        lambda done, total: job.report(
            done, total, f"uploading: {megabytes(done)} of {megabytes(total)}"
        ),
        lambda: job.stopped,
    )
    adql = upload_adql(plan)
    limit = plan.maxrec if plan.maxrec is not None else plan.limit
    uploads = {UPLOAD_TABLE: io.BytesIO(payload)}
    remote = None
    try:
        with request_timeout(entry.timeout):
            if len(payload) <= SYNC_UPLOAD_BYTES:
                answer = TAPService(adapter.url, session=session).run_sync(
                    adql, uploads=uploads, maxrec=limit
                )
                job.report(len(payload), len(payload), f"matched at {adapter.name}", now=True)
            else:
                remote = AsyncTAPJob.create(
                    adapter.url, adql, uploads=uploads, maxrec=limit, session=session
                )
                job.report(
                    len(payload),
                    len(payload),
                    f"matching at {adapter.name}",
                    result={**(job.result or {}), "job_url": str(remote.url)},
                    now=True,
                )
                if job.stopped:  # cancelled while uploading: never run it
                    return None
                answer = _wait(remote.run(), job, adapter.name)
                if answer is None:
                    return None
    except EsapError:
        raise
    except Exception as exc:
        if job.stopped:
            return None
        raise failure(exc, entry.name, entry.url, entry.timeout) from None
    finally:
        session.close()
        if remote is not None:
            _delete(remote)
    table = answer.to_table()
    return finish(plan, table, overflowed(answer))


def _wait(remote: Any, job: JobContext, service: str) -> Any:
    """Follow a UWS job to its end (UWS 1.1 WAIT: told at once); its answer, None if cancelled."""
    from pyvo.dal import DALServiceError

    phase = str(remote.phase)
    while phase not in FINAL:
        if job.stopped:
            return None
        wanted = set(FINAL) | ({"EXECUTING"} if phase != "EXECUTING" else set())
        # no change within the wait, or aborted meanwhile: look again
        with contextlib.suppress(DALServiceError):
            remote.wait(phases=wanted, timeout=WAIT_SECONDS)
        phase = str(remote.phase)
        job.report(message=f"matching at {service} ({phase})")
    if job.stopped:
        return None
    if phase == "ABORTED":
        raise UpstreamError(
            f"{service} aborted the cross-match's job",
            "run it again; if the service keeps aborting it, use method local",
        )
    remote.raise_if_error()
    return remote.fetch_result()


def _delete(remote: Any) -> None:
    """The remote job's rows are ours now: leave the service nothing to keep."""
    try:
        with request_timeout(WAIT_SECONDS):
            remote.delete()
    except Exception:  # gone already, or the service keeps jobs its own way
        return


# ------------------------------------------------------------------ locally


def cone_adql(plan: Plan, cone: Cone) -> str:
    """The catalogue's rows in one cone: its columns of the answer and its positions."""
    cat = plan.catalogue
    wanted = set(plan.columns) | {cat.ra, cat.dec}
    names = ", ".join(quoted(c) for c in cat.columns if c in wanted)
    adql = f"SELECT {names} FROM {table_reference(cat.name)}"  # noqa: S608 - names from TAP_SCHEMA
    if cone.radius <= WIDEST_CONE:
        adql += (
            f" WHERE 1 = CONTAINS(POINT('ICRS', {quoted(cat.ra)}, {quoted(cat.dec)}), "
            f"CIRCLE('ICRS', {cone.ra!r}, {cone.dec!r}, {cone.radius!r}))"
        )
    return adql


def match_local(plan: Plan, job: JobContext) -> Table | None:
    """The match done here: the catalogue around the positions, paired by astropy."""
    import numpy as np
    from astropy.table import Table, vstack

    ra, dec, cat = plan.positions.ra, plan.positions.dec, plan.catalogue
    rows = valid_rows(plan)
    planned = cones(ra, dec, rows, plan.radius) if rows.size else []
    limit = plan.limit
    pieces, template, truncated = [], None, False
    for number, cone in enumerate(planned):
        if job.stopped:
            return None
        job.report(number, len(planned), f"cone {number + 1} of {len(planned)} at "
                   f"{plan.adapter.name}", now=True)  # fmt: skip
        answer = run_adql(plan.adapter, cone_adql(plan, cone), maxrec=limit)
        truncated = truncated or overflowed(answer)
        found = answer.to_table()
        template = found[:0] if template is None else template
        if not len(found):
            continue
        ours, their, separation = pairs_within(
            ra[cone.rows],
            dec[cone.rows],
            np.ma.filled(np.ma.asarray(found[cat.ra], float), np.nan),
            np.ma.filled(np.ma.asarray(found[cat.dec], float), np.nan),
            plan.radius / 3600.0,
        )
        piece = _renamed(found[their][list(plan.columns)])
        piece.add_column(separation * 3600.0, name=SEPARATION, index=0)
        piece.add_column(cone.rows[ours].astype(np.int64), name=ROW, index=0)
        pieces.append(piece)
    job.report(len(planned), len(planned), "matched", now=True)
    if pieces:
        table = vstack(pieces, metadata_conflicts="silent") if len(pieces) > 1 else pieces[0]
    else:
        table = _renamed(template[list(plan.columns)]) if template is not None else Table()
        table.add_column(np.zeros(0), name=SEPARATION, index=0)
        table.add_column(np.zeros(0, np.int64), name=ROW, index=0)
    return finish(plan, table, truncated)


def _renamed(table: Table) -> Table:
    """Catalogue columns called like the answer's own renamed (``cat_user_row``)."""
    for name in table.colnames:
        if _output_name(name) != name:
            table.rename_column(name, _output_name(name))
    return table


def match(plan: Plan, job: JobContext) -> Table | None:
    """The match by the plan's method (None: the job was cancelled)."""
    return match_upload(plan, job) if plan.method == "upload" else match_local(plan, job)


__all__ = [
    "MAX_RADIUS",
    "METHODS",
    "RADIUS_UNIT",
    "ROW",
    "SEPARATION",
    "SYNC_UPLOAD_BYTES",
    "UPLOAD_TABLE",
    "Catalogue",
    "Plan",
    "capabilities",
    "check_radius",
    "find_catalogue",
    "match",
    "match_local",
    "match_upload",
    "prepare",
    "quoted",
    "upload_adql",
    "valid_rows",
]
