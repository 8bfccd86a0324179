"""The SHA-256 of what a URL serves, streamed in constant memory: an input dataset's checksum.

A publication records, for each input dataset, the checksum of what its
access URL served at the time (``sha256``, ``contentSize`` in the RO-Crate);
a reproduction fetches the URL again and compares. Both go through
:func:`digest_url`, so "the same bytes" means the same thing on both sides.

Only http(s) URLs are fetched (:func:`esap.core.urls.fetchable`), with
redirects followed, and nothing is kept: the bytes are hashed as they
arrive. A body larger than ``limit`` is not hashed to its end (publishing a
notebook should not wait for a terabyte to stream): its size is what the
server announced, and the digest says it was not taken.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx

from esap import __version__
from esap.core.failures import classify
from esap.core.urls import fetchable

#: Bytes read per step.
CHUNK = 1 << 20
#: Beyond this many bytes a body is not hashed (its announced size is kept).
LIMIT = 1 << 30


@dataclass(frozen=True)
class UrlDigest:
    """What a URL served: its status, and the SHA-256 and size of the body when it had one."""

    url: str
    status: int
    sha256: str | None
    size: int | None
    content_type: str | None = None
    #: Why no checksum was taken though the URL answered (too large).
    note: str | None = None

    @property
    def found(self) -> bool:
        return self.status < 400


def digest_url(
    url: str, *, home: Path | None = None, timeout: float = 60.0, limit: int = LIMIT
) -> UrlDigest:
    """GET ``url`` and hash its body; an error answer is a digest with its status.

    A transport failure (no such host, refused, timed out) raises the
    failure of its kind (:mod:`esap.core.failures`): the service is down,
    which is not the same as the data being gone (a 404 or 410).
    """
    fetchable(url, field="access_url", home=home or Path.home())
    headers = {"User-Agent": f"esap-hub/{__version__}"}
    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                follow_redirects=True,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            kind = response.headers.get("Content-Type")
            if response.status_code >= 400:
                return UrlDigest(url, response.status_code, None, None, kind)
            announced = response.headers.get("Content-Length")
            digest = hashlib.sha256()
            size = 0
            for chunk in response.iter_bytes(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if size > limit:
                    whole = int(announced) if announced and announced.isdigit() else None
                    return UrlDigest(
                        url,
                        response.status_code,
                        None,
                        whole,
                        kind,
                        note=f"larger than {limit >> 20} MiB: not hashed",
                    )
            return UrlDigest(url, response.status_code, digest.hexdigest(), size, kind)
    except httpx.HTTPError as exc:
        raise classify(exc, service="the input's server", url=url) from exc


__all__ = ["LIMIT", "UrlDigest", "digest_url"]
