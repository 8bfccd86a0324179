"""Adding and changing items as a request or a notebook sends them, every refusal named.

The store (:mod:`esap.basket.store`) adds and changes items all or none; this
is the one call every face makes to do so (the Basket panel through REST, a
notebook through ``esap.basket``), so a bad item reads the same everywhere:
the item by its place and each of its fields at fault (``items[2].size``),
with what to do, never a database or pydantic error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from esap.basket.models import AnyItem, parse_item
from esap.basket.store import Basket
from esap.basket.transfer import MAX_SIZE, BadItem, field_problems, taken_id, too_large
from esap.core.errors import FieldError

#: How to send items, when one is refused.
ITEM_FIX = "send items as the basket's item model describes (kind, service, ...)"


def add_items(
    basket: Basket, entries: Sequence[AnyItem | dict[str, Any]], field: str = "items"
) -> list[str]:
    """Add items all or none (``Basket.add_many``); a refused one named by its place.

    The first bad item is named as sent (``items[2].access_url``), each of
    its fields at fault with why; an id already taken or a size past what
    the basket stores is a refusal of its own, not a database error. Every
    face adds items through here (the REST API, a notebook).
    """
    if not entries:
        raise FieldError(field, "no items", "give at least one item")
    try:
        return basket.add_many(entries)
    except ValidationError:
        for index, entry in enumerate(entries):  # name the first bad item, as sent
            if isinstance(entry, dict):
                try:
                    parse_item(entry)
                except ValidationError as exc:
                    raise BadItem(field_problems(exc, f"{field}[{index}]"), ITEM_FIX) from None
        raise
    except sqlite3.IntegrityError as exc:
        raise taken_id(exc, field) from None
    except OverflowError:  # SQLite's integers stop at 2**63 - 1: only size can pass it
        index = next(
            (i for i, e in enumerate(entries) if (_size(e) or 0) > MAX_SIZE),
            0,
        )
        raise too_large(f"{field}[{index}].size") from None


def _size(entry: AnyItem | dict[str, Any]) -> Any:
    size = entry.get("size") if isinstance(entry, dict) else getattr(entry, "size", None)
    return size if isinstance(size, int) else None


def change(
    basket: Basket,
    item_id: str,
    *,
    title: str | None = None,
    notes: str | None = None,
    group: str | None = None,
) -> AnyItem:
    """Change an item's title, notes or group (``None`` leaves one as it is); the item after.

    A text past what the item model keeps is a refusal naming its field.
    """
    try:
        return basket.update(item_id, title=title, notes=notes, group=group)
    except ValidationError as exc:
        raise BadItem(field_problems(exc), "shorten the text") from None


__all__ = ["ITEM_FIX", "add_items", "change"]
