"""``data/services/<name>/files`` and ``.../bring``: a data lake's files, brought to the lab.

For services whose adapter says ``files`` and ``bring`` in its capabilities
(the ``rucio`` adapter): the files of a DID with their replicas, and "bring
to my lab" (a checked download into the home, or a replication rule to the
RSE the lab mounts). The user's token for the lake never leaves the server:
errors carry the lake's own words, never the token.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from esap.core.errors import FieldError
from esap.data.base import DataService, HoldsFiles
from esap.data.failures import failure
from esap.server.answers import BroughtAnswer, LakeFilesAnswer
from esap.server.base import EsapHandler
from esap.server.bodies import BringBody
from esap.server.data_common import catalog, in_thread

#: Seconds a bring may take before the request gives up (a rule is quick; a
#: download is as long as its files, so large datasets are better brought by rule).
BRING_TIMEOUT = 3600.0


class _LakeHandler(EsapHandler):
    def lake(self, name: str, capability: str) -> HoldsFiles:
        adapter = catalog().adapter(name)  # UnknownService: a 404
        if not isinstance(adapter, HoldsFiles):
            self.fail(
                400,
                "not_a_lake",
                f"{name!r} is not a data lake: it cannot {capability}",
                "name a service whose adapter holds files (e.g. type rucio)",
            )
        assert isinstance(adapter, HoldsFiles)
        return adapter

    def did(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > 300:
            raise FieldError("did", "missing or not text", "give did=scope:name, e.g. lofar:obs1")
        return str(value).strip()


class FilesHandler(_LakeHandler):
    """The files of a DID, each with size, checksums and replicas (RSE + URL)."""

    @web.authenticated
    async def get(self, name: str) -> None:
        adapter = self.lake(name, "files")
        did = self.did(self.get_argument("did", ""))
        timeout = adapter.entry.timeout if isinstance(adapter, DataService) else None
        try:
            files = await in_thread(lambda: adapter.files(did), timeout)
        except Exception as exc:  # the lake's refusals (a 400, 403, 404) answer themselves
            raise failure(exc, name) from None
        self.write_answer(LakeFilesAnswer, {"files": files})


class BringHandler(_LakeHandler):
    """Bring a DID to the lab: ``{"did", "how": "rule"|"download", "folder"}``."""

    @web.authenticated
    async def post(self, name: str) -> None:
        adapter = self.lake(name, "bring")
        body = self.body_as(BringBody)
        did = self.did(body.did)
        try:
            answer = await in_thread(
                lambda: adapter.bring(did, body.how, body.folder), BRING_TIMEOUT
            )
        except Exception as exc:
            raise failure(exc, name) from None
        self.write_answer(BroughtAnswer, answer)


default_handlers = [
    (r"data/services/(?P<name>[^/]+)/files", FilesHandler),
    (r"data/services/(?P<name>[^/]+)/bring", BringHandler),
]
