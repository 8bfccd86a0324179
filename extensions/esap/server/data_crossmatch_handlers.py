"""``data/crossmatch``: a user table matched by position against a TAP catalogue, as a job.

``POST data/crossmatch`` checks the request and reads the user's table at
once (a stored result, basket data items or a file in the home; a bad
radius, an unknown catalogue, a table without positions is a 400 naming the
field), then answers 202 with the job (kind ``crossmatch``). The job is
followed, cancelled and forgotten like every other (``jobs/crossmatch/{id}``);
its ``result.result_id`` is then paged like a search's (``data/results/{id}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tornado import web

from esap.data import crossmatch_jobs
from esap.server.answers import CrossmatchJobAnswer
from esap.server.base import EsapHandler
from esap.server.basket_handlers import user_basket
from esap.server.bodies import CrossmatchBody
from esap.server.data_common import catalog, in_thread, result_store
from esap.server.job_kinds import runner, view


def _data_items(ids: list[str]) -> list[Any]:
    """The basket's items of these ids (an unknown id is its 404), data items only."""
    from esap.core.errors import FieldError

    items = user_basket().all(ids=ids)
    others = [item.id for item in items if item.kind != "data"]
    if others:
        raise FieldError(
            "basket_ids",
            f"{', '.join(others[:5])}: not data items",
            "choose data items (rows of a search result) of your basket",
        )
    return items


class CrossmatchHandler(EsapHandler):
    """Start a cross-match."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(CrossmatchBody)
        root = str(Path(self.settings.get("server_root_dir") or Path.home()).expanduser())
        current = catalog()
        job = await in_thread(
            lambda: crossmatch_jobs.start(
                runner(root),
                current,
                result_store(),
                Path(root),
                service=body.service,
                catalogue=body.catalogue,
                radius=body.radius,
                result_id=body.result_id,
                path=body.path,
                basket_ids=body.basket_ids,
                items=_data_items,
                ra_column=body.ra_column,
                dec_column=body.dec_column,
                columns=body.columns,
                method=body.method or "auto",
                maxrec=body.maxrec,
            )
        )
        self.set_status(202)
        self.write_answer(CrossmatchJobAnswer, view(root, job))


default_handlers = [("data/crossmatch", CrossmatchHandler)]
