"""What the data-discovery handlers share: the user's stores, the catalog, error mapping.

The stores live in the user's home (``~/.esap``) and are opened once per
server process; the catalog is rebuilt per request (the user's own services
may have changed) from the public config the hub passed.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import TypeVar

from esap.data.base import request_timeout
from esap.data.catalog import Catalog
from esap.data.request import BadField
from esap.data.results import ResultStore
from esap.data.store import UserStore
from esap.server.base import ApiError
from esap.server.config_handlers import public_config

T = TypeVar("T")


@functools.cache
def user_store() -> UserStore:
    """The user's services, jobs and history (``~/.esap/data.sqlite``)."""
    return UserStore()


@functools.cache
def result_store() -> ResultStore:
    """The result cache (``~/.esap/results.sqlite``)."""
    return ResultStore()


def catalog() -> Catalog:
    """The admin's services (from the hub) plus the user's own."""
    return Catalog(public_config(), user_store())


def bad_field(exc: BadField) -> ApiError:
    """A 400 naming the field."""
    return ApiError(400, "bad_field", exc.message, exc.fix)


async def in_thread(func: Callable[[], T], timeout: float | None = None) -> T:
    """Run blocking (pyvo, SQLite) work on a worker thread; requests time out after ``timeout``."""

    def call() -> T:
        with request_timeout(timeout):
            return func()

    return await asyncio.get_running_loop().run_in_executor(None, call)


def service_failure(exc: BaseException, service: str) -> ApiError:
    """A service's failure on a single-service endpoint: 400/502/504 with its own message."""
    from esap.data.federation import error_of

    code, message = error_of(exc)
    if code == "query_error":
        return ApiError(400, code, message, "correct the query (the message is the service's own)")
    if code == "timeout":
        return ApiError(504, code, message, f"retry later, or raise {service}'s timeout")
    if code in ("not_applicable", "bad_field"):
        return ApiError(400, code, message, "change the request as the message says")
    fix = getattr(exc, "fix", "") or f"{service} failed; retry later or ask its operators"
    return ApiError(502, code, message, fix)


def _warm() -> None:
    """Import pyvo and astropy in the background, so the first search does not pay for it."""
    import astropy.table  # noqa: F401
    import pyvo.dal  # noqa: F401


threading.Thread(target=_warm, name="esap-warm-imports", daemon=True).start()

__all__ = ["bad_field", "catalog", "in_thread", "result_store", "service_failure", "user_store"]
