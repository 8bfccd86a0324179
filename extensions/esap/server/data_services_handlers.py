"""``data/services``: what can be searched; the user's own services; a TAP service's tables.

Thin over ``esap.data``: the catalog adds and removes the user's own
services (its rules name the field at fault), ``esap.data.adql`` lists a TAP
service's tables.
"""

from __future__ import annotations

from tornado import web

from esap.data.adql import tables
from esap.server.answers import DataServiceAnswer, DataServicesAnswer, TablesAnswer
from esap.server.base import EsapHandler
from esap.server.bodies import NewServiceBody
from esap.server.data_common import catalog, in_thread


class ServicesHandler(EsapHandler):
    """List every service; add one of the user's own."""

    @web.authenticated
    def get(self) -> None:
        self.write_answer(DataServicesAnswer, {"services": catalog().describe()})

    @web.authenticated
    def post(self) -> None:
        body = self.body_as(NewServiceBody)
        added = catalog().add_own(body.name, body.type, body.url, body.title, body.description)
        self.set_status(201)
        self.write_answer(DataServiceAnswer, added)


class ServiceHandler(EsapHandler):
    """Remove one of the user's own services."""

    @web.authenticated
    def delete(self, name: str) -> None:
        catalog().remove_own(name)
        self.set_status(204)
        self.finish()


class TablesHandler(EsapHandler):
    """The tables and columns of a TAP service (TAP_SCHEMA)."""

    @web.authenticated
    async def get(self, name: str) -> None:
        current = catalog()
        self.write_answer(TablesAnswer, {"tables": await in_thread(lambda: tables(current, name))})


default_handlers = [
    ("data/services", ServicesHandler),
    (r"data/services/(?P<name>[^/]+)", ServiceHandler),
    (r"data/services/(?P<name>[^/]+)/tables", TablesHandler),
]
