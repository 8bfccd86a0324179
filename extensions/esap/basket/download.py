"""Download a basket's data items into a folder of the home: resumable and checked.

Each file is written to ``<name>.part`` and renamed when complete, so a
folder never holds a truncated file under its real name. A download that
stops (a dropped connection, a restarted server) resumes where it stopped
with an HTTP ``Range`` request; a server that ignores ranges (answers 200)
sends the whole file again. The finished file is checked against the size
the server declared for the transfer (``Content-Length`` of a full answer, the
total of a 206's ``Content-Range``) and against the archive's checksum
(``md5:``/``sha256:``...) when it gave one; a mismatch is an error that names
the item, never a silently bad file. An item's ``size`` is not checked: it
may be an estimate (ObsCore's ``access_estsize`` is in kilobytes) and only
sizes the progress bar until the server says how big the file is.

httpx streams the bodies; fsspec's HTTP file system was considered, but it
neither resumes a partial local file nor checks digests, which is the part
this module adds. The schemes an admin adds in ``esap.yaml``
(``fetch.schemes``: ftp, s3...) are read through fsspec's file system for
the scheme, resumed by seeking past the part already fetched.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from esap import __version__
from esap.basket.models import AnyItem, DataItem
from esap.basket.store import BasketError
from esap.core.paths import UserPathError, home, user_path
from esap.core.urls import UrlPolicyError, fetchable

DEFAULT_FOLDER = "esap-downloads"
CHUNK = 1 << 16

#: Called with (bytes done, bytes expected or None) as a download goes.
Progress = Callable[[int, int | None], None]


class DownloadError(BasketError):
    """One item could not be downloaded; the message names it and why."""

    status = 502
    code = "download_failed"


@dataclass
class FileResult:
    """What happened to one item."""

    item: str
    name: str
    state: str = "pending"  # pending | running | done | skipped | error
    size: int | None = None
    done: int = 0
    error: str | None = None
    path: str | None = None


@dataclass
class Plan:
    """The files a download will write, decided before any byte moves."""

    folder: Path
    files: list[tuple[DataItem, str]] = field(default_factory=list)
    skipped: list[tuple[AnyItem, str]] = field(default_factory=list)


def resolve_folder(folder: str | Path | None) -> Path:
    """The download folder: relative paths are relative to the home, which it may not leave.

    The path rule is ``esap.core.paths``: no link out of the home, not into
    ``~/.esap``, no NUL byte or over-long name.
    """
    try:
        return user_path(
            os.fspath(folder) if folder else DEFAULT_FOLDER,
            home(),
            field="folder",
            allow_absolute=True,
        )
    except UserPathError as exc:
        raise BasketError(
            exc.message, f"{exc.fix}, e.g. {DEFAULT_FOLDER}", field=exc.field
        ) from None


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def file_name(item: DataItem) -> str:
    """A safe file name for an item: its URL's last segment, else its id (+ format extension)."""
    name = ""
    if item.access_url:
        name = unquote(urlsplit(item.access_url).path.rstrip("/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip("._")[:150]
    if not name or "." not in name:
        extension = mimetypes.guess_extension((item.format or "").split(";")[0].strip()) or ""
        name = f"{name or item.id}{extension}"
    return name


def allowed_schemes() -> tuple[str, ...]:
    """The URL schemes this hub's admin allowed beyond http(s) (``fetch.schemes``).

    None where no configuration can be read: the rule is then http(s) and
    the home's files, the safe default.
    """
    from esap.core.errors import EsapError
    from esap.core.public_config import public_config

    try:
        schemes = public_config().get("fetch", {}).get("schemes", [])
    except EsapError:  # no config, or one the panels already report: nothing beyond the default
        return ()
    return tuple(str(scheme) for scheme in schemes if isinstance(scheme, str))


def plan(items: Sequence[AnyItem], folder: str | Path | None = None) -> Plan:
    """Choose a distinct file name per data item; items without a URL are skipped."""
    result = Plan(resolve_folder(folder))
    root = home()  # resolved once, not once per item
    schemes = allowed_schemes()
    used: set[str] = set()
    for item in items:
        if not isinstance(item, DataItem):
            result.skipped.append((item, f"a {item.kind} item has no file to download"))
            continue
        if not item.access_url:
            result.skipped.append((item, "the record has no access URL"))
            continue
        try:
            fetchable(
                item.access_url, field=f"items[{item.id}].access_url", home=root, schemes=schemes
            )
        except UrlPolicyError as exc:
            raise BasketError(exc.message, exc.fix, field=exc.field) from None
        name = file_name(item)
        if name in used:
            name = f"{item.id[:8]}-{name}"
        used.add(name)
        result.files.append((item, name))
    return result


def _digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def _check(item: DataItem, path: Path, declared: int | None) -> None:
    """The file against the size its server declared (None: not declared) and the checksum."""
    size = path.stat().st_size
    if declared is not None and size != declared:
        raise DownloadError(
            f"{item.label()}: got {size} bytes, the server declared {declared} for this "
            "transfer — it was cut short; download it again"
        )
    if item.checksum:
        algorithm, _, expected = item.checksum.partition(":")
        actual = _digest(path, algorithm)
        if actual != expected:
            raise DownloadError(
                f"{item.label()}: {algorithm} checksum {actual} does not match the archive's "
                f"{expected} — the file was removed; download it again"
            )


def fetch(
    item: DataItem,
    target: Path,
    *,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    schemes: Sequence[str] | None = None,
) -> Path:
    """Download one item to ``target`` (resuming ``target.part``), checked; returns ``target``.

    ``schemes`` are the URL schemes allowed beyond http(s); by default the
    admin's ``fetch.schemes``.
    """
    assert item.access_url is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    if target.exists():
        _check(item, target, None)
        if progress:
            size = target.stat().st_size
            progress(size, size)
        return target
    try:
        allowed = allowed_schemes() if schemes is None else schemes
        url = fetchable(item.access_url, field="access_url", home=home(), schemes=allowed)
    except UrlPolicyError as exc:
        raise DownloadError(f"{item.label()}: {exc}") from None
    declared: int | None = None
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        shutil.copyfile(unquote(urlsplit(url).path), part)
    elif scheme not in ("http", "https"):
        declared = _stream_fsspec(item, url, part, progress)
    else:
        owned = client is None
        session = client or httpx.Client(
            follow_redirects=True,
            timeout=httpx.Timeout(60.0, connect=15.0),
            headers={"User-Agent": f"esap-hub/{__version__}"},
        )
        try:
            declared = _stream(session, item, url, part, progress)
        except httpx.HTTPError as exc:
            raise DownloadError(
                f"{item.label()}: {url}: {exc} — retry; the part already fetched is kept "
                "and the download resumes from it"
            ) from None
        finally:
            if owned:
                session.close()
    try:
        _check(item, part, declared)
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    part.replace(target)
    return target


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+)")


def _declared(response: httpx.Response, item: DataItem, have: int) -> int | None:
    """The whole file's size as the server declared it for this answer (None: not said).

    A 206 (and a 416) gives it as the total of ``Content-Range``, whose start
    must be where the partial file ends; a 200 as ``Content-Length``.
    """
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None  # the length is of the encoded bytes, not of the file
    if response.status_code in (206, 416):
        found = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if found is None:
            return None
        if response.status_code == 206 and int(found[1] or -1) != have:
            raise DownloadError(
                f"{item.label()}: asked to resume at byte {have}, the server sent from byte "
                f"{found[1]} — delete {item.label()}.part in the folder and download it again"
            )
        return int(found[2])
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


def _stream(
    session: httpx.Client, item: DataItem, url: str, part: Path, progress: Progress | None
) -> int | None:
    """Fetch into ``part`` (resuming it); returns the size the server declared, if it did."""
    have = part.stat().st_size if part.exists() else 0
    # identity: a declared length then counts the file's own bytes, and ranges resume it
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    with session.stream("GET", url, headers=headers) as response:
        if response.status_code == 416 and have:  # nothing left to send: complete
            if progress:
                progress(have, have)
            return _declared(response, item, have)
        if response.status_code >= 400:
            raise DownloadError(
                f"{item.label()}: {url} answered HTTP {response.status_code} — "
                "check the record is still public, or ask its archive"
            )
        if response.status_code != 206:  # the server ignored the range: start over
            have = 0
        declared = _declared(response, item, have)
        total = declared if declared is not None else item.size  # an estimate at most
        done = have
        last = 0.0
        with part.open("ab" if have else "wb") as handle:
            for block in response.iter_bytes(CHUNK):
                handle.write(block)
                done += len(block)
                now = time.monotonic()
                if progress and now - last > 0.1:
                    progress(done, total)
                    last = now
            handle.flush()
            os.fsync(handle.fileno())
        if progress:
            progress(done, total)
    return declared


def _stream_fsspec(item: DataItem, url: str, part: Path, progress: Progress | None) -> int | None:
    """Fetch an admin-allowed scheme's URL into ``part`` through fsspec, resuming it."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as exc:  # the scheme's file system needs a package not installed
        raise DownloadError(
            f"{item.label()}: {url}: {exc} — ask the hub admin to install it in the user image"
        ) from None
    have = part.stat().st_size if part.exists() else 0
    try:
        declared: int | None = fs.size(path)
        if declared is not None and have > declared:
            have = 0  # the part is not of this file: start over
        done = have
        with fs.open(path, "rb") as source, part.open("ab" if have else "wb") as handle:
            if have:
                source.seek(have)
            while block := source.read(CHUNK):
                handle.write(block)
                done += len(block)
                if progress:
                    progress(done, declared)
            handle.flush()
            os.fsync(handle.fileno())
    except (OSError, EOFError, ValueError) as exc:  # fsspec's errors for a refused/lost transfer
        raise DownloadError(
            f"{item.label()}: {url}: {exc or type(exc).__name__} — retry; the part already "
            "fetched is kept and the download resumes from it"
        ) from None
    if progress:
        progress(done, declared)
    return declared


def download(
    items: Sequence[AnyItem],
    folder: str | Path | None = None,
    *,
    on_file: Callable[[int, FileResult], None] | None = None,
    progress: Callable[[int, int, int | None], None] | None = None,
    stop: threading.Event | None = None,
) -> list[FileResult]:
    """Download data items into ``folder`` (in the home); one result per file, errors kept.

    One item failing does not stop the others; its result says why.
    ``progress(index, done, total)`` reports bytes of the file being fetched.
    """
    chosen = plan(items, folder)
    results = [FileResult(item.id, name, size=item.size) for item, name in chosen.files]
    with httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(60.0, connect=15.0),
        headers={"User-Agent": f"esap-hub/{__version__}"},
    ) as client:
        for index, ((item, name), result) in enumerate(zip(chosen.files, results, strict=True)):
            if stop is not None and stop.is_set():
                break
            result.state = "running"
            if on_file:
                on_file(index, result)

            def report(done: int, total: int | None, index: int = index) -> None:
                results[index].done = done
                results[index].size = total
                if progress:
                    progress(index, done, total)

            try:
                path = fetch(item, chosen.folder / name, client=client, progress=report)
            except (DownloadError, OSError) as exc:
                result.state = "error"
                result.error = str(exc)
            else:
                result.state = "done"
                result.path = str(path)
                result.done = result.size = path.stat().st_size
            if on_file:
                on_file(index, result)
    return results


__all__ = [
    "DEFAULT_FOLDER",
    "DownloadError",
    "FileResult",
    "Plan",
    "download",
    "fetch",
    "file_name",
    "plan",
    "resolve_folder",
]
