"""The result cache on its own: sorted pages through their index, and eviction.

No server is needed: the store is SQLite in a temporary folder. What the
REST API and the search engine make of it is tested in ``test_data_api`` and
``test_data_engine``.
"""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table

from esap.data.results import SORT_TOP, ResultStore, columns_of

ROWS = 5000


@pytest.fixture
def store(tmp_path):
    return ResultStore(tmp_path / "results.sqlite")


@pytest.fixture
def table():
    """Ties (ten magnitudes) and missing values (every 97th), in a known order."""
    rng = np.random.default_rng(7)
    mag = MaskedColumn(rng.integers(10, 20, ROWS), name="mag")
    mag.mask[::97] = True
    return Table([np.arange(ROWS), mag, rng.uniform(0, 360, ROWS)], names=["n", "mag", "ra"])


def expected(table: Table, column: str, order: str) -> list[int]:
    """Every row's ``n`` as SQLite orders them: missing values first going up, ties as stored."""
    values = table[column].tolist()  # masked -> None
    present = [i for i, v in enumerate(values) if v is not None]
    missing = [i for i, v in enumerate(values) if v is None]
    present.sort(key=lambda i: values[i], reverse=order == "desc")  # stable either way
    ordered = present + missing if order == "desc" else missing + present
    return [int(table["n"][i]) for i in ordered]


def indexes(store: ResultStore) -> set[str]:
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows if name.startswith("r_")}


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("column", ["mag", "ra"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorted_pages_read_through_an_index_match_a_stable_sort(store, table, column, order):
    result = store.put("svc", table, columns_of(table, {}))
    want = expected(table, column, order)
    # a deep page first: the index is built before it is answered
    deep = store.page(result.id, SORT_TOP + 100, 300, sort=column, order=order)
    assert [row[0] for row in deep["rows"]] == want[SORT_TOP + 100 : SORT_TOP + 400]
    assert len(indexes(store)) == 1
    pages = [
        store.page(result.id, start, 1000, sort=column, order=order)
        for start in range(0, ROWS, 1000)
    ]
    assert [row[0] for page in pages for row in page["rows"]] == want
    assert all(page["total"] == ROWS for page in pages)


def test_a_first_page_is_answered_before_its_index_which_follows(store, table):
    result = store.put("svc", table, columns_of(table, {}))
    first = store.page(result.id, 0, 50, sort="ra", order="desc")
    assert [row[0] for row in first["rows"]] == expected(table, "ra", "desc")[:50]
    assert wait_for(lambda: len(indexes(store)) == 1), (
        "no sort index was built after the first page"
    )
    # the other direction is an index of its own; filtered pages use none
    store.page(result.id, 0, 50, sort="ra", order="asc", filter="1")
    store.page(result.id, SORT_TOP, 50, sort="ra", order="asc")
    assert len(indexes(store)) == 2
    store.drop(result.id)
    assert indexes(store) == set()


def test_the_least_recently_read_result_is_evicted_first(tmp_path, table):
    store = ResultStore(tmp_path / "results.sqlite", max_rows=int(ROWS * 2.5))
    first = store.put("a", table, columns_of(table, {}))
    second = store.put("b", table, columns_of(table, {}))
    store.page(first.id)  # read after the second was stored
    third = store.put("c", table, columns_of(table, {}))
    assert store.exists(first.id)
    assert not store.exists(second.id)
    assert store.exists(third.id)


def test_filtered_pages_count_each_filter_of_each_result(store):
    # integers and text only: SQLite's CAST(... AS TEXT) writes them as Python's str does
    n = np.arange(ROWS)
    table = Table([n, [f"src{i * 7 % ROWS}" for i in n]], names=["n", "name"])
    first = store.put("a", table, columns_of(table, {}))
    second = store.put("b", table[:1000], columns_of(table, {}))
    for result, rows in ((first, ROWS), (second, 1000)):
        for text in ("12", "7", "12", "4999"):
            want = [i for i in range(rows) if text in str(i) or text in str(table["name"][i])]
            pages = [store.page(result.id, start, 500, filter=text) for start in (0, 500)]
            assert all(page["total"] == len(want) for page in pages), (result.service, text)
            assert [row[0] for page in pages for row in page["rows"]] == want[:1000]
