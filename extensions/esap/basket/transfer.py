"""Export a basket to a file a colleague can import: JSON or an IVOA VOTable.

JSON is ``{"format": "esap-basket", "version": 1, "items": [...]}`` with
one item per line, so a diff or a reader sees one item per line, and an
import that fails names that line. VOTable (through astropy) lists the
envelope and the columns a VO tool wants (service, access_url, format,
size) and keeps the rest of each item as JSON in a ``detail`` column, so a
VOTable round-trips as exactly as JSON does.

An import is all or nothing: every item is checked first, and a file with
one bad item is rejected whole with the line (JSON) or row (VOTable) at
fault and what is wrong; nothing is added.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from esap.basket.models import KINDS, AnyItem, parse_item
from esap.basket.store import Basket, BasketError
from esap.core.errors import FieldError, FieldProblem
from esap.core.ids import new_id

FORMAT_NAME = "esap-basket"
FORMAT_VERSION = 1
Format = Literal["json", "votable"]

_ENVELOPE = ("id", "kind", "title", "notes", "group", "added")
_VO_COLUMNS = ("service", "access_url", "format")
_MAX_PROBLEMS = 5


class ImportRejected(BasketError):
    """A basket file that cannot be imported; nothing of it was added.

    ``reasons`` are the file's problems, each naming its line (the first few
    are in the message).
    """

    code = "import_rejected"
    fix = "fix the file at the line named (or export it again from ESAP) and import it again"

    def __init__(self, source: str, reasons: Sequence[str]) -> None:
        shown = list(reasons[:_MAX_PROBLEMS])
        if len(reasons) > _MAX_PROBLEMS:
            shown.append(f"... and {len(reasons) - _MAX_PROBLEMS} more")
        super().__init__(f"{source}: not imported (nothing was added): " + "; ".join(shown))
        self.reasons = list(reasons)


def export_json(items: Sequence[AnyItem]) -> str:
    """The items as a JSON basket file, one item per line."""
    lines = [json.dumps(item.model_dump(mode="json"), ensure_ascii=False) for item in items]
    body = ",\n".join(lines)
    return f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION}, "items": [\n{body}\n]}}\n'


def export_votable(items: Sequence[AnyItem]) -> bytes:
    """The items as a VOTable (one row per item, the rest of each item in ``detail``)."""
    from astropy.io.votable import from_table, writeto
    from astropy.table import MaskedColumn, Table

    columns: dict[str, list[Any]] = {name: [] for name in (*_ENVELOPE, *_VO_COLUMNS, "detail")}
    sizes: list[int] = []
    mask: list[bool] = []
    for item in items:
        data = item.model_dump(mode="json")
        for name in _ENVELOPE:
            columns[name].append(str(data.pop(name)))
        for name in _VO_COLUMNS:
            value = data.get(name) if item.kind == "data" else None
            columns[name].append("" if value is None else str(value))
        size = data.get("size") if item.kind == "data" else None
        sizes.append(int(size) if size is not None else 0)
        mask.append(size is None)
        columns["detail"].append(json.dumps(data, ensure_ascii=False))
    table = Table()
    for name, values in columns.items():
        table[name] = values if values else []
        if not values:
            table[name] = table[name].astype(str)
    table["size"] = MaskedColumn(sizes, mask=mask, dtype="int64", unit="byte")
    table.meta["description"] = f"{FORMAT_NAME} version {FORMAT_VERSION}"
    votable = from_table(table)
    out = io.BytesIO()
    writeto(votable, out)
    return out.getvalue()


class UnknownFormat(BasketError, FieldError):
    """A basket file format other than ``json`` and ``votable``."""

    code = "bad_field"

    def __init__(self, fmt: str) -> None:
        super().__init__("format", f"{fmt!r}: unknown", "use json or votable")


def export(basket: Basket, fmt: str = "json", ids: Sequence[str] | None = None) -> bytes:
    """Export the whole basket (or the items with ``ids``) in ``fmt`` (:class:`UnknownFormat`)."""
    if fmt not in ("json", "votable"):
        raise UnknownFormat(fmt)
    items = basket.all(ids=ids)
    if fmt == "json":
        return export_json(items).encode("utf-8")
    return export_votable(items)


class BadItem(BasketError):
    """An item the basket's model refuses: each field at fault (``items[2].access_url``) and why."""

    code = "bad_field"

    def __init__(self, problems: Sequence[FieldProblem], fix: str = "") -> None:
        first = problems[0]
        several = problems if len(problems) > 1 else ()
        super().__init__(first.message, fix, field=first.field, problems=several)


def field_problems(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    """A pydantic error as its fields (key paths under ``prefix``) and what is wrong with each.

    The kind tag is left out of the path; a missing or unknown kind is the
    field ``kind``.
    """
    found = []
    for error in exc.errors():
        loc = list(error["loc"])
        if loc and loc[0] in KINDS:
            loc = loc[1:]
        where = ".".join(str(part) for part in loc)
        message = error["msg"]
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            where, message = (
                "kind",
                f"{error['input'].get('kind')!r} is not one of " + ", ".join(KINDS)
                if isinstance(error["input"], dict)
                else "missing",
            )
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        path = ".".join(part for part in (prefix, where) if part)
        found.append(FieldProblem(path, message))
    return found


def describe(exc: ValidationError) -> str:
    """A pydantic error as ``field.path: what is wrong`` (the kind tag left out of the path)."""
    return "; ".join(
        f"{problem.field}: {problem.message}" if problem.field else problem.message
        for problem in field_problems(exc)
    )


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _item_lines(text: str) -> list[int]:
    """The line each element of the ``items`` array starts on (1-based).

    Python's json module gives no positions for values, so this walks the
    top level with ``raw_decode`` (the file already parsed, so it is valid).
    """
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if text.startswith("[", pos):
        array_at = pos
    else:
        array_at = -1
        pos += 1  # the opening {
        while True:
            pos = _skip(text, pos)
            if text.startswith("}", pos):
                break
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos) + 1  # the :
            pos = _skip(text, pos)
            if key == "items":
                array_at = pos
            _, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos += 1
        if array_at < 0:
            return []
    lines = []
    pos = _skip(text, array_at + 1)
    while pos < len(text) and not text.startswith("]", pos):
        lines.append(text.count("\n", 0, pos) + 1)
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
    return lines


def parse_json(text: str, source: str = "basket file") -> list[AnyItem]:
    """Every item of a JSON basket file, or :class:`ImportRejected` naming the line at fault."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            source, [f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"]
        ) from None
    if isinstance(document, dict):
        if document.get("format") not in (None, FORMAT_NAME):
            raise ImportRejected(
                source, [f"line 1: format {document.get('format')!r} is not {FORMAT_NAME!r}"]
            )
        version = document.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ImportRejected(
                source, [f"line 1: version {version!r} is not supported (only {FORMAT_VERSION})"]
            )
        raw = document.get("items")
    else:
        raw = document
    if not isinstance(raw, list):
        raise ImportRejected(
            source,
            ['line 1: expected {"format": "esap-basket", "items": [...]} or a list of items'],
        )
    lines = _item_lines(text)
    items: list[AnyItem] = []
    problems: list[str] = []
    for index, entry in enumerate(raw):
        line = lines[index] if index < len(lines) else 1
        try:
            items.append(parse_item(entry))
        except ValidationError as exc:
            problems.append(f"line {line} (item {index + 1}): {describe(exc)}")
    if problems:
        raise ImportRejected(source, problems)
    return items


def parse_votable(data: bytes, source: str = "basket file") -> list[AnyItem]:
    """Every item of a VOTable basket file, or :class:`ImportRejected` naming the row at fault."""
    import warnings

    from astropy.io.votable import parse_single_table
    from astropy.utils.exceptions import AstropyWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            table = parse_single_table(io.BytesIO(data)).to_table()
    except Exception as exc:  # astropy raises several types; its message has the line
        raise ImportRejected(source, [f"not a readable VOTable: {exc}"]) from None
    missing = [name for name in (*_ENVELOPE, "detail") if name not in table.colnames]
    if missing:
        raise ImportRejected(
            source, [f"the VOTable has no column {', '.join(missing)} (is it an ESAP basket?)"]
        )
    items: list[AnyItem] = []
    problems: list[str] = []
    for index, row in enumerate(table):
        where = f"row {index + 1}"
        try:
            detail = json.loads(str(row["detail"]))
            if not isinstance(detail, dict):
                raise ValueError("is not a JSON object")
        except ValueError as exc:
            problems.append(f"{where}: detail: {exc}")
            continue
        entry = {name: str(row[name]) for name in _ENVELOPE}
        entry.update(detail)
        try:
            items.append(parse_item(entry))
        except ValidationError as exc:
            problems.append(f"{where} (item {entry['id']}): {describe(exc)}")
    if problems:
        raise ImportRejected(source, problems)
    return items


def sniff(data: bytes) -> Format:
    """JSON or VOTable, from the first non-blank character."""
    head = data.lstrip()[:1]
    return "votable" if head == b"<" else "json"


def parse(data: bytes, source: str = "basket file", fmt: Format | None = None) -> list[AnyItem]:
    """Every item of a basket file in either format (``fmt`` or sniffed)."""
    fmt = fmt or sniff(data)
    if fmt == "votable":
        return parse_votable(data, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportRejected(source, [f"line {line}: not UTF-8 text"]) from None
    return parse_json(text, source)


#: The largest size the basket stores (SQLite's largest integer).
MAX_SIZE = 2**63 - 1


def taken_id(exc: sqlite3.IntegrityError, field: str, source: str = "") -> FieldError:
    """The refusal of items whose given id is another item's (ids are unique in a basket).

    ``source`` names the file the items came from, when they came in one.
    Any other integrity error is a real fault: it is raised again.
    """
    if "items.id" not in str(exc):
        raise exc
    said = "an item's id is already another item's (in the basket or sent twice)"
    return FieldError(
        field,
        f"{source}: {said}" if source else said,
        "leave id out: the basket gives each new item its own",
    )


def too_large(field: str, source: str = "") -> FieldError:
    """The refusal of a size the basket cannot store (SQLite's integers stop at 2**63 - 1)."""
    said = f"larger than {MAX_SIZE} bytes"
    return FieldError(
        field,
        f"{source}: an item's size is {said}" if source else said,
        "send the file's size in bytes, or leave size out",
    )


def import_items(
    basket: Basket, items: Sequence[AnyItem], source: str = "basket file", field: str = "file"
) -> list[str]:
    """Add parsed items in one transaction; an id already used by another item is renewed.

    Two items of the file with one id, or a size past what the basket
    stores, refuse the whole file, named as ``source`` under ``field``.
    """
    taken = {summary["id"] for summary in basket.summaries()}
    fresh = [
        item.model_copy(update={"id": new_id()}) if item.id in taken else item for item in items
    ]
    try:
        return basket.add_many(fresh)
    except sqlite3.IntegrityError as exc:  # two items of the file share an id
        raise taken_id(exc, field, source) from None
    except OverflowError:  # a size past SQLite's largest integer
        raise too_large(field, source) from None


def import_data(
    basket: Basket, data: bytes, source: str = "basket file", field: str = "file"
) -> list[str]:
    """Import the bytes of a basket file (JSON or VOTable), all or nothing; the items' ids.

    Every refusal names ``field`` (where the file came: a REST body, a
    path) and says what is wrong at which line of ``source``.
    """
    if not data.strip():
        raise FieldError(field, "empty", "send a basket file (JSON or VOTable)")
    try:
        items = parse(data, source)
    except ImportRejected as exc:
        raise exc.at(field) from None
    return import_items(basket, items, source, field)


def import_file(basket: Basket, path: str | Path, fmt: Format | None = None) -> list[str]:
    """Import a basket file (all or nothing); returns the ids of its items in the basket."""
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise BasketError(f"{source}: cannot read ({exc.strerror})") from None
    return import_items(basket, parse(data, source.name, fmt), source.name)


def format_from_name(name: str) -> Format:
    """``votable`` for .vot/.xml names, else ``json``."""
    return "votable" if re.search(r"\.(vot|votable|xml)$", name, re.IGNORECASE) else "json"


__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_SIZE",
    "BadItem",
    "Format",
    "ImportRejected",
    "UnknownFormat",
    "describe",
    "export",
    "export_json",
    "export_votable",
    "field_problems",
    "format_from_name",
    "import_data",
    "import_file",
    "import_items",
    "parse",
    "parse_json",
    "parse_votable",
    "sniff",
    "taken_id",
    "too_large",
]
