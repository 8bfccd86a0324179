"""``esap.bulk.map_basket(func, items)``: run a function over data items on a Dask cluster.

Items are sent in batches (a few per worker thread) rather than one task
each, so a thousand small items cost a handful of scheduler round trips;
results come back in the items' order, with a progress bar (tqdm, which
draws a widget in a notebook and text in a terminal). dask.bag's
``from_sequence(...).map(...)`` does the batching too but has no progress
of its own and hides which item failed; this is the thin loop over
``Client.map`` that adds both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from distributed import Client, as_completed, get_client
from tqdm.auto import tqdm

from esap.bulk.errors import BulkError

#: Batches per worker thread: enough to balance uneven items, few enough to be cheap.
BATCHES_PER_THREAD = 4


class BasketLike(Protocol):
    """What ``map_basket`` needs of a basket: its data items."""

    def items(self) -> Iterable[Any]: ...


class ItemError(BulkError):
    """``func`` raised on one item: says which (its position and a short form of it)."""

    code = "item_failed"

    def __init__(self, index: int, item: Any, error: BaseException) -> None:
        shown = repr(item)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"item {index} ({shown}) failed: {type(error).__name__}: {error}")
        self.index = index
        self.item = item


def _run_batch(
    func: Callable[[Any], Any], start: int, batch: Sequence[Any]
) -> list[Any]:  # runs on a worker
    results = []
    for offset, item in enumerate(batch):
        try:
            results.append(func(item))
        except Exception as exc:
            raise ItemError(start + offset, item, exc) from exc
    return results


def _client(client: Client | None) -> Client:
    if client is not None:
        return client
    try:
        return get_client()
    except ValueError:
        raise BulkError(
            "no Dask client: start a cluster first, e.g. "
            "`cluster = esap.bulk.cluster(workers=4); client = cluster.get_client()`, "
            "or pass client="
        ) from None


def _batch_size(count: int, client: Client) -> int:
    threads = sum(client.nthreads().values()) or 1  # type: ignore[no-untyped-call]
    return max(1, math.ceil(count / (threads * BATCHES_PER_THREAD)))


def map_basket(
    func: Callable[[Any], Any],
    items: Iterable[Any] | None = None,
    *,
    basket: BasketLike | None = None,
    client: Client | None = None,
    batch_size: int | None = None,
    progress: bool = True,
) -> list[Any]:
    """Apply ``func`` to every data item on the cluster; return the results in item order.

    ``items`` is any iterable of data items (URLs, table rows, basket
    entries); give ``basket=`` instead to take the items of a basket (any
    object whose ``items()`` returns them, such as the user's ``esap``
    basket). ``client`` defaults to the current Dask client (the last one
    made, e.g. by ``cluster.get_client()``). ``func`` runs on the workers, so
    it must be importable or picklable there (a function defined in the
    notebook is). A failing item stops the map with :class:`ItemError`
    naming the item.
    """
    if (items is None) == (basket is None):
        raise TypeError("map_basket needs exactly one of items= or basket=")
    source: Iterable[Any] = basket.items() if basket is not None else (items or [])
    data = list(source)
    if not data:
        return []
    client = _client(client)
    size = batch_size or _batch_size(len(data), client)
    if size < 1:
        raise ValueError(f"batch_size must be 1 or more, got {batch_size}")
    starts = range(0, len(data), size)
    futures = [
        client.submit(_run_batch, func, start, data[start : start + size], pure=False)
        for start in starts
    ]
    position = {future.key: index for index, future in enumerate(futures)}
    results: list[list[Any] | None] = [None] * len(futures)
    with tqdm(total=len(data), unit="item", disable=not progress, desc="map_basket") as bar:
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                batch = future.result()
                results[position[future.key]] = batch
                bar.update(len(batch))
        except BaseException:
            client.cancel(futures)  # type: ignore[no-untyped-call]
            raise
    return [value for batch in results for value in batch or []]
