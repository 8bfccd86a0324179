"""``jobs/<kind>[/<id>[/events]]``: every long task of the user, one REST shape for all.

``GET jobs/<kind>`` lists a kind's jobs (newest first), ``POST jobs/<kind>``
starts one (202, the job; the body is the kind's own), ``GET
jobs/<kind>/<id>`` answers one job, ``DELETE`` cancels it while it runs or
forgets it once it ended (what it made stays), and ``GET .../events`` streams
it as NDJSON — a ``progress`` line about every quarter second while it runs,
then one ``done`` line. Every answer is the one job model of
``esap.core.jobs`` (kind, id, state, progress, params, result, error).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tornado import web
from tornado.iostream import StreamClosedError

from esap.core.runner import Runner
from esap.server.answers import JOB_ANSWERS, JobAnswer, JobEvent, JobListAnswer
from esap.server.base import EsapHandler
from esap.server.data_common import in_thread
from esap.server.job_kinds import STARTS, fresh, runner, view

#: Any word: a kind the runner does not know is its 404, naming the kinds there are.
KIND = r"(?P<kind>[0-9a-z_]{1,40})"
JOB_ID = r"(?P<job_id>[0-9A-Za-z][0-9A-Za-z_-]{0,99})"
#: Seconds between two progress lines of an events stream.
EVENTS_EVERY = 0.25


class _JobsBase(EsapHandler):
    #: The kind a per-kind route serves (``jobs/<kind>``), else the path names it.
    kind = ""

    @property
    def root(self) -> str:
        return str(Path(self.settings.get("server_root_dir") or Path.home()).expanduser())

    @property
    def runner(self) -> Runner:
        return runner(self.root)


class JobsHandler(_JobsBase):
    """A kind's jobs; start one."""

    @web.authenticated
    async def get(self) -> None:
        listed = await in_thread(lambda: self.runner.list(self.kind))
        self.write_answer(JobListAnswer, {"jobs": [view(self.root, job) for job in listed]})

    @web.authenticated
    async def post(self) -> None:
        kind = STARTS[self.kind]
        job = await kind.start(self.root, self.body_as(kind.body))
        self.set_status(202)
        self.write_answer(JOB_ANSWERS[self.kind], view(self.root, job))


class JobHandler(_JobsBase):
    """One job: its state and progress; cancel it (running) or forget it (ended)."""

    @web.authenticated
    async def get(self, kind: str, job_id: str) -> None:
        job = await in_thread(lambda: fresh(self.root, self.runner.get(kind, job_id)))
        self.write_answer(JobAnswer, view(self.root, job))

    @web.authenticated
    async def delete(self, kind: str, job_id: str) -> None:
        await in_thread(lambda: self.runner.forget(kind, job_id))
        self.set_status(204)
        self.finish()


class EventsHandler(_JobsBase):
    """NDJSON: a ``progress`` line about every quarter second while the job runs, then ``done``."""

    @web.authenticated
    async def get(self, kind: str, job_id: str) -> None:
        job = await in_thread(lambda: self.runner.get(kind, job_id))
        self.set_header("Content-Type", "application/x-ndjson")
        self.set_header("Cache-Control", "no-cache")
        try:
            while job.active:
                self.write_line(JobEvent, {"type": "progress", **view(self.root, job)})
                await self.flush()
                await asyncio.sleep(EVENTS_EVERY)
                job = await in_thread(lambda: self.runner.store.get(kind, job_id))
            self.write_line(JobEvent, {"type": "done", **view(self.root, job)})
            self.finish()
        except StreamClosedError:
            return


def _kind_handler(name: str) -> type[JobsHandler]:
    return type(f"{name.title()}JobsHandler", (JobsHandler,), {"kind": name})


default_handlers = [
    *((f"jobs/{name}", _kind_handler(name)) for name in sorted(STARTS)),
    (f"jobs/{KIND}/{JOB_ID}", JobHandler),
    (f"jobs/{KIND}/{JOB_ID}/events", EventsHandler),
]
