"""``data/history``, ``data/resolve`` and ``data/registry``: what the search form looks up."""

from __future__ import annotations

from tornado import web

from esap.core.errors import FieldError
from esap.data.failures import failure
from esap.data.registry import DEFAULT_REGISTRY, SERVICE_TYPES, WAVEBANDS, find_services
from esap.data.resolver import ResolveError, resolve
from esap.server.answers import HistoryAnswer, RegistryAnswer, ResolvedAnswer
from esap.server.base import EsapHandler
from esap.server.data_common import catalog, in_thread, user_store

REGISTRY_TIMEOUT = 30.0


class HistoryHandler(EsapHandler):
    """The user's past searches, newest first."""

    @web.authenticated
    def get(self) -> None:
        raw = self.get_argument("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            raise FieldError("limit", f"{raw!r}: not a number from 1 to 1000", "give e.g. limit=50")
        self.write_answer(HistoryAnswer, {"history": user_store().history(int(raw))})


class ResolveHandler(EsapHandler):
    """A target name as coordinates, through the hub's resolver."""

    @web.authenticated
    async def get(self) -> None:
        name = self.get_argument("name", "").strip()
        if not name or len(name) > 200:
            raise FieldError("name", "missing or too long", "give a target name, e.g. name=M31")
        section = catalog().resolver_section()
        timeout = float((section or {}).get("timeout", 10)) + 5
        try:
            position = await in_thread(lambda: resolve(name, section), timeout)
        except ResolveError as exc:  # a 404 of its own, from the field ``name``
            raise exc.at("name") from None
        self.write_answer(ResolvedAnswer, position.as_dict())


class RegistryHandler(EsapHandler):
    """Services from the IVOA registry, by keyword, service type and waveband."""

    @web.authenticated
    async def get(self) -> None:
        keywords = self.get_argument("keywords", "").strip() or None
        servicetype = self.get_argument("servicetype", "").strip() or None
        waveband = self.get_argument("waveband", "").strip().lower() or None
        if servicetype is not None and servicetype not in SERVICE_TYPES:
            raise FieldError(
                "servicetype", f"{servicetype!r}: unknown", f"use one of {', '.join(SERVICE_TYPES)}"
            )
        if waveband is not None and waveband not in WAVEBANDS:
            raise FieldError(
                "waveband", f"{waveband!r}: unknown", f"use one of {', '.join(WAVEBANDS)}"
            )
        if keywords is not None and len(keywords) > 200:
            raise FieldError("keywords", "longer than 200 characters", "use fewer words")
        if not (keywords or servicetype or waveband):
            raise FieldError("keywords", "missing", "give keywords, a servicetype or a waveband")
        current = catalog()
        registries = [e for e in current.entries() if e.type == "registry"]
        url = registries[0].url if registries else DEFAULT_REGISTRY
        timeout = registries[0].timeout if registries else REGISTRY_TIMEOUT
        try:
            found = await in_thread(
                lambda: find_services(
                    keywords=keywords, servicetype=servicetype, waveband=waveband, registry_url=url
                ),
                timeout,
            )
        except Exception as exc:
            raise failure(exc, "the registry", url, timeout) from None
        self.write_answer(RegistryAnswer, {"services": found})


default_handlers = [
    ("data/history", HistoryHandler),
    ("data/resolve", ResolveHandler),
    ("data/registry", RegistryHandler),
]
