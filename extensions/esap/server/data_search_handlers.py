"""``data/search`` (federated, streamed as NDJSON) and ``data/adql`` (one TAP service, sync).

The search answers ``application/x-ndjson``: one JSON event per line, each
flushed the moment it happens (a service answering, failing or timing out),
so the lab shows rows from fast services while slow ones are still working.
Bad input is a 400 before the stream starts; once it has started every
problem is an ``error`` event of the service concerned.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tornado import web
from tornado.iostream import StreamClosedError

from esap.core.errors import FieldError
from esap.data.base import RunsAdql
from esap.data.failures import failure
from esap.data.jobs import check_adql, check_maxrec
from esap.data.request import BadField
from esap.data.results import PAGE, columns_of, table_rows
from esap.data.searches import prepare
from esap.server.base import EsapHandler
from esap.server.data_common import catalog, in_thread, result_store, user_store


class SearchHandler(EsapHandler):
    """Run a federated search and stream its events."""

    @web.authenticated
    async def post(self) -> None:
        request = self.get_json_body()
        current = catalog()
        prepared = await in_thread(
            lambda: prepare(current, request, store=result_store()), timeout=None
        )
        self.set_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")  # reverse proxies: do not buffer the stream
        try:
            async for event in prepared.federation.aevents(prepared.extra_events()):
                self.write(json.dumps(event, allow_nan=False) + "\n")
                await self.flush()
        except StreamClosedError:
            self.log.info("search %s: the client went away", prepared.federation.search_id)
        finally:
            await in_thread(lambda: user_store().add_history(prepared.request, prepared.summary()))
        self.finish()


class AdqlHandler(EsapHandler):
    """Run ADQL on one TAP service; the answer is shaped like a ``rows`` event."""

    @web.authenticated
    async def post(self) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise FieldError("body", "not a JSON object", 'send {"service", "query"}')
        assert isinstance(body, dict)
        current = catalog()
        name = body.get("service")
        if not isinstance(name, str) or name not in current.names():
            raise BadField(
                "service", name, "unknown service", f"name one of: {', '.join(current.names())}"
            )
        adql = check_adql(body.get("query"))
        maxrec = check_maxrec(body.get("maxrec"))
        entry = current.entry(name)
        adapter = current.adapter(entry)
        if not isinstance(adapter, RunsAdql):
            self.fail(
                400,
                "not_tap",
                f"{name!r}: does not take ADQL",
                "name a TAP service",
                field="service",
            )
        began = time.monotonic()

        def run() -> dict[str, Any]:
            assert isinstance(adapter, RunsAdql)
            table = adapter.run_adql(adql, maxrec)
            columns = columns_of(table, adapter.roles(table))
            stored = result_store().put(name, table, columns, background=True)
            return {
                "event": "rows",
                "service": name,
                "result_id": stored.id,
                "columns": columns,
                "rows": table_rows(table, 0, PAGE),
                "total": len(table),
                "truncated": stored.truncated,
            }

        try:
            event = await in_thread(run, entry.timeout)
        except Exception as exc:
            raise failure(exc, name) from None
        event["elapsed_ms"] = round((time.monotonic() - began) * 1000, 1)
        self.write_json(event)


default_handlers = [("data/search", SearchHandler), ("data/adql", AdqlHandler)]
