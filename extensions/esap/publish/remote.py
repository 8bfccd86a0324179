"""What the archives reached over HTTP share: an httpx client, error bodies, streamed uploads.

The token goes in the ``Authorization`` header only (never in a URL, so it
cannot end up in an access log or an error message), and an archive's error
answer becomes an :class:`ArchiveError` carrying its text — plain text,
truncated — and the fields it names; a failure on the archive's side and
an answer that is not JSON are named as every service's are
(:mod:`esap.core.failures`).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import Field

from esap import __version__
from esap.config.options import AdapterOptions
from esap.core.errors import EsapError
from esap.core.failures import HttpStatus, classify, excerpt
from esap.publish.base import (
    CHUNK_SIZE,
    Archive,
    ArchiveError,
    ArchiveSettings,
    AuthError,
    FileSource,
    PublishedFile,
    PublishedRecord,
)

#: Longest archive message passed on to the user.
MAX_MESSAGE = 600


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs tens of milliseconds."""
    return httpx.create_ssl_context()


class RemoteOptions(AdapterOptions):
    """What every archive reached over HTTP takes: how long it may take to answer."""

    timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to wait for each answer of the archive (connecting: at most "
        "10); an upload's time is not limited, only each pause in it.",
    )


class HttpArchive(Archive):
    """Base of the adapters that speak an archive's REST API with httpx."""

    Options: ClassVar[type[AdapterOptions]] = RemoteOptions
    options: RemoteOptions
    needs_token: ClassVar[bool] = True
    #: The archive reports MD5 only; hashing SHA-256 too would slow every upload.
    checksums: ClassVar[tuple[str, ...]] = ("md5",)
    #: What a person calls this archive in messages.
    label: ClassVar[str] = "the archive"

    def __init__(self, settings: ArchiveSettings, token: str | None = None) -> None:
        super().__init__(settings, token)
        if not settings.url:
            raise ArchiveError(
                f"the archive {settings.name} has no url",
                fix=f"set archives[{settings.name}].url in esap.yaml to the API base URL",
            )
        timeout = self.options.timeout
        headers = {"User-Agent": f"esap-hub/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.api = settings.url.rstrip("/")
        self.client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            verify=_ssl_context(),
        )

    def url(self, *parts: str) -> str:
        """An API URL below the configured base, each part escaped."""
        return "/".join([self.api, *(quote(part, safe="/") for part in parts)])

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request; raise :class:`ArchiveError` on an error answer."""
        response = self.client.request(method, url, **kwargs)
        if response.status_code >= 400:
            raise self.error(response)
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.call(method, url, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:  # a BadAnswer, as for every service that answers nonsense
            raise classify(exc, service=self.settings.name, url=url) from exc

    def error(self, response: httpx.Response) -> EsapError:
        """The archive's error answer as an exception with its own words.

        A refused token is an :class:`AuthError` (its fix: a new token), a
        refusal of what was sent an :class:`ArchiveError` with the fields
        the archive names, a failure on the archive's side an
        :class:`~esap.core.failures.HttpStatus`, as any service's is.
        """
        message = response.reason_phrase
        details: list[str] = []
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) and response.text.strip():
            message = excerpt(response.text)  # an error page: its words, as text
        if isinstance(body, dict):
            message = str(body.get("message") or message)
            for item in body.get("errors") or []:
                if isinstance(item, dict):
                    where = item.get("field") or "?"
                    text = item.get("message") or item.get("messages") or ""
                    if isinstance(text, list):
                        text = "; ".join(str(t) for t in text)
                    details.append(f"{where}: {text}")
        text = f"{self.label} answered {response.status_code}: {message}"
        if details:
            text += " (" + "; ".join(details) + ")"
        text = text[:MAX_MESSAGE]
        if response.status_code in (401, 403):
            return AuthError(
                text,
                status=response.status_code,
                fix=f"store a valid personal token for {self.settings.name} "
                "(with the scopes to deposit and publish), then retry",
            )
        if response.status_code >= 500:
            return HttpStatus(
                f"{self.label} answered HTTP {response.status_code}: {message}",
                "the archive failed on its side: retry later (the draft is resumed, "
                "not duplicated); if it persists, ask its operators",
                answered=response.status_code,
                service=self.settings.name,
                url=str(response.request.url),
            )
        return ArchiveError(text, status=response.status_code)

    def stream(self, method: str, url: str, source: FileSource) -> httpx.Response:
        """Send a file body from disk in fixed-size chunks, with its length announced."""
        return self.call(
            method,
            url,
            content=source.chunks(),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(source.size),
            },
        )

    def read(self, file: PublishedFile) -> Iterator[bytes]:
        """Stream a published file's bytes (redirects followed, as archives serve files so).

        The token goes only to the archive itself: a file link to another
        origin is fetched without it (httpx also drops it on a redirect to
        another origin).
        """
        request = self.client.build_request("GET", file.url)
        if _origin(file.url) != _origin(self.api):
            request.headers.pop("Authorization", None)
        response = self.client.send(request, stream=True, follow_redirects=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise self.error(response)
            yield from response.iter_bytes(CHUNK_SIZE)
        finally:
            response.close()

    def close(self) -> None:
        self.client.close()


def published_record(archive: HttpArchive, record_id: str, body: dict[str, Any]) -> PublishedRecord:
    """A published record from the answer to ``GET records/:id``, in either shape.

    Zenodo lists the files in the record itself (``files: [{key, size,
    checksum, links.self}]``); InvenioRDM gives ``files.entries`` without
    links and lists them, with their ``links.content``, at ``records/:id/files``.
    """
    links = body.get("links") or {}
    files = body.get("files")
    if isinstance(files, list):
        entries = files
    else:
        listing = archive.json(
            "GET", links.get("files") or archive.url("records", record_id, "files")
        )
        entries = (listing or {}).get("entries") or []
    found = []
    for item in entries:
        if not isinstance(item, dict):
            continue
        name = str(item.get("key") or item.get("filename") or "")
        item_links = item.get("links") or {}
        url = item_links.get("content") or item_links.get("self") or item_links.get("download")
        if not name or not url:
            continue
        size = item.get("size", item.get("filesize"))
        found.append(
            PublishedFile(
                name=name,
                size=int(size) if size is not None else None,
                md5=md5_of_checksum(item.get("checksum")),
                url=str(url),
            )
        )
    metadata = body.get("metadata") or {}
    doi = body.get("doi") or ((body.get("pids") or {}).get("doi") or {}).get("identifier")
    return PublishedRecord(
        id=str(body.get("id") or record_id),
        url=str(
            links.get("self_html")
            or links.get("record_html")
            or links.get("html")
            or links.get("self")
            or ""
        ),
        title=str(metadata.get("title") or body.get("title") or ""),
        doi=str(doi) if doi else None,
        files=tuple(found),
    )


def first_hit(answer: Any, doi: str) -> str | None:
    """The id of the hit of a records search whose DOI is ``doi``, else the first hit's."""
    hits = ((answer or {}).get("hits") or {}).get("hits") or []
    for hit in hits:
        own = hit.get("doi") or ((hit.get("pids") or {}).get("doi") or {}).get("identifier")
        if str(own or "").lower() == doi.lower():
            return str(hit["id"])
    return str(hits[0]["id"]) if hits else None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def md5_of_checksum(value: Any) -> str | None:
    """``"md5:abc..."`` (Invenio's form) or ``"abc..."`` -> ``"abc..."``."""
    if not isinstance(value, str) or not value:
        return None
    algorithm, sep, digest = value.partition(":")
    if not sep:
        return value
    return digest if algorithm.lower() == "md5" else None


__all__ = [
    "MAX_MESSAGE",
    "HttpArchive",
    "RemoteOptions",
    "first_hit",
    "md5_of_checksum",
    "published_record",
]
