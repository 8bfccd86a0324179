"""What the publish handlers share: the user's publisher and jobs, request bodies, answers.

One :class:`Publisher` per server process, over the server's root (the
user's home) and the state folder the basket and the other stores use, and
its archives from the public config the hub passed. Paths from the browser
are relative to the root; an absolute one is refused.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from esap.publish.engine import PreparationError, Publisher
from esap.publish.jobs import PublicationJobs
from esap.publish.journal import STATE_TEXT, Entry
from esap.publish.metadata import MetadataError
from esap.publish.settings import configured_archives
from esap.server.base import EsapHandler

T = TypeVar("T")


def state_dir() -> Path:
    """``$ESAP_STATE_DIR`` or ``~/.esap``: where the journal and tokens live."""
    return Path(os.environ.get("ESAP_STATE_DIR") or Path.home() / ".esap")


@functools.cache
def publisher(root: str) -> Publisher:
    """The user's publisher, over the server's root folder."""
    return Publisher(Path(root), archives=configured_archives(), state_dir=state_dir())


@functools.cache
def jobs(root: str) -> PublicationJobs:
    """The background runs of this server's publications."""
    return PublicationJobs(publisher(root))


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
    def jobs(self) -> PublicationJobs:
        return jobs(self.root)

    def body(self) -> dict[str, Any]:
        return self.json_object()

    def request_parts(self, body: dict[str, Any]) -> dict[str, Any]:
        """The publication request in a body: files, metadata, archive, inputs, version_of."""
        files = body.get("files")
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            self.fail(
                400, "bad_field", "files: must be a list of paths", 'send {"files": ["a.ipynb"]}'
            )
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            self.fail(400, "bad_field", "metadata: must be an object", "send the metadata form")
        archive = body.get("archive")
        if archive is not None and not isinstance(archive, str):
            self.fail(400, "bad_field", "archive: must be an archive name", "pick an archive")
        inputs = body.get("inputs")
        if inputs is not None and (
            not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs)
        ):
            self.fail(
                400,
                "bad_field",
                "inputs: must be a list of datasets (objects)",
                'send [{"service": ..., "access_url": ..., "title": ...}], or leave inputs out',
            )
        version_of = body.get("version_of")
        if version_of is not None and not isinstance(version_of, str):
            self.fail(400, "bad_field", "version_of: must be a publication id", "pick one")
        return {
            "files": files,
            "metadata": metadata,
            "archive": archive,
            "inputs": inputs,
            "version_of": version_of,
        }

    def problems(self, exc: Exception) -> list[dict[str, str]]:
        """Field-level problems of a refused request, for the form."""
        if isinstance(exc, MetadataError):
            return [{"field": p.field, "message": p.message} for p in exc.problems]
        if isinstance(exc, PreparationError):
            message = exc.message + (f" — {exc.fix}" if exc.fix else "")
            return [{"field": exc.field, "message": message}]
        return [{"field": "request", "message": str(exc)}]

    def refuse(self, exc: Exception) -> None:
        """Answer 422 with the ESAP error body plus ``problems`` (field, message) for the form."""
        problems = self.problems(exc)
        first = problems[0]
        self.set_status(422)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "error": {
                        "code": "invalid_publication",
                        "message": f"{first['field']}: {first['message']}",
                        "fix": "correct the fields marked in the form; nothing was uploaded",
                    },
                    "problems": problems,
                }
            )
        )

    def describe(self, entry: Entry) -> dict[str, Any]:
        """A publication as the lab shows it (text only; archive messages are plain text)."""
        live = self.jobs.state(entry.id)
        progress = live.progress
        record = entry.record or {}
        draft = entry.draft or {}
        return {
            "id": entry.id,
            "title": entry.title,
            "archive": entry.archive,
            "state": entry.state,
            "state_text": STATE_TEXT.get(entry.state, entry.state),
            "published": entry.published,
            "running": live.running,
            "error": None if live.running else entry.error,
            "fix": None if live.running or not entry.error else live.fix,
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
                "step": progress.step,
                "sent": progress.sent,
                "total": progress.total,
                "file": progress.file,
            }
            if progress is not None
            else None,
        }
