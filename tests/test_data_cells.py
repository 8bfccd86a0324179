"""Table cells as JSON scalars: the column-at-once conversion agrees with the cell-by-cell one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.table import Column, MaskedColumn, Table

from esap.data.cells import column_values, json_value
from esap.data.results import table_rows

ROWS = 40
rng = np.random.default_rng(7)


def hidden() -> np.ndarray:
    return rng.random(ROWS) < 0.3


COLUMNS = {
    "double": MaskedColumn(
        np.where(rng.random(ROWS) < 0.2, np.nan, rng.random(ROWS)), mask=hidden()
    ),
    "infinite": Column(np.array([math.inf, -math.inf, 1.5, np.nan] * (ROWS // 4))),
    "long": MaskedColumn(np.arange(ROWS, dtype=np.int64), mask=hidden()),
    "byte": Column(np.arange(ROWS, dtype=np.uint8)),
    "flag": MaskedColumn(rng.random(ROWS) < 0.5, mask=hidden()),
    "text": MaskedColumn(
        np.array([f"<script>alert({i})</script>" for i in range(ROWS)]), mask=hidden()
    ),
    "bytes": MaskedColumn(np.array([f"é{i}".encode() for i in range(ROWS)]), mask=hidden()),
    "polygon": MaskedColumn(rng.random((ROWS, 4)), mask=rng.random((ROWS, 4)) < 0.2),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_column_matches_cell_by_cell(name: str) -> None:
    column = Table({name: COLUMNS[name]})[name]
    expected = [json_value(column[i]) for i in range(5, 35)]
    assert column_values(column, 5, 35) == expected


def test_masked_and_non_finite_cells_are_null() -> None:
    column = MaskedColumn([1.0, math.nan, math.inf, 4.0], mask=[False, False, False, True])
    assert column_values(column, 0, 4) == [1.0, None, None, None]


def test_object_cells_masked_are_null_and_arrays_are_text() -> None:
    cells = np.empty(3, dtype=object)
    cells[:] = ["a", np.array([1.0, 2.0]), "c"]
    column = MaskedColumn(cells, mask=[False, False, True])
    assert column_values(column, 0, 3) == ["a", "1.0 2.0", None]


def test_rows_are_row_major_json_scalars() -> None:
    table = Table({"a": MaskedColumn([1, 2], mask=[False, True]), "b": ["x", "<b>y</b>"]})
    assert table_rows(table) == [[1, "x"], [None, "<b>y</b>"]]
