"""Ids that come from users (records, publications, jobs) are opaque tokens, checked by pattern.

An id is never a path: joined onto a folder (a local archive's records) or
into a URL path (a catalogue's or archive's API), ``../../x`` or ``%2F``
would reach something else. Every id a request carries is checked here
against the one pattern archives and catalogues use (letters, digits and
``. _ : -``, not starting with a dot, at most 200 characters), and what goes
into a URL path is quoted as one segment.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from esap.core.errors import FieldError

#: What an id may look like: Zenodo's 1234567, InvenioRDM's abcde-12345, DOIs' suffixes,
#: ESAP's hex ids, codemeta identifiers such as gammapy or pypi:astropy.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._:@+-]{0,199}$")


class BadId(FieldError):
    """An id that is not one: ``field``, what is wrong, how to fix it."""


def opaque_id(value: object, field: str) -> str:
    """``value`` if it is an id by the pattern (never a path), else ``BadId`` naming ``field``."""
    if not isinstance(value, str):
        raise BadId(field, "must be text", "give the id as the archive or ESAP shows it")
    shown = value if len(value) <= 80 else value[:77] + "..."
    if not ID_PATTERN.match(value) or ".." in value:
        raise BadId(
            field,
            f"{shown!r} is not an id",
            "give the id exactly as shown (letters, digits and . _ : - only, no / or ..)",
        )
    return value


def url_segment(value: str) -> str:
    """``value`` quoted as one URL path segment (``/`` and ``%`` included)."""
    return quote(value, safe="")


__all__ = ["ID_PATTERN", "BadId", "opaque_id", "url_segment"]
