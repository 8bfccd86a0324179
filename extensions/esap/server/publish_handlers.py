"""``publish/publications``: start a publication as a job, follow it, list "My publications".

``POST`` checks everything first (422 with the fields at fault, nothing
sent), journals the publication and starts it in the background (202);
``GET .../{id}`` answers its state and progress, ``GET .../{id}/events``
streams them as NDJSON until it ends, ``POST .../{id}/retry`` resumes an
unfinished one (the same draft, never a second record).
"""

from __future__ import annotations

import asyncio
import json

from tornado import web
from tornado.iostream import StreamClosedError

from esap.publish.engine import PreparationError
from esap.publish.journal import Entry, JournalBusyError
from esap.publish.metadata import MetadataError
from esap.server.publish_common import PublishBase, in_thread

ID = r"(?P<publication>[0-9a-f]{32})"


class PublicationsHandler(PublishBase):
    """My publications (newest first), and starting a new one."""

    @web.authenticated
    async def get(self) -> None:
        entries = await in_thread(self.publisher.publications)
        self.write_json({"publications": [self.describe(entry) for entry in entries]})

    @web.authenticated
    async def post(self) -> None:
        parts = self.request_parts(self.body())
        try:
            entry: Entry = await in_thread(
                lambda: self.publisher.prepare(
                    parts["files"],
                    parts["metadata"],
                    parts["archive"],
                    inputs=parts["inputs"],
                    version_of=parts["version_of"],
                    allow_absolute=False,
                )
            )
        except (MetadataError, PreparationError) as exc:
            self.refuse(exc)
            return
        if not entry.published:
            self.jobs.start(entry.id)
        self.set_status(200 if entry.published else 202)
        self.write_json(self.describe(entry))


class _OnePublication(PublishBase):
    """Base of the handlers of one publication."""

    def entry(self, publication: str) -> Entry:
        try:
            return self.publisher.journal.get(publication)
        except KeyError:
            self.fail(
                404,
                "not_found",
                f"no publication {publication}",
                "reload My publications; the id may be mistyped",
            )
            raise


class PublicationHandler(_OnePublication):
    """One publication: state, progress, record (URL, DOI) or where it stopped."""

    @web.authenticated
    async def get(self, publication: str) -> None:
        entry = await in_thread(lambda: self.entry(publication))
        self.write_json(self.describe(entry))


class RetryHandler(_OnePublication):
    """Resume an unfinished publication from its journal."""

    @web.authenticated
    async def post(self, publication: str) -> None:
        entry = await in_thread(lambda: self.entry(publication))
        if not entry.published:
            try:
                self.jobs.start(entry.id)
            except JournalBusyError as exc:
                self.fail(409, "busy", str(exc), "wait for the other run to finish")
        self.set_status(200 if entry.published else 202)
        self.write_json(self.describe(entry))


class EventsHandler(_OnePublication):
    """NDJSON: one ``progress`` line about every quarter second, then one ``done`` line."""

    @web.authenticated
    async def get(self, publication: str) -> None:
        self.set_header("Content-Type", "application/x-ndjson")
        self.set_header("Cache-Control", "no-cache")
        entry = await in_thread(lambda: self.entry(publication))
        try:
            while self.jobs.state(publication).running:
                self.write(json.dumps({"type": "progress", **self.describe(entry)}) + "\n")
                await self.flush()
                await asyncio.sleep(0.25)
                entry = await in_thread(lambda: self.entry(publication))
            entry = await in_thread(lambda: self.entry(publication))
            self.write(json.dumps({"type": "done", **self.describe(entry)}) + "\n")
            self.finish()
        except StreamClosedError:
            return


default_handlers = [
    ("publish/publications", PublicationsHandler),
    (f"publish/publications/{ID}", PublicationHandler),
    (f"publish/publications/{ID}/retry", RetryHandler),
    (f"publish/publications/{ID}/events", EventsHandler),
]
