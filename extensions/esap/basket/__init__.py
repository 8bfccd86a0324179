"""The basket: what a user collected (data records, services, software), kept in ``~/.esap``.

The notebook face::

    import esap
    esap.basket.items()                    # astropy Table: id, kind, title, service, access_url...
    esap.basket.add(result.combined[:3])   # rows of a search (or dicts, or typed items)
    esap.basket.add(kind="data", service="local-tap", access_url="https://.../x.fits")
    esap.basket.rename(item_id, "M31 deep field"); esap.basket.note(item_id, "seeing 0.8")
    esap.basket.download()                 # files into ~/esap-downloads, progress bar, resumable
    f = esap.basket.open(item_id)          # DataLink results, a file object, or a pyvo service
    esap.basket.remove(item_id); esap.basket.clear()
    esap.basket.export_file("mine.json"); esap.basket.import_file("colleague.vot")
    esap.basket.entries(kind="data")       # typed items (DataItem, ServiceItem, SoftwareItem)
    esap.basket.inputs()                   # data items as publication input datasets
    esap.basket.project("lofar").items()   # a project's shared basket (.open, .copy_to_mine)
    esap.basket.publish_to("lofar", ids)   # your items into it (project writers)

The same store serves the Basket panel (REST under ``basket``) and
``esap basket`` on the command line; see ``store`` for its guarantees.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.basket.models import (
    KINDS,
    AnyItem,
    DataItem,
    ServiceItem,
    SoftwareItem,
    parse_item,
)
from esap.basket.store import Basket, BasketError, ItemNotFound

if TYPE_CHECKING:
    from astropy.table import Table

    from esap.basket.download import FileResult
    from esap.basket.shared import ProjectBasket

_default: Basket | None = None
_default_path: Path | None = None

#: ObsCore column -> item field (``access_estsize`` is in kilobytes); ``checksum``
#: (``md5:<hex>``) is what data lakes such as Rucio add, so downloads are checked.
_OBSCORE = {
    "access_url": "access_url",
    "access_format": "format",
    "access_estsize": "size",
    "checksum": "checksum",
}


def basket() -> Basket:
    """The user's own basket (opened once per process, reopened if ``$ESAP_STATE_DIR`` moves)."""
    global _default, _default_path
    from esap.basket.store import default_path

    path = default_path()
    if _default is None or _default_path != path:
        _default = Basket(path)
        _default_path = path
    return _default


def _id(item: AnyItem | str | Mapping[str, Any]) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        return str(item["id"])
    if hasattr(item, "id"):
        return str(item.id)
    try:  # an astropy Row of items()
        return str(item["id"])  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        raise BasketError(f"{item!r}: not a basket item or id") from None


def _scalar(value: Any) -> Any:
    """A table cell as a JSON scalar (numpy numbers, masked values, bytes)."""
    if value is None:
        return None
    if getattr(value, "mask", False) is True or type(value).__name__ == "MaskedConstant":
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def from_row(row: Any, service: str | None = None, query: Any = None) -> DataItem:
    """A data item from a table row (a search result's row: ObsCore names are understood)."""
    names = row.colnames if hasattr(row, "colnames") else list(row.keys())
    fields = {str(name): _scalar(row[name]) for name in names}
    chosen = service or fields.get("service")
    if not chosen:
        raise BasketError(
            "a row without a `service` column: say which service it came from, "
            "e.g. esap.basket.add(rows, service='local-tap')"
        )
    item: dict[str, Any] = {"kind": "data", "service": str(chosen), "fields": fields}
    for column, name in _OBSCORE.items():
        value = fields.get(column)
        if value in (None, ""):
            continue
        if name == "size":
            value = int(float(value) * 1000)
        item[name] = value
    for name in ("obs_id", "obs_publisher_did", "target_name"):
        if fields.get(name):
            item["title"] = str(fields[name])
            break
    if query is not None:
        item["query"] = query
    return DataItem.model_validate(item)


def _things(things: Iterable[Any], service: str | None, query: Any) -> list[AnyItem]:
    found: list[AnyItem] = []
    for thing in things:
        if isinstance(thing, DataItem | ServiceItem | SoftwareItem):
            found.append(thing)
        elif isinstance(thing, Mapping) and "kind" in thing:
            found.append(parse_item(dict(thing)))
        elif hasattr(thing, "colnames") and hasattr(thing, "columns"):  # a Table
            found.extend(from_row(row, service, query) for row in thing)
        elif hasattr(thing, "colnames") or isinstance(thing, Mapping):  # a Row, a plain dict
            found.append(from_row(thing, service, query))
        elif isinstance(thing, list | tuple):
            found.extend(_things(thing, service, query))
        else:
            raise BasketError(
                f"cannot add {type(thing).__name__}: give items, dicts with `kind`, "
                "astropy rows/tables of a search, or keyword fields (kind=..., service=...)"
            )
    return found


def add(*things: Any, service: str | None = None, query: Any = None, **fields: Any) -> list[str]:
    """Add items, search rows or tables, or one item given as keyword fields; returns ids.

    ``esap.basket.add(result.combined)`` adds every row of a search (its
    ``service`` column says where each came from); ``query=`` records the
    query that found them. Records already in the basket are kept once.
    """
    items = _things(things, service, query)
    if fields:
        fields.setdefault("kind", "data")
        if service is not None:
            fields.setdefault("service", service)
        if query is not None:
            fields.setdefault("query", query)
        items.append(parse_item(fields))
    if not items:
        raise BasketError("nothing to add: give items, rows, a table, or kind=... fields")
    from esap.basket.edits import add_items

    return add_items(basket(), items)  # as the Basket panel adds them


def items(
    kind: str | None = None, ids: Sequence[str] | None = None, group: str | None = None
) -> Table:
    """The basket as an astropy Table (one row per item; ``entries()`` for typed items).

    Built column-wise from numpy arrays (a list per column, no row objects):
    100k items list in well under a second.
    """
    import numpy as np
    from astropy.table import Table

    stored = ("id", "kind", "label", "service", "access_url", "format", "size", "grp", "notes")
    columns = basket().columns(kind, (*stored, "added"))
    if ids is not None or group is not None:
        wanted = set(ids) if ids is not None else None
        keep = [
            index
            for index, (item_id, item_group) in enumerate(
                zip(columns["id"], columns["group"], strict=True)
            )
            if (wanted is None or item_id in wanted) and (group is None or item_group == group)
        ]
        columns = {name: [values[i] for i in keep] for name, values in columns.items()}
    columns["title"] = columns.pop("label")  # the user's title, else the default one
    order = [
        "id",
        "kind",
        "title",
        "service",
        "access_url",
        "format",
        "size",
        "group",
        "notes",
        "added",
    ]
    arrays = [np.array(columns[name], dtype=np.int64 if name == "size" else str) for name in order]
    table = Table(arrays, names=order, copy=False)
    table["size"].unit = "byte"
    table["size"].description = "bytes; -1 when the archive did not say"
    table.meta["description"] = "ESAP basket"
    return table


def entries(kind: str | None = None, ids: Sequence[str] | None = None) -> builtins.list[AnyItem]:
    """The items as typed models (DataItem, ServiceItem, SoftwareItem)."""
    return basket().all(kind, ids)


def get(item: AnyItem | str) -> AnyItem:
    """One item by id."""
    return basket().get(_id(item))


def inputs() -> builtins.list[dict[str, Any]]:
    """The data items as input datasets (service, access_url, query, title) for publishing."""
    return [item.as_input() for item in basket().all("data") if isinstance(item, DataItem)]


def remove(*things: Any) -> int:
    """Remove items (ids, items or rows of ``items()``); returns how many went."""
    ids: builtins.list[str] = []
    for thing in things:
        if isinstance(thing, list | tuple) or (
            hasattr(thing, "colnames") and hasattr(thing, "columns")
        ):
            ids.extend(_id(one) for one in thing)
        else:
            ids.append(_id(thing))
    return basket().remove(ids)


def clear(kind: str | None = None) -> int:
    """Empty the basket (or only the items of ``kind``); returns how many went."""
    return basket().clear(kind)


def rename(item: AnyItem | str, title: str) -> AnyItem:
    """Give an item your own title."""
    from esap.basket.edits import change

    return change(basket(), _id(item), title=title)


def note(item: AnyItem | str, text: str) -> AnyItem:
    """Set an item's notes."""
    from esap.basket.edits import change

    return change(basket(), _id(item), notes=text)


def group(things: Iterable[Any], name: str) -> int:
    """Put items in a group ('' takes them out of any); returns how many."""
    return basket().set_group([_id(thing) for thing in things], name)


def download(
    things: Iterable[Any] | None = None, folder: str | Path | None = None, *, progress: bool = True
) -> builtins.list[FileResult]:
    """Download data items (default: all) into ``folder`` in your home, with a progress bar."""
    from tqdm.auto import tqdm

    from esap.basket.download import download as run
    from esap.core.quota import ensure_room

    chosen = basket().all("data") if things is None else [get(_id(t)) for t in things]
    ensure_room("a basket download", sum(getattr(i, "size", None) or 0 for i in chosen))
    bar = tqdm(total=0, unit="B", unit_scale=True, disable=not progress, desc="download")
    seen: dict[int, int] = {}

    def report(index: int, done: int, total: int | None) -> None:
        if total is not None and index not in seen:
            bar.total = (bar.total or 0) + total
            bar.refresh()
        bar.update(done - seen.get(index, 0))
        seen[index] = done

    try:
        results = run(chosen, folder, progress=report)
    finally:
        bar.close()
    for result in results:
        if result.error:
            print(f"not downloaded: {result.name}: {result.error}")
    return results


def open(item: AnyItem | str) -> Any:
    """DataLink results, a binary file object, or a pyvo service (see ``opening``)."""
    from esap.basket.opening import open_item

    return open_item(get(item))


def export_file(path: str | Path, fmt: str | None = None) -> Path:
    """Write the basket to a JSON (default) or VOTable (``.vot``/``.xml``) file."""
    from esap.basket.transfer import export, format_from_name

    target = Path(path).expanduser()
    target.write_bytes(export(basket(), fmt or format_from_name(target.name)))
    return target


def import_file(path: str | Path) -> builtins.list[str]:
    """Add the items of a basket file (all or nothing); returns their ids."""
    from esap.basket.transfer import import_file as run

    return run(basket(), Path(path).expanduser())


def project(name: str) -> ProjectBasket:
    """The shared basket of your project ``name`` (``~/projects/<name>``).

    ``esap.basket.project("lofar").items()`` lists it, ``.open(item_id)``
    opens an item as ``esap.basket.open`` does, ``.copy_to_mine()`` copies it
    into your basket; a writer adds to it with ``.publish(...)`` or
    :func:`publish_to`.
    """
    from esap.basket.shared import ProjectBasket

    return ProjectBasket(name)


def publish_to(name: str, things: Iterable[Any] | None = None, *, replace: bool = False) -> int:
    """Publish items of your basket (default: all) to project ``name``'s shared basket.

    Returns the size of the project's basket after; ``replace=True`` makes
    it hold these items only.
    """
    from esap.basket.shared import publish_mine

    ids = None if things is None else [_id(thing) for thing in things]
    _, size = publish_mine(name, ids, "replace" if replace else "add")
    return size


def cell(ids: Sequence[str] = (), kind: str | None = None) -> str:
    """The code a notebook cell runs to load these items (what "Open in notebook" inserts)."""
    from esap.basket.cells import cell as make

    return make(ids, kind=kind)


__all__ = [
    "KINDS",
    "AnyItem",
    "Basket",
    "BasketError",
    "DataItem",
    "ItemNotFound",
    "ServiceItem",
    "SoftwareItem",
    "add",
    "basket",
    "cell",
    "clear",
    "download",
    "entries",
    "export_file",
    "from_row",
    "get",
    "group",
    "import_file",
    "inputs",
    "items",
    "note",
    "open",
    "project",
    "publish_to",
    "remove",
    "rename",
]
