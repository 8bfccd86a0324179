"""A tiny HTTP server that fails on purpose, and a delaying proxy, for data-service tests.

Paths (any suffix, so ``<base>/hang/tap`` is a "TAP service" whose ``/sync`` hangs):

* ``/hang/...``   accepts the request and never answers (until the server stops);
* ``/hold/<key>/...`` waits until the test calls ``release(key)``, then answers 503
  (a service that is slow exactly as long as a test needs it to be);
* ``/error/...``  answers 500 with a plain-text message, as a crashed archive does;
* ``/broken/...`` answers 200 with a VOTable cut off in the middle of a row;
* ``/delay/<ms>/...`` waits ``ms`` milliseconds, then forwards the rest of the
  path (query and body included) to ``upstream`` and relays the answer — the
  "archive far away" of the federated-search benchmark.
* ``/nomaxrec/...`` forwards to ``upstream`` without the request's ``MAXREC``
  parameter: a service that ignores the row limit a client asks for and
  sends every row it has.
* ``/replay/<ms>/...`` the same as ``/delay``, but a request seen before (same method, path
  and body) is answered from the recorded answer after sleeping ``ms`` plus
  the time ``upstream`` took to make it the first time: an archive on a
  machine of its own, whose work costs the clients' machine no CPU (the
  federated-search benchmark runs eight archives on the cores of the
  machine that also runs the clients).

Standard library only (``http.server``, threaded); httpx forwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

#: What /hold answers once released.
HELD_TEXT = "released by the test"
#: What /error answers (tests look for it in the service's error event).
ERROR_TEXT = "internal failure: the archive database is down"

BROKEN_VOTABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/>
<TABLE><FIELD name="obs_id" datatype="char" arraysize="*"/>
<FIELD name="s_ra" datatype="double"/>
<DATA><TABLEDATA><TR><TD>broken-1</TD><TD>10.5</TD></TR><TR><TD>broken-2</TD><TD>1"""

HOP_HEADERS = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
}


class FaultHandler(BaseHTTPRequestHandler):
    """Answers according to the first path segment; see the module docstring."""

    server: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        parts = self.path.split("/", 3)
        kind = parts[1] if len(parts) > 1 else ""
        if kind == "hang":
            self.server.hung.append(time.monotonic())
            self.server.stopping.wait(600)
            self.close_connection = True
            return
        if kind == "hold" and len(parts) > 2:
            released = self.server.released(parts[2])
            released.wait(600)
            self._answer(503, f"{HELD_TEXT} ({parts[2]})".encode(), "text/plain")
            return
        if kind == "error":
            self._answer(500, ERROR_TEXT.encode(), "text/plain; charset=utf-8")
            return
        if kind == "broken":
            self._answer(200, BROKEN_VOTABLE, "text/xml")
            return
        if kind == "delay" and len(parts) > 3 and self.server.upstream:
            ms, _, rest = parts[2], None, parts[3]
            time.sleep(int(ms) / 1000)
            self._forward("/" + rest, body)
            return
        if kind == "nomaxrec" and len(parts) > 2 and self.server.upstream:
            rest = "/".join(parts[2:])
            self._forward("/" + without_maxrec(rest), without_maxrec(body.decode()).encode())
            return
        if kind == "replay" and len(parts) > 3 and self.server.upstream:
            self._replay("/" + parts[3], body, int(parts[2]) / 1000)
            return
        self._answer(404, b"no such fault", "text/plain")

    def _forward(self, path: str, body: bytes) -> None:
        self._relay(self._upstream(path, body))

    def _upstream(self, path: str, body: bytes) -> Recorded:
        """The upstream's answer to this request, and how long it took."""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS | {"host"}}
        began = time.monotonic()
        answer = self.server.client.request(
            self.command, f"{self.server.upstream}{path}", content=body, headers=headers
        )
        kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS]
        return Recorded(answer.status_code, kept, answer.content, time.monotonic() - began)

    def _replay(self, path: str, body: bytes, latency: float) -> None:
        key = (self.command, path, body)
        recorded = self.server.recorded.get(key)
        time.sleep(latency)
        if recorded is None:
            recorded = self.server.recorded.setdefault(key, self._upstream(path, body))
        else:
            time.sleep(recorded.service_time)
        self._relay(recorded)

    def _relay(self, answer: Recorded) -> None:
        self.send_response(answer.status)
        for key, value in answer.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)
        self.wfile.flush()
        self.server.answered.append(time.monotonic())

    do_GET = _handle
    do_POST = _handle


def without_maxrec(text: str) -> str:
    """A path with a query string, or a form body, without its MAXREC parameter."""
    path, mark, query = text.rpartition("?") if "?" in text else ("", "", text)
    if "=" not in query:
        return text
    kept = [p for p in query.split("&") if p.split("=", 1)[0].upper() != "MAXREC"]
    return f"{path}{mark}{'&'.join(kept)}"


@dataclass(frozen=True)
class Recorded:
    """An upstream answer as relayed (hop-by-hop headers left out) and its service time (s)."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes
    service_time: float


class FaultServer(ThreadingHTTPServer):
    """The server (one thread per connection, daemon threads)."""

    daemon_threads = True

    def __init__(self, upstream: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.upstream = upstream.rstrip("/") if upstream else None
        self.stopping = threading.Event()
        self.client = httpx.Client(timeout=300, follow_redirects=False)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._holds: dict[str, threading.Event] = {}
        #: When each forwarded answer was sent (``time.monotonic``), for benchmarks.
        self.answered: list[float] = []
        #: When each /hang request arrived (``time.monotonic``), for benchmarks.
        self.hung: list[float] = []
        #: /replay answers by (method, path, body).
        self.recorded: dict[tuple[str, str, bytes], Recorded] = {}
        self._holds_lock = threading.Lock()

    def released(self, key: str) -> threading.Event:
        """The event a /hold/<key> request waits for."""
        with self._holds_lock:
            return self._holds.setdefault(key, threading.Event())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self._holds_lock:
            for event in self._holds.values():
                event.set()
        self.shutdown()
        self.server_close()
        self.client.close()


@dataclass(frozen=True)
class Faults:
    """URLs of the failing services."""

    server: FaultServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def held(self, key: str) -> str:
        """A TAP URL that answers (503) only once ``release(key)`` is called."""
        return f"{self.base_url}/hold/{key}/tap"

    def release(self, key: str) -> None:
        """Let every request to ``held(key)`` answer."""
        self.server.released(key).set()

    @property
    def hang(self) -> str:
        return f"{self.base_url}/hang/tap"

    @property
    def error(self) -> str:
        return f"{self.base_url}/error/tap"

    @property
    def broken(self) -> str:
        return f"{self.base_url}/broken/tap"


@pytest.fixture(scope="session")
def faults() -> Iterator[Faults]:
    """A running fault-injecting server for the session."""
    server = FaultServer().start()
    try:
        yield Faults(server)
    finally:
        server.stop()
