"""``esap usage``: everyone's usage, per user and per group, for a hub's admin at a terminal.

The rows are those of the hub page ``/hub/esap-usage`` (:mod:`esap.hub.usage`):
users, groups and servers from the hub's API, each running server's own
report (home against the quota, Dask, jobs), homes measured on this
machine in local mode. The token is ``$JUPYTERHUB_API_TOKEN`` (an admin's),
else the token of a service of ``hub.services`` in ``esap.yaml`` that may
list users and reach their servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from esap.core.hub_env import HUB_TOKEN_ENV

HELP = "show everyone's usage per user and per group: home, servers, Dask, jobs"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap usage``."""
    parser = subparsers.add_parser(
        "usage",
        help=HELP,
        description="Ask a running hub for its users and each running server for its usage, "
        "and print a table per user (groups, servers and how long they run, home against "
        "hub.home_quota, Dask clusters, cores and memory, jobs running) and per group. "
        f"Needs an admin's token in ${HUB_TOKEN_ENV}, or a service of hub.services whose scopes "
        "include list:users, read:users and access:servers.",
    )
    parser.add_argument("--user", help="only this user")
    parser.add_argument("--group", help="only the members of this group")
    parser.add_argument(
        "--config", default="esap.yaml", help="the hub's admin config (default: esap.yaml)"
    )
    parser.add_argument(
        "--hub-url",
        help="the hub's public address, e.g. https://hub.example.org "
        "(default: the local hub of the config, http://127.0.0.1:<hub.port>)",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"esap usage: {message}", file=sys.stderr)
    return 2


def service_token(config: Any) -> str | None:
    """The token of the first service of ``hub.services`` that may gather usage, if any.

    It must list users (``list:users``, or ``admin:users``), read their
    servers (``read:servers``, or ``admin:servers``) and reach them
    (``access:servers``).
    """
    for service in config.hub.services:
        granted = set(service.scopes)
        if (
            granted & {"list:users", "admin:users"}
            and granted & {"read:servers", "admin:servers"}
            and "access:servers" in granted
        ):
            try:
                return str(service.token.resolve())
            except LookupError:
                continue
    return None


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, the header above a rule."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def render(usage: Any) -> str:
    """The two tables of ``esap usage``: users, then groups."""
    from esap.hub.usage_page import duration, size

    quota = usage.quota

    def home(count: int | None, source: str | None) -> str:
        if count is None:
            return "unknown"
        share = f" ({100 * count / quota:.0f}%)" if quota else ""
        return f"{size(count)}{share}{' disk' if source == 'disk' else ''}"

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    users = [
        [
            row.name + (" (admin)" if row.admin else ""),
            ", ".join(row.groups),
            ", ".join(
                f"{s['name'] or 'default'} {duration(s['running_seconds'])}"
                for s in row.servers
                if s["ready"]
            ),
            home(row.home, row.home_from),
            number(row.dask_clusters),
            number(row.dask_cores),
            size(row.dask_memory),
            number(row.jobs),
        ]
        for row in usage.users
    ]
    text = [
        f"home quota: {size(quota) if quota else 'none (hub.home_quota)'}",
        "",
        table(
            ["USER", "GROUPS", "SERVERS RUNNING", "HOME", "CLUSTERS", "CORES", "MEMORY", "JOBS"],
            users,
        ),
    ]
    problems = [f"{row.name}: {row.problem}" for row in usage.users if row.problem]
    if problems:
        text += ["", *problems]
    groups = [
        [
            group.name,
            str(group.users),
            str(group.servers),
            size(group.home)
            + (f" (+{group.unknown_homes} unknown)" if group.unknown_homes else ""),
            f"{group.dask_cores:g}",
            size(group.dask_memory),
            str(group.jobs),
        ]
        for group in usage.groups()
    ]
    if groups:
        text += [
            "",
            table(["GROUP", "USERS", "SERVERS", "HOMES", "CORES", "MEMORY", "JOBS"], groups),
        ]
    return "\n".join(text)


def run(args: argparse.Namespace) -> int:
    from esap.config import ConfigError, load
    from esap.config.sizes import memory_bytes
    from esap.hub.state import HubState
    from esap.hub.usage import gather
    from esap.hub.usage_page import servers_url

    try:
        config = load(args.config, lenient_adapters=True)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return _fail(f"fix {args.config} (check it with `esap config check {args.config}`)")
    if args.hub_url is None and config.hub.mode != "local":
        return _fail("this hub runs on Kubernetes: give its address, --hub-url https://...")
    token = os.environ.get(HUB_TOKEN_ENV) or service_token(config)
    if not token:
        return _fail(
            f"no token: export {HUB_TOKEN_ENV} with an admin's hub token, or add a service to "
            f"hub.services in {args.config} with the scopes list:users, read:users and "
            "access:servers"
        )
    base = (args.hub_url or servers_url(config)).rstrip("/")
    quota = None if config.hub.home_quota is None else memory_bytes(config.hub.home_quota)
    homes = HubState(config.hub.data_dir.resolve()).homes if config.hub.mode == "local" else None
    usage = asyncio.run(
        gather(
            f"{base}/hub/api",
            base,
            token,
            quota=quota,
            homes=homes if args.hub_url is None else None,
            user=args.user,
            group=args.group,
        )
    )
    if args.json:
        print(json.dumps(usage.as_dict(), indent=2))
    else:
        print(render(usage))
    return 0


__all__ = ["HELP", "add_parser", "render", "run"]
