"""A project's shared basket: items its writers publish, for every member to open.

``esap.basket.project("lofar")`` is the basket of project ``lofar``
(``~/projects/lofar``): every member reads it (``items()``, ``entries()``,
``open(item)``, ``copy_to_mine()``), its writers add to it from their own
basket (``publish()``) or take items out (``remove()``).

It is one JSON file in the project folder, ``.esap/basket.json``, in the
basket's own export format (:mod:`esap.basket.transfer`: a colleague can
also import it as a basket file) with who changed it last and when. A file,
not the SQLite store of a user's basket: SQLite's write-ahead log needs
shared memory, which network file systems (the ReadWriteMany volumes a
project lives on in Kubernetes) do not give, and a reader's read-only mount
could not open it. A change is made under an exclusive lock
(``fcntl.flock`` on ``.esap/basket.lock``) and lands whole (a new file
renamed over the old one), so readers see either the old basket or the
new one. Every path is checked by :func:`esap.core.projects.project_path`:
a ``.esap`` folder or a basket file that is a link out of the project is
refused.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from esap.basket.models import AnyItem
from esap.basket.store import BasketError, ItemNotFound
from esap.basket.transfer import FORMAT_NAME, FORMAT_VERSION, ImportRejected, parse_json
from esap.core.clock import stamp
from esap.core.errors import Conflict
from esap.core.projects import STATE_FOLDER, ProjectGrant, grant, project_path, require_write

if TYPE_CHECKING:
    from astropy.table import Table

#: The shared basket's file, relative to the project folder.
BASKET_FILE = f"{STATE_FOLDER}/basket.json"
LOCK_FILE = f"{STATE_FOLDER}/basket.lock"
#: The most items a project's basket holds (a file every member reads whole).
MAX_ITEMS = 50_000

Mode = Literal["add", "replace"]


class ProjectBasketDamaged(BasketError, Conflict):
    """The project's basket file cannot be read."""

    status = 409
    code = "project_basket_damaged"
    fix = "ask one of the project's writers to publish the basket again"


def _me() -> str:
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get("USER") or "unknown"


def _document(items: Sequence[AnyItem], project: str, by: str) -> str:
    """The file's text: the basket export format, one item per line, with who and when."""
    head = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "project": project,
        "updated_by": by,
        "updated_at": stamp(),
    }
    lines = [json.dumps(item.model_dump(mode="json"), ensure_ascii=False) for item in items]
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    return opening + ', "items": [\n' + ",\n".join(lines) + "\n]}\n"


class ProjectBasket:
    """The shared basket of one of the user's projects (see the module's docstring)."""

    def __init__(self, name: str, found: ProjectGrant | None = None) -> None:
        self.grant = found or grant(name)
        self.name = self.grant.name

    def __repr__(self) -> str:
        return f"<ProjectBasket {self.name!r} ({self.grant.access}), {len(self.entries())} items>"

    # ------------------------------------------------------------ reading

    def _path(self, relative: str, *, write: bool = False) -> Path:
        return project_path(self.grant, relative, field="project", write=write)

    def _read(self) -> tuple[dict[str, Any], list[AnyItem]]:
        path = self._path(BASKET_FILE)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, []
        except (OSError, UnicodeDecodeError) as exc:
            raise ProjectBasketDamaged(
                f"project {self.name!r}: its basket cannot be read: {exc}"
            ) from None
        try:
            items = parse_json(text, f"project {self.name!r}'s basket")
            head = json.loads(text)
        except (ImportRejected, ValueError) as exc:
            raise ProjectBasketDamaged(str(exc)) from None
        return (head if isinstance(head, dict) else {}), items

    def entries(self) -> builtins.list[AnyItem]:
        """The items as typed models (DataItem, ServiceItem, SoftwareItem)."""
        return self._read()[1]

    def info(self) -> dict[str, Any]:
        """The basket's name, the user's access, its size, who changed it last and when."""
        head, items = self._read()
        return {
            "project": self.name,
            "title": self.grant.title,
            "access": self.grant.access,
            "count": len(items),
            "updated_by": head.get("updated_by"),
            "updated_at": head.get("updated_at"),
        }

    def get(self, item_id: str) -> AnyItem:
        for item in self.entries():
            if item.id == item_id:
                return item
        raise ItemNotFound(item_id)

    def items(self) -> Table:
        """The basket as an astropy Table (one row per item), as ``esap.basket.items()``."""
        import numpy as np
        from astropy.table import Table

        names = ("id", "kind", "title", "service", "access_url", "format", "size", "notes")
        rows: dict[str, list[Any]] = {name: [] for name in (*names, "added")}
        for item in self.entries():
            data = item.model_dump(mode="json")
            rows["id"].append(item.id)
            rows["kind"].append(item.kind)
            rows["title"].append(item.label())
            rows["service"].append(str(data.get("service") or data.get("catalogue") or ""))
            rows["access_url"].append(str(data.get("access_url") or data.get("url") or ""))
            rows["format"].append(str(data.get("format") or ""))
            rows["size"].append(int(data.get("size") or -1))
            rows["notes"].append(item.notes)
            rows["added"].append(str(data.get("added", "")))
        arrays = [
            np.array(values, dtype=np.int64 if name == "size" else str)
            for name, values in rows.items()
        ]
        table = Table(arrays, names=list(rows), copy=False)
        table["size"].unit = "byte"
        table.meta["description"] = f"ESAP basket of project {self.name}"
        return table

    def open(self, item: AnyItem | str) -> Any:
        """DataLink results, a binary file object, or a pyvo service (as ``esap.basket.open``)."""
        from esap.basket.opening import open_item

        return open_item(item if not isinstance(item, str) else self.get(item))

    def copy_to_mine(self, ids: Sequence[str] | None = None) -> builtins.list[str]:
        """Add the items (default: all) to your own basket; returns their ids there."""
        from esap.basket import basket
        from esap.basket.edits import add_items

        chosen = self.entries() if ids is None else [self.get(i) for i in ids]
        if not chosen:
            return []
        return add_items(basket(), chosen)

    # ------------------------------------------------------------ writing

    @contextmanager
    def _locked(self) -> Iterator[None]:
        require_write(self.grant)
        folder = self._path(STATE_FOLDER, write=True)
        folder.mkdir(exist_ok=True)
        lock = self._path(LOCK_FILE, write=True)
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, items: Sequence[AnyItem]) -> None:
        if len(items) > MAX_ITEMS:
            raise BasketError(
                f"project {self.name!r}: a shared basket holds at most {MAX_ITEMS} items",
                "publish fewer items, or share a basket file in the project folder",
            )
        target = self._path(BASKET_FILE, write=True)
        text = _document(items, self.name, _me())
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".basket-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def publish(self, items: Iterable[AnyItem], mode: Mode = "add") -> int:
        """Put ``items`` in the project's basket (``replace``: instead of what it holds).

        A record already there (the same ``key``) is kept once, with the new
        title and notes. Returns the basket's size after.
        """
        given = list(items)
        with self._locked():
            current = [] if mode == "replace" else self._read()[1]
            by_key = {item.key(): item for item in current}
            for item in given:
                kept = by_key.get(item.key())
                by_key[item.key()] = item.model_copy(update={"id": kept.id}) if kept else item
            merged = list(by_key.values())
            self._write(merged)
        return len(merged)

    def remove(self, ids: Sequence[str]) -> int:
        """Take items out of the project's basket; returns how many went."""
        wanted = set(ids)
        with self._locked():
            current = self._read()[1]
            kept = [item for item in current if item.id not in wanted]
            if len(kept) != len(current):
                self._write(kept)
        return len(current) - len(kept)


def publish_mine(
    name: str, ids: Sequence[str] | None = None, mode: Mode = "add"
) -> tuple[ProjectBasket, int]:
    """Publish items of the user's own basket (default: all) to project ``name``'s basket."""
    from esap.basket import basket

    shared = ProjectBasket(name)
    require_write(shared.grant)
    chosen = basket().all(ids=ids) if ids is not None else basket().all()
    if ids is not None and len(chosen) != len(set(ids)):
        found = {item.id for item in chosen}
        missing = next(i for i in ids if i not in found)
        raise ItemNotFound(missing)
    return shared, shared.publish(chosen, mode)


__all__ = [
    "BASKET_FILE",
    "MAX_ITEMS",
    "ProjectBasket",
    "ProjectBasketDamaged",
    "publish_mine",
]
