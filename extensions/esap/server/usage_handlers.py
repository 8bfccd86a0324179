"""``usage``: what the user uses — home against its quota, servers, Dask clusters, jobs running.

``GET usage`` answers the report of :func:`esap.usage.my_usage` (the "My
usage" view reads it, and the lab warns from it when the home nears its
quota); ``?fresh=true`` measures the home again now instead of answering
the measurement of the last half minute.
"""

from __future__ import annotations

from pathlib import Path

from tornado import web

from esap.core.errors import FieldError
from esap.server.answers import UsageAnswer
from esap.server.base import EsapHandler
from esap.server.data_common import in_thread
from esap.server.job_kinds import runner
from esap.usage import my_usage

_BOOLEANS = {"true": True, "false": False}


class UsageHandler(EsapHandler):
    """The user's usage report."""

    @web.authenticated
    async def get(self) -> None:
        raw = self.get_argument("fresh", "false")
        if raw not in _BOOLEANS:
            raise FieldError("fresh", f"{raw[:40]!r}: must be true or false", "give fresh=true")
        root = str(Path(self.settings.get("server_root_dir") or Path.home()).expanduser())
        jobs = await in_thread(lambda: runner(root).store.active())
        self.write_answer(UsageAnswer, await my_usage(jobs, fresh=_BOOLEANS[raw]))


default_handlers = [("usage", UsageHandler)]
