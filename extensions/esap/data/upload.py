"""A TAP upload that reports its bytes as they leave: pyvo's ``uploads=``, streamed and counted.

pyvo sends a table upload (``uploads={"name": table}``) as a multipart POST
through the session it was given, with ``files=``; ``requests`` would then
build the whole multipart body in memory before sending a byte, so counting
what it reads says nothing about the network. :class:`UploadSession` takes
that same call and sends the body as a stream instead: the form fields and
each file's part headers (rendered by urllib3's ``RequestField``, as
``requests`` renders them), then the file itself, read in blocks as the
connection sends them. Every block read is counted and reported, so the
progress is what went out, and a cancelled job stops the upload at the next
block. (``requests-toolbelt``'s ``MultipartEncoder`` streams the same way;
it is one more dependency for these few lines.)
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from urllib3.fields import RequestField

from esap.data.base import ServiceSession

#: Called with (bytes of the uploads sent so far, bytes of the uploads in all).
OnBytes = Callable[[int, int], None]


class UploadStopped(Exception):
    """The upload was stopped (its job was cancelled)."""


class MultipartStream(io.RawIOBase):
    """A multipart/form-data body read in blocks: the form, then each file, counted.

    It has a length (``requests`` sends it with ``Content-Length``), and
    every read reports how much of the files went.
    """

    def __init__(
        self,
        fields: Mapping[str, Any],
        files: Mapping[str, Any],
        on_bytes: OnBytes,
        stopped: Callable[[], bool],
    ) -> None:
        super().__init__()
        self.boundary = secrets.token_hex(16)
        self._parts: list[io.BytesIO | Any] = []
        self._sizes: list[int] = []
        self._counted: list[bool] = []
        head = io.BytesIO()
        for name, value in fields.items():
            field = RequestField(name=str(name), data=str(value))
            field.make_multipart()
            head.write(self._part_header(field) + str(value).encode() + b"\r\n")
        self._add(head.getvalue(), counted=False)
        for name, content in files.items():
            field = RequestField(name=str(name), data=b"", filename=str(name))
            field.make_multipart(content_type="application/x-votable+xml")
            self._add(self._part_header(field), counted=False)
            self._add(content, counted=True)
            self._add(b"\r\n", counted=False)
        self._add(f"--{self.boundary}--\r\n".encode(), counted=False)
        self.length = sum(self._sizes)
        self.total = sum(s for s, c in zip(self._sizes, self._counted, strict=True) if c)
        self.sent = 0
        self._position = 0
        self._index = 0
        self._on_bytes = on_bytes
        self._stopped = stopped

    def _part_header(self, field: RequestField) -> bytes:
        return f"--{self.boundary}\r\n".encode() + field.render_headers().encode()

    def _add(self, content: Any, *, counted: bool) -> None:
        if isinstance(content, bytes):
            content = io.BytesIO(content)
        content.seek(0, io.SEEK_END)
        size = content.tell()
        content.seek(0)
        self._parts.append(content)
        self._sizes.append(size)
        self._counted.append(counted)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.length

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """Bytes read so far (``requests`` takes the length left from it)."""
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        """The next block (``size`` bytes at most; all that is left when negative)."""
        if self._stopped():
            raise UploadStopped("the upload was cancelled")
        wanted = self.length if size is None or size < 0 else size
        out = bytearray()
        while len(out) < wanted and self._index < len(self._parts):
            block = self._parts[self._index].read(wanted - len(out))
            if not block:
                self._index += 1
                continue
            out += block
            self._position += len(block)
            if self._counted[self._index]:
                self.sent += len(block)
                self._on_bytes(self.sent, self.total)
        return bytes(out)

    def readinto(self, buffer: Any) -> int:
        block = self.read(len(buffer))
        buffer[: len(block)] = block
        return len(block)


class UploadSession(ServiceSession):
    """The adapters' session, sending a request with ``files=`` as a counted stream."""

    def __init__(self, on_bytes: OnBytes, stopped: Callable[[], bool]) -> None:
        super().__init__()
        self.on_bytes = on_bytes
        self.stopped = stopped

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """As the base sends it; a multipart upload as a stream of known length."""
        files = kwargs.pop("files", None)
        if files:
            data = kwargs.pop("data", None) or {}
            body = MultipartStream(dict(data), dict(files), self.on_bytes, self.stopped)
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Content-Type"] = body.content_type  # requests adds the length
            kwargs["data"], kwargs["headers"] = body, headers
        return super().request(method, url, *args, **kwargs)


__all__ = ["MultipartStream", "OnBytes", "UploadSession", "UploadStopped"]
