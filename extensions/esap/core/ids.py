"""Ids that come from users (records, publications, jobs) are opaque tokens, checked by pattern.

An id is never a path: joined onto a folder (a local archive's records) or
into a URL path (a catalogue's or archive's API), ``../../x`` or ``%2F``
would reach something else. Every id a request carries is checked here
against the one pattern archives and catalogues use (letters, digits and
``. _ : -``, not starting with a dot, at most 200 characters), and what goes
into a URL path is quoted as one segment.

The ids ESAP makes itself (basket items, jobs, launches) are made here too,
by :func:`new_ids`: they match the pattern, so they go back through the
same check when a request brings them.
"""

from __future__ import annotations

import os
import re
import time
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


def _place_bytes(count: int, shift: int) -> bytes:
    """Byte ``(i >> shift) & 0xFF`` of every place ``i`` in a batch of ``count``, at once."""
    if shift == 0:
        return (bytes(range(256)) * (count // 256 + 1))[:count]
    run = 1 << shift
    return b"".join(bytes((value & 0xFF,)) * run for value in range(-(-count // run)))[:count]


def new_ids(count: int) -> list[str]:
    """Fresh ids: 32 hex digits each, stable across export/import.

    12 digits of the time in milliseconds, 6 of the place in this batch, 14
    random (56 bits: unguessable, and two processes in the same millisecond
    do not collide): ids grow as items are added, so a store's id index
    takes a batch of 100k at its end instead of at random places in it.

    The batch is laid out as one buffer of 16 bytes an id, each byte column
    filled in one slice assignment, hex-encoded once and cut: formatting
    each id in Python cost twice as much (a tenth of adding 100k basket items).
    """
    buffer = bytearray(os.urandom(16 * count))
    millis = (time.time_ns() // 1_000_000).to_bytes(8, "big")[2:]
    for column, byte in enumerate(millis):
        buffer[column::16] = bytes((byte,)) * count
    for column, shift in ((6, 16), (7, 8), (8, 0)):
        buffer[column::16] = _place_bytes(count, shift)
    text = buffer.hex()
    return [text[start : start + 32] for start in range(0, 32 * count, 32)]


def new_id() -> str:
    """A fresh id (see :func:`new_ids`)."""
    return new_ids(1)[0]


__all__ = ["ID_PATTERN", "BadId", "new_id", "new_ids", "opaque_id", "url_segment"]
