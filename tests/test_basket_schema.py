"""The basket table: an older schema is upgraded in place on open; rows of either shape."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from esap.basket import Basket, BasketError, DataItem, ServiceItem, SoftwareItem
from esap.basket.models import AnyItem
from esap.basket.store import SCHEMA_VERSION

#: Schema 1, as the store created it (``PRAGMA user_version`` 1).
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('data', 'service', 'software')),
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
);
CREATE INDEX IF NOT EXISTS items_by_kind ON items (kind, seq);
CREATE INDEX IF NOT EXISTS items_grouped ON items (grp) WHERE grp != '';
PRAGMA user_version=1;
"""

_ENVELOPE = {"id", "kind", "title", "notes", "group", "added"}


def _old_row(item: AnyItem) -> tuple[object, ...]:
    """The row schema 1 wrote: envelope and listed fields in columns, the rest in ``body``."""
    url = item.access_url if isinstance(item, DataItem) else item.url
    data = item if isinstance(item, DataItem) else None
    return (
        item.id, item.key(), item.kind, item.title, item.label(), item.notes, item.group,
        item.added.isoformat(), getattr(item, "service", None), url,
        data.format if data else None, data.size if data else None,
        item.model_dump_json(exclude=_ENVELOPE),
    )  # fmt: skip


def _old_basket(path: Path, items: list[AnyItem]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=16384")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA_1)
    with conn:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO items (id, key, kind, title, label, notes, grp, added, service,"
            " access_url, format, size, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [_old_row(item) for item in items],
        )
    conn.close()


def test_a_schema_1_basket_is_upgraded_in_place_with_every_item(tmp_path: Path) -> None:
    items: list[AnyItem] = []
    for i in range(40):  # kinds interleaved, so the order of adding is tested within each kind
        items.append(
            DataItem(
                service="local-tap",
                access_url=f"https://a.org/{i}.fits",
                format="image/fits",
                size=2880 * i,
                checksum="md5:0123abcd" if i % 3 == 0 else None,
                query={"target": "M31"} if i % 2 else "SELECT * FROM ivoa.obscore",
                fields={"ra": 10.5 + i, "name": f"<b>{i}</b>"},
                group="deep" if i % 5 == 0 else "",
                notes=f"seeing 0.{i}" if i % 7 == 0 else "",
            )
        )
        if i % 10 == 0:
            items.append(ServiceItem(service=f"svc{i}", type="tap", url=f"https://s.org/{i}"))
            items.append(SoftwareItem(catalogue="ossr", identifier=f"t{i}", languages=["C"]))
    items.append(DataItem(service="local-tap", fields={"obs_id": "no url"}, title="row only"))
    path = tmp_path / "basket.db"
    _old_basket(path, items)

    with Basket(path) as basket:
        assert basket.all(ids=[item.id for item in items]) == items
        expected = [i for kind in ("data", "service", "software") for i in items if i.kind == kind]
        assert basket.columns(names=["id"])["id"] == [item.id for item in expected]
        assert [row["id"] for row in basket.summaries("service")] == [
            item.id for item in items if item.kind == "service"
        ]
        page = basket.page(offset=39, limit=3)
        assert page.counts == {"data": 41, "service": 4, "software": 4}
        assert [row["id"] for row in page.items] == [item.id for item in expected[39:42]]
        assert basket.page(group="deep").total == 8
        assert basket.groups() == ["deep"]
        # identity survives: the same record is not added twice, a new one is
        assert basket.add(items[0].model_dump()).id == items[0].id
        fresh = basket.add({"kind": "data", "service": "s", "access_url": "https://b.org/1"})
        assert basket.count() == len(items) + 1
        assert basket.page(kind="data", offset=41).items[0]["id"] == fresh.id

    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    (table,) = check.execute("SELECT sql FROM sqlite_schema WHERE name='items'").fetchone()
    assert "kind IN (" not in table  # the slow CHECK of schema 1 is gone
    indexes = {
        name for (name,) in check.execute("SELECT name FROM sqlite_schema WHERE type='index'")
    }
    assert "items_by_kind" not in indexes
    assert {"items_not_data", "items_grouped"} <= indexes
    check.close()
    with Basket(path) as again:  # opening an upgraded file changes nothing
        assert again.count() == len(items) + 1


def test_a_basket_of_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "basket.db"
    with Basket(path) as basket:
        basket.add({"kind": "service", "service": "gavo"})
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(BasketError, match=r"newer than this esap reads.*upgrade esap"):
        Basket(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM items").fetchone() == (1,)
    conn.close()


def test_a_batch_of_mixed_row_shapes_keeps_its_order_fields_and_identity(tmp_path: Path) -> None:
    """Items with a title, notes or group are written by another statement than plain ones."""
    batch: list[dict[str, object]] = []
    for i in range(6):
        item: dict[str, object] = {"kind": "data", "service": "s", "access_url": f"https://a/{i}"}
        if i % 3 == 1:
            item["title"] = f"titled {i}"
        if i % 3 == 2:
            item.update(notes=f"note {i}", group="g")
        batch.append(item)
    batch.append(dict(batch[1]))  # the same record again, in a run of the other shape
    with Basket(tmp_path / "b.db") as basket:
        ids = basket.add_many(batch)
        assert ids[-1] == ids[1]
        assert len(set(ids)) == 6
        rows = basket.summaries()
        assert [row["id"] for row in rows] == ids[:6]
        assert [(row["title"], row["notes"], row["group"]) for row in rows] == [
            (item.get("title", ""), item.get("notes", ""), item.get("group", ""))
            for item in batch[:6]
        ]
        assert [row["label"] for row in rows][:2] == ["0", "titled 1"]


def test_pages_across_data_and_the_other_kinds_match_the_whole_listing(tmp_path: Path) -> None:
    """Data items are read in table order, the others through their index: pages join both."""
    batch: list[dict[str, object]] = []
    for i in range(30):
        group = "g" if i % 4 == 0 else ""
        batch.append({"kind": "software", "catalogue": "c", "identifier": f"t{i}", "group": group})
        batch.append(
            {"kind": "data", "service": "s", "access_url": f"https://a/{i}", "group": group}
        )
        if i % 3 == 0:
            batch.append({"kind": "service", "service": f"svc{i}", "notes": f"n{i}"})
    with Basket(tmp_path / "b.db") as basket:
        basket.add_many(batch)
        whole = basket.summaries()
        for kind in (None, "data", "service", "software"):
            for group in (None, "g"):
                for text in (None, "1"):
                    expected = [
                        row
                        for row in whole
                        if (kind is None or row["kind"] == kind)
                        and (group is None or row["group"] == group)
                        and (
                            text is None
                            or any(
                                text in str(row[n] or "")
                                for n in ("label", "service", "notes", "access_url")
                            )
                        )
                    ]
                    for offset, limit in ((0, 7), (25, 10), (29, 40), (70, 5)):
                        page = basket.page(offset, limit, kind=kind, group=group, text=text)
                        assert page.total == len(expected), (kind, group, text)
                        assert page.items == expected[offset : offset + limit], (
                            kind,
                            group,
                            text,
                            offset,
                        )
        assert basket.page().counts == {"data": 30, "service": 10, "software": 30}
