"""The bot's account and lab, driven through the hub's REST API with the probe's token.

The probe's token may do exactly this, for the bot's account only
(:func:`esap.probe.service.service_scopes`): create and delete it, start and
stop its server, and give it a token for the round. Spawning waits on the
hub's own progress events (``/users/<bot>/server/progress``), whose last
event carries the spawner's message when a spawn fails.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from esap.probe.failures import CheckFailed, answer_failure, http_failure

#: How often the stop of a server is polled, and how often the stop is asked again.
POLL = 0.25
ASK_AGAIN = 5.0


class Bot:
    """One bot account at one hub."""

    def __init__(self, client: httpx.AsyncClient, user: str) -> None:
        """``client`` is a client of the hub's REST API sending the probe's token."""
        self.client = client
        self.user = user

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise http_failure("the hub's REST API", exc) from None

    async def model(self) -> dict[str, Any] | None:
        """The bot's user model, or ``None`` when it does not exist."""
        response = await self._call("GET", f"users/{self.user}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise answer_failure("the hub's REST API", response)
        model: dict[str, Any] = response.json()
        return model

    async def create(self) -> None:
        response = await self._call("POST", f"users/{self.user}")
        if response.status_code not in (201, 409):
            raise answer_failure(f"creating the bot account {self.user!r}", response)

    async def token(self, expires_in: int) -> str:
        """A token of the bot (the bot's own rights) that expires after the round."""
        response = await self._call(
            "POST",
            f"users/{self.user}/tokens",
            json={"note": "esap probe round", "expires_in": expires_in},
        )
        if response.status_code not in (200, 201):
            raise answer_failure(f"a token for {self.user!r}", response)
        return str(response.json()["token"])

    async def spawn(self) -> str:
        """Start the bot's lab and wait until the hub says it is ready; its URL path."""
        response = await self._call("POST", f"users/{self.user}/server")
        if response.status_code not in (201, 202):
            raise answer_failure("the hub, asked to spawn the bot's lab,", response)
        if response.status_code == 202:
            await self._follow_progress()
        model = await self.model()
        server = ((model or {}).get("servers") or {}).get("")
        if not server or not server.get("ready"):
            raise CheckFailed("the hub reported the bot's lab ready, but it is not running")
        return str(server.get("url") or f"/user/{self.user}/")

    async def _follow_progress(self) -> None:
        """Read the hub's spawn progress events until the lab is ready or the spawn failed."""
        last: dict[str, Any] = {}
        try:
            async with self.client.stream(
                "GET",
                f"users/{self.user}/server/progress",
                headers={"Accept": "text/event-stream"},
                timeout=httpx.Timeout(30, read=None),
            ) as stream:
                if stream.status_code != 200:
                    await stream.aread()
                    raise answer_failure("the hub's spawn progress", stream)
                async for line in stream.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    last = json.loads(line.removeprefix("data:"))
                    if last.get("failed"):
                        raise CheckFailed(
                            f"the spawn failed: {last.get('message') or 'no reason given'} "
                            "— see the hub's log for the spawner's error"
                        )
                    if last.get("ready"):
                        return
        except httpx.HTTPError as exc:
            raise http_failure("the hub's spawn progress", exc) from None
        raise CheckFailed(
            "the hub's spawn progress ended before the lab was ready "
            f"(last: {last.get('message') or 'nothing'})"
        )

    async def running(self) -> bool:
        """Whether the bot has a server, running or on its way up or down."""
        model = await self.model()
        return bool(model and model.get("servers"))

    async def stop(self, timeout: float) -> None:
        """Stop the bot's server (a pending spawn is interrupted) and wait until it is gone."""
        deadline = time.monotonic() + timeout
        asked = -ASK_AGAIN
        while await self.running():
            if time.monotonic() - asked >= ASK_AGAIN:
                asked = time.monotonic()
                response = await self._call("DELETE", f"users/{self.user}/server")
                if response.status_code not in (202, 204, 400, 404):
                    raise answer_failure("the hub, asked to stop the bot's lab,", response)
            if time.monotonic() > deadline:
                raise CheckFailed(
                    f"the bot's lab was still running {timeout:.0f} s after the hub was asked "
                    f"to stop it — stop it from the hub's admin page (user {self.user})"
                )
            await asyncio.sleep(POLL)

    async def delete(self, timeout: float) -> None:
        """Remove the bot's account (its tokens go with it; KubeSpawner removes its volume)."""
        deadline = time.monotonic() + timeout
        while True:
            response = await self._call("DELETE", f"users/{self.user}")
            if response.status_code in (204, 404):
                return
            if response.status_code != 400 or time.monotonic() > deadline:
                raise answer_failure(f"the hub, asked to remove the bot {self.user!r},", response)
            await asyncio.sleep(POLL)  # its server is still stopping
