"""The VOTable a capability link serves: a stored search result (all or some rows) or basket items.

SAMP's ``table.load.votable`` wants a VOTable; astropy writes it
(``astropy.io.votable.from_table``) from a Table rebuilt out of the result
cache's rows and column descriptions, so units, UCDs and descriptions the
archive gave travel to the desktop tool.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from esap.data.results import MAX_LIMIT, ResultStore

if TYPE_CHECKING:
    from astropy.table import Table

    from esap.basket.store import Basket

_INTEGER = {"short", "int", "long", "unsignedByte"}
_FLOAT = {"float", "double"}


def _column(values: list[Any], description: dict[str, Any]) -> Any:
    """One astropy column from JSON cells; ``None`` cells become masked."""
    from astropy.table import MaskedColumn

    datatype = description.get("datatype") or "char"
    mask = [value is None for value in values]
    data: list[Any]
    if datatype in _INTEGER and all(isinstance(v, int | None) for v in values):
        data, dtype = [0 if v is None else v for v in values], "int64"
    elif datatype in _FLOAT and all(isinstance(v, int | float | None) for v in values):
        data, dtype = [0.0 if v is None else float(v) for v in values], "float64"
    elif datatype == "boolean" and all(isinstance(v, bool | None) for v in values):
        data, dtype = [bool(v) for v in values], "bool"
    else:
        data = ["" if v is None else v if isinstance(v, str) else json.dumps(v) for v in values]
        dtype = "str"
    column = MaskedColumn(data, name=description["name"], mask=mask, dtype=dtype)
    if description.get("unit"):
        column.unit = description["unit"]
    if description.get("description"):
        column.description = description["description"]
    if description.get("ucd"):
        column.meta["ucd"] = description["ucd"]
    return column


def rows_table(columns: list[dict[str, Any]], rows: list[list[Any]], name: str) -> Table:
    """An astropy Table from the result cache's column descriptions and rows."""
    from astropy.table import Table

    table = Table(
        [_column([row[i] for row in rows], col) for i, col in enumerate(columns)],
        masked=True,
    )
    table.meta["name"] = name
    return table


def votable_bytes(table: Table) -> bytes:
    """``table`` as a VOTable document (TABLEDATA, so any tool reads it)."""
    from astropy.io.votable import from_table, writeto

    votable = from_table(table)
    resource_table = votable.get_first_table()
    resource_table.name = str(table.meta.get("name") or "table")
    for field, column in zip(resource_table.fields, table.columns.values(), strict=True):
        if column.meta.get("ucd"):
            field.ucd = column.meta["ucd"]
    out = io.BytesIO()
    writeto(votable, out)
    return out.getvalue()


def _selected(
    store: ResultStore, result_id: str, rows: Sequence[int], query: dict[str, Any]
) -> list[list[Any]]:
    """The rows at view positions ``rows`` (the view's sort and filter applied), in that order."""
    wanted = sorted(set(rows))
    picked: dict[int, list[Any]] = {}
    start = 0
    while start < len(wanted):
        first = wanted[start]
        end = start
        while end + 1 < len(wanted) and wanted[end + 1] - first < MAX_LIMIT:
            end += 1
        page = store.page(
            result_id,
            first,
            wanted[end] - first + 1,
            query.get("sort"),
            query.get("order") or "asc",
            query.get("filter"),
        )
        for position in wanted[start : end + 1]:
            if position - first < len(page["rows"]):
                picked[position] = page["rows"][position - first]
        start = end + 1
    return [picked[position] for position in rows if position in picked]


def result_votable(store: ResultStore, source: dict[str, Any], name: str) -> bytes:
    """A stored result as a VOTable: every row, or the view rows ``source["rows"]``."""
    result_id = str(source["result_id"])
    info = store.describe(result_id)
    positions = source.get("rows")
    if positions is None:
        rows = [row for chunk in store.iter_rows(result_id) for row in chunk]
    else:
        rows = _selected(store, result_id, positions, source.get("query") or {})
    return votable_bytes(rows_table(info.columns, rows, name))


def basket_votable(basket: Basket, ids: Sequence[str]) -> bytes:
    """Basket items as the basket's own VOTable export (one row per item)."""
    from esap.basket.transfer import export_votable

    return export_votable(basket.all(ids=list(ids)))


__all__ = ["basket_votable", "result_votable", "rows_table", "votable_bytes"]
