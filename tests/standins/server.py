"""Run a stand-in archive (tornado) on loopback, in a thread or as its own process, with faults.

No real Zenodo or InvenioRDM can run on a test machine (InvenioRDM needs
OpenSearch), so the publish tests talk to stand-ins written from the public
REST API documents (see ``zenodo.py``, ``invenio_rdm.py``). ``zenodo-mock``
from PyPI was considered: it checks no token, no required metadata and no
state, and cannot fail on purpose, which is what the journal must survive.

Faults are armed per step and fire once, on the next request of that step:

* ``error500``      answer 500 before doing anything (the archive is down);
* ``drop_after``    do the step, then close the connection without an answer;
* ``timeout_after`` do the step, then answer only after ``delay`` seconds
  (the client gives up first);
* ``drop_mid``      (uploads) read half of the body, then close the connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tornado import httpserver, web
from tornado.ioloop import IOLoop

KINDS = ("error500", "drop_after", "timeout_after", "drop_mid")


class Dropped(Exception):
    """Raised inside a handler after the connection was closed on purpose."""


@dataclass
class Faults:
    """Armed faults, ``{step: [kind, ...]}``; each fires once, first armed first."""

    armed: dict[str, list[str]] = field(default_factory=dict)
    fired: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 1.0

    def arm(self, step: str, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(kind)
        self.armed.setdefault(step, []).append(kind)

    def take(self, step: str, kinds: tuple[str, ...] = KINDS) -> str | None:
        queue = self.armed.get(step) or []
        if queue and queue[0] in kinds:
            kind = queue.pop(0)
            self.fired.append((step, kind))
            return kind
        return None

    def pending(self) -> dict[str, list[str]]:
        return {step: kinds for step, kinds in self.armed.items() if kinds}


class StandinHandler(web.RequestHandler):
    """Base handler: bearer-token auth, JSON bodies and answers, armed faults."""

    def initialize(self, state: Any) -> None:
        self.state = state

    def check_xsrf_cookie(self) -> None:  # an API, not a form
        return None

    @property
    def faults(self) -> Faults:
        return self.state.faults  # type: ignore[no-any-return]

    def user(self) -> str:
        header = self.request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        token = token or self.get_query_argument("access_token", None)
        user = self.state.tokens.get(token) if token else None
        if user is None:
            self.fail_json(401, self.state.unauthorized_body())
        return str(user)

    def fail_json(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))
        raise web.Finish()

    def body_json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError:
            self.fail_json(
                400, self.state.error_body(400, "Unable to decode JSON data in request body.")
            )
        if not isinstance(value, dict):
            self.fail_json(400, self.state.error_body(400, "Request body must be an object."))
        return value

    def before(self, step: str) -> str | None:
        """Fire an ``error500`` fault now; return a fault to fire after acting."""
        kind = self.faults.take(step, ("error500", "drop_after", "timeout_after"))
        if kind == "error500":
            self.fail_json(500, self.state.error_body(500, "Internal server error."))
        return kind

    def drop(self) -> None:
        assert self.request.connection is not None
        self.request.connection.stream.close()  # type: ignore[attr-defined]
        raise Dropped()

    async def answer(self, status: int, body: Any, fault: str | None) -> None:
        if fault == "drop_after":
            self.drop()
        if fault == "timeout_after":
            await asyncio.sleep(self.faults.delay)
        self.set_status(status)
        if body is None:
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, Dropped):
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if self.request.connection.stream.closed():  # type: ignore[union-attr]
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.state.error_body(status_code, self._reason)))


class StreamedUpload(StandinHandler):
    """A handler that receives a file body in chunks, hashing (and maybe keeping) it."""

    step = "upload"

    def prepare(self) -> None:
        self.started = time.monotonic()
        self.received = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._out = None
        self._dropped = False
        self._expected = int(self.request.headers.get("Content-Length") or 0)
        self.upload_fault: str | None = None
        assert self.request.connection is not None
        self.request.connection.set_max_body_size(1 << 40)  # type: ignore[attr-defined]
        if self.request.method != "PUT":
            return
        self.upload_fault = self.faults.take(self.step, ("drop_mid",))
        if self.state.keep_content:
            self._fd, self._path = tempfile.mkstemp(dir=self.state.storage)
            self._out = os.fdopen(self._fd, "wb")

    def data_received(self, chunk: bytes) -> None:
        if self._dropped:
            return
        self._md5.update(chunk)
        self.received += len(chunk)
        if self._out is not None:
            self._out.write(chunk)
        if self.upload_fault == "drop_mid" and self.received >= max(1, self._expected // 2):
            self._dropped = True
            self._discard()
            assert self.request.connection is not None
            self.request.connection.stream.close()  # type: ignore[attr-defined]

    def _discard(self) -> None:
        if self._out is not None:
            self._out.close()
            Path(self._path).unlink(missing_ok=True)
            self._out = None

    def stored(self) -> tuple[str | None, int, str]:
        """``(path on disk or None, size, md5)`` of the body just received."""
        path = None
        if self._out is not None:
            self._out.close()
            path = self._path
        # from the request's headers to its last byte: the same clock for every client
        self.state.uploads.append(
            {
                "key": self.path_args[-1],
                "bytes": self.received,
                "seconds": time.monotonic() - self.started,
            }
        )
        return path, self.received, self._md5.hexdigest()

    def on_connection_close(self) -> None:
        self._discard()


class Standin:
    """A tornado application served on 127.0.0.1 from a background thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop: IOLoop | None = None
        self.port = 0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the stand-in archive did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.loop = IOLoop.current()
        server = httpserver.HTTPServer(
            self.app, max_body_size=1 << 40, chunk_size=1 << 20, idle_connection_timeout=60
        )
        sockets = __import__("tornado.netutil", fromlist=["bind_sockets"]).bind_sockets(
            0, "127.0.0.1"
        )
        self.port = sockets[0].getsockname()[1]
        server.add_sockets(sockets)
        self._server = server
        self._ready.set()
        self.loop.start()

    def stop(self) -> None:
        if self.loop is None:
            return
        loop = self.loop

        def shut() -> None:
            self._server.stop()
            loop.stop()

        loop.add_callback(shut)
        if self._thread is not None:
            self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def running(app: web.Application) -> Iterator[Standin]:
    standin = Standin(app)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


def storage_dir() -> str:
    return tempfile.mkdtemp(prefix="standin-archive-")
