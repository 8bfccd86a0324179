"""The basket store: one SQLite file in ``~/.esap/basket.db`` (WAL, atomic commits).

Every change is one ``BEGIN IMMEDIATE ... COMMIT`` transaction with
``synchronous=FULL``: a change either is on disk whole when the call returns
or was never made, so killing the server (or a notebook) in the middle of a
write loses nothing that was committed and leaves a file that opens cleanly.
The server, the notebooks and the ``esap basket`` command share the file;
SQLite's locking orders their writes.

The envelope and the fields the panel lists and sorts on are columns (so a
100k-item basket pages and counts without decoding bodies); the rest of an item is
JSON in ``body``, without what the columns hold and without defaults (older
bodies repeat the columns; reading prefers the columns). ``key`` is an
item's identity (see ``models``): adding a record already in the basket
keeps the one there.

A batch is checked in one pass over plain dicts (``models.FIELDS``) and
written with one ``executemany``: 100k items are added without building
100k models. The table has only the indexes reading needs (ids, keys, the
kinds other than data, groups): each index is paid by every insert. The
schema has a version (``PRAGMA user_version``); an older file is upgraded
in place when it is opened (``_prepare``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from esap.basket.models import (
    DEFAULTS,
    FIELDS,
    KINDS,
    AnyItem,
    DataItem,
    ServiceItem,
    SoftwareItem,
    item_key,
    item_label,
    parse_item,
)
from esap.core.clock import stamp
from esap.core.db import connect, transaction
from esap.core.errors import EsapError, FieldError, NotFound
from esap.core.ids import new_ids
from esap.core.state import state_dir

SCHEMA_VERSION = 2

#: The items table. ``kind`` is checked with ``OR``, not ``IN (...)``: SQLite
#: 3.40 evaluates a three-value ``IN`` list in a CHECK through a temporary
#: table built for every row, which was a third of the time of adding 100k
#: items (schema 1 had it; ``_upgrade`` rebuilds such a table).
TABLE = """
CREATE TABLE {name} (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind = 'data' OR kind = 'service' OR kind = 'software'),
    title TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    grp TEXT NOT NULL DEFAULT '',
    added TEXT NOT NULL,
    service TEXT,
    access_url TEXT,
    format TEXT,
    size INTEGER,
    body TEXT NOT NULL
)
"""
#: Every index ends with the rowid (``seq``), so ``(kind)`` serves ``ORDER BY
#: kind, seq`` and the per-kind counts; data items are left out (see ``_parts``).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS items_not_data ON items (kind) WHERE kind != 'data'",
    "CREATE INDEX IF NOT EXISTS items_grouped ON items (grp) WHERE grp != ''",
)
#: The table's columns, in the order of both schemas (what an upgrade copies).
_ALL_COLUMNS = (
    "seq, id, key, kind, title, label, notes, grp, added, service, access_url, format, size, body"
)

#: The columns a page of the basket lists (what the panel shows per row).
SUMMARY_COLUMNS = (
    "id",
    "kind",
    "label",
    "title",
    "notes",
    "grp",
    "added",
    "service",
    "access_url",
    "format",
    "size",
)
#: Per kind, the item fields kept in a column of their own (field -> column).
_COLUMN_FIELDS = {
    "data": {"service": "service", "access_url": "access_url", "format": "format", "size": "size"},
    "service": {"service": "service", "url": "access_url"},
    "software": {"url": "access_url"},
}
_ENVELOPE = frozenset(("id", "kind", "title", "notes", "group", "added"))
_REQUIRED = object()  # equal to no value: a required field is always in the body
#: Per kind, the fields a body holds (not the envelope's, not a column's), with their defaults.
_BODY_FIELDS = {
    kind: [
        (name, DEFAULTS[kind].get(name, _REQUIRED))
        for name in model.model_fields
        if name not in _ENVELOPE and name not in _COLUMN_FIELDS[kind]
    ]
    for kind, model in (("data", DataItem), ("service", ServiceItem), ("software", SoftwareItem))
}
#: What reading an item selects: the envelope, the columns of ``_COLUMN_FIELDS``, the body.
_ITEM_COLUMNS = "id, kind, title, notes, grp, added, service, access_url, format, size, body"
MAX_PAGE = 5000
#: The longest group name (as the item model keeps it).
MAX_GROUP = 200


class BasketError(EsapError, ValueError):
    """A request on the basket that cannot be met; the message says what to do."""

    code = "bad_request"


class ItemNotFound(BasketError, NotFound):
    """No item with that id (removed, or from another basket)."""

    status = 404
    code = "not_found"
    fix = "reload the basket (esap.basket.items() in a notebook); the item may be gone"

    def __init__(self, item_id: str) -> None:
        super().__init__(f"no item {item_id!r} in the basket")
        self.item_id = item_id


@dataclass(frozen=True)
class Page:
    """One page of the basket, in kind order then in the order items were added."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    counts: dict[str, int]


def default_path() -> Path:
    """``~/.esap/basket.db`` (or under ``$ESAP_STATE_DIR``)."""
    return state_dir() / "basket.db"


def _checked(items: Iterable[AnyItem | dict[str, Any]]) -> list[dict[str, Any]]:
    """Every item as a checked dict of its fields; dicts are checked in one pass.

    On a bad dict the first bad one is checked again on its own, so the error
    is exactly the one ``parse_item`` gives (the field's path, what to fix).
    """
    entries = list(items)
    raw = [entry for entry in entries if isinstance(entry, dict)]
    checked: list[dict[str, Any]] = []
    if raw:
        try:
            checked = FIELDS.validate_python(raw)
        except ValidationError:
            for entry in raw:
                parse_item(entry)
            raise
    if len(raw) == len(entries):  # dicts only (a REST body, an import): nothing to merge
        return checked
    given = iter(checked)
    return [next(given) if isinstance(entry, dict) else dict(entry) for entry in entries]


#: The columns a row gives, by its shape. Most items come without a title,
#: notes or a group: their rows leave those to the column's DEFAULT '' and
#: bind 10 values instead of 13 (binding is a third of SQLite's time for
#: 100k items). ``id`` and ``key`` are first in both.
_FULL = (
    "id", "key", "kind", "title", "label", "notes", "grp",
    "added", "service", "access_url", "format", "size", "body",
)  # fmt: skip
_PLAIN = tuple(column for column in _FULL if column not in ("title", "notes", "grp"))
_INSERT = {
    shape: f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - constant
    " ON CONFLICT(key) DO NOTHING"
    for shape, columns in ((True, _FULL), (False, _PLAIN))
}


def _rows(items: Sequence[dict[str, Any]]) -> list[tuple[bool, list[tuple[Any, ...]]]]:
    """The table rows of checked items, as runs of one shape (``_INSERT``) in the given order.

    Ids and the added time are filled where not given.
    """
    fresh = new_ids(len(items))
    written = stamp()
    runs: list[tuple[bool, list[tuple[Any, ...]]]] = []
    run: list[tuple[Any, ...]] = []
    shape = None
    for index, fields in enumerate(items):
        get = fields.get
        kind = fields["kind"]
        body = {}
        for name, default in _BODY_FIELDS[kind]:
            if name in fields and fields[name] != default:
                body[name] = fields[name]
        try:
            text = json.dumps(body, ensure_ascii=False) if body else "{}"
        except (TypeError, ValueError) as exc:
            raise BasketError(
                f"item {index}: {', '.join(body)}: not JSON data ({exc}); "
                "give strings, numbers, lists and dicts"
            ) from None
        added = get("added")
        when = written if added is None else added.isoformat()
        url = get("access_url" if kind == "data" else "url")
        title, notes, group = get("title", ""), get("notes", ""), get("group", "")
        full = bool(title or notes or group)
        if full is not shape:
            run = []
            runs.append((full, run))
            shape = full
        item_id = get("id") or fresh[index]
        key, label = item_key(fields), item_label(fields)
        service, fmt, size = get("service"), get("format"), get("size")
        if full:
            run.append(
                (
                    item_id,
                    key,
                    kind,
                    title,
                    label,
                    notes,
                    group,
                    when,
                    service,
                    url,
                    fmt,
                    size,
                    text,
                )
            )
        else:
            run.append((item_id, key, kind, label, when, service, url, fmt, size, text))
    return runs


def _create(path: Path) -> None:
    """A new basket file with 16 KiB pages (set before WAL, which fixes the page size).

    Larger pages make fewer B-tree splits when 100k items go in at once;
    SQLite's default is 4 KiB. ``IF NOT EXISTS`` keeps a race of two
    processes creating the file harmless.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Make the items table the one of ``SCHEMA_VERSION``: create it, or upgrade it in place.

    One ``BEGIN IMMEDIATE`` transaction: a process killed in the middle
    leaves the basket as it was, and of two processes opening an old file at
    once, the second finds it upgraded. ``PRAGMA user_version`` says which
    schema a file has (0: none yet, or a schema-1 table whose version was
    never written).
    """
    if _version(conn) == SCHEMA_VERSION:
        return
    with transaction(conn):
        version = _version(conn)
        if version > SCHEMA_VERSION:
            raise BasketError(
                f"{path}: basket schema {version} is newer than this esap reads "
                f"({SCHEMA_VERSION}); upgrade esap, or move the file aside to start a new basket"
            )
        if version == SCHEMA_VERSION:
            return
        exists = conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type='table' AND name='items'"
        ).fetchone()
        if exists:
            _upgrade(conn)
        else:
            conn.execute(TABLE.format(name="items"))
        for statement in INDEXES:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _upgrade(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: rebuild the table with the cheaper CHECK, every row copied as it is.

    SQLite cannot change a CHECK constraint in place; this is its documented
    procedure (create the new table, copy, drop the old one, rename). ``seq``
    is copied, so the basket keeps its order; the old indexes go with the
    old table and the caller creates the new ones.
    """
    conn.execute(TABLE.format(name="items_upgrade"))
    conn.execute(
        f"INSERT INTO items_upgrade ({_ALL_COLUMNS}) SELECT {_ALL_COLUMNS} FROM items"  # noqa: S608 - constant
    )
    conn.execute("DROP TABLE items")
    conn.execute("ALTER TABLE items_upgrade RENAME TO items")


#: The basket's order is by kind, then by the order of adding (``seq``). Data
#: items, the bulk of a basket, are kept out of the kind index (every index
#: costs every insert: it was a sixth of SQLite's time for 100k data items): they
#: are read in the table's own order (``seq`` is the rowid), the few items of
#: the other kinds through the partial index ``items_not_data``. A reader runs
#: the parts, each (condition, order), in turn.
_DATA = ("kind = 'data'", "seq")
_NOT_DATA = ("kind != 'data'", "kind, seq")


def _parts(kind: str | None) -> list[tuple[str, str, tuple[Any, ...]]]:
    """The parts of the basket holding ``kind`` (all kinds for None), in basket order."""
    if kind is None:
        return [(*_DATA, ()), (*_NOT_DATA, ())]
    if kind == "data":
        return [(*_DATA, ())]
    return [(f"{_NOT_DATA[0]} AND kind = ?", "seq", (kind,))]


def _summary(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    summary = dict(zip(SUMMARY_COLUMNS, row, strict=True))
    summary["group"] = summary.pop("grp")
    return summary


class Basket:
    """A user's basket: add, list, page, update and remove items, atomically.

    ``Basket()`` opens the user's own basket; ``Basket(path)`` another file
    (a test, a colleague's exported copy opened in place is *not* supported:
    import it instead).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            _create(self.path)
        self._lock = threading.RLock()
        self._conn = connect(self.path)
        # FULL: a commit is on disk before the call returns (WAL + NORMAL could
        # lose the last commits on power loss, not only on a crash).
        self._conn.execute("PRAGMA synchronous=FULL")
        try:
            _prepare(self._conn, self.path)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        """Close the connection (the file stays as it is)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Basket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------

    def add(self, item: AnyItem | dict[str, Any]) -> AnyItem:
        """Add one item (a model or a dict with ``kind``); an item already there is kept."""
        parsed = item if not isinstance(item, dict) else parse_item(item)
        (stored_id,) = self.add_many([parsed])
        return self.get(stored_id)

    def add_many(self, items: Iterable[AnyItem | dict[str, Any]]) -> list[str]:
        """Add items in one transaction (all or none); returns their ids in order.

        An item whose ``key`` is already in the basket is not added again: its
        id in the list is the one already stored. Dicts are validated first,
        so a bad one adds nothing.
        """
        runs = _rows(_checked(items))
        with self._lock, transaction(self._conn) as conn:
            added = sum(conn.executemany(_INSERT[full], rows).rowcount for full, rows in runs)
            if added == sum(len(rows) for _, rows in runs):  # every row went in with its id
                return [row[0] for _, rows in runs for row in rows]
            keys = [row[1] for _, rows in runs for row in rows]
            stored: dict[str, str] = {}
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                stored.update(
                    conn.execute(f"SELECT key, id FROM items WHERE key IN ({marks})", chunk)  # noqa: S608 - placeholders only
                )
        return [stored[key] for key in keys]

    def update(
        self,
        item_id: str,
        *,
        title: str | None = None,
        notes: str | None = None,
        group: str | None = None,
    ) -> AnyItem:
        """Change an item's title, notes or group; ``None`` leaves a field as it is."""
        with self._lock, transaction(self._conn):
            current = self._get(item_id)
            changes = {
                name: value
                for name, value in (("title", title), ("notes", notes), ("group", group))
                if value is not None
            }
            updated = parse_item({**current.model_dump(mode="json"), **changes})
            self._conn.execute(
                "UPDATE items SET title=?, label=?, notes=?, grp=? WHERE id=?",
                (updated.title, updated.label(), updated.notes, updated.group, item_id),
            )
        return updated

    def rename(self, item_id: str, title: str) -> AnyItem:
        """Give an item a title of the user's choosing ('' goes back to the default)."""
        return self.update(item_id, title=title)

    def set_group(self, item_ids: Sequence[str], group: str) -> int:
        """Put items in a group of the user's choosing ('' = no group); returns how many."""
        if len(group) > MAX_GROUP:
            raise FieldError(
                "group",
                f"longer than {MAX_GROUP} characters",
                "give a shorter group name ('' for no group)",
            )
        with self._lock, transaction(self._conn) as conn:
            changed = 0
            for start in range(0, len(item_ids), 500):
                chunk = list(item_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                changed += conn.execute(
                    f"UPDATE items SET grp=? WHERE id IN ({marks})",  # noqa: S608 - placeholders only
                    [group, *chunk],
                ).rowcount
        return changed

    def remove(self, item_ids: Sequence[str]) -> int:
        """Remove items by id (unknown ids are ignored); returns how many went."""
        with self._lock, transaction(self._conn) as conn:
            removed = 0
            for start in range(0, len(item_ids), 500):
                chunk = list(item_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                removed += conn.execute(
                    f"DELETE FROM items WHERE id IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                ).rowcount
        return removed

    def clear(self, kind: str | None = None) -> int:
        """Empty the basket (or only items of ``kind``); returns how many went."""
        self._check_kind(kind)
        with self._lock, transaction(self._conn) as conn:
            if kind is None:
                return conn.execute("DELETE FROM items").rowcount
            return conn.execute("DELETE FROM items WHERE kind=?", (kind,)).rowcount

    # -- reading -------------------------------------------------------------

    def get(self, item_id: str) -> AnyItem:
        """The item with this id; :class:`ItemNotFound` when there is none."""
        with self._lock:
            return self._get(item_id)

    def _get(self, item_id: str) -> AnyItem:
        row = self._conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE id=?",  # noqa: S608 - constant columns
            (item_id,),
        ).fetchone()
        if row is None:
            raise ItemNotFound(item_id)
        return self._item(row)

    @staticmethod
    def _item(row: Sequence[Any]) -> AnyItem:
        item_id, kind, title, notes, group, added, *columns, body = row
        data = json.loads(body)
        data.update(id=item_id, kind=kind, title=title, notes=notes, group=group, added=added)
        named = dict(zip(("service", "access_url", "format", "size"), columns, strict=True))
        for name, column in _COLUMN_FIELDS[kind].items():
            if named[column] is not None:
                data[name] = named[column]
        return parse_item(data)

    def all(self, kind: str | None = None, ids: Sequence[str] | None = None) -> list[AnyItem]:
        """Every item (of ``kind``, or with these ``ids`` in that order) as typed models."""
        self._check_kind(kind)
        if ids is not None:
            return [self.get(item_id) for item_id in ids]
        return list(self._iter(kind))

    def _iter(self, kind: str | None) -> Iterator[AnyItem]:
        with self._lock, transaction(self._conn, read=True) as conn:
            rows = [
                row
                for where, order, params in _parts(kind)
                for row in conn.execute(
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE {where} ORDER BY {order}",  # noqa: S608 - constant
                    params,
                )
            ]
        for row in rows:
            yield self._item(row)

    def summaries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every item's listed columns (no body decoding: fast for 100k items)."""
        self._check_kind(kind)
        listed = ", ".join(SUMMARY_COLUMNS)
        with self._lock, transaction(self._conn, read=True) as conn:
            return [
                _summary(row)
                for where, order, params in _parts(kind)
                for row in conn.execute(
                    f"SELECT {listed} FROM items WHERE {where} ORDER BY {order}",  # noqa: S608 - constant
                    params,
                )
            ]

    def columns(
        self, kind: str | None = None, names: Sequence[str] = SUMMARY_COLUMNS
    ) -> dict[str, list[Any]]:
        """Listed columns (``names``, default all) column-wise, '' (-1 for size) where unknown.

        SQLite hands each column of each part of the basket (see ``_parts``)
        over as one JSON array (``json_group_array`` over the rows in basket
        order), so 100k items cost one ``json.loads`` per column instead of
        100k row tuples taken apart in Python. The order is checked (the
        ``seq`` of each row comes along); were it ever not the basket's, the
        rows are read one by one instead.
        """
        self._check_kind(kind)
        unknown = sorted(set(names) - set(SUMMARY_COLUMNS))
        if unknown:
            raise BasketError(f"columns {unknown}: unknown; use {', '.join(SUMMARY_COLUMNS)}")
        listed = [f"coalesce({name}, {-1 if name == 'size' else repr('')})" for name in names]
        # the rows in basket order, columns named c0...; kind and seq first, to check the order
        selected = ", ".join(
            f"{column} AS c{i}" for i, column in enumerate(["kind", "seq", *listed])
        )
        arrays = ", ".join(f"json_group_array(c{i})" for i in range(len(listed) + 2))
        queries = [
            (f"SELECT {selected} FROM items WHERE {where} ORDER BY {order}", params)  # noqa: S608 - constant
            for where, order, params in _parts(kind)
        ]
        columns: list[list[Any]] = [[] for _ in range(len(listed) + 2)]
        with self._lock, transaction(self._conn, read=True) as conn:
            try:
                for ordered, params in queries:
                    texts = conn.execute(f"SELECT {arrays} FROM ({ordered})", params).fetchone()  # noqa: S608 - constant
                    for column, text in zip(columns, texts, strict=True):
                        column += json.loads(text)
                kinds, seqs, *values = columns
                keys = list(zip(kinds, seqs, strict=True))
                in_order = keys == sorted(keys)
            except ValueError:
                in_order = False
            if not in_order:
                rows = [row for ordered, params in queries for row in conn.execute(ordered, params)]
                values = [list(column) for column in zip(*rows, strict=True)][2:]
                values = values or [[] for _ in names]
        labels = [("group" if name == "grp" else name) for name in names]
        return dict(zip(labels, values, strict=True))

    def page(
        self,
        offset: int = 0,
        limit: int = 200,
        *,
        kind: str | None = None,
        group: str | None = None,
        text: str | None = None,
    ) -> Page:
        """A page of item summaries, filtered by kind, group and text (title, service, notes)."""
        self._check_kind(kind)
        if offset < 0:
            raise BasketError(f"offset {offset}: must be >= 0")
        if not 1 <= limit <= MAX_PAGE:
            raise BasketError(f"limit {limit}: must be between 1 and {MAX_PAGE}")
        where: list[str] = []
        params: list[Any] = []
        if group is not None:
            where.append("grp=?")
            params.append(group)
        if text:
            where.append("(label LIKE ? OR service LIKE ? OR notes LIKE ? OR access_url LIKE ?)")
            pattern = f"%{text}%"
            params += [pattern] * 4
        clause = "".join(f" AND {condition}" for condition in where)
        listed = ", ".join(SUMMARY_COLUMNS)
        with self._lock, transaction(self._conn, read=True) as conn:
            counts = dict.fromkeys(KINDS, 0)
            counts.update(
                conn.execute("SELECT kind, count(*) FROM items WHERE kind != 'data' GROUP BY kind")
            )
            everything = conn.execute("SELECT count(*) FROM items").fetchone()[0]
            counts["data"] = everything - sum(counts.values())
            rows: list[tuple[Any, ...]] = []
            total = 0
            for part, order, part_params in _parts(kind):
                if where:  # how many of this part pass the filters
                    size = conn.execute(
                        f"SELECT count(*) FROM items WHERE {part}{clause}",  # noqa: S608 - placeholders only
                        [*part_params, *params],
                    ).fetchone()[0]
                elif part_params:  # one kind other than data
                    size = counts[part_params[0]]
                else:
                    size = counts["data"] if part == _DATA[0] else everything - counts["data"]
                skip = max(0, offset - total)
                wanted = limit - len(rows)
                if wanted > 0 and skip < size:
                    rows += conn.execute(
                        f"SELECT {listed} FROM items WHERE {part}{clause}"  # noqa: S608
                        f" ORDER BY {order} LIMIT ? OFFSET ?",
                        [*part_params, *params, wanted, skip],
                    ).fetchall()
                total += size
        return Page([_summary(row) for row in rows], total, offset, limit, counts)

    def count(self) -> int:
        """How many items the basket holds."""
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM items").fetchone()[0])

    def groups(self) -> list[str]:
        """The group names in use (from a partial index: ungrouped items cost nothing)."""
        with self._lock:
            rows = self._conn.execute("SELECT DISTINCT grp FROM items WHERE grp != '' ORDER BY grp")
            return [name for (name,) in rows]

    @staticmethod
    def _check_kind(kind: str | None) -> None:
        if kind is not None and kind not in KINDS:
            raise BasketError(f"kind {kind!r}: unknown; use one of {', '.join(KINDS)}")


__all__ = [
    "MAX_PAGE",
    "SCHEMA_VERSION",
    "SUMMARY_COLUMNS",
    "Basket",
    "BasketError",
    "ItemNotFound",
    "Page",
    "default_path",
]
