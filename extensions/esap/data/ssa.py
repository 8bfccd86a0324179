"""SSA (Simple Spectral Access): spectra by position, band and time.

Wraps ``pyvo.dal.SSAService``. SSA's ``size`` is a diameter, ESAP's radius a
radius; the band is in metres in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from esap.config.options import AdapterOptions
from esap.data.base import DataService, Query, overflowed

if TYPE_CHECKING:
    from astropy.table import Table


#: The utype (after its prefix, lower case) of SSA's access URL column.
ACCESS_REFERENCE = ":access.reference"


class SsaOptions(AdapterOptions):
    """An SSA service takes no options: leave options out (searches say what to find)."""


class SsaService(DataService):
    """A Simple Spectral Access service."""

    Options: ClassVar[type[AdapterOptions]] = SsaOptions

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

            # one Time of two values: pyvo reads anything else as ISO strings
            kwargs["time"] = Time(list(query.time), format="mjd")
        if query.params.get("format"):
            kwargs["format"] = query.params["format"]
        if query.maxrec:
            kwargs["maxrec"] = query.maxrec
        results = service.search(**kwargs)
        table = results.to_table()
        table.meta["esap_truncated"] = overflowed(results)
        return table

    def roles(self, table: Table) -> dict[str, str]:
        """The default guesses, plus SSA's own mark of the access URL.

        SSA identifies the column by utype ``ssa:Access.Reference`` (what
        pyvo's ``acref`` reads); its name and UCD vary (DaCHS: ``accref``,
        ``meta.ref.url;meta.dataset``).
        """
        found = super().roles(table)
        if "access_url" not in found.values():
            for column in table.columns.values():
                utype = str((getattr(column, "meta", {}) or {}).get("utype") or "")
                if utype.lower().endswith(ACCESS_REFERENCE) and column.name not in found:
                    found[column.name] = "access_url"
                    break
        return found
