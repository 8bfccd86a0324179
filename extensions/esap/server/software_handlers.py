"""``software...``: search the software catalogues, read a record (``jobs/launch`` opens one).

The search is the engine's (``esap.software.searches``, as a notebook's):
every catalogue asked at once, a failing one reported beside the hits. Each
hit carries its BinderHub link when its catalogue names a BinderHub.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tornado import web

from esap.core.errors import FieldError
from esap.server.answers import CataloguesAnswer, SoftwareHitsAnswer, SoftwareRecordAnswer
from esap.server.base import EsapHandler
from esap.software import binder_url, offered, record
from esap.software.base import SoftwareQuery, SoftwareRecord, UnknownCatalogue
from esap.software.searches import MAX_LIMIT, find


def _entries() -> list[dict[str, Any]]:
    return offered()


def _entry(name: str) -> dict[str, Any]:
    for entry in _entries():
        if entry["name"] == name:
            return entry
    raise UnknownCatalogue(name)


def hit(entry: dict[str, Any], record: SoftwareRecord, details: bool = False) -> dict[str, Any]:
    """A record as the API answers it: codemeta only in details, the Binder link always."""
    document = record.as_dict()
    if not details:
        document.pop("codemeta", None)
    document["binder_url"] = binder_url(entry, record)
    document["basket_item"] = record.basket_item()
    return document


class CataloguesHandler(EsapHandler):
    """The catalogues this hub offers."""

    @web.authenticated
    def get(self) -> None:
        self.write_answer(
            CataloguesAnswer,
            {
                "catalogues": [
                    {
                        "name": entry["name"],
                        "title": entry.get("title") or entry["name"],
                        "type": entry["type"],
                        "description": entry.get("description") or "",
                        "enabled": entry.get("enabled", True) is not False,
                        "binderhub": bool((entry.get("options") or {}).get("binderhub_url")),
                        **({"error": str(entry["error"])} if entry.get("error") else {}),
                    }
                    for entry in _entries()
                ]
            },
        )


class SearchHandler(EsapHandler):
    """Search the catalogues by keyword, language, licence and runtime."""

    @web.authenticated
    async def get(self) -> None:
        query = SoftwareQuery(
            text=self.get_argument("q", "").strip() or None,
            language=self.get_argument("language", "").strip() or None,
            licence=self.get_argument("license", "").strip()
            or self.get_argument("licence", "").strip()
            or None,
            runtime=self.get_argument("runtime", "").strip() or None,
            limit=self.integer("limit", 50, 1, MAX_LIMIT),
        )
        names = [n.strip() for n in self.get_argument("catalogues", "").split(",") if n.strip()]
        found = await asyncio.to_thread(find, _entries(), query, names)
        self.write_answer(
            SoftwareHitsAnswer,
            {
                "hits": [hit(entry, record) for entry, record in found.hits],
                "errors": found.errors,
                "catalogues": found.searched,
            },
        )


class RecordHandler(EsapHandler):
    """One record's details (codemeta), with its Binder link."""

    @web.authenticated
    async def get(self, catalogue_name: str, identifier: str) -> None:
        if len(identifier) > 500 or any(ord(c) < 32 or ord(c) == 127 for c in identifier):
            raise FieldError(
                "identifier",
                f"{identifier[:60]!r} holds a control character or is too long",
                "take the identifier of a hit of GET software/search",
            )
        entry = _entry(catalogue_name)
        # no such record is a 404, a failing catalogue a 502 (their own errors)
        found = await asyncio.to_thread(lambda: record(entry, identifier))
        self.write_answer(SoftwareRecordAnswer, hit(entry, found, details=True))


default_handlers = [
    ("software/catalogues", CataloguesHandler),
    ("software/search", SearchHandler),
    ("software/records/(?P<catalogue_name>[A-Za-z0-9_.-]+)/(?P<identifier>.+)", RecordHandler),
]
