"""What the data-discovery handlers share: the user's stores, the catalog, worker threads.

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

from esap.core.public_config import public_config
from esap.data.base import request_timeout
from esap.data.catalog import Catalog
from esap.data.results import ResultStore
from esap.data.store import UserStore

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


async def in_thread(func: Callable[[], T], timeout: float | None = None) -> T:
    """Run blocking (pyvo, SQLite) work on a worker thread; requests time out after ``timeout``."""

    def call() -> T:
        with request_timeout(timeout):
            return func()

    return await asyncio.get_running_loop().run_in_executor(None, call)


def _warm() -> None:
    import astropy.table  # noqa: F401
    import pyvo.dal  # noqa: F401


def warm_imports() -> None:
    """Import pyvo and astropy in the background, so the first search does not pay for it.

    Started by the server extension when it loads, never at import: a thread
    importing pyvo while another thread imports a module that pyvo imports
    too (a test collecting its modules, a notebook importing ``esap.server``)
    can deadlock on the import locks of numpy's and astropy's extension
    modules.  In the server the extension loads before any request thread
    imports anything.
    """
    threading.Thread(target=_warm, name="esap-warm-imports", daemon=True).start()


__all__ = ["catalog", "in_thread", "result_store", "user_store", "warm_imports"]
