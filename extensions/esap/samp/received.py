"""A table a desktop tool sent over SAMP, kept in the user's home and put in the basket.

The tool's URL (usually ``http://127.0.0.1:<port>/...`` on the user's own
computer) lives only as long as the tool runs, so the table's bytes are
kept: ``~/.esap/samp/<sha256 prefix>.vot``, named by content so the same
table sent twice is one file and one basket item. The basket item is a
``data`` item of service ``samp`` whose ``access_url`` is that file, titled
with the name the tool gave.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from esap.core.errors import FieldError
from esap.core.state import state_dir

#: The basket's service name for tables received over SAMP.
SERVICE = "samp"
MEDIA_TYPE = "application/x-votable+xml"
#: Largest table accepted (bytes).
MAX_BYTES = 512 * 1024 * 1024


class BadTable(FieldError):
    """The body is not a VOTable with a table in it; the message says why."""

    code = "bad_table"
    fix = "send the VOTable the desktop tool offered (table.load.votable's url)"

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__("body", message, fix)


@dataclass(frozen=True)
class ReceivedTable:
    """What was kept: the file, its size and checksum, the table's shape."""

    path: Path
    size: int
    sha256: str
    rows: int
    columns: list[str]


def parse(body: bytes) -> tuple[int, list[str]]:
    """The row count and column names of a VOTable, or :class:`BadTable` saying what is wrong."""
    from astropy.io.votable import parse as parse_votable

    if not body.strip():
        raise BadTable("empty")
    try:
        votable = parse_votable(io.BytesIO(body), verify="ignore")
        table = votable.get_first_table()
    except IndexError:
        raise BadTable("the VOTable holds no TABLE") from None
    except Exception as exc:  # astropy raises ValueError, XML and its own errors alike
        raise BadTable(f"not a VOTable: {exc}") from None
    return len(table.array), [field.name for field in table.fields]


def keep(body: bytes, directory: Path | None = None) -> ReceivedTable:
    """Check ``body`` is a VOTable and store it (atomically) under ``~/.esap/samp``."""
    if len(body) > MAX_BYTES:
        raise BadTable(
            f"{len(body)} bytes; at most {MAX_BYTES} are accepted",
            "send a smaller table (fewer rows or columns)",
        )
    rows, columns = parse(body)
    digest = hashlib.sha256(body).hexdigest()
    folder = directory or state_dir() / "samp"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{digest[:32]}.vot"
    if not path.exists():
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(path)
    return ReceivedTable(path, len(body), digest, rows, columns)


def basket_item(table: ReceivedTable, name: str, sender: str | None) -> dict[str, Any]:
    """The basket's data item for a received table."""
    fields: dict[str, Any] = {
        "name": name,
        "rows": table.rows,
        "columns": ", ".join(table.columns)[:2000],
    }
    if sender:
        fields["sender"] = sender
    return {
        "kind": "data",
        "service": SERVICE,
        "title": name,
        "access_url": table.path.as_uri(),
        "format": MEDIA_TYPE,
        "size": table.size,
        "checksum": f"sha256:{table.sha256}",
        "fields": fields,
    }


__all__ = ["MAX_BYTES", "SERVICE", "BadTable", "ReceivedTable", "basket_item", "keep", "parse"]
