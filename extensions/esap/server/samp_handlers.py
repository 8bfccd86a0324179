"""``samp/*``: tables for desktop tools over SAMP, out through capability links and back in.

- ``POST samp/links`` (signed in): a short-lived link to one table, a stored
  search result (all rows, or the rows selected in the view) or basket items.
- ``GET samp/tables/{link_file}`` (``<id>.vot``, no sign-in): that table as a VOTable.
- ``POST samp/received`` (signed in): a VOTable a desktop tool sent, which the
  browser fetched through the SAMP hub's URL translator, into the basket.

Why the GET needs no sign-in: a desktop tool fetches the ``url`` of a
``table.load.votable`` message itself and has neither the user's cookie nor
a hub token. Putting a token in the URL would give the tool (and its logs,
and the SAMP hub) the user's whole account. The link's 256-bit random id is
the permission instead: it reads one table, for a few minutes
(:mod:`esap.samp.links`); it is issued only to the signed-in user, carries
no token, and answers ``no-store`` without cookies. An unknown or expired
link is a 404 that says how to get a fresh one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Callable, Iterator

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from esap.basket.store import ItemNotFound
from esap.data.results import UnknownResult
from esap.samp import links, received, tables
from esap.server.answers import LinkAnswer, ReceivedAnswer
from esap.server.base import EsapHandler
from esap.server.basket_handlers import basket_changed, user_basket
from esap.server.bodies import LinkBody
from esap.server.data_common import in_thread, result_store

#: The link's file name: its random id and ``.vot`` (the suffix tools look at).
LINK = r"(?P<link_file>[A-Za-z0-9_-]{16,64}\.vot)"


@functools.cache
def link_store() -> links.LinkStore:
    """The live links of this server process."""
    return links.LinkStore()


class LinksHandler(EsapHandler):
    """Issue a link to one table (a result, some of its rows, or basket items)."""

    @web.authenticated
    def post(self) -> None:
        body = self.body_as(LinkBody)
        if body.result_id is not None:
            link = tables.share_result(
                link_store(),
                result_store(),
                body.result_id,
                rows=body.rows,
                query=body.query,
                name=body.name,
                ttl=body.ttl,
            )
        else:
            ids = body.basket_ids or []
            link = tables.share_basket(
                link_store(), user_basket(), ids, name=body.name, ttl=body.ttl
            )
        self.set_status(201)
        self.write_answer(
            LinkAnswer,
            {
                "id": link.id,
                "path": f"samp/tables/{link.id}.vot",
                "name": link.name,
                "table_id": link.table_id,
                "expires": link.expires,
            },
        )


class TableHandler(EsapHandler):
    """The table behind one link, to whoever holds the link (see the module docstring)."""

    @allow_unauthenticated
    async def get(self, link_file: str) -> None:
        link_id = link_file.removesuffix(".vot")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        link = link_store().get(link_id)  # LinkNotFound: a 404 saying how to get a fresh one
        source = link.source

        def pieces() -> Iterator[bytes]:
            if "result_id" in source:
                return tables.result_votable(result_store(), source, link.name)
            return iter([tables.basket_votable(user_basket(), source["basket_ids"])])

        stream = _Producer(pieces, asyncio.get_running_loop())
        try:
            first = await stream.next()
        except (UnknownResult, ItemNotFound):
            stream.stop()
            self.fail(
                404,
                "not_found",
                "the table behind this link is gone (dropped from the result cache or the basket)",
                "run the search again, or add the items again, and send once more",
            )
        self.set_header("Content-Type", received.MEDIA_TYPE)
        try:
            piece = first
            while piece is not None:
                self.write(piece)
                await self.flush()
                piece = await stream.next()
        finally:
            stream.stop()
        # APIHandler.finish would label it JSON
        self.finish(set_content_type=received.MEDIA_TYPE)


class _Producer:
    """Pieces of a document made on one thread of their own, handed over a few at a time.

    One thread, because the result cache's SQLite cursor stays on the thread
    that opened it; a small queue, so a slow desktop tool holds back the
    reading instead of the server's memory filling up.
    """

    def __init__(
        self, make: Callable[[], Iterator[bytes]], loop: asyncio.AbstractEventLoop
    ) -> None:
        self._queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(maxsize=4)
        self._loop = loop
        self._stopped = threading.Event()
        threading.Thread(
            target=self._run, args=(make,), name="esap-samp-table", daemon=True
        ).start()

    def _put(self, item: bytes | BaseException | None) -> bool:
        future = asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop)
        while not self._stopped.is_set():
            try:
                future.result(timeout=1)
                return True
            except concurrent.futures.TimeoutError:
                continue
        future.cancel()
        return False

    def _run(self, make: Callable[[], Iterator[bytes]]) -> None:
        try:
            for piece in make():
                if not self._put(piece):
                    return
        except BaseException as exc:  # handed to the request, which answers for it
            self._put(exc)
            return
        self._put(None)

    async def next(self) -> bytes | None:
        """The next piece; ``None`` at the end; the producer's error re-raised."""
        item = await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        """The request ended (or the tool went away): let the thread go."""
        self._stopped.set()


class ReceivedHandler(EsapHandler):
    """A table a desktop tool sent: kept in ``~/.esap/samp`` and added to the basket."""

    @web.authenticated
    async def post(self) -> None:
        name = (self.get_argument("name", "") or "").strip()[: links.MAX_NAME] or "SAMP table"
        sender = (self.get_argument("sender", "") or "").strip()[: links.MAX_NAME] or None
        body = self.request.body
        table = await in_thread(lambda: received.keep(body))  # BadTable: a 400 naming the body
        basket = user_basket()
        item = received.basket_item(table, name, sender)
        (item_id,) = await in_thread(lambda: basket.add_many([item]))
        self.set_status(201)
        self.write_answer(
            ReceivedAnswer,
            {
                "id": item_id,
                "name": name,
                "rows": table.rows,
                "columns": table.columns,
                "total": basket_changed(basket),
            },
        )


default_handlers = [
    ("samp/links", LinksHandler),
    (f"samp/tables/{LINK}", TableHandler),
    ("samp/received", ReceivedHandler),
]
