"""``data/search`` (federated, streamed as NDJSON) and ``data/adql`` (one TAP service, sync).

The search answers ``application/x-ndjson``: one JSON event per line, each
flushed the moment it happens (a service answering, failing or timing out),
so the lab shows rows from fast services while slow ones are still working.
Bad input is a 400 before the stream starts; once it has started every
problem is an ``error`` event of the service concerned. The engine
(``esap.data.searches``) records the search in the user's history once it
ends, also when the client went away.
"""

from __future__ import annotations

import contextlib

from tornado import web
from tornado.iostream import StreamClosedError

from esap.data.adql import run_adql
from esap.data.searches import prepare, stream
from esap.server.answers import RowsEvent, SearchEvent
from esap.server.base import EsapHandler
from esap.server.bodies import AdqlBody, SearchBody
from esap.server.data_common import catalog, in_thread, result_store


class SearchHandler(EsapHandler):
    """Run a federated search and stream its events."""

    @web.authenticated
    async def post(self) -> None:
        request = self.body_as(SearchBody).given()
        current = catalog()
        prepared = await in_thread(
            lambda: prepare(current, request, store=result_store()), timeout=None
        )
        self.set_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")  # reverse proxies: do not buffer the stream
        try:
            async with contextlib.aclosing(stream(prepared)) as events:
                async for event in events:
                    self.write_line(SearchEvent, event, allow_nan=False)
                    await self.flush()
        except StreamClosedError:
            self.log.info("search %s: the client went away", prepared.federation.search_id)
        self.finish()


class AdqlHandler(EsapHandler):
    """Run ADQL on one TAP service; the answer is shaped like a ``rows`` event."""

    @web.authenticated
    async def post(self) -> None:
        body, current = self.body_as(AdqlBody), catalog()
        # the service's own timeout applies inside (esap.data.adql)
        self.write_answer(
            RowsEvent,
            await in_thread(
                lambda: run_adql(current, body.service, body.query, body.maxrec, result_store())
            ),
        )


default_handlers = [("data/search", SearchHandler), ("data/adql", AdqlHandler)]
