"""Sharing this running lab, from the lab's own server: JupyterHub's shares and share codes.

The server's ``$JUPYTERHUB_API_TOKEN`` carries the scopes the hub gives it when
``sharing.enabled`` (``esap.hub.sharing``): manage the shares of its owner's
servers, read the names of users and groups to share with, and read what is
shared with its owner. Every share goes through JupyterHub's own REST API
(``/hub/api/shares/<owner>/<server>``, ``/hub/api/share-codes/...``,
``/hub/api/users/<owner>/shared``); JupyterHub keeps them and checks them on
every request of the visitor. When a share ends is recorded with the hub's
``esap-sharing`` service (``$ESAP_SHARING_URL``), which revokes it then
(:mod:`esap.sharing.expiry`): a share the service could not record is
revoked at once, so no share of the lab's outlives its time.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from esap.core.errors import FieldError, Forbidden, NotFound, Unavailable
from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV
from esap.core.hub_users import parse_time
from esap.sharing.scopes import Access, access_of, share_scopes

#: Set by the hub on user servers when sharing is on: the esap-sharing service's URL.
SHARING_URL_ENV = "ESAP_SHARING_URL"
#: The longest share the admin allows, in seconds (``sharing.max_hours``).
MAX_SECONDS_ENV = "ESAP_SHARING_MAX_SECONDS"
USER_ENV = "JUPYTERHUB_USER"
SERVER_NAME_ENV = "JUPYTERHUB_SERVER_NAME"
PAGINATION = "application/jupyterhub-pagination+json"
#: A share code lives one minute to one year (JupyterHub's own bounds).
LINK_MIN_SECONDS = 60
LINK_MAX_SECONDS = 365 * 86400
TIMEOUT = 15.0

Kind = Literal["user", "group"]


class SharingDisabled(Forbidden):
    """The hub does not let users share their labs."""

    code = "sharing_disabled"
    fix = "ask the hub admin to turn sharing on (sharing.enabled in esap.yaml)"


class HubRefused(Forbidden):
    """The hub refused the server's token for a sharing request."""

    code = "hub_refused"
    fix = (
        "restart your server from the hub (File > Hub Control Panel): a server started "
        "before sharing was turned on has a token without the sharing scopes"
    )


class SharingUnavailable(Unavailable):
    """The hub or its esap-sharing service did not answer."""

    code = "sharing_unavailable"


@dataclass(frozen=True)
class Lab:
    """This server: its owner and name, where the hub and the expiry service are."""

    api: str
    token: str
    owner: str
    server: str
    service: str
    max_seconds: float

    @property
    def shares_path(self) -> str:
        return f"shares/{quote(self.owner)}/{quote(self.server)}"

    @property
    def codes_path(self) -> str:
        return f"share-codes/{quote(self.owner)}/{quote(self.server)}"


def enabled() -> bool:
    """Whether the hub turned sharing on for this server."""
    return bool(os.environ.get(SHARING_URL_ENV))


def lab() -> Lab:
    """This server's sharing context, or :class:`SharingDisabled`."""
    service = os.environ.get(SHARING_URL_ENV, "")
    api = os.environ.get(HUB_API_URL_ENV, "")
    token = os.environ.get(HUB_TOKEN_ENV, "")
    owner = os.environ.get(USER_ENV, "")
    if not (service and api and token and owner):
        raise SharingDisabled("this hub does not let users share their labs")
    try:
        max_seconds = float(os.environ.get(MAX_SECONDS_ENV) or 7 * 86400)
    except ValueError:
        max_seconds = 7 * 86400
    return Lab(
        api=api.rstrip("/") + "/",
        token=token,
        owner=owner,
        server=os.environ.get(SERVER_NAME_ENV, ""),
        service=service.rstrip("/") + "/",
        max_seconds=max_seconds,
    )


@asynccontextmanager
async def _client(here: Lab) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"token {here.token}", "Accept": PAGINATION}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, headers=headers) as client:
            yield client
    except httpx.HTTPError as exc:
        raise SharingUnavailable(
            f"the hub did not answer a sharing request: {type(exc).__name__}",
            "retry in a moment; if it persists, ask the hub admin whether the hub runs",
        ) from None


def _hub_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message") or body)[:300] if isinstance(body, dict) else str(body)[:300]


def _check(response: httpx.Response, field: str | None = None, name: str = "") -> None:
    """Raise the ESAP error for a refused hub request."""
    if response.is_success:
        return
    message = _hub_message(response)
    if response.status_code == 400 and field and message.lower().startswith("no such"):
        raise FieldError(field, f"no {field} {name!r} on this hub", "check the name")
    if response.status_code in (401, 403):
        raise HubRefused(f"the hub refused: {message}")
    if response.status_code == 404:
        raise NotFound(f"the hub has no such share: {message}", "reload the list of shares")
    raise SharingUnavailable(
        f"the hub answered {response.status_code}: {message}", "retry; if it persists, ask"
    )


async def _pages(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    """Every item of a paginated hub list."""
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        response = await client.get(url, params={"offset": offset})
        _check(response)
        page = response.json()
        if isinstance(page, list):
            return items + page
        items.extend(page.get("items", []))
        following = (page.get("_pagination") or {}).get("next")
        if not following:
            return items
        offset = int(following["offset"])


def _stamp(value: str | None) -> float | None:
    parsed = parse_time(value)
    return None if parsed is None else parsed.timestamp()


async def _records(client: httpx.AsyncClient, here: Lab) -> dict[str, list[dict[str, Any]]]:
    response = await client.get(here.service + "expiries")
    if response.status_code != 200:
        raise SharingUnavailable(
            f"the hub's esap-sharing service answered {response.status_code}",
            "retry in a moment; if it persists, ask the hub admin (the service's log)",
        )
    data: dict[str, list[dict[str, Any]]] = response.json()
    return data


def _key(record: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(record.get("owner")),
        str(record.get("server")),
        str(record.get("kind")),
        str(record.get("name")),
    )


async def overview() -> dict[str, Any]:
    """What this lab shares (with whom, how, until when), its links, and what is shared with me."""
    if not enabled():
        return {"enabled": False, "max_seconds": None, "shares": [], "links": [], "incoming": []}
    here = lab()
    async with _client(here) as client:
        shares = await _pages(client, here.api + here.shares_path)
        codes = await _pages(client, here.api + here.codes_path)
        incoming = await _pages(client, here.api + f"users/{quote(here.owner)}/shared")
        records = await _records(client, here)
    until = {_key(r): float(r["expires_at"]) for r in records.get("outgoing", [])}
    given = {_key(r): float(r["expires_at"]) for r in records.get("incoming", [])}
    out = []
    for share in shares:
        kind = "group" if share.get("group") else "user"
        name = str((share.get(kind) or {}).get("name", ""))
        out.append(
            {
                "kind": kind,
                "name": name,
                "access": access_of(share.get("scopes") or []),
                "created_at": _stamp(share.get("created_at")),
                "expires_at": until.get((here.owner, here.server, kind, name)),
            }
        )
    links = [
        {
            "id": str(code["id"]),
            "access": access_of(code.get("scopes") or []),
            "created_at": _stamp(code.get("created_at")),
            "expires_at": _stamp(code.get("expires_at")),
            "exchange_count": int(code.get("exchange_count") or 0),
        }
        for code in codes
    ]
    mine = []
    for share in incoming:
        server = share.get("server") or {}
        owner = str((server.get("user") or {}).get("name", ""))
        kind = "group" if share.get("group") else "user"
        via = str((share.get(kind) or {}).get("name", ""))
        mine.append(
            {
                "owner": owner,
                "server": str(server.get("name", "")),
                "url": str(server.get("url", "")),
                "ready": bool(server.get("ready")),
                "access": access_of(share.get("scopes") or []),
                "via": kind,
                "name": via,
                "expires_at": given.get((owner, str(server.get("name", "")), kind, via)),
            }
        )
    return {
        "enabled": True,
        "max_seconds": here.max_seconds,
        "shares": out,
        "links": links,
        "incoming": mine,
    }


def _seconds(expires_in: int, here: Lab, low: int = 1, high: float | None = None) -> int:
    top = min(here.max_seconds, high) if high is not None else here.max_seconds
    if not low <= expires_in <= top:
        raise FieldError(
            "expires_in",
            f"{expires_in}: a share lasts from {low} s to {int(top)} s on this hub",
            f"give at most {int(top)} seconds ({top / 3600:g} hours)",
        )
    return expires_in


async def _register(client: httpx.AsyncClient, here: Lab, record: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(here.service + "expiries", json=record)
    if response.status_code != 201:
        raise SharingUnavailable(
            f"the hub's esap-sharing service could not record when the share ends "
            f"({response.status_code}: {response.text[:200]}), so it was not made",
            "retry in a moment; if it persists, ask the hub admin (the service's log)",
        )
    data: dict[str, Any] = response.json()
    return data


async def share(kind: Kind, name: str, access: Access, expires_in: int) -> dict[str, Any]:
    """Share this lab with user or group ``name`` for ``expires_in`` seconds; return the share.

    A share that exists is replaced (JupyterHub only adds scopes to a share,
    so a full share made read-only is revoked first).
    """
    here = lab()
    seconds = _seconds(expires_in, here)
    if kind == "user" and name == here.owner:
        raise FieldError("name", "that is you: your lab is yours already", "name a colleague")
    body = {kind: name, "scopes": share_scopes(here.owner, here.server, access)}
    async with _client(here) as client:
        await client.patch(here.api + here.shares_path, json={kind: name})
        response = await client.post(here.api + here.shares_path, json=body)
        _check(response, "name", name)
        made = response.json()
        now = _stamp(made.get("created_at"))
        try:
            record = await _register(
                client,
                here,
                {
                    "server": here.server,
                    "kind": kind,
                    "name": name,
                    "access": access,
                    "expires_in": seconds,
                },
            )
        except SharingUnavailable:
            await client.patch(here.api + here.shares_path, json={kind: name})
            raise
    return {
        "kind": kind,
        "name": name,
        "access": access_of(made.get("scopes") or []),
        "created_at": now,
        "expires_at": float(record["expires_at"]),
    }


async def revoke(kind: Kind, name: str) -> None:
    """End the share with user or group ``name`` now."""
    here = lab()
    async with _client(here) as client:
        response = await client.patch(here.api + here.shares_path, json={kind: name})
        _check(response)
        await client.delete(
            here.service + "expiries",
            params={"server": here.server, "kind": kind, "name": name},
        )


async def make_link(access: Access, expires_in: int) -> dict[str, Any]:
    """A link (JupyterHub share code) anyone signed in may accept until it ends; the shares
    made from it end with it."""
    here = lab()
    seconds = _seconds(expires_in, here, LINK_MIN_SECONDS, LINK_MAX_SECONDS)
    body = {"scopes": share_scopes(here.owner, here.server, access), "expires_in": seconds}
    async with _client(here) as client:
        response = await client.post(here.api + here.codes_path, json=body)
        _check(response)
        code = response.json()
        try:
            await _register(
                client,
                here,
                {
                    "server": here.server,
                    "kind": "code",
                    "name": str(code["id"]),
                    "access": access,
                    "expires_in": seconds,
                },
            )
        except SharingUnavailable:
            await client.delete(here.api + here.codes_path, params={"id": code["id"]})
            raise
    return {
        "id": str(code["id"]),
        "access": access_of(code.get("scopes") or []),
        "created_at": _stamp(code.get("created_at")),
        "expires_at": _stamp(code.get("expires_at")),
        "exchange_count": 0,
        "accept_url": str(code.get("accept_url", "")),
    }


async def revoke_link(link_id: str) -> None:
    """Withdraw a link (the shares already made from it end with it, at its time)."""
    here = lab()
    async with _client(here) as client:
        response = await client.delete(here.api + here.codes_path, params={"id": link_id})
        _check(response)


__all__ = [
    "MAX_SECONDS_ENV",
    "SHARING_URL_ENV",
    "HubRefused",
    "Lab",
    "SharingDisabled",
    "SharingUnavailable",
    "enabled",
    "lab",
    "make_link",
    "overview",
    "revoke",
    "revoke_link",
    "share",
]
