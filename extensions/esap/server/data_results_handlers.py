"""``data/results/{id}``: one page of a stored answer, sorted and filtered on the server."""

from __future__ import annotations

from tornado import web

from esap.data.results import MAX_LIMIT, MAX_ROWS, PAGE
from esap.server.answers import ResultPageAnswer
from esap.server.base import EsapHandler
from esap.server.data_common import in_thread, result_store


class ResultHandler(EsapHandler):
    """A page of a result (a million-row answer never goes whole to the browser)."""

    @web.authenticated
    async def get(self, result_id: str) -> None:
        offset = self.integer("offset", 0, 0, MAX_ROWS)
        limit = self.integer("limit", PAGE, 1, MAX_LIMIT)
        sort = self.get_argument("sort", None) or None
        order = self.get_argument("order", "asc")
        text = self.get_argument("filter", None) or None
        service = self.get_argument("service", None) or None  # a combined result's facet
        # an unknown result is a 404, a bad sort or order a 400 naming it (their own errors)
        page = await in_thread(
            lambda: result_store().page(result_id, offset, limit, sort, order, text, service)
        )
        self.write_answer(ResultPageAnswer, page)


default_handlers = [(r"data/results/(?P<result_id>[^/]+)", ResultHandler)]
