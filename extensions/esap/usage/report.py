"""One user's usage, as the "My usage" view shows it and the admin's table gathers it.

Each part is read on its own, so one that cannot be had (the hub busy, the
gateway restarting) is named in ``problems`` while the others are shown:

- ``home``: its size (a walk, off the event loop, cached for
  :data:`esap.core.home.MAX_AGE` s unless ``fresh``), the quota, the share
  of it used and whether the lab should warn (past
  :data:`esap.core.quota.WARN_AT`);
- ``servers``: the user's servers at the hub and how long each has run;
- ``dask``: the user's clusters, what they hold, the user's limits;
- ``jobs``: every job still pending or running, of every kind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from esap.core.errors import EsapError
from esap.core.home import MAX_AGE, home_size
from esap.core.hub_users import servers_of
from esap.core.jobs import Job
from esap.core.quota import WARN_AT, home_quota
from esap.usage.clusters import cluster_usage, dask_settings, limits_for
from esap.usage.hub import own_model, user_name

#: The parameter of each job kind that says what the job is about, in the order looked for.
_ABOUT = ("notebook", "publication", "folder", "service", "repository", "title", "access_url")


def _problem(part: str, error: EsapError) -> dict[str, str]:
    return {"part": part, "code": error.code, "message": error.message, "fix": error.fix}


def _job(job: Job) -> dict[str, Any]:
    """A running job as the view lists it: what it is about and how far it got."""
    about = next((str(job.params[k]) for k in _ABOUT if job.params.get(k)), None)
    return {
        "kind": job.kind,
        "id": job.id,
        "state": job.state,
        "about": about,
        "progress": {"done": job.done, "total": job.total, "message": job.message},
        "created": job.created,
    }


def home_part(fresh: bool = False) -> dict[str, Any]:
    """The home's size against its quota (blocking: a walk of the home)."""
    size = home_size(max_age=0 if fresh else MAX_AGE)
    quota = home_quota()
    share = None if quota is None else size.bytes / quota
    return {
        **size.as_dict(),
        "quota": quota,
        "share": share,
        "warn": share is not None and share >= WARN_AT,
    }


async def my_usage(jobs: Iterable[Job], *, fresh: bool = False) -> dict[str, Any]:
    """The usage report of this server's user (``jobs``: the active ones of the job store)."""
    problems: list[dict[str, str]] = []
    home = asyncio.create_task(asyncio.to_thread(home_part, fresh))
    groups: set[str] = set()
    servers: list[dict[str, Any]] = []
    try:
        model = await own_model()
    except EsapError as exc:
        problems.append(_problem("servers", exc))
    else:
        servers = servers_of(model)
        groups = set(model.get("groups") or ())
    try:
        dask = await cluster_usage(groups)
    except EsapError as exc:
        problems.append(_problem("dask", exc))
        enabled = bool(dask_settings().get("enabled"))
        dask = {
            "enabled": enabled,
            "clusters": [],
            "in_use": None,
            "limits": limits_for(groups) if enabled else None,
        }
    return {
        "user": user_name(),
        "measured_at": time.time(),
        "home": await home,
        "servers": servers,
        "dask": dask,
        "jobs": [_job(job) for job in sorted(jobs, key=lambda j: j.created, reverse=True)],
        "problems": problems,
    }


__all__ = ["home_part", "my_usage"]
