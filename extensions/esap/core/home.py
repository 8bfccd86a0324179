"""How much a home holds: one walk of the folder, done once for everyone who asks meanwhile.

The "My usage" view, the admin's usage table and the home quota all ask
this; a home can hold a million files, so a measurement is a walk in the
calling thread (the REST face runs it off the event loop), kept for a short
while (``max_age``), and a walk already under way is waited for, not
started twice.

What is counted is what a disk quota counts: the blocks each file takes
(``st_blocks``, as ``du`` does), a hard-linked file once, symbolic links
not followed, and nothing below a folder on another file system (a mounted
data volume, a shared project folder, ``/proc`` in a container) — the
quota is the home's, not the mounts'. A folder that cannot be read is
skipped and counted in ``unreadable``.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: Seconds a measurement is answered again without walking the home anew.
MAX_AGE = 30.0


@dataclass(frozen=True)
class HomeSize:
    """One measurement of a home."""

    path: str
    bytes: int
    files: int
    #: Folders left out: on another file system (mounts) or unreadable.
    mounts_skipped: int
    unreadable: int
    #: When the walk began (Unix time): what was there before is counted.
    measured_at: float

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "bytes": self.bytes,
            "files": self.files,
            "mounts_skipped": self.mounts_skipped,
            "unreadable": self.unreadable,
            "measured_at": self.measured_at,
        }


def _allocated(info: os.stat_result) -> int:
    """The bytes a file takes on disk (its size where the system has no block count)."""
    blocks = getattr(info, "st_blocks", None)
    return int(blocks) * 512 if blocks is not None else int(info.st_size)


def measure(path: Path) -> HomeSize:
    """Walk ``path`` now (``os.scandir``, no recursion limit): what it holds on its file system."""
    began = time.time()
    root = path.resolve()
    top = root.stat()
    device = top.st_dev
    total = _allocated(top)
    files = 0
    skipped = unreadable = 0
    seen: set[tuple[int, int]] = set()
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            unreadable += 1
            continue
        with entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    if info.st_dev != device:
                        skipped += 1
                        continue
                    total += _allocated(info)
                    pending.append(entry.path)
                    continue
                if info.st_dev != device:
                    continue
                if info.st_nlink > 1:
                    key = (info.st_dev, info.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += _allocated(info)
                files += 1
    return HomeSize(
        path=str(root),
        bytes=total,
        files=files,
        mounts_skipped=skipped,
        unreadable=unreadable,
        measured_at=began,
    )


class _Meter:
    """The last measurement of one home and the lock a walk holds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: HomeSize | None = None


_METERS: dict[str, _Meter] = {}
_METERS_LOCK = threading.Lock()


def home_size(path: Path | None = None, *, max_age: float = MAX_AGE) -> HomeSize:
    """The size of ``path`` (the user's home by default), measured at most ``max_age`` s ago.

    Blocks while a walk runs (call it off an event loop); ``max_age=0``
    measures again now (a walk already running is waited for and then a new
    one made, so what was written before the call is counted).
    """
    home = (path or Path.home()).resolve()
    with _METERS_LOCK:
        meter = _METERS.setdefault(str(home), _Meter())
    asked = time.time()
    with meter.lock:
        last = meter.last
        if last is not None and max_age > 0 and asked - last.measured_at <= max_age:
            return last
        meter.last = measure(home)
        return meter.last


__all__ = ["MAX_AGE", "HomeSize", "home_size", "measure"]
