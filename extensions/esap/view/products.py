"""Remote products for the viewer: fetched once into a cache in the state folder, as a job.

A result row or a basket item names its file by URL. Viewing it fetches
the file into ``~/.esap/view-cache/<product>/`` (``product`` is a hash of
the URL, so a second look is instant) as a job of kind ``view`` of the one
job system, so the lab shows its progress, a cancel stops it and a server
restart resumes it. The fetch itself is the basket's
(``esap.basket.download.fetch``): the same URL rule (http(s), a file in the
home, the schemes the admin allowed), resumption of a cut transfer from its
``.part`` with a ``Range`` request, and the checks of the declared size and
of the archive's checksum. The cache is the viewer's, not the user's files:
it lives in the state folder, no path of the REST API reaches it but its
product id, and the least recently opened products go once it passes
:data:`CACHE_MAX`.

An archive whose ``access_url`` is a DataLink document (``content=datalink``)
is followed to its ``#this`` link (pyvo's ``DatalinkResults``), which is the
product itself.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from esap.basket.download import DownloadError, fetch, file_name
from esap.basket.models import DataItem
from esap.core.errors import FieldError, NotFound, UpstreamError
from esap.core.jobs import Job, JobBusy, JobFailed
from esap.core.quota import ensure_room
from esap.core.runner import JobContext, Kind, Runner
from esap.core.state import state_dir

KIND = "view"
#: The cache's folder in the state folder.
CACHE_NAME = "view-cache"
#: What the cache may hold before the least recently opened products go (bytes).
CACHE_MAX = 20 * 1024**3
PRODUCT = re.compile(r"^[0-9a-f]{32}$")
#: What a DataLink document says it is (its MIME type's parameter).
DATALINK = "content=datalink"


class UnknownProduct(NotFound):
    """No product with that id in the viewer's cache."""

    code = "no_product"


def cache_root() -> Path:
    """The viewer's cache folder (``~/.esap/view-cache``), created when missing."""
    root = state_dir() / CACHE_NAME
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def product_id(url: str) -> str:
    """The cache id of a product URL: the first 32 hex digits of its SHA-256."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def product_path(product: object, field: str = "product") -> Path:
    """The fetched file of ``product``; :class:`UnknownProduct` if it is not (or no more) there."""
    if not isinstance(product, str) or not PRODUCT.fullmatch(product):
        raise FieldError(
            field,
            f"{str(product)[:40]!r} is not a product id (32 hexadecimal digits)",
            "use the product a view job answered (POST jobs/view)",
        )
    folder = cache_root() / product
    files = (
        sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".part"))
        if folder.is_dir()
        else []
    )
    if not files:
        raise UnknownProduct(
            f"no product {product} in the viewer's cache (never fetched, or dropped since)",
            "open it again from its result row or basket item",
        ).at(field)
    folder.touch()  # the least recently opened go first
    return files[0]


def item_of(fields: dict[str, Any]) -> DataItem:
    """A product's fields (``access_url``, ``format``, ``size``, ``checksum``...) as a data item."""
    try:
        return DataItem(
            service=str(fields.get("service") or "view"),
            access_url=fields.get("access_url"),
            format=fields.get("format"),
            size=fields.get("size"),
            checksum=fields.get("checksum"),
            title=str(fields.get("title") or ""),
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"]) or "access_url"
        raise FieldError(
            name, error["msg"].removeprefix("Value error, "), "give the product's URL"
        ) from None


def _evict(root: Path, keep: str, adding: int) -> None:
    """Drop the least recently opened products until ``adding`` more bytes fit the cache."""
    products = []
    for folder in root.iterdir():
        if folder.is_dir() and folder.name != keep:
            size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
            products.append((folder.stat().st_mtime, size, folder))
    total = sum(size for _, size, _ in products)
    for _, size, folder in sorted(products):
        if total + adding <= CACHE_MAX:
            break
        shutil.rmtree(folder, ignore_errors=True)
        total -= size


def _is_datalink(item: DataItem, path: Path) -> bool:
    if DATALINK in (item.format or "").replace(" ", "").lower():
        return True
    with path.open("rb") as handle:
        head = handle.read(2048).lower()
    return b"<votable" in head and b"datalink" in head


def _this_link(item: DataItem, path: Path) -> DataItem:
    """The ``#this`` link of a DataLink document: the product it describes."""
    from astropy.io.votable import parse
    from pyvo.dal.adhoc import DatalinkResults

    try:
        links = DatalinkResults(parse(str(path)), url=item.access_url)
        for link in links.bysemantics("#this"):
            if link.access_url:
                return DataItem(
                    service=item.service,
                    access_url=str(link.access_url),
                    format=str(link.content_type or "") or None,
                    title=item.title,
                )
    except Exception as exc:  # pyvo's and astropy's errors for a document they cannot read
        raise UpstreamError(
            f"{item.access_url}: a DataLink document that cannot be read ({exc})",
            "ask the archive, or download the product from its own page",
        ) from None
    raise UpstreamError(
        f"{item.access_url}: the DataLink document has no #this link (the product itself)",
        "ask the archive, or download the product from its own page",
    )


def fetch_product(
    item: DataItem,
    *,
    progress: Callable[[int, int | None], None] | None = None,
) -> tuple[str, Path]:
    """Fetch ``item``'s file into the cache (or find it there); its product id and path."""
    assert item.access_url is not None
    product = product_id(item.access_url)
    root = cache_root()
    folder = root / product
    try:
        return product, product_path(product)
    except UnknownProduct:
        pass
    ensure_room("a product for the viewer", item.size or 0)
    _evict(root, product, item.size or 0)
    folder.mkdir(mode=0o700, exist_ok=True)
    try:
        path = fetch(item, folder / file_name(item), progress=progress)
        if _is_datalink(item, path):
            linked = _this_link(item, path)
            assert linked.access_url is not None
            path.unlink()
            path = fetch(linked, folder / file_name(linked), progress=progress)
    except DownloadError as exc:
        raise UpstreamError(exc.message, exc.fix) from None
    folder.touch()
    return product, path


def _result(product: str, path: Path | None, title: str) -> dict[str, Any]:
    return {
        "product": product,
        "name": path.name if path else None,
        "size": path.stat().st_size if path else None,
        "title": title,
    }


def start(runner: Runner, fields: dict[str, Any]) -> Job:
    """Start fetching a product (or follow the fetch of it that runs already)."""
    item = item_of(fields)
    if not item.access_url:
        raise FieldError("access_url", "missing", "give the product's URL")
    product = product_id(item.access_url)
    params = {
        "access_url": item.access_url,
        "format": item.format,
        "size": item.size,
        "checksum": item.checksum,
        "title": item.title,
    }
    try:
        return runner.start(KIND, params, key=product, result=_result(product, None, item.title))
    except JobBusy as busy:  # the same product asked twice: both follow the one fetch
        return busy.job


def kind() -> Kind:
    """The ``view`` kind: fetch a product into the viewer's cache, with its bytes as progress."""

    def work(job: JobContext) -> dict[str, Any]:
        item = item_of(job.params)
        product = product_id(str(item.access_url))
        last = [0.0]

        def report(done: int, total: int | None) -> None:
            if job.stopped:  # cancelled: stop the transfer (its part is kept for a resume)
                raise JobFailed("cancelled", "the fetch was cancelled", "open the product again")
            now = time.monotonic()
            if now - last[0] > 0.2 or (total is not None and done >= total):
                last[0] = now
                job.report(done, total, "fetching")

        try:
            product, path = fetch_product(item, progress=report)
        except UpstreamError as exc:
            raise JobFailed("fetch_failed", exc.message, exc.fix) from None
        size = path.stat().st_size
        job.report(size, size, "fetched", now=True)
        return _result(product, path, item.title)

    return Kind(KIND, work, resumable=True)


__all__ = [
    "CACHE_MAX",
    "KIND",
    "UnknownProduct",
    "cache_root",
    "fetch_product",
    "item_of",
    "kind",
    "product_id",
    "product_path",
    "start",
]
