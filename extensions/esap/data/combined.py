"""The all-VO search's one combined view: every service's products, once each.

A hundred services answer with a hundred different sets of columns, and
several of them often hold the same product (an archive and its mirror, a
TAP service and the SIA service in front of the same ObsCore table). Each
answer is therefore projected, as it arrives, onto a few common columns
(:data:`COLUMNS`: where a row came from, what it is, where it is on the sky,
how to get it) and a product already given by another service is left out:
the same ``obs_publisher_did``, or else the same ``access_url``. Catalogue
rows (a cone search's sources) have neither and are all kept.

The rows go to a growing result of the result cache (``ResultStore.open``)
when there is one, so the lab pages, sorts and filters the combined view
like any answer, and the ``service`` column is its facet; without one (a
notebook) they are kept for :meth:`Combined.table`. Only the keys of the
products seen are held in memory, never the rows of an answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astropy.table import Table

    from esap.data.results import ResultStore

#: The combined view's columns: (name, datatype, role, ucd, description).
COLUMNS: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("service", "char", None, None, "The service that gave this row first"),
    ("product_id", "char", None, "meta.ref.ivoid", "The publisher's identifier, or the row's id"),
    ("title", "char", None, None, "What the row is (its title or target)"),
    ("product_type", "char", None, None, "ObsCore dataproduct_type (image, cube, ...)"),
    ("ra", "double", "ra", "pos.eq.ra;meta.main", "Right ascension (ICRS, degrees)"),
    ("dec", "double", "dec", "pos.eq.dec;meta.main", "Declination (ICRS, degrees)"),
    ("access_url", "char", "access_url", "meta.ref.url", "Where to get the product"),
    ("format", "char", "format", "meta.code.mime", "The product's MIME type"),
    ("preview", "char", "preview", None, "A preview image"),
    ("region", "char", "region", "pos.outline;obs.field", "The footprint (s_region)"),
    ("row", "long", None, None, "The row's index in its service's own answer"),
)

#: Column names (lower case) holding each common column, first match wins.
_NAMES = {
    "product_id": ("obs_publisher_did", "publisher_did", "ssa_pubdid"),
    "title": ("obs_title", "title", "ssa_targname", "target_name", "target"),
    "product_type": ("dataproduct_type", "ssa_dstype"),
}
#: UCDs that name a row when no publisher's id does (a catalogue's main id).
_ID_UCDS = ("meta.id;meta.main", "meta.ref.ivoid", "meta.curation")


def described_columns() -> list[dict[str, Any]]:
    """The combined view's Column descriptions (as ``columns_of`` gives a service's)."""
    return [
        {"name": name, "datatype": datatype, "unit": "deg" if role in ("ra", "dec") else None,
         "ucd": ucd, "description": text, "role": role}
        for name, datatype, role, ucd, text in COLUMNS
    ]  # fmt: skip


def _pick(columns: list[dict[str, Any]]) -> dict[str, int]:
    """Where each common column is in a service's answer (by role, name, then UCD)."""
    found: dict[str, int] = {}
    by_name = {str(c["name"]).lower(): i for i, c in enumerate(columns)}
    for i, column in enumerate(columns):
        role = column.get("role")
        if role and role not in found:
            found[role] = i
    for common, names in _NAMES.items():
        for name in names:
            if name in by_name:
                found[common] = by_name[name]
                break
    if "product_id" not in found:
        for i, column in enumerate(columns):
            if str(column.get("ucd") or "").lower() in _ID_UCDS:
                found["product_id"] = i
                break
    return found


@dataclass
class Combined:
    """The combined view of one all-VO search; :meth:`add` is called as each service answers."""

    store: ResultStore | None = None
    result_id: str | None = None
    total: int = 0
    duplicates: int = 0
    _seen: set[str] = field(default_factory=set)
    _rows: list[list[Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.store is not None:
            self.result_id = self.store.open("all services", described_columns())

    def add(self, service: str, table: Table, columns: list[dict[str, Any]]) -> dict[str, Any]:
        """Add one service's answer; how many of its rows were new and how many duplicates."""
        from esap.data.cells import column_values  # numpy: not at ``import esap.data``

        where = _pick(columns)
        names = [c["name"] for c in columns]
        values = {
            common: column_values(table[names[i]], 0, len(table)) for common, i in where.items()
        }
        has_did = (
            "product_id" in where and names[where["product_id"]].lower() in _NAMES["product_id"]
        )
        rows: list[list[Any]] = []
        duplicates = 0
        with self._lock:
            for index in range(len(table)):
                keys = []
                did = values["product_id"][index] if has_did else None
                url = values["access_url"][index] if "access_url" in values else None
                if did:
                    keys.append(f"did {did}")
                if url:
                    keys.append(f"url {url}")
                if keys and any(key in self._seen for key in keys):
                    duplicates += 1
                    continue
                self._seen.update(keys)
                row: list[Any] = [service]
                for name, *_ in COLUMNS[1:-1]:
                    row.append(values[name][index] if name in values else None)
                row.append(index)
                rows.append(row)
            self.total += len(rows)
            self.duplicates += duplicates
            if self.store is None:
                self._rows.extend(rows)
        if self.store is not None and self.result_id is not None:
            self.store.append(self.result_id, rows)
        return {"unique": len(rows), "duplicates": duplicates}

    def close(self) -> None:
        """No more answers: the combined result is whole."""
        if self.store is not None and self.result_id is not None:
            self.store.close(self.result_id)

    def table(self) -> Table:
        """The combined rows as an astropy Table (without a store: what a notebook gets)."""
        from astropy.table import Table

        names = [name for name, *_ in COLUMNS]
        dtypes = [{"char": object, "double": float, "long": int}[t] for _, t, *_ in COLUMNS]
        rows = self._rows
        if not rows:
            return Table(names=names, dtype=[str if d is object else d for d in dtypes])
        columns = []
        for i, (_name, datatype, *_) in enumerate(COLUMNS):
            cells = [row[i] for row in rows]
            if datatype == "char":
                data: Any = ["" if v is None else str(v) for v in cells]
            elif datatype == "double":
                data = [float("nan") if v is None else float(v) for v in cells]
            else:
                data = cells
            columns.append(data)
        table = Table(columns, names=names)
        for name, _datatype, _role, ucd, text in COLUMNS:
            table[name].description = text
            if ucd:
                table[name].meta["ucd"] = ucd
        return table


__all__ = ["COLUMNS", "Combined", "described_columns"]
