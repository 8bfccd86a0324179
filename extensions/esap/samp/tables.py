"""The table a capability link serves: a stored search result (all or some rows) or basket items.

:func:`share_result` and :func:`share_basket` issue a link once what it
names is checked (the result or the items exist, the view's rows, sort and
filter are valid), so a desktop tool never fetches a link to nothing; every
face sends a table this way. When the tool fetches it, the VOTable is
written: SAMP's ``table.load.votable`` wants a VOTable; astropy writes it
(``astropy.io.votable.from_table``) from a Table rebuilt out of the result
cache's rows and column descriptions, so units, UCDs and descriptions the
archive gave travel to the desktop tool.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from esap.core.errors import FieldError
from esap.data.results import MAX_LIMIT, BadPage, ResultStore, UnknownResult
from esap.samp.links import DEFAULT_TTL, Link, LinkStore

if TYPE_CHECKING:
    from astropy.table import Table

    from esap.basket.store import Basket

_INTEGER = {"short", "int", "long", "unsignedByte"}
_FLOAT = {"float", "double"}


def _dtype(values: list[Any], datatype: str) -> str:
    """The numpy type of a column: the archive's datatype, where the cells fit it."""
    if datatype in _INTEGER and all(isinstance(v, int | None) for v in values):
        return "int64"
    if datatype in _FLOAT and all(isinstance(v, int | float | None) for v in values):
        return "float64"
    if datatype == "boolean" and all(isinstance(v, bool | None) for v in values):
        return "bool"
    return "str"


def _cell(value: Any, dtype: str) -> tuple[Any, bool]:
    """One cell as ``dtype`` and whether it is masked (a cell that does not fit is)."""
    if value is None:
        return ({"int64": 0, "float64": 0.0, "bool": False}.get(dtype, ""), True)
    if dtype == "str":
        return (value if isinstance(value, str) else json.dumps(value), False)
    try:
        return ({"int64": int, "float64": float, "bool": bool}[dtype](value), False)
    except (TypeError, ValueError):
        return ({"int64": 0, "float64": 0.0, "bool": False}[dtype], True)


def _column(values: list[Any], description: dict[str, Any], dtype: str) -> Any:
    """One astropy column from JSON cells; ``None`` cells become masked.

    A column without a null stays unmasked: astropy writes those cells on its
    fast path, masked ones one by one in Python.
    """
    from astropy.table import Column, MaskedColumn

    cells = [_cell(value, dtype) for value in values]
    data = [cell for cell, _ in cells]
    mask = [masked for _, masked in cells]
    name = description["name"]
    if any(mask):
        column = MaskedColumn(data, name=name, mask=mask, dtype=dtype)
    else:
        column = Column(data, name=name, dtype=dtype)
    if description.get("unit"):
        column.unit = description["unit"]
    if description.get("description"):
        column.description = description["description"]
    if description.get("ucd"):
        column.meta["ucd"] = description["ucd"]
    return column


def rows_table(
    columns: list[dict[str, Any]],
    rows: list[list[Any]],
    name: str,
    dtypes: list[str] | None = None,
) -> Table:
    """An astropy Table from the result cache's column descriptions and rows.

    ``dtypes`` fixes the column types (the first chunk's, for later chunks);
    by default they follow the archive's datatypes where the cells fit.
    """
    from astropy.table import Table

    values = [[row[i] for row in rows] for i in range(len(columns))]
    if dtypes is None:
        dtypes = [
            _dtype(v, c.get("datatype") or "char") for v, c in zip(values, columns, strict=True)
        ]
    table = Table([_column(v, c, d) for v, c, d in zip(values, columns, dtypes, strict=True)])
    table.meta["name"] = name
    return table


def votable_bytes(table: Table) -> bytes:
    """``table`` as a VOTable document (TABLEDATA, so any tool reads it)."""
    from astropy.io.votable import from_table, writeto

    votable = from_table(table)
    resource_table = votable.get_first_table()
    resource_table.ID = "esap_table"
    resource_table.name = str(table.meta.get("name") or "table")
    for field, column in zip(resource_table.fields, table.columns.values(), strict=True):
        if column.meta.get("ucd"):
            field.ucd = column.meta["ucd"]
        if field.datatype in ("char", "unicodeChar"):
            field.arraysize = "*"  # later chunks may hold longer text
    out = io.BytesIO()
    writeto(votable, out)
    return out.getvalue()


def stream_votable(
    columns: list[dict[str, Any]], chunks: Iterable[list[list[Any]]], name: str
) -> Iterator[bytes]:
    """A VOTable written chunk by chunk, so a million-row result never sits whole in memory.

    astropy writes each chunk (cell encoding, escaping, nulls); the header
    and footer come from the first chunk and only each chunk's ``TABLEDATA``
    rows follow. astropy has no streaming writer of its own.
    """
    opening, closing = b"<TABLEDATA>", b"</TABLEDATA>"
    footer: bytes | None = None
    dtypes: list[str] | None = None
    for rows in chunks:
        if not rows:
            continue
        table = rows_table(columns, rows, name, dtypes)
        dtypes = [str(column.dtype.kind) for column in table.columns.values()]
        dtypes = [{"i": "int64", "f": "float64", "b": "bool"}.get(k, "str") for k in dtypes]
        document = votable_bytes(table)
        start = document.index(opening) + len(opening)
        end = document.rindex(closing)
        if footer is None:
            footer = document[end:]
            yield document[:start]
        yield document[start:end]
    if footer is None:
        yield votable_bytes(rows_table(columns, [], name))
    else:
        yield footer


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


def result_votable(store: ResultStore, source: dict[str, Any], name: str) -> Iterator[bytes]:
    """A stored result as VOTable pieces: every row, or the view rows ``source["rows"]``.

    The result's existence is checked before the first piece, so a caller can
    still answer 404 instead of a cut-off document.
    """
    result_id = str(source["result_id"])
    info = store.describe(result_id)
    positions = source.get("rows")
    if positions is None:
        chunks: Iterable[list[list[Any]]] = store.iter_rows(result_id)
    else:
        chunks = [_selected(store, result_id, positions, source.get("query") or {})]
    return stream_votable(info.columns, chunks, name)


#: What a view's query may hold.
VIEW_KEYS = ("sort", "order", "filter")


def share_result(
    links: LinkStore,
    store: ResultStore,
    result_id: str,
    *,
    rows: Sequence[int] | None = None,
    query: dict[str, Any] | None = None,
    name: str | None = None,
    ttl: float | None = None,
) -> Link:
    """A link to a stored result: every row, or the view rows ``rows`` (``query``: the view).

    ``rows`` are positions in the view (its sort and filter applied), as
    the lab's grid selects them; the view is checked now, not when the tool
    fetches the link.
    """
    if rows is not None and (not rows or any(isinstance(r, bool) or r < 0 for r in rows)):
        raise FieldError(
            "rows",
            "must be a non-empty list of row positions (integers >= 0)",
            "send the selected rows' positions in the view, or leave rows out for all rows",
        )
    view = query or {}
    if set(view) - set(VIEW_KEYS):
        raise FieldError(
            "query",
            "must be an object with sort, order and filter only",
            'send the view\'s {"sort", "order", "filter"}',
        )
    try:
        store.describe(result_id)
        if rows is not None:
            store.page(
                result_id, 0, 1, view.get("sort"), view.get("order") or "asc", view.get("filter")
            )
    except UnknownResult as exc:
        raise exc.at("result_id") from None
    except BadPage as exc:  # the view's sort or order, under query
        raise BadPage(f"query.{exc.field}", exc.message, exc.fix) from None
    source = {"result_id": result_id, "rows": None if rows is None else list(rows), "query": view}
    return links.issue(_name(name, "ESAP result"), source, _ttl(ttl))


def share_basket(
    links: LinkStore,
    basket: Basket,
    ids: Sequence[str],
    *,
    name: str | None = None,
    ttl: float | None = None,
) -> Link:
    """A link to basket items (the basket's own VOTable export of them)."""
    from esap.basket.store import ItemNotFound

    if not ids:
        raise FieldError(
            "basket_ids", "must be a non-empty list of item ids", "select basket items first"
        )
    for item_id in ids:
        try:
            basket.get(item_id)
        except ItemNotFound as exc:
            raise exc.at("basket_ids") from None
    return links.issue(_name(name, "ESAP basket"), {"basket_ids": list(ids)}, _ttl(ttl))


def _name(name: str | None, default: str) -> str:
    return default if name is None else name


def _ttl(ttl: float | None) -> float:
    return DEFAULT_TTL if ttl is None else ttl


def basket_votable(basket: Basket, ids: Sequence[str]) -> bytes:
    """Basket items as the basket's own VOTable export (one row per item)."""
    from esap.basket.transfer import export_votable

    return export_votable(basket.all(ids=list(ids)))


__all__ = [
    "VIEW_KEYS",
    "basket_votable",
    "result_votable",
    "rows_table",
    "share_basket",
    "share_result",
    "stream_votable",
    "votable_bytes",
]
