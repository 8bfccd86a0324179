"""What the ADQL tab asks of one TAP service: its tables, and a query answered at once.

:func:`tables` lists the service's tables and columns (``GET
data/services/{name}/tables``); :func:`run_adql` runs a query and keeps the
rows in the result cache (``POST data/adql``), answering like a federated
search's ``rows`` event so the lab shows it with the same grid. A notebook
calls them the same way. A long query is an asynchronous job instead
(``esap.data.jobs``, kind ``query``).
"""

from __future__ import annotations

import time
from typing import Any

from esap.core.errors import FieldError
from esap.data.base import ListsTables, RunsAdql, request_timeout
from esap.data.catalog import Catalog
from esap.data.failures import failure
from esap.data.jobs import check_adql, check_maxrec
from esap.data.request import BadField
from esap.data.results import PAGE, ResultStore, columns_of, table_rows


class NotTap(FieldError):
    """The service named does not take ADQL (it is no TAP service)."""

    code = "not_tap"
    fix = "name a TAP service"


def tables(catalog: Catalog, service: str) -> list[dict[str, Any]]:
    """The tables of ``service`` and their columns (TAP_SCHEMA), within its timeout."""
    entry = catalog.entry(service)  # UnknownService: a 404
    adapter = catalog.adapter(entry)
    if not isinstance(adapter, ListsTables):
        raise NotTap("name", f"{service!r} is not a TAP service: it has no tables")
    try:
        with request_timeout(entry.timeout):
            return adapter.tables()
    except Exception as exc:
        raise failure(exc, service, entry.url, entry.timeout) from None


def run_adql(
    catalog: Catalog, service: str, query: str, maxrec: int | None, store: ResultStore
) -> dict[str, Any]:
    """Run ``query`` on ``service`` within its timeout; a ``rows`` event of the stored answer.

    Bad input is a :class:`BadField` (``service``, ``query``, ``maxrec``) or
    :class:`NotTap`; the service's own refusal or failure is the error of
    :func:`esap.data.failures.failure`, in the service's words.
    """
    if service not in catalog.names():
        raise BadField(
            "service", service, "unknown service", f"name one of: {', '.join(catalog.names())}"
        )
    adql = check_adql(query)
    limit = check_maxrec(maxrec)
    entry = catalog.entry(service)
    adapter = catalog.adapter(entry)
    if not isinstance(adapter, RunsAdql):
        raise NotTap("service", f"{service!r}: does not take ADQL")
    began = time.monotonic()
    try:
        with request_timeout(entry.timeout):
            table = adapter.run_adql(adql, limit)
            columns = columns_of(table, adapter.roles(table))
            stored = store.put(service, table, columns, background=True)
    except Exception as exc:
        raise failure(exc, service, entry.url, entry.timeout) from None
    return {
        "event": "rows",
        "service": service,
        "result_id": stored.id,
        "columns": columns,
        "rows": table_rows(table, 0, PAGE),
        "total": len(table),
        "truncated": stored.truncated,
        "elapsed_ms": round((time.monotonic() - began) * 1000, 1),
    }


__all__ = ["NotTap", "run_adql", "tables"]
