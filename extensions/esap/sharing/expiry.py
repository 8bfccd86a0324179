"""When a share of a lab ends: the records the ``esap-sharing`` service keeps, and its rule.

JupyterHub's shares do not expire (a share is a change of permissions; its
REST API takes no ``expires_in`` for them), and a share code's expiry ends
only the code: a share already made from it stays. So a hub service keeps
one record per share the lab made (owner, server, user or group, access,
until when) and one per link (share code), and on each look (:func:`due`)
revokes what is past its time:

- a share with a record ends at the record's time;
- a share without one was made from a link (it appeared while a link of the
  same server was valid: it ends with that link) or outside the lab
  (JupyterHub's API): it ends ``max_seconds`` after it was made.

The records live in one SQLite file in the hub's data directory
(:class:`ExpiryStore`); the decision is a pure function, tested alone.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from esap.core.db import connect, transaction

Kind = Literal["user", "group", "code"]
KINDS: tuple[Kind, ...] = ("user", "group", "code")


@dataclass(frozen=True)
class Record:
    """When one share (``kind`` user/group, ``name`` its holder) or link (``code``, its id) ends."""

    owner: str
    server: str
    kind: Kind
    name: str
    access: str
    created_at: float
    expires_at: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Share:
    """One share as JupyterHub lists it: whose server, with whom, since when (Unix time)."""

    owner: str
    server: str
    kind: Literal["user", "group"]
    name: str
    created_at: float


def ends_at(share: Share, records: Sequence[Record], max_seconds: float) -> float:
    """When ``share`` ends (see the module's rule)."""
    for record in records:
        if (record.owner, record.server, record.kind, record.name) == (
            share.owner,
            share.server,
            share.kind,
            share.name,
        ):
            return record.expires_at
    links = [
        record.expires_at
        for record in records
        if record.kind == "code"
        and (record.owner, record.server) == (share.owner, share.server)
        and record.created_at <= share.created_at <= record.expires_at
    ]
    if links:
        return max(links)
    return share.created_at + max_seconds


def due(
    shares: Iterable[Share], records: Sequence[Record], now: float, max_seconds: float
) -> list[Share]:
    """The shares whose time is up at ``now``."""
    return [share for share in shares if ends_at(share, records, max_seconds) <= now]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS expiries (
    owner TEXT NOT NULL,
    server TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'user' OR kind = 'group' OR kind = 'code'),
    name TEXT NOT NULL,
    access TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (owner, server, kind, name)
)
"""


class ExpiryStore:
    """The service's records, one SQLite file (WAL, one transaction per change)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._lock, transaction(self._conn) as conn:
            conn.execute(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    @staticmethod
    def _record(row: sqlite3.Row | tuple[object, ...]) -> Record:
        owner, server, kind, name, access, created, expires = row
        return Record(
            str(owner),
            str(server),
            "code" if kind == "code" else "group" if kind == "group" else "user",
            str(name),
            str(access),
            float(created),  # type: ignore[arg-type]
            float(expires),  # type: ignore[arg-type]
        )

    def put(self, record: Record) -> Record:
        """Record (or replace) when a share or link ends."""
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO expiries "
                "(owner, server, kind, name, access, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.owner,
                    record.server,
                    record.kind,
                    record.name,
                    record.access,
                    record.created_at,
                    record.expires_at,
                ),
            )
        return record

    def remove(self, owner: str, server: str, kind: str, name: str) -> None:
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "DELETE FROM expiries WHERE owner = ? AND server = ? AND kind = ? AND name = ?",
                (owner, server, kind, name),
            )

    def all(self) -> list[Record]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT owner, server, kind, name, access, created_at, expires_at FROM expiries"
            ).fetchall()
        return [self._record(row) for row in rows]

    def owners(self) -> set[str]:
        return {record.owner for record in self.all()}

    def of_owner(self, owner: str) -> list[Record]:
        return [record for record in self.all() if record.owner == owner]

    def given_to(self, user: str, groups: Iterable[str]) -> list[Record]:
        """The records of shares held by ``user`` directly or through one of ``groups``."""
        mine = set(groups)
        return [
            record
            for record in self.all()
            if (record.kind == "user" and record.name == user)
            or (record.kind == "group" and record.name in mine)
        ]

    def prune(self, owner: str, live: set[tuple[str, str, str]], listed_at: float) -> None:
        """Forget ``owner``'s share records with no share left, and links long past their time.

        ``live`` holds ``(server, kind, name)`` of the shares JupyterHub listed
        at ``listed_at``; a record made since is kept (its share may be newer
        than the list). A link's record is kept a day past its end, so a share
        made from it at its last second is still recognised.
        """
        for record in self.of_owner(owner):
            if record.created_at >= listed_at:
                continue
            gone = (
                record.expires_at + 86400 < listed_at
                if record.kind == "code"
                else (record.server, record.kind, record.name) not in live
            )
            if gone:
                self.remove(record.owner, record.server, record.kind, record.name)


def now() -> float:
    """Unix time (the service's and the records' clock)."""
    return time.time()


__all__ = ["KINDS", "ExpiryStore", "Kind", "Record", "Share", "due", "ends_at", "now"]
