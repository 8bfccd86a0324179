"""``data/services``: what can be searched; the user's own services; a TAP service's tables."""

from __future__ import annotations

import re

from tornado import web

from esap import plugins
from esap.config.models import NAME_PATTERN
from esap.core.errors import FieldError
from esap.data.base import ListsTables
from esap.data.failures import failure
from esap.server.base import EsapHandler
from esap.server.data_common import catalog, in_thread, user_store

URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class ServicesHandler(EsapHandler):
    """List every service; add one of the user's own."""

    @web.authenticated
    def get(self) -> None:
        self.write_json({"services": catalog().describe()})

    @web.authenticated
    def post(self) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise FieldError("body", "not a JSON object", 'send {"name", "type", "url"}')
        assert isinstance(body, dict)
        name, kind, url = body.get("name"), body.get("type"), body.get("url")
        if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
            raise FieldError(
                "name",
                f"{name!r}: not a valid service name",
                "use lower-case letters, digits, - and _, starting with a letter or digit",
            )
        assert isinstance(name, str)
        types = plugins.names(plugins.DATA_SERVICES)
        if kind not in types:
            raise FieldError("type", f"{kind!r}: unknown", f"use one of {', '.join(types)}")
        if not isinstance(url, str) or not URL.match(url) or len(url) > 2000:
            raise FieldError(
                "url",
                f"{url!r}: not an http(s) URL",
                "give the service's base URL, e.g. https://example.org/tap",
            )
        texts: dict[str, str] = {}
        for key in ("title", "description"):
            value = body.get(key) or ""
            if not isinstance(value, str) or len(value) > 500:
                raise FieldError(key, "not text of at most 500 characters", f"fix {key}")
            texts[key] = value
        unknown = set(body) - {"name", "type", "url", "title", "description"}
        if unknown:
            field = sorted(unknown)[0]
            raise FieldError(field, "unknown field", "send name, type, url, title, description")
        current = catalog()
        if name in current.names():
            self.fail(
                409,
                "exists",
                f"{name!r}: a service of that name exists",
                "choose another name, or delete your own service of that name first",
                field="name",
            )
        try:
            user_store().add_service(
                name, str(kind), str(url), texts["title"] or name, texts["description"]
            )
        except KeyError:
            self.fail(
                409,
                "exists",
                f"{name!r}: a service of that name exists",
                "choose another name",
                field="name",
            )
        self.set_status(201)
        self.write_json(catalog().adapter(name).describe())


class ServiceHandler(EsapHandler):
    """Remove one of the user's own services."""

    @web.authenticated
    def delete(self, name: str) -> None:
        current = catalog()
        try:
            entry = current.entry(name)
        except KeyError:
            self.fail(404, "not_found", f"no service named {name!r}", "see GET data/services")
        if entry.source != "user":
            self.fail(
                403,
                "admin_service",
                f"{name!r} is offered by the hub admin and cannot be removed",
                "disable it in the search instead, or ask the hub admin",
            )
        user_store().remove_service(name)
        self.set_status(204)
        self.finish()


class TablesHandler(EsapHandler):
    """The tables and columns of a TAP service (TAP_SCHEMA)."""

    @web.authenticated
    async def get(self, name: str) -> None:
        current = catalog()
        try:
            entry = current.entry(name)
        except KeyError:
            self.fail(404, "not_found", f"no service named {name!r}", "see GET data/services")
        adapter = current.adapter(entry)
        if not isinstance(adapter, ListsTables):
            self.fail(
                400,
                "not_tap",
                f"{name!r} is not a TAP service: it has no tables",
                "name a TAP service",
            )
        tables_of = adapter.tables if isinstance(adapter, ListsTables) else list
        try:
            tables = await in_thread(tables_of, entry.timeout)
        except Exception as exc:
            raise failure(exc, name) from None
        self.write_json({"tables": tables})


default_handlers = [
    ("data/services", ServicesHandler),
    (r"data/services/(?P<name>[^/]+)", ServiceHandler),
    (r"data/services/(?P<name>[^/]+)/tables", TablesHandler),
]
