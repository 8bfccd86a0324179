"""Sorted pages of a 100k-row result: the result cache with its sort index, and without.

The Data panel's grid asks the server for 200-row pages of a stored result.
Sorted by a column, a page used to be an ``ORDER BY ... LIMIT ... OFFSET``
over the whole table: SQLite sorts every row again for every page, so the
deeper the page, the slower. The cache now indexes a result by a column and
direction the first time it is sorted so (``ResultStore._sort_index``).

This script stores 100,000 rows (four columns: two floats, a string, an
integer with ties) in a fresh cache, then times, for each column and both
directions, the first page (offset 0) and deep pages (offsets 50,000 and
99,800), read through the store as the REST handler reads them. The peer is
the same page query on the same SQLite file without the index (what every
page cost before). Medians of ``--runs``.

    python benchmarks/sorted_pages.py [--rows 100000] [--runs 5]

The last line:

    sorted deep page (100k rows): ours <x> ms, without the index <y> ms,
    ratio <r> (goal <= 1)

(on one line; no issue sets a figure, so the goal is only "not slower").
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from astropy.table import Table

from esap.data.results import ResultStore, columns_of

DEEP = (50_000, 99_800)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n = args.rows
    table = Table(
        {
            "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-90, 90, n),
            "name": [f"src{i:06d}" for i in rng.permutation(n)],
            "mag": rng.integers(10, 20, n),
        }
    )
    deep = [min(offset, max(n - 200, 0)) for offset in DEEP]
    ours_deep: list[float] = []
    peer_deep: list[float] = []
    with tempfile.TemporaryDirectory(prefix="esap-sorted-") as folder:
        store = ResultStore(Path(folder) / "results.sqlite")
        result = store.put("bench", table, columns_of(table, {}))
        raw = sqlite3.connect(store.path)
        for column in table.colnames:
            index = table.colnames.index(column)
            for order in ("asc", "desc"):
                first = timed(lambda c=column, o=order: store.page(result.id, 0, 200, c, o))
                # the peer: the same query, no index to read it through
                peer = [
                    statistics.median(
                        timed(
                            lambda off=off, i=index, o=order: raw.execute(
                                f'SELECT * FROM "r_{result.id}" NOT INDEXED '  # noqa: S608
                                f"ORDER BY c{i} {o.upper()}, rowid LIMIT 200 OFFSET ?",
                                (off,),
                            ).fetchall()
                        )
                        for _ in range(args.runs)
                    )
                    for off in deep
                ]
                ours = [
                    statistics.median(
                        timed(
                            lambda off=off, c=column, o=order: store.page(result.id, off, 200, c, o)
                        )
                        for _ in range(args.runs)
                    )
                    for off in deep
                ]
                ours_deep.extend(ours)
                peer_deep.extend(peer)
                print(
                    f"{column} {order}: first page {first:.1f} ms; deep pages "
                    + ", ".join(
                        f"@{off}: {o:.1f} ms (without the index {p:.1f} ms)"
                        for off, o, p in zip(deep, ours, peer, strict=True)
                    ),
                    flush=True,
                )
        raw.close()
    ours_median, peer_median = statistics.median(ours_deep), statistics.median(peer_deep)
    print(
        f"sorted deep page ({n // 1000}k rows): ours {ours_median:.1f} ms, "
        f"without the index {peer_median:.1f} ms, ratio {ours_median / peer_median:.2f} "
        "(goal <= 1)"
    )


if __name__ == "__main__":
    main()
