"""What the publish handlers share: the user's publisher and its runs, and its answers.

One :class:`Publisher` per server process, over the server's root (the
user's home) and the state folder the basket and the other stores use, and
its archives from the public config the hub passed. Paths from the browser
are relative to the root; an absolute one is refused. The request bodies are
models of ``esap.server.bodies`` (``PublicationBody``, ``PublishBody``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from esap.core.jobs import Job, JobNotFound
from esap.core.runner import Runner
from esap.core.state import state_dir
from esap.publish import jobs as publish_jobs
from esap.publish.engine import Publisher
from esap.publish.journal import STATE_TEXT, Entry
from esap.publish.settings import configured_archives
from esap.server.base import EsapHandler
from esap.server.job_kinds import runner

T = TypeVar("T")


@functools.cache
def publisher(root: str) -> Publisher:
    """The user's publisher, over the server's root folder."""
    return Publisher(Path(root), archives=configured_archives(), state_dir=state_dir())


async def in_thread(func: Callable[[], T]) -> T:
    """Blocking work (files, SQLite, the archive) on a worker thread."""
    return await asyncio.get_running_loop().run_in_executor(None, func)


class PublishBase(EsapHandler):
    """Base of the publish handlers."""

    @property
    def root(self) -> str:
        return str(Path(self.settings.get("server_root_dir") or Path.home()).expanduser())

    @property
    def publisher(self) -> Publisher:
        return publisher(self.root)

    @property
    def runner(self) -> Runner:
        """The user's jobs: a publication's runs are jobs of kind ``publish``, under its id."""
        return runner(self.root)

    def run_of(self, publication: str) -> Job | None:
        """The publication's last run in this home, if it had one."""
        try:
            return self.runner.store.get(publish_jobs.KIND, publication)
        except JobNotFound:
            return None

    def describe(self, entry: Entry) -> dict[str, Any]:
        """A publication as the lab shows it (text only; archive messages are plain text)."""
        run = self.run_of(entry.id)
        running = run is not None and run.active
        record = entry.record or {}
        draft = entry.draft or {}
        return {
            "id": entry.id,
            "title": entry.title,
            "archive": entry.archive,
            "state": entry.state,
            "state_text": STATE_TEXT.get(entry.state, entry.state),
            "published": entry.published,
            "running": running,
            "error": None if running else entry.error,
            "fix": run.error["fix"] if run and run.error and entry.error and not running else None,
            "created": entry.created,
            "updated": entry.updated,
            "files": [str(f["name"]) for f in entry.files],
            "version_of": entry.version_of,
            "record": {
                "id": record.get("id"),
                "url": record.get("url"),
                "doi": record.get("doi"),
                "concept_doi": record.get("concept_doi"),
            }
            if entry.record
            else None,
            "draft_url": (draft.get("links") or {}).get("html") if not entry.published else None,
            "progress": {
                "step": run.message,
                "sent": run.done,
                "total": run.total or 0,
                "file": (run.result or {}).get("file"),
            }
            if run is not None and run.message
            else None,
        }
