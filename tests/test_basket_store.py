"""The basket store and its notebook API: durability, identity, export/import, rows of a search."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from astropy.table import Table
from pydantic import ValidationError

import esap
from esap.basket import Basket, BasketError, DataItem
from esap.basket.cells import cell
from esap.basket.transfer import ImportRejected, export, parse, parse_json

WRITER = textwrap.dedent(
    """
    import sys
    from esap.basket import Basket
    basket = Basket(sys.argv[1])
    for i in range(1000):
        (item_id,) = basket.add_many([{"kind": "data", "service": "s",
            "access_url": f"https://archive.example.org/{i}.fits", "notes": "x" * 2000}])
        print(item_id, flush=True)  # printed only once the commit returned
    """
)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ~/.esap for the notebook API."""
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return tmp_path


def test_kill_9_in_the_middle_of_1000_writes_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "basket.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    committed = []
    for line in writer.stdout:
        committed.append(line.strip())
        if len(committed) == 300:
            os.kill(writer.pid, signal.SIGKILL)
            break
    writer.wait()
    committed += [line.strip() for line in writer.stdout]  # lines already in the pipe
    assert writer.returncode == -signal.SIGKILL
    assert 300 <= len(committed) < 1000
    with Basket(path) as basket:
        stored = {summary["id"] for summary in basket.summaries()}
        assert set(committed) <= stored
        assert len(stored) <= len(committed) + 1  # at most the write in flight
        basket.add({"kind": "service", "service": "after", "url": "https://x.org/tap"})
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_same_record_is_kept_once_and_edits_stay(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        first = basket.add({"kind": "data", "service": "s", "access_url": "https://a.org/1.fits"})
        again = basket.add({"kind": "data", "service": "s", "access_url": "https://a.org/1.fits"})
        assert again.id == first.id
        assert basket.count() == 1
        basket.update(first.id, title="deep field", notes="seeing 0.8", group="M31")
    with Basket(tmp_path / "b.db") as reopened:
        item = reopened.get(first.id)
        assert (item.title, item.notes, item.group) == ("deep field", "seeing 0.8", "M31")
        assert reopened.groups() == ["M31"]
        assert reopened.remove([first.id, "nope"]) == 1
        assert reopened.count() == 0


def test_a_bad_item_in_a_batch_adds_nothing(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        good = {"kind": "data", "service": "s", "access_url": "https://a.org/1.fits"}
        with pytest.raises(ValueError, match="access_url"):
            basket.add_many(
                [good, {"kind": "data", "service": "s", "access_url": "javascript:alert(1)"}]
            )
        assert basket.count() == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "data", "service": "s", "access_url": "javascript://%0aalert(1)"},
        {"kind": "data", "service": ""},
        {"kind": "data", "service": "s", "size": -1},
        {"kind": "data", "service": "s", "checksum": "crc:1"},
        {"kind": "data", "service": "s", "fields": {"a": [1]}},
        {"kind": "data", "service": "s", "colour": "red"},
        {"kind": "data", "service": "s", "id": "not an id"},
        {"kind": "software", "catalogue": "c"},
        {"kind": "dataset", "service": "s"},
        {"service": "s"},
    ],
)
def test_a_batch_refuses_what_one_item_refuses_with_the_same_words(
    tmp_path: Path, bad: dict[str, object]
) -> None:
    good = [{"kind": "data", "service": "s", "access_url": f"https://a.org/{i}"} for i in range(3)]
    with pytest.raises(ValidationError) as alone:
        esap.basket.models.parse_item(bad)
    with Basket(tmp_path / "b.db") as basket:
        with pytest.raises(ValidationError) as batch:
            basket.add_many([*good, bad])
        assert str(batch.value) == str(alone.value)
        assert basket.count() == 0


def test_what_goes_in_comes_out_field_for_field(tmp_path: Path) -> None:
    given = [
        {"kind": "data", "service": "s", "access_url": "https://a.org/1", "query": ""},
        {"kind": "data", "service": "s", "fields": {"ra": 1.5, "flag": False}, "size": 0},
        {"kind": "service", "service": "gavo", "url": "https://dc.g-vo.org/tap", "type": ""},
        {"kind": "software", "catalogue": "c", "identifier": "t", "version": "", "ref": "v1.0"},
    ]
    with Basket(tmp_path / "b.db") as basket:
        ids = basket.add_many(given)
        again = basket.add_many([given[1], given[1]])  # twice in one batch, and already there
        assert again == [ids[1], ids[1]]
        for raw, item in zip(given, basket.all(ids=ids), strict=True):
            expected = {**raw, "id": item.id, "added": item.added}
            assert item == esap.basket.models.parse_item(expected)


def test_items_stored_before_bodies_were_slimmed_read_the_same(tmp_path: Path) -> None:
    """Older stores kept every non-envelope field in the body, the columns' ones too."""
    old = DataItem(service="s", access_url="https://a.org/1.fits", format="image/fits", size=7)
    with Basket(tmp_path / "b.db") as basket:
        basket._conn.execute(
            "INSERT INTO items (id, key, kind, title, label, notes, grp, added, service,"
            " access_url, format, size, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                old.id, old.key(), "data", "", old.label(), "", "", old.added.isoformat(),
                "s", old.access_url, old.format, old.size,
                old.model_dump_json(exclude={"id", "kind", "title", "notes", "group", "added"}),
            ),
        )  # fmt: skip
        assert basket.get(old.id) == old
        assert basket.add_many([old.model_dump()]) == [old.id]  # still the same record


def test_columns_list_items_grouped_by_kind_in_the_order_added(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        for i in range(3):
            basket.add({"kind": "software", "catalogue": "c", "identifier": f"t{i}"})
            basket.add({"kind": "data", "service": "s", "fields": {"n": i}, "notes": f'"\\{i}é'})
            basket.add({"kind": "service", "service": f"svc{i}"})
        columns = basket.columns()
        rows = basket.summaries()  # row by row, as the panel pages them
        assert columns["kind"] == ["data"] * 3 + ["service"] * 3 + ["software"] * 3
        for name, values in columns.items():
            expected = [row[name] for row in rows]
            if name in ("size", "service", "access_url", "format"):
                expected = [(-1 if name == "size" else "") if v is None else v for v in expected]
            assert values == expected, name
        assert basket.columns("service", ["label"]) == {"label": ["svc0", "svc1", "svc2"]}
        assert basket.columns("software", ["id"])["id"] == columns["id"][6:]


def test_paging_filters_and_counts(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        basket.add_many(
            [
                {"kind": "data", "service": "s", "access_url": f"https://a.org/{i}.fits"}
                for i in range(250)
            ]
            + [{"kind": "software", "catalogue": "c", "identifier": "tool", "title": "Tool"}]
        )
        page = basket.page(offset=240, limit=20)
        assert page.total == 251
        assert len(page.items) == 11
        assert [item["kind"] for item in page.items][-1] == "software"
        assert page.counts == {"data": 250, "service": 0, "software": 1}
        assert basket.page(text="17.fits").total == 3  # 17, 117 and 217
        with pytest.raises(BasketError, match="limit"):
            basket.page(limit=0)
        with pytest.raises(BasketError, match="kind 'dataset'"):
            basket.page(kind="dataset")


def test_json_and_votable_round_trip(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        basket.add_many(
            [
                {
                    "kind": "data",
                    "service": "local-tap",
                    "access_url": "https://a.org/x.fits",
                    "format": "image/fits",
                    "size": 2880,
                    "checksum": "md5:0123abcd",
                    "query": {"target": "M31", "radius": 0.1},
                    "fields": {"ra": 10.68, "name": "<b>M31</b>", "flag": True, "none": None},
                },
                {
                    "kind": "service",
                    "service": "gavo",
                    "type": "tap",
                    "url": "https://dc.g-vo.org/tap",
                },
                {
                    "kind": "software",
                    "catalogue": "ossr",
                    "identifier": "10.5281/zenodo.1",
                    "languages": ["Python"],
                },
            ]
        )
        items = basket.all()
        assert parse(export(basket, "json")) == items
        assert parse(export(basket, "votable")) == items


def test_malformed_json_import_is_rejected_whole_with_the_line(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        basket.add_many(
            [
                {"kind": "data", "service": "s", "access_url": f"https://a.org/{i}.fits", "size": i}
                for i in range(5)
            ]
        )
        text = export(basket, "json").decode()
        lines = text.splitlines()
        lines[4] = lines[4].replace('"size": 3', '"size": -3')  # the 4th item, on line 5
        bad = tmp_path / "bad.json"
        bad.write_text("\n".join(lines))
        with Basket(tmp_path / "other.db") as other:
            with pytest.raises(ImportRejected) as caught:
                esap.basket.transfer.import_file(other, bad)
            assert "line 5 (item 4): size" in str(caught.value)
            assert "nothing was added" in str(caught.value)
            assert other.count() == 0
    with pytest.raises(ImportRejected, match="line 3 column 1: not valid JSON"):
        parse_json('{"items": [\n{"kind": "data", "service": "s"}\n')
    with pytest.raises(ImportRejected, match=r"line 3 \(item 2\): kind"):
        parse_json('{"items": [\n{"kind": "data", "service": "s"},\n{"kind": "dataset"}\n]}')


def test_malformed_votable_row_is_named(tmp_path: Path) -> None:
    with Basket(tmp_path / "b.db") as basket:
        basket.add({"kind": "data", "service": "s", "access_url": "https://a.org/1.fits"})
        basket.add({"kind": "data", "service": "s", "access_url": "https://a.org/2.fits"})
        data = export(basket, "votable").replace(b"https://a.org/2.fits", b"javascript://a/2.fit")
    with pytest.raises(ImportRejected, match=r"row 2 \(item \w+\): access_url"):
        parse(data)
    with pytest.raises(ImportRejected, match="not a readable VOTable"):
        parse(b"<VOTABLE><RESOURCE><TABLE>")


def test_notebook_api_from_search_rows(state: Path) -> None:
    rows = Table(
        {
            "service": ["local-tap", "local-tap"],
            "obs_id": ["obs-1", "obs-2"],
            "access_url": ["https://a.org/1.fits", "https://a.org/2.fits"],
            "access_format": ["image/fits", "image/fits"],
            "access_estsize": [2.88, 5.76],
        }
    )
    ids = esap.basket.add(rows, query={"target": "M31"})
    esap.basket.add(kind="service", service="gavo", type="tap", url="https://dc.g-vo.org/tap")
    table = esap.basket.items()
    assert list(table["kind"]) == ["data", "data", "service"]
    assert list(table["title"]) == ["obs-1", "obs-2", "gavo"]
    assert list(table["size"]) == [2880, 5760, -1]
    first = esap.basket.get(ids[0])
    assert isinstance(first, DataItem)
    assert first.fields["obs_id"] == "obs-1"
    assert esap.basket.inputs()[0] == {
        "service": "local-tap",
        "access_url": "https://a.org/1.fits",
        "query": '{"target": "M31"}',
        "title": "obs-1",
    }
    esap.basket.rename(ids[1], "second")
    assert esap.basket.items(ids=[ids[1]])["title"][0] == "second"
    assert esap.basket.remove(table[:1]) == 1
    assert esap.basket.clear() == 2
    assert len(esap.basket.items()) == 0
    with pytest.raises(BasketError, match="service"):
        esap.basket.add(Table({"access_url": ["https://a.org/1.fits"]}))


def test_open_in_notebook_cell_runs(state: Path) -> None:
    ids = esap.basket.add(kind="data", service="s", access_url="https://a.org/x'y.fits")
    namespace: dict[str, object] = {}
    exec(cell(ids), namespace)  # noqa: S102 - the code the panel inserts
    loaded = namespace["basket"]
    assert isinstance(loaded, Table)
    assert list(loaded["id"]) == ids
    assert json.dumps(cell(["a" * 32], kind="data")).count("esap.basket.items") == 1


def test_cli_lists_adds_exports_and_rejects(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from esap.cli import main

    assert (
        main(
            [
                "basket",
                "add",
                '{"kind": "data", "service": "s", "access_url": "https://a.org/c.fits"}',
            ]
        )
        == 0
    )
    item_id = capsys.readouterr().out.strip()
    assert main(["basket", "rename", item_id, "cube"]) == 0
    assert main(["basket", "list"]) == 0
    assert f"{item_id}  data      cube  https://a.org/c.fits" in capsys.readouterr().out
    exported = state / "mine.vot"
    assert main(["basket", "export", str(exported)]) == 0
    assert exported.read_bytes().lstrip().startswith(b"<?xml")
    bad = state / "bad.json"
    bad.write_text('{"items": [\n{"kind": "software", "catalogue": "c"}\n]}')
    capsys.readouterr()
    assert main(["basket", "import", str(bad)]) == 1
    assert "line 2 (item 1): identifier: Field required" in capsys.readouterr().err
    assert main(["basket", "remove", item_id]) == 0
    assert main(["basket", "import", str(exported)]) == 0
    assert esap.basket.get(item_id).title == "cube"
