"""``projects``: the user's project folders and their shared baskets.

Thin over :mod:`esap.core.projects` (which projects, what access: the hub's
grant at spawn) and :mod:`esap.basket.shared` (a project's basket). A
project that is not the user's is a 404 whether or not it exists; a write
by a reader is a 403 naming the project's write groups.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from esap.basket.shared import Mode, ProjectBasket, publish_mine
from esap.core.errors import EsapError
from esap.core.projects import ProjectGrant, grant, granted
from esap.server.answers import (
    AddedAnswer,
    ProjectBasketAnswer,
    ProjectsAnswer,
    PublishedAnswer,
    RemovedAnswer,
)
from esap.server.base import EsapHandler
from esap.server.basket_handlers import basket_changed, user_basket
from esap.server.bodies import IdsBody, ProjectCopyBody, ProjectPublishBody
from esap.server.data_common import in_thread

NAME = r"(?P<name>[a-z0-9][a-z0-9_-]{0,62})"
#: Items of a project's basket answered at most per page.
MAX_PAGE = 5000


def _project(found: ProjectGrant) -> dict[str, Any]:
    try:
        info = ProjectBasket(found.name, found).info()
    except EsapError:  # a damaged basket, or one leading out: its own route says why
        info = {"count": 0, "updated_by": None, "updated_at": None}
    return {
        "name": found.name,
        "title": found.title,
        "description": found.description,
        "access": found.access,
        "path": found.path,
        "read_groups": list(found.read_groups),
        "write_groups": list(found.write_groups),
        "size": found.size,
        "basket": {
            "count": info["count"],
            "updated_by": info["updated_by"],
            "updated_at": info["updated_at"],
        },
    }


class ProjectsHandler(EsapHandler):
    """The user's projects."""

    @web.authenticated
    async def get(self) -> None:
        found = await in_thread(lambda: [_project(g) for g in granted()])
        self.write_answer(ProjectsAnswer, {"projects": found})


class ProjectBasketHandler(EsapHandler):
    """A project's shared basket: read it (members), publish to it (writers)."""

    @web.authenticated
    async def get(self, name: str) -> None:
        offset = self.integer("offset", 0, 0, 1_000_000_000)
        limit = self.integer("limit", 500, 1, MAX_PAGE)
        shared = ProjectBasket(name, grant(name))
        info = await in_thread(shared.info)
        entries = await in_thread(shared.entries)
        self.write_answer(
            ProjectBasketAnswer,
            {
                "project": shared.name,
                "access": shared.grant.access,
                "count": info["count"],
                "updated_by": info["updated_by"],
                "updated_at": info["updated_at"],
                "offset": offset,
                "limit": limit,
                "items": [
                    item.model_dump(mode="json") for item in entries[offset : offset + limit]
                ],
            },
        )

    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.body_as(ProjectPublishBody)
        grant(name)
        ids = body.ids
        mode: Mode = "replace" if body.replace else "add"
        _, count = await in_thread(lambda: publish_mine(name, ids, mode))
        sent = len(ids) if ids is not None else user_basket().count()
        self.write_answer(PublishedAnswer, {"project": name, "published": sent, "count": count})


class ProjectBasketRemoveHandler(EsapHandler):
    """Take items out of a project's basket (writers)."""

    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.body_as(IdsBody)
        shared = ProjectBasket(name, grant(name))
        removed = await in_thread(lambda: shared.remove(body.ids))
        self.write_answer(RemovedAnswer, {"removed": removed})


class ProjectBasketCopyHandler(EsapHandler):
    """Copy a project's items (default: all) into the user's own basket (members)."""

    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.body_as(ProjectCopyBody)
        shared = ProjectBasket(name, grant(name))
        ids = await in_thread(lambda: shared.copy_to_mine(body.ids))
        total = basket_changed(user_basket())
        self.set_status(201)
        self.write_answer(AddedAnswer, {"ids": ids, "total": total})


default_handlers = [
    ("projects", ProjectsHandler),
    (f"projects/{NAME}/basket", ProjectBasketHandler),
    (f"projects/{NAME}/basket/remove", ProjectBasketRemoveHandler),
    (f"projects/{NAME}/basket/copy", ProjectBasketCopyHandler),
]
