"""``basket``: the user's basket (items, paging, edits, the notebook cell).

Thin over :mod:`esap.basket`: items are added and changed by
``esap.basket.edits`` (as a notebook's are); the store lives in
``~/.esap/basket.db`` and is opened once per server process.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from typing import Any

from tornado import web

from esap import metrics
from esap.basket.cells import cell
from esap.basket.edits import add_items, change
from esap.basket.models import KINDS, item_dict
from esap.basket.store import MAX_PAGE, Basket, ItemNotFound
from esap.core.errors import FieldError
from esap.server.answers import (
    AddedAnswer,
    BasketItemAnswer,
    BasketPage,
    CellAnswer,
    ChangedAnswer,
    RemovedAnswer,
)
from esap.server.base import EsapHandler
from esap.server.bodies import CellBody, GroupBody, IdsBody, ItemChangesBody, ItemsBody

ID = r"(?P<item_id>[A-Za-z0-9_-]{1,64})"


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


class BasketBase(EsapHandler):
    """What the basket handlers share: the ``kind`` query argument."""

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
        self.write_answer(
            BasketPage,
            {
                "items": page.items,
                "total": page.total,
                "offset": page.offset,
                "limit": page.limit,
                "counts": page.counts,
                "groups": basket.groups(),
            },
        )

    @web.authenticated
    async def post(self) -> None:
        items = self.body_as(ItemsBody).items
        basket = user_basket()
        # checked in one pass by the store (a bad item adds nothing, and is named)
        ids = await asyncio.get_running_loop().run_in_executor(None, add_items, basket, items)
        self.set_status(201)
        self.write_answer(AddedAnswer, {"ids": ids, "total": basket_changed(basket)})

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
        self.write_answer(
            BasketItemAnswer, item_dict(user_basket().get(item_id))
        )  # ItemNotFound: a 404

    @web.authenticated
    def patch(self, item_id: str) -> None:
        changes = self.body_as(ItemChangesBody)
        item = change(
            user_basket(), item_id, title=changes.title, notes=changes.notes, group=changes.group
        )
        self.write_answer(BasketItemAnswer, item_dict(item))

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
        removed = basket.remove(self.body_as(IdsBody).ids)
        basket_changed(basket)
        self.write_answer(RemovedAnswer, {"removed": removed})


class GroupHandler(BasketBase):
    """Put items in a group."""

    @web.authenticated
    def post(self) -> None:
        body = self.body_as(GroupBody)
        self.write_answer(ChangedAnswer, {"changed": user_basket().set_group(body.ids, body.group)})


class CellHandler(BasketBase):
    """The notebook cell that loads the chosen items (Open in notebook)."""

    @web.authenticated
    def post(self) -> None:
        body = self.body_as(CellBody)
        self.write_answer(CellAnswer, {"code": cell(body.ids, kind=body.kind)})


default_handlers = [
    ("basket", BasketHandler),
    (f"basket/items/{ID}", ItemHandler),
    ("basket/remove", RemoveHandler),
    ("basket/group", GroupHandler),
    ("basket/cell", CellHandler),
]
