"""``publish/publications``: start a publication, list "My publications", read one.

``POST`` checks everything first (422 with the fields at fault, nothing
sent), journals the publication and starts its run in the background
(202): a job of kind ``publish`` under the publication's id, followed like
every job (``GET jobs/publish/{id}``, ``.../events`` as NDJSON) and resumed
after a restart; ``POST jobs/publish`` with ``{"publication": id}`` runs an
unfinished one again (the same draft, never a second record). ``GET
.../{id}`` answers the publication with its run's state and progress.
"""

from __future__ import annotations

import contextlib

from tornado import web

from esap.core.jobs import JobBusy
from esap.publish import jobs as publish_jobs
from esap.publish.journal import Entry
from esap.server.answers import PublicationAnswer, PublicationsAnswer
from esap.server.bodies import PublishBody
from esap.server.publish_common import PublishBase, in_thread

ID = r"(?P<publication>[0-9a-f]{32})"


class PublicationsHandler(PublishBase):
    """My publications (newest first), and starting a new one."""

    @web.authenticated
    async def get(self) -> None:
        entries = await in_thread(self.publisher.publications)
        self.write_answer(
            PublicationsAnswer, {"publications": [self.describe(entry) for entry in entries]}
        )

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(PublishBody)
        # a refused publication is a 422 listing every field at fault (``error.problems``)
        entry: Entry = await in_thread(
            lambda: self.publisher.prepare(
                body.files,
                body.metadata,
                body.archive,
                inputs=body.inputs,
                version_of=body.version_of,
                allow_absolute=False,
            )
        )
        if not entry.published:
            with contextlib.suppress(JobBusy):  # the same publication, running already
                publish_jobs.start(self.runner, entry.id)
        self.set_status(200 if entry.published else 202)
        self.write_answer(PublicationAnswer, self.describe(entry))


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
        self.write_answer(PublicationAnswer, self.describe(entry))


default_handlers = [
    ("publish/publications", PublicationsHandler),
    (f"publish/publications/{ID}", PublicationHandler),
]
