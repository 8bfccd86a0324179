"""Cutouts: part of an image or cube, cut by the archive's SODA service, as a FITS file.

Instead of downloading a whole 2 GB cube, a user asks the archive for the
part they need: a circle or a box on the sky, a band (and a time range) of
a cube. The archive does the cutting (IVOA SODA, found through DataLink by
:mod:`esap.data.soda` with pyvo); ESAP checks the request, streams the
answer into a file in the user's home (``~/cutouts`` by default, through
``esap.core.paths.user_path``) and, if asked, adds a basket item whose
``access_url`` is the cutout's own SODA URL, so it can be fetched again.

Faces: ``esap.data.cutout(item, ra, dec, radius)`` in a notebook (here and
now), ``POST jobs/cutout`` from the lab (a ``cutout`` job of the one job
runner, with its progress in bytes; a job cut off by a restart is run again
from the start, into the same file), and ``esap cutout`` on the command line.

Every refusal names its field: a radius of zero (:class:`BadRegion`), a
region the product does not cover (:class:`OutsideProduct`: checked
against the footprint the service declares, and an empty answer of the
service means the same), a band beyond a cube's wavelengths
(:class:`BandOutside`), an axis the service cannot cut
(:class:`AxisNotOffered`), a product without SODA
(:class:`~esap.data.soda.NoCutoutService`).

The region itself, its checks and its SODA parameters are
:mod:`esap.data.cutout_regions`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from esap.core.errors import EsapError, FieldError, UpstreamError
from esap.core.paths import home, user_path
from esap.data.base import request_timeout, shared_session
from esap.data.cutout_regions import (
    AxisNotOffered,
    BadRegion,
    BandOutside,
    OutsideProduct,
    Region,
    check,
    constraints,
    offered,
    region,
)
from esap.data.soda import (
    CutoutService,
    Domain,
    NoCutoutService,
    find,
    item_fields,
    product_label,
)

if TYPE_CHECKING:
    from esap.basket.models import DataItem
    from esap.basket.store import Basket
    from esap.core.jobs import Job
    from esap.core.runner import JobContext, Kind, Runner
    from esap.data.catalog import Catalog

KIND = "cutout"
#: Where cutouts go unless the user names a folder (relative to the home).
DEFAULT_FOLDER = "cutouts"
CHUNK = 1 << 16
#: Seconds a SODA request may stay silent before it counts as failed.
TIMEOUT = 300.0
#: MIME types of a FITS answer.
FITS_TYPES = ("image/fits", "application/fits", "application/x-fits")

#: Reports progress: (bytes received, bytes expected or None, what happens now).
Report = Callable[[int, int | None, str], None]


class CutoutFailed(UpstreamError):
    """The SODA service failed, or answered with something that is no FITS file."""

    code = "cutout_failed"
    fix = "try again later; if it keeps failing, download the whole product instead"


# ------------------------------------------------------------- the file


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def folder(to: str | os.PathLike[str] | None) -> Path:
    """The folder a cutout goes to (``~/cutouts`` by default), checked by ``user_path``."""
    return user_path(
        os.fspath(to) if to else DEFAULT_FOLDER, home(), field="to", allow_absolute=True
    )


def reserve(directory: Path, product: str) -> str:
    """A new file name ``<product>-cutout[-n].fits`` in ``directory``, held by its ``.part``.

    The ``.part`` is made exclusively, so two cutouts of one product started
    together get two names; a job resumed after a restart writes the same one.
    """
    stem = _UNSAFE.sub("_", product.rsplit("?", 1)[-1].rsplit("/", 1)[-1]).strip("._")[:120]
    stem = (stem.removesuffix(".fits") or "product") + "-cutout"
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        name = f"{stem}.fits" if n == 1 else f"{stem}-{n}.fits"
        if (directory / name).exists():
            continue
        try:
            fd = os.open(directory / f"{name}.part", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return name
    raise FieldError("to", f"{directory} holds 10000 cutouts of {product}", "choose another folder")


@dataclass(frozen=True)
class Fetched:
    """What a cutout wrote: the file, its size, and the SODA URL that made it."""

    path: Path
    size: int
    url: str


def _has_pixels(path: Path) -> bool:
    """Whether a FITS file has an HDU with pixels (headers only are read)."""
    from astropy.io import fits

    try:
        with fits.open(path, lazy_load_hdus=True, memmap=True) as hdus:
            for hdu in hdus:
                axes = [
                    hdu.header.get(f"NAXIS{i}", 0) for i in range(1, hdu.header.get("NAXIS", 0) + 1)
                ]
                if axes and all(int(n) > 0 for n in axes):
                    return True
    except (OSError, ValueError):
        raise CutoutFailed("the SODA service's answer is no readable FITS file") from None
    return False


def fetch(
    service: CutoutService,
    chosen: Region,
    target: Path,
    *,
    report: Report | None = None,
    stop: threading.Event | None = None,
) -> Fetched | None:
    """Ask the SODA service for ``chosen`` and stream the FITS answer to ``target``.

    Written to ``<target>.part`` and renamed when complete and checked; None
    when ``stop`` was set (the part is removed). An empty answer (HTTP 204,
    or a FITS file without pixels) is :class:`OutsideProduct`.
    """
    import requests
    from pyvo.dal import DALServiceError

    part = target.with_name(target.name + ".part")
    query = service.query(**constraints(chosen, service.domain))
    outside = OutsideProduct(
        "ra",
        f"{service.service or 'the archive'} cut nothing of {service.product} for the "
        f"{chosen.describe()}: the region lies outside it",
        "choose a position inside the product (its s_ra/s_dec is a safe centre)",
    )
    try:
        with request_timeout(TIMEOUT):
            response = query.submit()
    except requests.RequestException as exc:
        raise CutoutFailed(f"{service.url}: {exc}") from None
    try:
        if response.status_code == 204:
            raise outside
        try:
            response.raise_for_status()
        except requests.HTTPError as exc:
            said = DALServiceError.from_except(exc, query.queryurl)
            raise CutoutFailed(
                f"{service.service or 'the archive'} refused the cutout of {service.product}: "
                f"{said}"
            ) from None
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind and kind not in FITS_TYPES:
            text = (
                response.text[:300] if kind.startswith(("text/", "application/x-votable")) else ""
            )
            raise CutoutFailed(
                f"{service.service or 'the archive'} answered {kind}, not a FITS file"
                + (f": {text}" if text else "")
            )
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        done = 0
        if report:
            report(0, total, f"receiving the cutout of {service.product}")
        with part.open("wb") as handle:
            for block in response.iter_content(CHUNK):
                if stop is not None and stop.is_set():
                    break
                handle.write(block)
                done += len(block)
                if report:
                    report(done, total, f"receiving the cutout of {service.product}")
            handle.flush()
            os.fsync(handle.fileno())
        url = str(response.url)
    finally:
        response.close()
    if stop is not None and stop.is_set():
        part.unlink(missing_ok=True)
        return None
    if done == 0 or not _has_pixels(part):
        part.unlink(missing_ok=True)
        raise outside
    part.replace(target)
    return Fetched(target, done, url)


def _scalar(value: Any) -> str | int | float | bool | None:
    from esap.data.cells import json_value

    return json_value(value)


def basket_item(service: CutoutService, chosen: Region, fetched: Fetched) -> DataItem:
    """A basket data item for the cutout: its SODA URL (fetchable again), the row's fields."""
    from esap.basket.models import DataItem

    fields = {str(k): _scalar(v) for k, v in service.fields.items() if k != "service"}
    relative = fetched.path.relative_to(home()).as_posix()
    fields.update({"cutout_of": service.did or service.product, "cutout_file": relative})
    return DataItem(
        service=service.service or "datalink",
        access_url=fetched.url,
        format="image/fits",
        size=fetched.size,
        title=f"{service.product} cutout: {chosen.describe()}"[:1000],
        fields=fields,
    )


def run(
    item: Mapping[str, Any],
    chosen: Region,
    target: Path,
    *,
    catalog: Catalog | None,
    basket: Basket | None = None,
    report: Report | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any] | None:
    """Find the product's SODA service, check the region, cut, write; the result document.

    ``basket``: add the cutout there as a data item. None when stopped.
    """
    label = product_label(item_fields(item))
    if report:
        report(0, None, f"finding the cutout service of {label}")
    with request_timeout(TIMEOUT):
        service = find(item, catalog, session=shared_session())
    offered(chosen, service.domain, service.product)
    check(chosen, service.domain, service.product)
    fetched = fetch(service, chosen, target, report=report, stop=stop)
    if fetched is None:
        return None
    added = basket.add(basket_item(service, chosen, fetched)) if basket is not None else None
    return {
        "folder": fetched.path.parent.relative_to(home()).as_posix(),
        "file": fetched.path.name,
        "path": fetched.path.relative_to(home()).as_posix(),
        "size": fetched.size,
        "product": service.product,
        "service": service.service,
        "url": fetched.url,
        "basket_item": added.id if added is not None else None,
    }


# ------------------------------------------------------------ the faces


def _centre(fields: Mapping[str, Any], domain: Domain) -> tuple[float, float] | None:
    """Where a cutout of the product best starts: the row's s_ra/s_dec, else its covering circle."""
    lowered = {str(k).lower(): v for k, v in fields.items()}
    for ra_key, dec_key in (("s_ra", "s_dec"), ("ra", "dec")):
        ra, dec = lowered.get(ra_key), lowered.get(dec_key)
        if isinstance(ra, (int, float)) and isinstance(dec, (int, float)):
            return (float(ra), float(dec))
        try:
            return (float(str(ra)), float(str(dec)))
        except ValueError:
            continue
    if domain.covering is not None:
        return (domain.covering[0], domain.covering[1])
    return None


def options(item: Any, *, catalog: Catalog | None) -> dict[str, Any]:
    """What a cutout of ``item`` may ask (the lab's Cut out dialog shows it before starting).

    The product's SODA service's shapes and limits; :class:`NoCutoutService`
    and the other refusals of :func:`esap.data.soda.find` as they are.
    """
    fields = json_item(item)
    with request_timeout(TIMEOUT):
        service = find(fields, catalog, session=shared_session())
    domain = service.domain
    shapes = [
        shape
        for shape, params in (("circle", {"CIRCLE", "POS"}), ("box", {"POS", "POLYGON"}))
        if params & domain.params
    ]
    centre = _centre(service.fields, domain)
    return {
        "service": service.service,
        "product": service.product,
        "did": service.did,
        "shapes": shapes,
        "centre": list(centre) if centre is not None else None,
        "covering": list(domain.covering) if domain.covering is not None else None,
        "footprint": [list(v) for v in domain.footprint] if domain.footprint else None,
        "band": list(domain.band) if "BAND" in domain.params and domain.band else None,
        "time": list(domain.time) if "TIME" in domain.params and domain.time else None,
    }


def json_item(item: Any) -> dict[str, Any]:
    """An item as a JSON object: a dict, an astropy row, or a basket item (a pydantic model)."""
    if hasattr(item, "model_dump"):
        dumped: dict[str, Any] = item.model_dump(mode="json")
        return dumped
    if hasattr(item, "colnames"):
        return {str(name): _scalar(item[name]) for name in item.colnames}
    if isinstance(item, Mapping):
        return {str(k): v if isinstance(v, (dict, list)) else _scalar(v) for k, v in item.items()}
    raise FieldError(
        "item",
        f"a {type(item).__name__} is not a result row or a basket item",
        "pass a row of esap.data.search(...).combined, a dict, or a basket item",
    )


@overload
def cutout(
    item: Any,
    ra: float,
    dec: float,
    radius: float | None = ...,
    *,
    box: tuple[float, float] | None = ...,
    band: tuple[float, float] | None = ...,
    time: tuple[float, float] | None = ...,
    to: str | os.PathLike[str] | None = ...,
    basket: Literal[False] = ...,
    catalog: Catalog | None = ...,
) -> Path: ...


@overload
def cutout(
    item: Any,
    ra: float,
    dec: float,
    radius: float | None = ...,
    *,
    box: tuple[float, float] | None = ...,
    band: tuple[float, float] | None = ...,
    time: tuple[float, float] | None = ...,
    to: str | os.PathLike[str] | None = ...,
    basket: Literal[True],
    catalog: Catalog | None = ...,
) -> tuple[Path, DataItem]: ...


def cutout(
    item: Any,
    ra: float,
    dec: float,
    radius: float | None = None,
    *,
    box: tuple[float, float] | None = None,
    band: tuple[float, float] | None = None,
    time: tuple[float, float] | None = None,
    to: str | os.PathLike[str] | None = None,
    basket: bool = False,
    catalog: Catalog | None = None,
) -> Path | tuple[Path, DataItem]:
    """Cut ``item`` here and now: the written FITS file (and its basket item if ``basket``)."""
    chosen = region(ra, dec, radius, box=box, band=band, time=time)
    fields = json_item(item)
    directory = folder(to)
    name = reserve(directory, product_label(item_fields(fields)))
    target = directory / name
    store = None
    if basket:
        from esap.basket import basket as user_basket

        store = user_basket()
    try:
        result = run(fields, chosen, target, catalog=catalog, basket=store)
    except BaseException:
        target.with_name(name + ".part").unlink(missing_ok=True)
        raise
    assert result is not None
    if store is not None:
        return target, store.get(str(result["basket_item"]))  # type: ignore[return-value]
    return target


def start(
    runner: Runner,
    item: Mapping[str, Any],
    chosen: Region,
    to: str | None = None,
    *,
    basket: bool = False,
) -> Job:
    """Check what can be checked at once, reserve the file, and start a ``cutout`` job."""
    from esap.core.quota import ensure_room

    fields = json_item(item)
    label = product_label(item_fields(fields))
    directory = folder(to)
    ensure_room("a cutout")
    name = reserve(directory, label)
    relative = directory.relative_to(home()).as_posix() if directory != home() else "."
    try:
        return runner.start(
            KIND,
            {
                "item": fields,
                "region": chosen.as_dict(),
                "folder": relative,
                "file": name,
                "basket": basket,
            },
            result={"folder": relative, "file": name, "product": label},
        )
    except BaseException:
        (directory / f"{name}.part").unlink(missing_ok=True)
        raise


def kind(catalog: Callable[[], Catalog], basket: Callable[[], Basket]) -> Kind:
    """The ``cutout`` kind: resumed after a restart by cutting again into the same file."""
    from esap.core.jobs import JobFailed
    from esap.core.runner import Kind

    def work(job: JobContext) -> dict[str, Any] | None:
        params = job.params
        target = folder(params["folder"]) / params["file"]
        base = {"folder": params["folder"], "file": params["file"]}

        def report(done: int, total: int | None, message: str) -> None:
            job.report(done, total, message, result={**base, **(job.result or {})})

        try:
            result = run(
                params["item"],
                Region.from_dict(params["region"]),
                target,
                catalog=catalog(),
                basket=basket() if params.get("basket") else None,
                report=report,
                stop=job.stop,
            )
        except EsapError as exc:
            target.with_name(target.name + ".part").unlink(missing_ok=True)
            raise JobFailed(exc.code, exc.message, exc.fix, field=exc.field, result=base) from None
        except BaseException:
            target.with_name(target.name + ".part").unlink(missing_ok=True)
            raise
        if result is not None:
            job.report(result["size"], result["size"], f"wrote {result['path']}", now=True)
        return result

    return Kind(KIND, work, resumable=True)


__all__ = [
    "DEFAULT_FOLDER",
    "KIND",
    "AxisNotOffered",
    "BadRegion",
    "BandOutside",
    "CutoutFailed",
    "Fetched",
    "NoCutoutService",
    "OutsideProduct",
    "Region",
    "basket_item",
    "check",
    "constraints",
    "cutout",
    "fetch",
    "folder",
    "kind",
    "offered",
    "options",
    "region",
    "reserve",
    "run",
    "start",
]
