"""TAP: ObsCore (the default) or any table with a position, ADQL, TAP_SCHEMA, async jobs.

A thin layer over ``pyvo.dal.TAPService``: the form search becomes one ADQL
query, ADQL typed by the user goes to the service as it is (so a mistake
comes back in the service's own words), and asynchronous jobs are pyvo's
``AsyncTAPJob`` (UWS).

Options (``options:`` in ``esap.yaml``, :class:`TapOptions`) set what a
search uses unless its ``params`` say otherwise:

* ``table``: the table to search (default ``ivoa.obscore``);
* ``ra_column`` / ``dec_column``: its position columns (ObsCore: ``s_ra``/``s_dec``,
  other tables: ``ra``/``dec``);
* ``text_columns``: columns the free text is matched in (ObsCore:
  ``obs_title``, ``target_name``).

Band, time and collection filters apply to ObsCore tables only: another
table has no standard columns for them, so the search says so rather than
silently ignoring them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import Field

from esap.config.options import AdapterOptions
from esap.core.errors import FieldError
from esap.data.base import DataService, NotApplicable, Query, overflowed

if TYPE_CHECKING:
    from astropy.table import Table
    from pyvo.dal import TAPService as PyvoTAPService

OBSCORE = "ivoa.obscore"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")

#: A table or column name as an option: checked when the config is, not at the first search.
Identifier = Annotated[str, Field(pattern=_IDENTIFIER.pattern)]


class TapOptions(AdapterOptions):
    """What a TAP service's form search queries; a search's own table or columns win."""

    table: Identifier = Field(
        default=OBSCORE,
        description="The table the form search queries, as schema.table (letters, digits "
        "and _); an ObsCore table also takes band, time and collection filters.",
        examples=[OBSCORE, "lotss.main"],
    )
    ra_column: Identifier | None = Field(
        default=None,
        description="The table's right ascension column, in degrees (default: s_ra for "
        "ivoa.obscore, ra for any other table).",
        examples=["raj2000"],
    )
    dec_column: Identifier | None = Field(
        default=None,
        description="The table's declination column, in degrees (default: s_dec for "
        "ivoa.obscore, dec for any other table).",
        examples=["dej2000"],
    )
    text_columns: list[Identifier] | None = Field(
        default=None,
        description="Columns the free text is matched in, case-insensitively (default: "
        "obs_title and target_name for ivoa.obscore, none for another table; [] turns "
        "free-text matching off).",
        examples=[["source_name", "description"]],
    )


def adql_string(value: str) -> str:
    """``value`` as an ADQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def identifier(value: Any, what: str) -> str:
    """A table or column name checked to be a plain (possibly qualified) ADQL identifier."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise FieldError(
            what,
            f"{value!r}: not a table or column name",
            "write it as schema.table or column, letters, digits and _ only",
        )
    return value


def obscore_conditions(query: Query, ra_col: str, dec_col: str, text_cols: list[str]) -> list[str]:
    """The ADQL WHERE conditions of a form search on an ObsCore(-shaped) table."""
    where = position_conditions(query, ra_col, dec_col)
    if query.band is not None:
        low, high = query.band
        where.append(f"em_min <= {high!r} AND em_max >= {low!r}")
    if query.time is not None:
        start, end = query.time
        where.append(f"t_min <= {end!r} AND t_max >= {start!r}")
    if query.collection:
        where.append(f"obs_collection = {adql_string(query.collection)}")
    where.extend(text_conditions(query, text_cols))
    return where


def position_conditions(query: Query, ra_col: str, dec_col: str) -> list[str]:
    """The cone condition, if a position was given."""
    if not query.has_position:
        return []
    return [
        f"1 = CONTAINS(POINT('ICRS', {ra_col}, {dec_col}), "
        f"CIRCLE('ICRS', {query.ra!r}, {query.dec!r}, {query.radius!r}))"
    ]


def text_conditions(query: Query, text_cols: list[str]) -> list[str]:
    """Case-insensitive substring match of the free text in any of ``text_cols``."""
    if not query.text or not text_cols:
        return []
    pattern = adql_string("%" + query.text.lower().replace("%", "").replace("_", "") + "%")
    return ["(" + " OR ".join(f"LOWER({col}) LIKE {pattern}" for col in text_cols) + ")"]


class TapService(DataService):
    """A TAP service: form search over ObsCore (or another table), ADQL, tables, async jobs."""

    Options: ClassVar[type[AdapterOptions]] = TapOptions
    options: TapOptions

    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "TAP",
        "properties": {
            "table": {
                "type": "string",
                "title": "Table",
                "description": "Table to search; ObsCore unless you name another.",
                "default": OBSCORE,
                "pattern": _IDENTIFIER.pattern,
            },
            "ra_column": {
                "type": "string",
                "title": "RA column",
                "description": "Right ascension column (deg) of a non-ObsCore table.",
                "pattern": _IDENTIFIER.pattern,
            },
            "dec_column": {
                "type": "string",
                "title": "Dec column",
                "description": "Declination column (deg) of a non-ObsCore table.",
                "pattern": _IDENTIFIER.pattern,
            },
        },
        "additionalProperties": False,
    }

    def pyvo_service(self) -> PyvoTAPService:
        """The pyvo service object, on the shared session."""
        from pyvo.dal import TAPService as PyvoTAPService

        return PyvoTAPService(self.url, session=self.session)

    def adql_for(self, query: Query) -> str:
        """The ADQL a form search becomes (shown to users, so they can refine it)."""
        # a search parameter wins over the admin's option, which wins over the default
        params, options = query.params, self.options
        table = identifier(params.get("table", options.table), "table")
        is_obscore = table.lower() == OBSCORE
        ra_col = identifier(
            params.get("ra_column", options.ra_column or ("s_ra" if is_obscore else "ra")),
            "ra_column",
        )
        dec_col = identifier(
            params.get("dec_column", options.dec_column or ("s_dec" if is_obscore else "dec")),
            "dec_column",
        )
        default_text = ["obs_title", "target_name"] if is_obscore else []
        text_cols = [
            identifier(col, "text_columns")
            for col in params.get(
                "text_columns",
                default_text if options.text_columns is None else options.text_columns,
            )
        ]
        if is_obscore:
            where = obscore_conditions(query, ra_col, dec_col, text_cols)
        else:
            unsupported = [
                key
                for key, value in (
                    ("band", query.band),
                    ("time", query.time),
                    ("collection", query.collection),
                )
                if value
            ]
            if unsupported:
                raise NotApplicable(
                    f"{', '.join(unsupported)}: only ObsCore tables can be filtered by "
                    f"{' and '.join(unsupported)}; {table} is not one"
                )
            where = position_conditions(query, ra_col, dec_col) + text_conditions(query, text_cols)
        top = f"TOP {int(query.maxrec)} " if query.maxrec else ""
        adql = f"SELECT {top}* FROM {table}"  # noqa: S608 - ADQL for the archive, names checked
        if where:
            adql += " WHERE " + " AND ".join(where)
        return adql

    def search(self, query: Query) -> Table:
        """Run the form search as one sync ADQL query."""
        return self.run_adql(self.adql_for(query), query.maxrec)

    def run_adql(self, adql: str, maxrec: int | None = None) -> Table:
        """Run ADQL synchronously; the service's own error text surfaces in pyvo's exception."""
        results = self.pyvo_service().run_sync(adql, maxrec=maxrec)
        table = results.to_table()
        table.meta["esap_truncated"] = overflowed(results)
        return table

    def tables(self) -> list[dict[str, Any]]:
        """Tables and their columns, from TAP_SCHEMA (two queries, whatever the size)."""
        service = self.pyvo_service()
        tables = service.run_sync(
            "SELECT table_name, description FROM TAP_SCHEMA.tables", maxrec=100000
        ).to_table()
        columns = service.run_sync(
            "SELECT table_name, column_name, datatype, unit, ucd, description "
            "FROM TAP_SCHEMA.columns",
            maxrec=1000000,
        ).to_table()
        by_table: dict[str, list[dict[str, Any]]] = {}
        for row in columns:
            by_table.setdefault(_text(row["table_name"]), []).append(
                {
                    key: _text(row[key])
                    for key in ("column_name", "datatype", "unit", "ucd", "description")
                }
                | {"name": _text(row["column_name"])}
            )
        for cols in by_table.values():
            for col in cols:
                col.pop("column_name", None)
        return [
            {
                "name": _text(row["table_name"]),
                "description": _text(row["description"]),
                "columns": by_table.get(_text(row["table_name"]), []),
            }
            for row in tables
        ]

    def submit_job(self, adql: str, maxrec: int | None = None) -> str:
        """Create and start an async (UWS) job; return its URL."""
        from pyvo.dal import AsyncTAPJob

        job = AsyncTAPJob.create(self.url, adql, maxrec=maxrec, session=self.session)
        job.run()
        return str(job.url)


def _text(value: Any) -> str:
    """A cell as text ('' for masked/None)."""
    # numpy is imported on first use: a config naming a TAP service loads this module
    # (its options are checked), and `esap publish` reads the config without searching
    from esap.data.cells import json_value

    cell = json_value(value)
    return "" if cell is None else str(cell)


__all__ = ["OBSCORE", "TapOptions", "TapService", "adql_string", "identifier"]
