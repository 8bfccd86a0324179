"""The checks of a round: what a scientist does in the lab, through the lab's REST API.

Each check is one short sequence of calls to the bot's own server
(``/user/<bot>/esap/api/v1/...``, described in ``esap/server/openapi.yaml``),
made with the bot's token as any REST client would make them. A check returns
what it saw (a pass) or raises :class:`CheckFailed` naming what went wrong;
the runner times it and bounds it (:mod:`esap.probe.runner`). Whatever a check
leaves behind for the clean-up (a record in the local archive, a Dask
cluster) is noted in :class:`Leftovers` before it can fail.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from esap.probe.failures import CheckFailed, answer_failure, http_failure

API = "esap/api/v1/"
#: The file the publish check publishes (in the bot's home, removed with it).
PUBLISHED_FILE = "esap-probe.txt"
#: How often a publication or a notebook run is polled.
POLL = 0.25
#: Seconds the gateway has to take a stop request.
STOP_CLUSTER = 30.0
#: The metadata of the probe's publication: the least the archives accept.
METADATA = {
    "title": "ESAP probe",
    "creators": [{"name": "Probe, ESAP"}],
    "description": "A publication made by the hub's probe to check publishing; removed at once.",
    "license": "CC-BY-4.0",
}


@dataclass
class Leftovers:
    """What the checks made that outlives the bot's lab: cleaned up after every round."""

    #: Record ids made in the local archive.
    records: list[str] = field(default_factory=list)
    #: Dask clusters started (stopped again by the check; the clean-up makes sure).
    clusters: list[str] = field(default_factory=list)


class Lab:
    """The bot's running lab: its ESAP REST API and jupyter-server's contents API."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        """``client`` has the lab's URL as its base and sends the bot's token."""
        self.client = client

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise http_failure("the bot's lab", exc) from None

    async def json(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kw: Any) -> Any:
        response = await self.call(method, path, **kw)
        if response.status_code not in ok:
            raise answer_failure(f"{method} {path}", response)
        return response.json()

    # -- what there is to check -------------------------------------------------
    async def data_services(self) -> list[dict[str, Any]]:
        """The admin's enabled data services, as the lab lists them."""
        body = await self.json("GET", f"{API}data/services")
        return [s for s in body["services"] if s.get("source") == "admin" and s.get("enabled")]

    async def catalogues(self) -> list[dict[str, Any]]:
        body = await self.json("GET", f"{API}software/catalogues")
        return [c for c in body["catalogues"] if c.get("enabled")]

    # -- the checks -------------------------------------------------------------
    async def search(self, service: dict[str, Any], cone: dict[str, float]) -> str:
        """One search of one data service, read from the NDJSON stream as the Data panel does."""
        name = service["name"]
        if service.get("error"):
            raise CheckFailed(f"the service cannot be used: {service['error']}")
        request = {
            "services": [name],
            "ra": cone["ra"],
            "dec": cone["dec"],
            "radius": cone["radius"],
            "maxrec": int(cone["maxrec"]),
        }
        try:
            async with self.client.stream("POST", f"{API}data/search", json=request) as stream:
                if stream.status_code != 200:
                    await stream.aread()
                    raise answer_failure("the search", stream)
                async for line in stream.aiter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if event.get("service") != name:
                        continue
                    if event["event"] == "rows":
                        return f"{event['total']} rows in {event['elapsed_ms'] / 1000:.2f} s"
                    if event["event"] == "error":  # how it failed, and the fix that fits
                        fix = f" — {event['fix']}" if event.get("fix") else ""
                        raise CheckFailed(f"{event['code']}: {event['message']}{fix}")
        except httpx.HTTPError as exc:
            raise http_failure("the bot's lab", exc) from None
        raise CheckFailed(f"the search ended without an answer from {name}")

    async def software(self, catalogue: str) -> str:
        """One search of one software catalogue."""
        body = await self.json(
            "GET", f"{API}software/search", params={"catalogues": catalogue, "limit": 1}
        )
        if catalogue in body.get("errors", {}):
            raise CheckFailed(body["errors"][catalogue])
        return f"{len(body.get('hits', []))} hit(s)"

    async def basket(self) -> str:
        """Add an item, read it back, remove it, and see it gone."""
        title = f"esap probe {uuid.uuid4().hex[:8]}"
        item = {"kind": "data", "service": "esap-probe", "title": title, "access_url": None}
        added = await self.json("POST", f"{API}basket", ok=(201,), json={"items": [item]})
        item_id = added["ids"][0]
        read = await self.json("GET", f"{API}basket/items/{item_id}")
        if read.get("title") != title:
            raise CheckFailed(f"the basket gave back {read.get('title')!r}, not {title!r}")
        removed = await self.call("DELETE", f"{API}basket/items/{item_id}")
        if removed.status_code != 204:
            raise answer_failure("removing the basket item", removed)
        gone = await self.call("GET", f"{API}basket/items/{item_id}")
        if gone.status_code != 404:
            raise CheckFailed(f"the removed item is still there ({gone.status_code})")
        return "added, read back and removed one item"

    async def publish(self, archive: str, leftovers: Leftovers) -> str:
        """Write a file in the home and publish it to ``archive``, to the end."""
        content = f"Written by the ESAP probe at {time.strftime('%Y-%m-%dT%H:%M:%SZ')}.\n"
        await self.json(
            "PUT",
            f"api/contents/{PUBLISHED_FILE}",
            ok=(200, 201),
            json={"type": "file", "format": "text", "content": content},
        )
        started = await self.json(
            "POST",
            f"{API}publish/publications",
            ok=(200, 202),
            json={"files": [PUBLISHED_FILE], "metadata": METADATA, "archive": archive},
        )
        publication = started["id"]
        leftovers.records.append(publication)
        while True:
            body = await self.json("GET", f"{API}publish/publications/{publication}")
            if body.get("published"):
                return f"published {(body.get('record') or {}).get('id', publication)}"
            if body.get("error") and not body.get("running"):
                fix = f" — {body['fix']}" if body.get("fix") else ""
                raise CheckFailed(f"{body['error']}{fix}")
            await asyncio.sleep(POLL)

    async def publications(self) -> list[str]:
        """The ids of every publication the bot made (a tutorial publishes too)."""
        body = await self.json("GET", f"{API}publish/publications")
        return [str(p["id"]) for p in body.get("publications", [])]

    async def notebooks(self) -> list[str]:
        """Copy the tutorials into the home; the notebooks' paths."""
        body = await self.json("POST", f"{API}tutorials/copy")
        paths = [*body.get("copied", []), *body.get("kept", [])]
        return sorted(p for p in paths if p.endswith(".ipynb"))

    async def run_notebook(self, path: str) -> str:
        """Run one notebook headless (papermill, in the lab: a ``run`` job) to the end."""
        job = await self.json("POST", f"{API}jobs/run", ok=(201, 202), json={"notebook": path})
        while job["state"] in ("pending", "running"):
            await asyncio.sleep(POLL * 4)
            job = await self.json("GET", f"{API}jobs/run/{job['id']}")
        if job["state"] != "done":
            error = job.get("error") or {}
            cell = (job.get("result") or {}).get("cell") or {}
            where = f" in cell {cell['cell']}" if cell.get("cell") is not None else ""
            fix = f" — {error['fix']}" if error.get("fix") else ""
            raise CheckFailed(
                f"the run ended {job['state']}{where}: {error.get('message', '')}{fix}".strip()
            )
        return "ran to the end"


async def dask_cluster(address: str, token: str, leftovers: Leftovers) -> str:
    """Start a cluster on Dask Gateway as the bot, wait until it runs, stop it."""
    from dask_gateway import Gateway, JupyterHubAuth
    from dask_gateway.client import ClusterStatus

    async with Gateway(address, auth=JupyterHubAuth(api_token=token), asynchronous=True) as gw:
        name = await gw.submit()
        leftovers.clusters.append(name)
        try:
            while True:
                report = await gw.get_cluster(name)
                if report.status is ClusterStatus.RUNNING:
                    break
                if report.status in (ClusterStatus.FAILED, ClusterStatus.STOPPED):
                    raise CheckFailed(
                        f"cluster {name} {report.status.name.lower()} before it ran "
                        "— see the Dask Gateway's log"
                    )
                await asyncio.sleep(POLL)
        finally:
            # also when the time-out cancelled the wait: a new await still runs here
            await asyncio.wait_for(gw.stop_cluster(name), STOP_CLUSTER)
    return f"cluster {name} started and stopped"


async def stop_clusters(address: str, token: str) -> int:
    """Stop every cluster the bot still has (a check that timed out may leave one)."""
    from dask_gateway import Gateway, JupyterHubAuth

    async with Gateway(address, auth=JupyterHubAuth(api_token=token), asynchronous=True) as gw:
        clusters = await gw.list_clusters()
        for cluster in clusters:
            await gw.stop_cluster(cluster.name)
    return len(clusters)
