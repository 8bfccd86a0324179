"""Step ``files``: the record's files, fetched from its archive, each checked against its checksum.

Every file is streamed (constant memory) into the reproduction's
``record/`` folder and hashed on the way, MD5 and SHA-256 at once, then
compared with what the archive lists (Zenodo and InvenioRDM: MD5; a local
archive's bag manifest: SHA-256). A file whose bytes do not match is kept
under its name with ``.mismatch`` appended, never where the run would read
it, and the step fails naming every such file: a record that is not what
was published is not reproduced.

A file name from an archive is a path inside the folder or nothing: an
absolute path or ``..`` is refused (the archive answered something no
publication makes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from esap.core.errors import EsapError
from esap.publish.base import PublishedFile, PublishedRecord
from esap.publish.reproduction.source import ReadableArchive, unavailable
from esap.publish.reproduction.steps import StepFailed


@dataclass
class FetchedFile:
    """A record file as the report shows it: where it is and whether its checksum held."""

    name: str
    size: int
    sha256: str
    md5: str
    #: ``verified`` (the archive's checksum matched), ``unchecked`` (the archive lists none),
    #: ``mismatch`` (it did not).
    state: str
    expected: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def safe_name(name: str) -> str:
    """``name`` if it is a relative path inside a folder, else :class:`StepFailed`."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or "\x00" in name:
        raise StepFailed(
            "files",
            "unsafe_file_name",
            f"the archive lists a file named {name!r}, which is not a path inside a record",
            "report it to the archive's operators; this record cannot be reproduced safely",
        )
    return pure.as_posix()


def fetch_files(
    archive: ReadableArchive,
    record: PublishedRecord,
    target: Path,
    on_bytes: Callable[[int, str], None] | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> list[FetchedFile]:
    """Fetch every file of ``record`` into ``target``, each checked (see :func:`mismatch`)."""
    fetched: list[FetchedFile] = []
    for item in record.files:
        if stopped():
            break
        fetched.append(_fetch_one(archive, item, target, on_bytes))
    return fetched


def mismatch(fetched: list[FetchedFile]) -> StepFailed | None:
    """The failure of the files whose checksum did not match, if any did."""
    wrong = [f for f in fetched if f.state == "mismatch"]
    if wrong:
        names = ", ".join(f.name for f in wrong)
        return StepFailed(
            "files",
            "checksum_mismatch",
            f"the bytes of {names} do not match the checksum the archive lists: the record "
            "is not what was published, or the transfer was corrupted",
            "try again; if it persists, tell the archive's operators (the files are kept "
            "with a .mismatch suffix for them)",
        )
    return None


def _fetch_one(
    archive: ReadableArchive,
    item: PublishedFile,
    target: Path,
    on_bytes: Callable[[int, str], None] | None,
) -> FetchedFile:
    name = safe_name(item.name)
    path = target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for chunk in archive.read(item):
                md5.update(chunk)
                sha256.update(chunk)
                size += len(chunk)
                out.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk), name)
    except (EsapError, httpx.HTTPError, OSError) as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, EsapError) and exc.status < 500 and not isinstance(exc, StepFailed):
            raise StepFailed(
                "files",
                "file_unreadable",
                f"{name}: the archive refused it: {exc.message}",
                exc.fix,
            ) from exc
        raise unavailable("files", archive.name, exc) from exc
    checks: list[tuple[str, str]] = []
    if item.md5:
        checks.append((f"md5:{item.md5}", f"md5:{md5.hexdigest()}"))
    if item.sha256:
        checks.append((f"sha256:{item.sha256}", f"sha256:{sha256.hexdigest()}"))
    wrong = [expected for expected, got in checks if expected.lower() != got.lower()]
    if item.size is not None and item.size != size:
        wrong.append(f"{item.size} bytes")
    state = "mismatch" if wrong else ("verified" if checks else "unchecked")
    partial.replace(path.with_name(path.name + ".mismatch") if wrong else path)
    return FetchedFile(
        name=name,
        size=size,
        sha256=sha256.hexdigest(),
        md5=md5.hexdigest(),
        state=state,
        expected=wrong[0] if wrong else (checks[0][0] if checks else None),
    )


__all__ = ["FetchedFile", "fetch_files", "mismatch", "safe_name"]
