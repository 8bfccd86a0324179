"""``basket``: the user's basket (items, paging, edits, the notebook cell).

Thin over :mod:`esap.basket`; the store lives in ``~/.esap/basket.db`` and is
opened once per server process.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from typing import Any

from pydantic import ValidationError
from tornado import web

from esap import metrics
from esap.basket.cells import cell
from esap.basket.models import KINDS, item_dict, parse_item
from esap.basket.store import MAX_PAGE, Basket, ItemNotFound
from esap.basket.transfer import BadItem, field_problems
from esap.core.errors import FieldError
from esap.server.base import EsapHandler

ID = r"(?P<item_id>[A-Za-z0-9_-]{1,64})"
#: The largest size the basket stores (SQLite's largest integer).
MAX_SIZE = 2**63 - 1


@functools.cache
def user_basket() -> Basket:
    """The user's basket, shared by every request of this server."""
    return Basket()


def basket_changed(basket: Basket) -> int:
    """After a change through the API: the basket's size, also set in ESAP's metrics."""
    total = basket.count()
    metrics.record_basket_size(total)
    return total


def record_basket_at_start(log: Any) -> None:
    """At server start: the basket's size in ESAP's metrics, before any change.

    A basket that cannot be opened is logged, not fatal: the rest of the API
    still serves, and the basket's own requests say what is wrong.
    """
    try:
        basket_changed(user_basket())
    except (OSError, sqlite3.Error) as exc:
        log.warning("ESAP metrics: could not count the basket's items: %s", exc)


def taken_id(exc: sqlite3.IntegrityError, field: str, source: str = "") -> FieldError:
    """The 400 for items whose given id is another item's (ids are unique in a basket).

    ``source`` names the file the items came from, when they came in one.
    Any other integrity error is a real fault: it is raised again, as a 500.
    """
    if "items.id" not in str(exc):
        raise exc
    said = "an item's id is already another item's (in the basket or sent twice)"
    return FieldError(
        field,
        f"{source}: {said}" if source else said,
        "leave id out: the basket gives each new item its own",
    )


def too_large(field: str, source: str = "") -> FieldError:
    """The 400 for a size the basket cannot store (SQLite's integers stop at 2**63 - 1)."""
    said = f"larger than {MAX_SIZE} bytes"
    return FieldError(
        field,
        f"{source}: an item's size is {said}" if source else said,
        "send the file's size in bytes, or leave size out",
    )


class BasketBase(EsapHandler):
    """What the basket handlers share: the JSON body and the integer query arguments."""

    def body(self) -> dict[str, Any]:
        return self.json_object()

    def ids(self, body: dict[str, Any]) -> list[str]:
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise FieldError("ids", "must be a list of item ids", 'send {"ids": [...]}')
        assert isinstance(ids, list)
        return ids

    def kind(self) -> str | None:
        kind = self.get_argument("kind", None)
        if kind is not None and kind not in KINDS:
            raise FieldError("kind", f"{kind!r}: unknown", f"use one of {', '.join(KINDS)}")
        return kind


class BasketHandler(BasketBase):
    """List a page of the basket; add items; clear it."""

    @web.authenticated
    def get(self) -> None:
        basket = user_basket()
        page = basket.page(
            self.integer("offset", 0, 0, 10**9),
            self.integer("limit", 200, 1, MAX_PAGE),
            kind=self.kind(),
            group=self.get_argument("group", None),
            text=self.get_argument("q", None) or None,
        )
        self.write_json(
            {
                "items": page.items,
                "total": page.total,
                "offset": page.offset,
                "limit": page.limit,
                "counts": page.counts,
                "groups": basket.groups(),
            }
        )

    @web.authenticated
    async def post(self) -> None:
        raw = self.body().get("items")
        if not isinstance(raw, list) or not raw:
            raise FieldError("items", "must be a non-empty list", 'send {"items": [...]}')
        assert isinstance(raw, list)
        fix = "send items as the basket's item model describes (kind, service, ...)"
        for index, entry in enumerate(raw):
            if not isinstance(entry, dict):
                raise FieldError(f"items[{index}]", "not a JSON object", fix)
        basket = user_basket()
        loop = asyncio.get_running_loop()
        try:  # checked in one pass by the store (a bad item adds nothing)
            ids = await loop.run_in_executor(None, basket.add_many, raw)
        except ValidationError:
            for index, entry in enumerate(raw):  # name the first bad item, as sent
                try:
                    parse_item(entry)
                except ValidationError as exc:
                    raise BadItem(field_problems(exc, f"items[{index}]"), fix) from None
            raise
        except sqlite3.IntegrityError as exc:
            raise taken_id(exc, "items") from None
        except OverflowError:  # SQLite's integers stop at 2**63 - 1: only size can pass it
            index = next(
                (
                    i
                    for i, e in enumerate(raw)
                    if isinstance(e.get("size"), int) and e["size"] > MAX_SIZE
                ),
                0,
            )
            raise too_large(f"items[{index}].size") from None
        self.set_status(201)
        self.write_json({"ids": ids, "total": basket_changed(basket)})

    @web.authenticated
    def delete(self) -> None:
        basket = user_basket()
        basket.clear(self.kind())
        basket_changed(basket)
        self.set_status(204)
        self.finish()


class ItemHandler(BasketBase):
    """One item: read it, change its title/notes/group, remove it."""

    @web.authenticated
    def get(self, item_id: str) -> None:
        self.write_json(item_dict(user_basket().get(item_id)))  # ItemNotFound: a 404

    @web.authenticated
    def patch(self, item_id: str) -> None:
        body = self.body()
        changes: dict[str, str] = {}
        for name in ("title", "notes", "group"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise FieldError(name, "must be text", f"send {name} as a string")
            if isinstance(value, str):
                changes[name] = value
        unknown = sorted(set(body) - {"title", "notes", "group"})
        if unknown:
            raise FieldError(
                unknown[0], "cannot be changed", "only title, notes and group can be changed"
            )
        try:
            item = user_basket().update(item_id, **changes)
        except ValidationError as exc:
            raise BadItem(field_problems(exc), "shorten the text") from None
        self.write_json(item_dict(item))

    @web.authenticated
    def delete(self, item_id: str) -> None:
        basket = user_basket()
        if not basket.remove([item_id]):
            raise ItemNotFound(item_id)
        basket_changed(basket)
        self.set_status(204)
        self.finish()


class RemoveHandler(BasketBase):
    """Remove many items at once (the panel's selection)."""

    @web.authenticated
    def post(self) -> None:
        basket = user_basket()
        removed = basket.remove(self.ids(self.body()))
        basket_changed(basket)
        self.write_json({"removed": removed})


class GroupHandler(BasketBase):
    """Put items in a group."""

    @web.authenticated
    def post(self) -> None:
        body = self.body()
        group = body.get("group")
        if not isinstance(group, str) or len(group) > 200:
            raise FieldError(
                "group",
                "must be text (200 characters at most)",
                'send {"ids": [...], "group": "name"} ("" for no group)',
            )
        assert isinstance(group, str)
        self.write_json({"changed": user_basket().set_group(self.ids(body), group)})


class CellHandler(BasketBase):
    """The notebook cell that loads the chosen items (Open in notebook)."""

    @web.authenticated
    def post(self) -> None:
        body = self.body()
        ids = self.ids(body) if "ids" in body else []
        kind = body.get("kind")
        if kind is not None and kind not in KINDS:
            raise FieldError("kind", f"{kind!r}: unknown", f"use one of {', '.join(KINDS)}")
        self.write_json({"code": cell(ids, kind=kind)})


default_handlers = [
    ("basket", BasketHandler),
    (f"basket/items/{ID}", ItemHandler),
    ("basket/remove", RemoveHandler),
    ("basket/group", GroupHandler),
    ("basket/cell", CellHandler),
]
