"""A software search over the catalogues: which to ask, each on a thread of its own, failures kept.

Every face searches this way: the Software panel (``GET software/search``)
and ``esap.software.search`` in a notebook. The catalogues named must be
ones the hub offers (else a refusal naming them); none named means every
enabled one. They are asked at once (the OSSR is a remote API), and one
that fails is reported beside the others' hits, as the data federation
does, so an unreachable catalogue does not hide the rest.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from esap.core.errors import FieldError
from esap.software.base import SoftwareQuery, SoftwareRecord

#: Most hits a search asks of each catalogue.
MAX_LIMIT = 200


@dataclass
class Found:
    """What a search found: each hit with its catalogue's entry, each failing catalogue's error."""

    hits: list[tuple[dict[str, Any], SoftwareRecord]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    searched: list[str] = field(default_factory=list)


def chosen(entries: Sequence[dict[str, Any]], names: Sequence[str] | None) -> list[dict[str, Any]]:
    """The catalogues named (each must be offered), else every enabled one."""
    if not names:
        return [e for e in entries if e.get("enabled", True) is not False]
    unknown = sorted(set(names) - {e["name"] for e in entries})
    if unknown:
        raise FieldError(
            "catalogues",
            f"no catalogue {', '.join(map(repr, unknown))}",
            "name catalogues the hub offers: " + ", ".join(e["name"] for e in entries),
        )
    return [e for e in entries if e["name"] in names]


def find(
    entries: Sequence[dict[str, Any]], query: SoftwareQuery, names: Sequence[str] | None = None
) -> Found:
    """Search the catalogues :func:`chosen` from ``entries`` (the public config's), all at once."""
    from esap.software import search_all

    if not 1 <= query.limit <= MAX_LIMIT:
        raise FieldError("limit", f"{query.limit} is not 1..{MAX_LIMIT}", "ask for 50 hits")
    searched = chosen(entries, names)
    found = Found(searched=[e["name"] for e in searched])
    if not searched:
        return found
    with concurrent.futures.ThreadPoolExecutor(
        len(searched), thread_name_prefix="esap-software"
    ) as pool:
        answers = list(pool.map(lambda e: search_all([e], query, [e["name"]]), searched))
    for entry, (records, failed) in zip(searched, answers, strict=True):
        found.hits += [(entry, record) for record in records]
        found.errors.update(failed)
    return found


__all__ = ["MAX_LIMIT", "Found", "chosen", "find"]
