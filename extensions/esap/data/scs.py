"""Simple Cone Search: catalogue rows around a position.

Wraps ``pyvo.dal.SCSService``. A cone search needs a position: a search
without one is "not applicable" to it, not an error of the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from esap.config.options import AdapterOptions
from esap.data.base import DataService, NotApplicable, Query, overflowed

if TYPE_CHECKING:
    from astropy.table import Table


class ScsOptions(AdapterOptions):
    """A cone search takes no options: leave options out (searches say where to look)."""


class ConeSearchService(DataService):
    """A Simple Cone Search service."""

    Options: ClassVar[type[AdapterOptions]] = ScsOptions

    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "Cone search",
        "properties": {
            "verbosity": {
                "type": "integer",
                "title": "Verbosity",
                "description": "1: fewest columns, 3: all columns.",
                "minimum": 1,
                "maximum": 3,
                "default": 2,
            },
        },
        "additionalProperties": False,
    }

    def search(self, query: Query) -> Table:
        """One cone query; other form constraints do not apply to a cone search."""
        from pyvo.dal import SCSService

        if not query.has_position:
            raise NotApplicable("a cone search needs a position: give a target or ra/dec")
        service = SCSService(self.url, session=self.session)
        kwargs: dict[str, Any] = {"verbosity": int(query.params.get("verbosity", 2))}
        if query.maxrec:
            kwargs["maxrec"] = query.maxrec
        results = service.search(pos=(query.ra, query.dec), radius=query.radius, **kwargs)
        table = results.to_table()
        table.meta["esap_truncated"] = overflowed(results)
        return table
