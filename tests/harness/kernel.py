"""Run code in a kernel of a user's server, as a notebook cell would.

The kernel is started through jupyter-server's REST API and driven over its
websocket channel (the Jupyter messaging protocol), through the hub's proxy,
with the user's token: the code sees exactly the environment the hub gave the
user's server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from harness import aio
from harness.hub import RunningHub


class CellError(AssertionError):
    """The code raised: carries the exception name, value and traceback."""

    def __init__(self, ename: str, evalue: str, traceback: list[str]) -> None:
        super().__init__(f"{ename}: {evalue}\n" + "\n".join(traceback))
        self.ename = ename
        self.evalue = evalue


@dataclass
class Kernel:
    """A running kernel in ``user``'s server."""

    hub: RunningHub
    user: str
    token: str
    kernel_id: str = ""
    stdout: list[str] = field(default_factory=list)

    def __enter__(self) -> Kernel:
        with self._api() as api:
            response = api.post("kernels", json={"name": "python3"})
            response.raise_for_status()
            self.kernel_id = response.json()["id"]
        return self

    def __exit__(self, *exc: object) -> None:
        with self._api() as api:
            api.delete(f"kernels/{self.kernel_id}")

    def _api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.hub.url}/user/{self.user}/api/",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
        )

    def run(self, code: str, timeout: float = 120) -> str:
        """Execute ``code``; return its stdout, raise :class:`CellError` if it raised.

        The coroutine runs on a thread of its own (see :mod:`harness.aio`).
        """
        return aio.run(self._run(code, timeout))

    def json(self, code: str, timeout: float = 120) -> Any:
        """Execute ``code`` whose last printed line is JSON; return it parsed."""
        return json.loads(self.run(code, timeout).strip().splitlines()[-1])

    async def _run(self, code: str, timeout: float) -> str:
        url = self.hub.url.replace("http", "ws", 1)
        request = HTTPRequest(
            f"{url}/user/{self.user}/api/kernels/{self.kernel_id}/channels",
            headers={"Authorization": f"token {self.token}"},
        )
        connection = await websocket_connect(request)
        msg_id = uuid.uuid4().hex
        connection.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": self.user,
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "stop_on_error": True},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        out: list[str] = []
        error: CellError | None = None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await connection.read_message()
                    if raw is None:
                        raise RuntimeError("the kernel's websocket closed")
                    if not isinstance(raw, str):
                        continue
                    message = json.loads(raw)
                    if message.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind = message["msg_type"]
                    content = message["content"]
                    if kind == "stream" and content["name"] == "stdout":
                        out.append(content["text"])
                    elif kind == "error":
                        error = CellError(content["ename"], content["evalue"], content["traceback"])
                    elif kind == "status" and content["execution_state"] == "idle":
                        break
        finally:
            connection.close()
        if error is not None:
            raise error
        text = "".join(out)
        self.stdout.append(text)
        return text
