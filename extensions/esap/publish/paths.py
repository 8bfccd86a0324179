"""Which files a publication takes, and the rule that they all live inside the home.

A user server runs as its user, but the REST API and the dialog take paths
from a browser: ``..``, an absolute path or a symlink could make the hub
publish ``/etc`` or another user's files. Every path is therefore resolved
(symlinks followed) and must land inside the home, or the whole request is
refused with the offending path named.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from esap.core.errors import FieldError
from esap.core.paths import STATE_DIR_NAME, UserPathError, check_text, is_inside

#: Folders never taken when a whole folder is published.
SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", ".git", ".esap"})


class PathError(FieldError):
    """A path of ``files`` the publication cannot take; the message names it and says why."""

    def __init__(self, message: str, fix: str, field: str = "files") -> None:
        super().__init__(field, message, fix)


@dataclass(frozen=True)
class PackageFile:
    """A file to publish: its name inside the package and where it is on disk."""

    name: str
    path: Path
    size: int
    mtime_ns: int

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "path": str(self.path),
            "size": self.size,
            "mtime_ns": self.mtime_ns,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PackageFile:
        return cls(
            name=str(data["name"]),
            path=Path(str(data["path"])),
            size=int(str(data["size"])),
            mtime_ns=int(str(data["mtime_ns"])),
        )


def _check_inside(real: Path, home: Path, shown: str) -> None:
    if not is_inside(real, home):
        raise PathError(
            f"{shown}: resolves to {real}, outside your home folder",
            "only files inside your home can be published: copy them there first",
        )
    if is_inside(real, home / STATE_DIR_NAME):
        raise PathError(
            f"{shown}: is inside ~/{STATE_DIR_NAME}, where ESAP keeps your state and tokens; "
            "it is never published",
            "choose files outside it",
        )


def resolve_files(
    paths: Iterable[str | os.PathLike[str]],
    home: Path,
    base: Path | None = None,
    *,
    allow_absolute: bool = True,
) -> list[PackageFile]:
    """Expand ``paths`` (files and folders) into the files to publish.

    Relative paths are taken from ``base`` (the notebook's folder; the home by
    default). With ``allow_absolute=False`` (the REST API) an absolute path is
    refused outright; otherwise it must still lie inside ``home``. Package
    names are paths relative to ``base`` (or to the home, for files elsewhere
    in it), with ``/`` separators.
    """
    home = home.resolve()
    base = (base or home).resolve()
    _check_inside(base, home, str(base))
    found: dict[str, PackageFile] = {}
    given = [os.fspath(p) for p in paths]
    if not given:
        raise PathError("no file given", "choose at least one file or folder")
    for raw in given:
        if not raw.strip():
            raise PathError("an empty path was given", "remove it, or name a file")
        try:
            check_text(raw, "files")
        except UserPathError as exc:
            raise PathError(exc.message, exc.fix, exc.field or "files") from None
        pure = PurePosixPath(raw)
        if pure.is_absolute() and not allow_absolute:
            raise PathError(
                f"{raw}: absolute paths are refused", "give a path relative to your home folder"
            )
        if ".." in pure.parts:
            raise PathError(f"{raw}: '..' is refused", "give a path inside your home folder")
        candidate = Path(raw) if pure.is_absolute() else base / raw
        real = candidate.resolve()
        _check_inside(real, home, raw)
        if not real.exists():
            raise PathError(
                f"{raw}: no such file or folder", "check the path (relative to your home)"
            )
        if real.is_dir():
            for file in _walk(real, home, raw):
                _add(found, file, home, base)
        elif real.is_file():
            _add(found, real, home, base, shown=candidate)
        else:
            raise PathError(f"{raw}: not a regular file or folder", "choose a file or a folder")
    return sorted(found.values(), key=lambda item: item.name)


def _walk(root: Path, home: Path, shown: str) -> Iterable[Path]:
    """Every regular file under ``root``, following links only while they stay in the home."""
    seen: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        if folder in seen:
            continue
        seen.add(folder)
        for entry in sorted(folder.iterdir()):
            if entry.name in SKIPPED_DIRS and entry.is_dir():
                continue
            real = entry.resolve()
            _check_inside(real, home, f"{shown}: {entry.relative_to(root)}")
            if real.is_dir():
                stack.append(real)
            elif real.is_file():
                yield entry


def _add(
    found: dict[str, PackageFile], file: Path, home: Path, base: Path, shown: Path | None = None
) -> None:
    real = file.resolve()
    where = shown or file
    logical = Path(os.path.normpath(where if where.is_absolute() else base / where))
    try:
        name = logical.relative_to(base).as_posix()
    except ValueError:
        name = logical.relative_to(home).as_posix() if is_inside(logical, home) else real.name
    stat = real.stat()
    found[name] = PackageFile(name=name, path=real, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


__all__ = ["SKIPPED_DIRS", "PackageFile", "PathError", "resolve_files"]
