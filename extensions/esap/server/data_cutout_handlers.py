"""``data/cutouts/options``: what a product's SODA cutout service can cut, before cutting.

The lab's Cut out dialog asks it when it opens, to offer the shapes the
service takes, a cube's band and the product's footprint; the cutout
itself is a ``cutout`` job (``POST jobs/cutout``, ``esap.server.job_kinds``).
"""

from __future__ import annotations

from tornado import web

from esap.data import cutouts
from esap.server.answers import CutoutOptionsAnswer
from esap.server.base import EsapHandler
from esap.server.bodies import CutoutItemBody
from esap.server.data_common import catalog, in_thread


class CutoutOptionsHandler(EsapHandler):
    """The product's cutout service: its shapes, a cube's band, the footprint."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(CutoutItemBody)
        current = catalog()
        found = await in_thread(lambda: cutouts.options(body.item, catalog=current))
        self.write_answer(CutoutOptionsAnswer, found)


default_handlers = [("data/cutouts/options", CutoutOptionsHandler)]
