"""The one rule for URLs ESAP fetches on a user's behalf: http(s), or a file in the home.

A basket item's ``access_url`` can come from an archive's row, an import
file or a desktop tool over SAMP; ESAP then downloads it with the user
server's rights. ``file:///etc/passwd`` or another user's home would make
the download a way to read files the user could not otherwise reach (all
local users' servers run as one OS user), and other schemes (``ftp:``,
``gopher:``) reach services nobody meant to expose. So a URL is fetched
only when it is http(s) with a host, or ``file:`` naming a file inside the
user's own home (what SAMP-received tables are), checked by the path rule.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from esap.core.errors import FieldError
from esap.core.paths import is_inside

#: Schemes fetched over the network.
NETWORK_SCHEMES = ("http", "https")


class UrlPolicyError(FieldError):
    """A URL ESAP will not fetch: ``field``, what is wrong, how to fix it."""


def fetchable(url: object, *, field: str, home: Path) -> str:
    """``url`` if ESAP may fetch it for the user whose home is ``home``; else ``UrlPolicyError``."""
    if not isinstance(url, str) or not url.strip():
        raise UrlPolicyError(field, "no URL", "give an http(s) URL")
    shown = url if len(url) <= 120 else url[:117] + "..."
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise UrlPolicyError(field, f"{shown!r} holds a control character", "give a plain URL")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in NETWORK_SCHEMES:
        if not parts.hostname:
            raise UrlPolicyError(field, f"{shown!r} has no host", "give a full http(s) URL")
        return url
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise UrlPolicyError(
                field, f"{shown!r} names another host", "give an http(s) URL for remote files"
            )
        path = Path(unquote(parts.path))
        try:
            real = path.resolve()
        except (OSError, RuntimeError, ValueError):
            real = None
        if real is None or not is_inside(real, home.resolve()):
            raise UrlPolicyError(
                field,
                f"{shown!r} is a file outside your home",
                "ESAP fetches http(s) URLs and files inside your home only; "
                "copy the file into your home first",
            )
        return url
    raise UrlPolicyError(
        field,
        f"{shown!r}: the scheme {scheme or '(none)'!r} is not fetched",
        "give an http(s) URL",
    )


__all__ = ["NETWORK_SCHEMES", "UrlPolicyError", "fetchable"]
