"""The registry's answers for the all-VO search, kept in ``~/.esap``, refreshed behind the user.

Asking a RegTAP service for every ObsCore, SIAv2 or cone search service
takes seconds and its answer changes over weeks, so an all-VO search
starts from the answer kept here (``~/.esap/registry.sqlite``, with when it
was fetched): one older than the admin's ``all_vo.cache_max_age`` is still
used, and fetched again on a background thread for the next search. Only
a search with nothing kept for its constraints waits for the registry.

The same file remembers how long each service took and how it ended last
time, so a search can start the slow services first (see
:func:`esap.data.allvo.search_order`).

SQLite through ``esap.core.db`` like the user's other stores (a notebook's
kernel and the user's server may write at once); considered: a JSON file
(no atomic read-modify-write between two processes) and ``requests-cache``
(caches HTTP answers, but a RegTAP query is a POST whose answer pyvo parses
again every time, and it keeps no timing of the services).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from esap.core.db import PerThread, transaction
from esap.core.state import state_dir
from esap.data.base import request_timeout, shared_session
from esap.data.registry import find_services

log = logging.getLogger(__name__)

#: What fetches one registry answer: (registry URL, ESAP type, keywords, waveband, maxrec).
Lookup = Callable[[str, str, str | None, str | None, int], list[dict[str, Any]]]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, fetched REAL NOT NULL, "
    "services TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, ms REAL NOT NULL, "
    "state TEXT NOT NULL, at REAL NOT NULL)",
)

#: Answers being fetched again in the background, by key (one refresh per key at a time).
_refreshing: set[str] = set()
_refreshing_lock = threading.Lock()


def registry_lookup(timeout: float) -> Lookup:
    """The real look-up: ``find_services`` on the shared session, within ``timeout`` seconds.

    A TAP service counts only when the registry says it serves ObsCore (its
    ``datamodel``): a TAP service with no ``ivoa.obscore`` table would fail
    the form search anyway.
    """

    def lookup(
        registry: str, kind: str, keywords: str | None, waveband: str | None, maxrec: int
    ) -> list[dict[str, Any]]:
        with request_timeout(timeout):
            return find_services(
                keywords=keywords,
                servicetype=kind,
                waveband=waveband,
                registry_url=registry,
                session=shared_session(),
                maxrec=maxrec,
                datamodel="obscore" if kind == "tap" else None,
            )

    return lookup


@dataclass(frozen=True)
class Cached:
    """A registry answer as kept: its services, when fetched, and whether it is being renewed."""

    services: list[dict[str, Any]]
    fetched: float
    refreshing: bool

    @property
    def age(self) -> float:
        """Seconds since the registry gave this answer."""
        return max(0.0, time.time() - self.fetched)


def service_key(kind: str, url: str) -> str:
    """How a service is known across searches: its type and access URL."""
    return f"{kind} {url}"


class RegistryCache:
    """Registry answers and what the services did last time, in one SQLite file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "registry.sqlite"
        self._conn = PerThread(self.path, durable=False, schema=_SCHEMA)

    # ------------------------------------------------------------ answers

    def services(
        self,
        lookup: Lookup,
        registry: str,
        kind: str,
        keywords: str | None,
        waveband: str | None,
        *,
        max_age: float,
        maxrec: int,
    ) -> Cached:
        """The services of ``kind`` matching the constraints: kept, or fetched now if none is.

        A kept answer older than ``max_age`` seconds is returned as it is and
        fetched again on a background thread. Fetching now raises what the
        look-up raised (the registry's failure).
        """
        key = json.dumps([registry, kind, keywords or "", waveband or "", maxrec])
        row = (
            self._conn()
            .execute("SELECT fetched, services FROM answers WHERE key = ?", (key,))
            .fetchone()
        )
        if row is None:
            return self._fetch(lookup, key, registry, kind, keywords, waveband, maxrec)
        fetched, services = float(row[0]), json.loads(row[1])
        refreshing = False
        if time.time() - fetched > max_age:
            refreshing = self._refresh(lookup, key, registry, kind, keywords, waveband, maxrec)
        return Cached(services, fetched, refreshing)

    def _fetch(
        self,
        lookup: Lookup,
        key: str,
        registry: str,
        kind: str,
        keywords: str | None,
        waveband: str | None,
        maxrec: int,
    ) -> Cached:
        services = lookup(registry, kind, keywords, waveband, maxrec)
        fetched = time.time()
        with transaction(self._conn()) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?)",
                (key, fetched, json.dumps(services)),
            )
        return Cached(services, fetched, refreshing=False)

    def _refresh(
        self,
        lookup: Lookup,
        key: str,
        registry: str,
        kind: str,
        keywords: str | None,
        waveband: str | None,
        maxrec: int,
    ) -> bool:
        """Fetch ``key`` again on a daemon thread (unless one does already); whether one does."""
        with _refreshing_lock:
            if key in _refreshing:
                return True
            _refreshing.add(key)

        def run() -> None:
            try:
                self._fetch(lookup, key, registry, kind, keywords, waveband, maxrec)
            except Exception:  # the kept answer stays; the next search tries again
                log.warning("refreshing the registry answer %s failed", key, exc_info=True)
            finally:
                with _refreshing_lock:
                    _refreshing.discard(key)

        threading.Thread(target=run, name="esap-registry-refresh", daemon=True).start()
        return True

    # ------------------------------------------------------------ what services did

    def remember(self, seen: dict[str, tuple[float, str]]) -> None:
        """Keep, per service key, how long it took (ms) and how it ended (rows, error, ...)."""
        now = time.time()
        with transaction(self._conn()) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?)",
                [(key, ms, state, now) for key, (ms, state) in seen.items()],
            )

    def expected(self, keys: list[str]) -> dict[str, float]:
        """The milliseconds each known service took last time (unknown ones are left out)."""
        found: dict[str, float] = {}
        conn = self._conn()
        for start in range(0, len(keys), 500):  # SQLite's limit on parameters
            part = keys[start : start + 500]
            marks = ", ".join("?" for _ in part)
            for key, ms in conn.execute(
                f"SELECT key, ms FROM seen WHERE key IN ({marks})",  # noqa: S608 - placeholders
                part,
            ):
                found[key] = float(ms)
        return found


__all__ = ["Cached", "Lookup", "RegistryCache", "registry_lookup", "service_key"]
