"""Everyone's usage for the hub's admins, per user and per group: ``esap usage``, a hub page.

The hub knows its users, their groups and servers (its REST API); each
running server knows the rest of its user's usage — the home against its
quota, Dask clusters, jobs — and answers it at ``/user/<name>/esap/api/v1/usage``
(:mod:`esap.usage`). So an admin's token that may list users and reach
their servers (``list:users``, ``read:users``, ``access:servers``: the admin
role has them) is all this needs: the users from the hub, each running
server's own report through the proxy, concurrently. A user with no
running server has nothing running; their home is measured where the hub
keeps homes on this machine (local mode), and is unknown on Kubernetes
(the volume is mounted only in the user's pod).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from esap.core.errors import EsapError, Unavailable
from esap.core.home import home_size
from esap.core.hub_users import servers_of

#: What a token needs to gather everyone's usage.
ADMIN_SCOPES = ["list:users", "read:users", "read:servers", "access:servers"]
#: Servers asked at once, and seconds each has to answer.
CONCURRENCY = 16
SERVER_TIMEOUT = 20.0
#: Seconds a home measured on disk for this table is reused.
HOME_MAX_AGE = 60.0


class HubRefused(EsapError):
    """The hub's API refused the token, or did not answer."""

    status = 403
    code = "hub_refused"


@dataclass
class UserUsage:
    """One user's row: from their running server's report, or from the hub and the disk."""

    name: str
    admin: bool
    groups: list[str]
    servers: list[dict[str, Any]]
    home: int | None = None
    #: Where the home's size comes from: "server" (its report), "disk" (measured here) or None.
    home_from: str | None = None
    dask_clusters: int | None = None
    dask_cores: float | None = None
    dask_memory: int | None = None
    jobs: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class GroupUsage:
    """The sums over a group's members (a user in two groups counts in both)."""

    name: str
    users: int = 0
    servers: int = 0
    home: int = 0
    dask_cores: float = 0
    dask_memory: int = 0
    jobs: int = 0
    #: Members whose home size is unknown (not in ``home``).
    unknown_homes: int = 0

    def add(self, row: UserUsage) -> None:
        self.users += 1
        self.servers += sum(1 for s in row.servers if s["ready"])
        if row.home is None:
            self.unknown_homes += 1
        else:
            self.home += row.home
        self.dask_cores += row.dask_cores or 0
        self.dask_memory += row.dask_memory or 0
        self.jobs += row.jobs or 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Usage:
    """Everyone's usage (or one user's, one group's), with the hub's home quota."""

    quota: int | None
    users: list[UserUsage] = field(default_factory=list)

    def groups(self) -> list[GroupUsage]:
        found: dict[str, GroupUsage] = {}
        for row in self.users:
            for name in row.groups:
                found.setdefault(name, GroupUsage(name)).add(row)
        return [found[name] for name in sorted(found)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "quota": self.quota,
            "users": [row.as_dict() for row in self.users],
            "groups": [group.as_dict() for group in self.groups()],
        }


async def _get(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await client.get(url, **kwargs)
    except httpx.HTTPError as exc:
        raise Unavailable(
            f"the hub's API at {url} did not answer: {type(exc).__name__}: {exc}",
            "check that the hub runs and the address (--hub-url)",
        ) from None
    if response.status_code in (401, 403):
        raise HubRefused(
            f"the hub refused the token ({response.status_code}): it may not list users",
            "use an admin's token, or a service token with the scopes " + ", ".join(ADMIN_SCOPES),
        )
    return response


async def _users(client: httpx.AsyncClient, api: str, user: str | None) -> list[dict[str, Any]]:
    """The hub's user models: one (``user``), else every user, page by page."""
    if user is not None:
        response = await _get(client, f"{api}/users/{quote(user, safe='')}")
        if response.status_code == 404:
            raise HubRefused(
                f"the hub has no user {user!r}", "check the name (esap usage lists all)"
            )
        response.raise_for_status()
        return [response.json()]
    users: list[dict[str, Any]] = []
    offset = 0
    while True:
        response = await _get(
            client,
            f"{api}/users",
            params={"offset": offset},
            headers={"Accept": "application/jupyterhub-pagination+json"},
        )
        response.raise_for_status()
        page = response.json()
        users.extend(page["items"])
        following = (page.get("_pagination") or {}).get("next")
        if not following:
            return users
        offset = int(following["offset"])


async def _from_server(
    client: httpx.AsyncClient, servers_url: str, row: UserUsage, limit: asyncio.Semaphore
) -> None:
    """Fill ``row`` from its running server's own report (a server that does not answer: why)."""
    ready = [s for s in row.servers if s["ready"] and s.get("url")]
    if not ready:
        row.jobs, row.dask_clusters = 0, 0  # nothing runs without a server
        return
    url = f"{servers_url}{ready[0]['url'].rstrip('/')}/esap/api/v1/usage"
    async with limit:
        try:
            response = await client.get(url, timeout=SERVER_TIMEOUT)
            response.raise_for_status()
            report = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            row.problem = f"its server did not answer its usage: {type(exc).__name__}: {exc}"
            return
    row.home, row.home_from = report["home"]["bytes"], "server"
    in_use = (report.get("dask") or {}).get("in_use") or {}
    row.dask_clusters = in_use.get("clusters")
    row.dask_cores = in_use.get("cores")
    row.dask_memory = in_use.get("memory")
    row.jobs = len(report.get("jobs") or [])


def _measure_homes(rows: Iterable[UserUsage], homes: Path) -> None:
    """The homes no server reported, measured where the hub keeps them."""
    for row in rows:
        home = homes / row.name
        if row.home is None and home.is_dir():
            row.home, row.home_from = home_size(home, max_age=HOME_MAX_AGE).bytes, "disk"


async def gather(
    api_url: str,
    servers_url: str,
    token: str,
    *,
    quota: int | None = None,
    homes: Path | None = None,
    user: str | None = None,
    group: str | None = None,
) -> Usage:
    """Everyone's usage (or ``user``'s, or ``group``'s members'), as seen with ``token``.

    ``api_url`` is the hub's REST API (``.../hub/api``), ``servers_url`` where
    the proxy serves ``/user/<name>/`` (the hub's public address); ``homes``
    the folder of the users' homes when they are on this machine.
    Raises :class:`HubRefused` for a token that may not list users.
    """
    api = api_url.rstrip("/")
    headers = {"Authorization": f"token {token}"}
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:
        models = await _users(client, api, user)
        if group is not None:
            models = [m for m in models if group in (m.get("groups") or ())]
        rows = [
            UserUsage(
                name=model["name"],
                admin=bool(model.get("admin")),
                groups=sorted(model.get("groups") or ()),
                servers=servers_of(model),
            )
            for model in sorted(models, key=lambda m: str(m["name"]))
        ]
        limit = asyncio.Semaphore(CONCURRENCY)
        base = servers_url.rstrip("/")
        await asyncio.gather(*(_from_server(client, base, row, limit) for row in rows))
    if homes is not None:
        await asyncio.to_thread(_measure_homes, rows, homes)
    return Usage(quota=quota, users=rows)


__all__ = ["ADMIN_SCOPES", "GroupUsage", "HubRefused", "Usage", "UserUsage", "gather"]
