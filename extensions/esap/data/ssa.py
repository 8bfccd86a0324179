"""SSA (Simple Spectral Access): spectra by position, band and time.

Wraps ``pyvo.dal.SSAService``. SSA's ``size`` is a diameter, ESAP's radius a
radius; the band is in metres in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from esap.data.base import DataService, Query, overflowed

if TYPE_CHECKING:
    from astropy.table import Table


class SsaService(DataService):
    """A Simple Spectral Access service."""

    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "SSA",
        "properties": {
            "format": {
                "type": "string",
                "title": "Format",
                "description": "all, compliant, native, graphic, votable, fits, xml, "
                "or a MIME type.",
            },
        },
        "additionalProperties": False,
    }

    def search(self, query: Query) -> Table:
        """One SSA query."""
        from pyvo.dal import SSAService

        service = SSAService(self.url, session=self.session)
        kwargs: dict[str, Any] = {}
        if query.has_position:
            kwargs["pos"] = (query.ra, query.dec)
            kwargs["diameter"] = 2 * query.radius
        if query.band is not None:
            kwargs["band"] = query.band
        if query.time is not None:
            from astropy.time import Time

            kwargs["time"] = tuple(Time(t, format="mjd") for t in query.time)
        if query.params.get("format"):
            kwargs["format"] = query.params["format"]
        if query.maxrec:
            kwargs["maxrec"] = query.maxrec
        results = service.search(**kwargs)
        table = results.to_table()
        table.meta["esap_truncated"] = overflowed(results)
        return table
