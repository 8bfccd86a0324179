"""The one rule for URLs ESAP fetches on a user's behalf: http(s), or a file in the home.

A basket item's ``access_url`` can come from an archive's row, an import
file or a desktop tool over SAMP; ESAP then downloads it with the user
server's rights. ``file:///etc/passwd`` or another user's home would make
the download a way to read files the user could not otherwise reach (all
local users' servers run as one OS user), and other schemes (``ftp:``,
``gopher:``) reach services nobody meant to expose. So a URL is fetched
only when it is http(s) with a host, ``file:`` naming a file inside the
user's own home (what SAMP-received tables are), checked by the path rule,
or one of the schemes the admin added in ``esap.yaml`` (``fetch.schemes``,
fetched through fsspec).

What an item may *hold* is wider than what is fetched: an archive's
``ftp://`` link is kept on the item (the admin may allow it later, the user
can copy it), but never a scheme a browser would run (``javascript:``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from esap.core.errors import FieldError
from esap.core.paths import is_inside

#: Schemes fetched over the network.
NETWORK_SCHEMES = ("http", "https")

#: A URL a data item may hold: ``scheme://...`` with no space or control character.
_DATA_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://[^\s\x00-\x1f\x7f]+$", re.IGNORECASE)

#: Schemes a browser runs or inlines rather than fetches: never held as an item's URL.
_ACTIVE = frozenset({"javascript", "vbscript", "data", "blob", "about"})


def is_data_url(url: str) -> bool:
    """Whether ``url`` can be held as a data item's access URL (fetching it is another rule)."""
    found = _DATA_URL.match(url)
    return found is not None and found[1].lower() not in _ACTIVE


class UrlPolicyError(FieldError):
    """A URL ESAP will not fetch: ``field``, what is wrong, how to fix it."""


def fetchable(url: object, *, field: str, home: Path, schemes: Iterable[str] = ()) -> str:
    """``url`` if ESAP may fetch it for the user whose home is ``home``; else ``UrlPolicyError``.

    ``schemes`` are those the admin added (``fetch.schemes``) beyond http(s).
    """
    if not isinstance(url, str) or not url.strip():
        raise UrlPolicyError(field, "no URL", "give an http(s) URL")
    shown = url if len(url) <= 120 else url[:117] + "..."
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise UrlPolicyError(field, f"{shown!r} holds a control character", "give a plain URL")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = tuple(schemes)
    if scheme in NETWORK_SCHEMES or (scheme in allowed and scheme != "file"):
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
    also = "".join(f", {name}" for name in allowed)
    raise UrlPolicyError(
        field,
        f"{shown!r}: the scheme {scheme or '(none)'!r} is not fetched on this hub "
        f"(fetched: http, https{also}, and files in your home)",
        "give an http(s) URL, or ask the hub admin to add the scheme to fetch.schemes in esap.yaml",
    )


#: ``[user@]host:path``, git's scp-like form of an ssh URL.
_SCP_LIKE = re.compile(r"^(?:[\w.+-]+@)?[A-Za-z0-9][\w.-]*:(?!//)[^\s]+$")


def git_remote(url: object, *, field: str, home: Path) -> str:
    """``url`` if git may clone it for the user whose home is ``home``; else ``UrlPolicyError``.

    A forge's URL (http(s), ssh, git, or scp-like ``git@host:org/repo``), or
    a repository inside the user's own home (``file://`` or a path). Not a
    path elsewhere on the server (another user's repository), and not git's
    command-running transports (``ext::``).
    """
    if not isinstance(url, str) or not url.strip():
        raise UrlPolicyError(field, "no repository URL", "give https://host/org/repo(.git)")
    shown = url if len(url) <= 120 else url[:117] + "..."
    if any(ord(c) < 32 or ord(c) == 127 for c in url) or url.startswith("-"):
        raise UrlPolicyError(field, f"{shown!r} is not a git URL", "give https://host/org/repo")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https", "ssh", "git") and "::" not in url:
        if not parts.hostname:
            raise UrlPolicyError(field, f"{shown!r} has no host", "give https://host/org/repo")
        return url
    if scheme == "file" or (not scheme and url.startswith("/")):
        path = Path(unquote(parts.path) if scheme else url)
        if scheme and parts.netloc not in ("", "localhost"):
            raise UrlPolicyError(field, f"{shown!r} names another host", "give an https URL")
        if not is_inside(path.resolve(), home.resolve()):
            raise UrlPolicyError(
                field,
                f"{shown!r} is a repository outside your home",
                "give the repository's https URL, or clone it into your home first",
            )
        return url
    if not scheme and _SCP_LIKE.match(url) and "::" not in url:
        return url
    raise UrlPolicyError(
        field,
        f"{shown!r} is not a git URL",
        "give https://host/org/repo(.git) or git@host:org/repo",
    )


__all__ = ["NETWORK_SCHEMES", "UrlPolicyError", "fetchable", "git_remote", "is_data_url"]
