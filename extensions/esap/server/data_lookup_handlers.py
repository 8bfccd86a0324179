"""``data/history``, ``data/resolve`` and ``data/registry``: what the search form looks up."""

from __future__ import annotations

from tornado import web

from esap.data.registry import DEFAULT_REGISTRY, SERVICE_TYPES, WAVEBANDS, find_services
from esap.data.resolver import ResolveError, resolve
from esap.server.base import EsapHandler
from esap.server.data_common import catalog, in_thread, service_failure, user_store

REGISTRY_TIMEOUT = 30.0


class HistoryHandler(EsapHandler):
    """The user's past searches, newest first."""

    @web.authenticated
    def get(self) -> None:
        raw = self.get_argument("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            self.fail(
                400,
                "bad_field",
                f"limit: {raw!r}: not a number from 1 to 1000",
                "give e.g. limit=50",
            )
        self.write_json({"history": user_store().history(int(raw))})


class ResolveHandler(EsapHandler):
    """A target name as coordinates, through the hub's resolver."""

    @web.authenticated
    async def get(self) -> None:
        name = self.get_argument("name", "").strip()
        if not name or len(name) > 200:
            self.fail(
                400, "bad_field", "name: missing or too long", "give a target name, e.g. name=M31"
            )
        section = catalog().resolver_section()
        timeout = float((section or {}).get("timeout", 10)) + 5
        try:
            position = await in_thread(lambda: resolve(name, section), timeout)
        except ResolveError as exc:
            self.fail(
                404,
                "not_resolved",
                f"name: {name!r}: {exc}",
                "check the spelling, or give ra and dec",
            )
        self.write_json(position.as_dict())


class RegistryHandler(EsapHandler):
    """Services from the IVOA registry, by keyword, service type and waveband."""

    @web.authenticated
    async def get(self) -> None:
        keywords = self.get_argument("keywords", "").strip() or None
        servicetype = self.get_argument("servicetype", "").strip() or None
        waveband = self.get_argument("waveband", "").strip().lower() or None
        if servicetype is not None and servicetype not in SERVICE_TYPES:
            self.fail(
                400,
                "bad_field",
                f"servicetype: {servicetype!r}: unknown",
                f"use one of {', '.join(SERVICE_TYPES)}",
            )
        if waveband is not None and waveband not in WAVEBANDS:
            self.fail(
                400,
                "bad_field",
                f"waveband: {waveband!r}: unknown",
                f"use one of {', '.join(WAVEBANDS)}",
            )
        if keywords is not None and len(keywords) > 200:
            self.fail(400, "bad_field", "keywords: longer than 200 characters", "use fewer words")
        if not (keywords or servicetype or waveband):
            self.fail(
                400, "bad_field", "keywords: missing", "give keywords, a servicetype or a waveband"
            )
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
            raise service_failure(exc, "the registry") from None
        self.write_json({"services": found})


default_handlers = [
    ("data/history", HistoryHandler),
    ("data/resolve", ResolveHandler),
    ("data/registry", RegistryHandler),
]
