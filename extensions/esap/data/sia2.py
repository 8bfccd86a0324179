"""SIAv2 (Simple Image Access 2): images by position, band, time and collection.

Wraps ``pyvo.dal.SIA2Service``; the answer is ObsCore-shaped, so the lab finds
access URLs and previews in it like in a TAP ObsCore answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from esap.config.options import AdapterOptions
from esap.data.base import DataService, Query, overflowed

if TYPE_CHECKING:
    from astropy.table import Table


class Sia2Options(AdapterOptions):
    """A SIAv2 service takes no options: leave options out (searches say what to find)."""


class Sia2Service(DataService):
    """A SIAv2 service (the URL of its query endpoint, as a registry lists it)."""

    Options: ClassVar[type[AdapterOptions]] = Sia2Options

    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "SIAv2",
        "properties": {
            "instrument": {"type": "string", "title": "Instrument"},
            "facility": {"type": "string", "title": "Facility"},
            "calib_level": {
                "type": "integer",
                "title": "Calibration level",
                "minimum": 0,
                "maximum": 4,
            },
            "data_type": {"type": "string", "title": "Product type", "enum": ["image", "cube"]},
        },
        "additionalProperties": False,
    }

    def search(self, query: Query) -> Table:
        """One SIAv2 query with the form's constraints and the adapter's own parameters."""
        from pyvo.dal import SIA2Service

        service = SIA2Service(self.url, session=self.session, check_baseurl=False)
        kwargs: dict[str, Any] = {
            key: value for key, value in query.params.items() if value not in (None, "")
        }
        if query.has_position:
            kwargs["pos"] = (query.ra, query.dec, query.radius)
        if query.band is not None:
            kwargs["band"] = query.band
        if query.time is not None:
            from astropy.time import Time

            kwargs["time"] = tuple(Time(t, format="mjd") for t in query.time)
        if query.collection:
            kwargs["collection"] = query.collection
        if query.maxrec:
            kwargs["maxrec"] = query.maxrec
        results = service.search(**kwargs)
        table = results.to_table()
        table.meta["esap_truncated"] = overflowed(results)
        return table
