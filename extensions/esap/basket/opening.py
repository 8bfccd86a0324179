"""``esap.basket.open(item)``: from a basket item to the object you work with.

A DataLink record becomes pyvo's ``DatalinkResults`` (its links, cutouts and
previews); any other data record becomes a binary file object on a local
copy (downloaded once into ``~/.esap/cache/``, resumable and checked like
any download); a service becomes the pyvo service object of its protocol.
"""

from __future__ import annotations

from typing import IO, Any

from esap.basket.download import fetch, file_name
from esap.basket.models import AnyItem, DataItem, ServiceItem
from esap.basket.store import BasketError
from esap.core.state import state_dir

DATALINK_MARK = "content=datalink"


def is_datalink(item: DataItem) -> bool:
    """Whether the record's access URL answers with a DataLink document."""
    return DATALINK_MARK in (item.format or "").replace(" ", "").lower()


def open_item(item: AnyItem) -> Any:
    """Open an item: DataLink results, a file object, or a pyvo service (see module doc)."""
    if isinstance(item, DataItem):
        if not item.access_url:
            raise BasketError(
                f"{item.label()}: the record has no access URL — look at item.fields for "
                "another way to reach the data"
            )
        if is_datalink(item):
            from pyvo.dal.adhoc import DatalinkResults

            return DatalinkResults.from_result_url(item.access_url)
        target = state_dir() / "cache" / item.id / file_name(item)
        path = fetch(item, target)
        handle: IO[bytes] = path.open("rb")
        return handle
    if isinstance(item, ServiceItem):
        return _service(item)
    raise BasketError(
        f"{item.label()}: a software item opens in the lab, not in Python — use the Software "
        "panel's Open in my lab, or esap.software.open_in_lab(item)"
    )


def _service(item: ServiceItem) -> Any:
    import pyvo

    classes = {
        "tap": pyvo.dal.TAPService,
        "sia2": pyvo.dal.SIA2Service,
        "scs": pyvo.dal.SCSService,
        "ssa": pyvo.dal.SSAService,
    }
    klass = classes.get(item.type)
    if klass is None or not item.url:
        raise BasketError(
            f"{item.label()}: cannot open a service of type {item.type!r} "
            f"(known: {', '.join(classes)}) or without a URL"
        )
    return klass(item.url)


__all__ = ["is_datalink", "open_item"]
