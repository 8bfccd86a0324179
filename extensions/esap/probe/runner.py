"""One probe round: spawn the bot's lab, run the checks, always clean up.

Every step is bounded by its time-out (``probe.timeouts``) and gives one
:class:`CheckResult`; a failing or hanging check never stops the next one,
and the clean-up (the ``cleanup`` check) runs whatever happened before it,
also when the round itself is cancelled (the service stopping, Ctrl-C at
the terminal): the bot's clusters are stopped, its lab stopped, its account
removed (its tokens with it), its record removed from the local archive and,
on a local hub, its home removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from esap.probe.bot import Bot
from esap.probe.checks import Lab, Leftovers, dask_cluster, stop_clusters
from esap.probe.failures import CheckFailed
from esap.probe.plan import Plan
from esap.probe.results import CheckResult, Round

log = logging.getLogger("esap.probe")

#: The bot's token lives at most this long (it goes with the account at the clean-up).
TOKEN_LIFETIME = 3600
#: A record id in the local archive (a publication's journal id).
RECORD_ID = re.compile(r"^[0-9a-f]{32}$")
#: The service label of the steps that concern the hub itself.
HUB = "hub"


async def timed(check: str, service: str, timeout: float, work: Awaitable[str]) -> CheckResult:
    """Run ``work`` for at most ``timeout`` seconds; its outcome as a result."""
    start = time.monotonic()
    ok = False
    try:
        message = await asyncio.wait_for(work, timeout)
        ok = True
    except TimeoutError:
        message = f"no answer within {timeout:g} s (probe.timeouts.{check} in esap.yaml)"
    except CheckFailed as exc:
        message = str(exc)
    except Exception as exc:  # a library's own error (the gateway client's): named as it is
        log.exception("probe check %s of %s", check, service)
        message = f"{type(exc).__name__}: {exc}"
    return CheckResult(check, service, ok, round(time.monotonic() - start, 3), message)


class Probe:
    """One round of one plan, with the probe's own hub token."""

    def __init__(
        self, plan: Plan, token: str, report: Callable[[CheckResult], None] | None
    ) -> None:
        self.plan = plan
        self.token = token
        self.report = report
        self.round = Round(started=time.time())
        self.leftovers = Leftovers()
        self.bot_token: str | None = None

    def add(self, result: CheckResult) -> None:
        self.round.results.append(result)
        if self.report is not None:
            self.report(result)

    async def run(self) -> Round:
        plan = self.plan
        headers = {"Authorization": f"token {self.token}"}
        async with httpx.AsyncClient(
            base_url=f"{plan.api_url}/", headers=headers, timeout=30
        ) as client:
            bot = Bot(client, plan.user)
            try:
                spawned = await timed("spawn", HUB, plan.timeout("spawn"), self._spawn(bot))
                self.add(spawned)
                if spawned.ok:
                    await self._checks()
            finally:
                self.add(await timed("cleanup", HUB, plan.timeout("cleanup"), self._clean(bot)))
        self.round.finished = time.time()
        return self.round

    async def _spawn(self, bot: Bot) -> str:
        """A fresh bot (a crashed round's is removed first), its token, its lab."""
        if await bot.model() is not None:
            log.warning("removing the bot %s left by an earlier round", bot.user)
            await bot.stop(self.plan.timeout("cleanup"))
            await bot.delete(self.plan.timeout("cleanup"))
        await bot.create()
        self.bot_token = await bot.token(TOKEN_LIFETIME)
        path = await bot.spawn()
        return f"lab ready at {path}"

    async def _checks(self) -> None:
        plan = self.plan
        assert self.bot_token is not None
        async with httpx.AsyncClient(
            base_url=f"{plan.hub_url}/user/{plan.user}/",
            headers={"Authorization": f"token {self.bot_token}"},
            timeout=httpx.Timeout(30, read=None),  # each check has its own time-out
        ) as client:
            lab = Lab(client)
            if "data" in plan.checks:
                await self._each(
                    "data",
                    plan.timeout("data"),
                    lab.data_services,
                    lambda service: lab.search(service, plan.search),
                )
            if "software" in plan.checks:
                await self._each(
                    "software",
                    plan.timeout("software"),
                    lab.catalogues,
                    lambda entry: lab.software(entry["name"]),
                )
            if "basket" in plan.checks:
                self.add(await timed("basket", "basket", plan.timeout("basket"), lab.basket()))
            if "publish" in plan.checks and plan.archive:
                work = lab.publish(plan.archive, self.leftovers)
                self.add(await timed("publish", plan.archive, plan.timeout("publish"), work))
            if "dask" in plan.checks and plan.gateway_url:
                work = dask_cluster(plan.gateway_url, self.bot_token, self.leftovers)
                self.add(await timed("dask", "dask-gateway", plan.timeout("dask"), work))
            if plan.notebooks:
                await self._each(
                    "notebooks",
                    plan.timeout("notebooks"),
                    lab.notebooks,
                    lab.run_notebook,
                    key=str,
                )
            if plan.archive_path:
                # whatever the bot published (a tutorial publishes too) leaves the archive
                with contextlib.suppress(CheckFailed, TimeoutError):
                    ids = await asyncio.wait_for(lab.publications(), plan.timeout("cleanup"))
                    self.leftovers.records.extend(i for i in ids if i not in self.leftovers.records)

    async def _each(
        self,
        check: str,
        timeout: float,
        listing: Callable[[], Awaitable[list[Any]]],
        work: Callable[[Any], Awaitable[str]],
        key: Callable[[Any], str] = lambda entry: str(entry["name"]),
    ) -> None:
        """Run ``work`` on each entry the lab lists (its listing failing is one failure)."""
        entries: list[Any] = []

        async def listed() -> str:
            entries.extend(await listing())
            return f"{len(entries)} listed"

        listed_result = await timed(check, "(list)", timeout, listed())
        if not listed_result.ok:
            self.add(listed_result)
            return
        for entry in entries:
            self.add(await timed(check, key(entry), timeout, work(entry)))

    async def _clean(self, bot: Bot) -> str:
        """Remove everything of the bot's; every step is tried, failures are listed together."""
        plan = self.plan
        problems: list[str] = []
        done: list[str] = []
        if plan.gateway_url and self.bot_token:
            try:
                stopped = await stop_clusters(plan.gateway_url, self.bot_token)
                if stopped:
                    problems.append(f"{stopped} Dask cluster(s) were still running (now stopped)")
            except Exception as exc:  # the gateway client's own errors
                name = type(exc).__name__
                problems.append(f"listing the bot's Dask clusters failed: {name}: {exc}")
        for step, what in ((bot.stop, "lab stopped"), (bot.delete, "account removed")):
            try:
                await step(plan.timeout("cleanup"))
                done.append(what)
            except CheckFailed as exc:
                problems.append(str(exc))
        removed = await asyncio.to_thread(self._remove_files)
        done.append(removed)
        if problems:
            raise CheckFailed("; ".join(problems))
        return ", ".join(done)

    def _remove_files(self) -> str:
        """The bot's records in the local archive and (local hubs) its home."""
        plan = self.plan
        removed = 0
        if plan.archive_path:
            root = Path(plan.archive_path)
            for record in self.leftovers.records:
                if not RECORD_ID.match(record):
                    continue
                for folder in (root / record, root / ".drafts" / record):
                    if folder.is_dir():
                        shutil.rmtree(folder, ignore_errors=True)
                        removed += 1
        if plan.homes:
            home = Path(plan.homes) / plan.user
            if home.is_dir() and home.parent == Path(plan.homes):
                shutil.rmtree(home, ignore_errors=True)
                removed += 1
        return f"{removed} folder(s) of the bot's removed"


async def run_round(
    plan: Plan, token: str, report: Callable[[CheckResult], None] | None = None
) -> Round:
    """Run one round of ``plan`` with the probe's hub ``token``; ``report`` sees each result."""
    return await Probe(plan, token, report).run()
