"""The one rule for paths that come from users: inside the home, never into ESAP's own state.

A user server's REST API takes paths from a browser (a download folder, the
files of a publication, a notebook to run). Each is checked here before
anything touches the disk: text without NUL bytes or control characters,
no component longer than the filesystem allows, resolved with symlinks
followed, and inside the home — but not inside ``~/.esap``, where ESAP keeps
the user's state (tokens included), which no request may read or write as
a user file. The standard library's ``pathlib`` does the resolving; the
rule is what is written here (werkzeug's ``safe_join`` was considered: it
checks the text, not where symlinks lead).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from esap.core.errors import FieldError

#: The folder in the home where ESAP keeps the user's state (``esap.core.state``).
STATE_DIR_NAME = ".esap"
#: Longest path and path component accepted (Linux's PATH_MAX and NAME_MAX, in bytes).
MAX_PATH = 4096
MAX_NAME = 255

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UserPathError(FieldError):
    """A path a user gave that ESAP will not use: ``field``, what is wrong, how to fix it."""

    code = "bad_path"


def check_text(raw: object, field: str) -> str:
    """``raw`` as path text, or ``UserPathError`` for what no path may hold."""
    if not isinstance(raw, str):
        raise UserPathError(field, "must be text", "give a path inside your home folder")
    if not raw.strip():
        raise UserPathError(field, "is empty", "give a path inside your home folder")
    if _CONTROL.search(raw):
        raise UserPathError(
            field,
            f"{raw[:80]!r} holds a control character (NUL, newline, ...)",
            "give the path as plain text",
        )
    if len(raw.encode("utf-8", "surrogateescape")) > MAX_PATH:
        raise UserPathError(field, f"longer than {MAX_PATH} bytes", "give a shorter path")
    for part in PurePosixPath(raw).parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME:
            raise UserPathError(
                field,
                f"the name {part[:40]!r}... is longer than {MAX_NAME} bytes",
                "give shorter file and folder names",
            )
    return raw


def home() -> Path:
    """The user's home, resolved: the root every path a user names must lie inside."""
    return Path.home().resolve()


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it (both already resolved)."""
    return path == root or root in path.parents


def user_path(
    raw: object,
    home: Path,
    *,
    field: str,
    base: Path | None = None,
    allow_absolute: bool = False,
) -> Path:
    """The resolved path a user named, checked to lie inside ``home`` and outside its state.

    Relative paths are taken from ``base`` (the home by default). An
    absolute path is refused unless ``allow_absolute``, and then still has
    to lie inside the home. Symlinks are followed before the check, so a
    link out of the home is refused like ``..`` is.
    """
    text = check_text(raw, field)
    root = home.resolve()
    start = (base or root).resolve()
    # "~/x" is the user's own home, whichever server reads it
    tilde = text == "~" or text.startswith("~/")
    given = Path(text[2:] or ".") if tilde else Path(text)
    if tilde:
        start = root
    if given.is_absolute() and not allow_absolute:
        raise UserPathError(
            field, f"{text!r} is absolute", "give a path relative to your home folder"
        )
    try:
        real = (given if given.is_absolute() else start / given).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name the OS refuses
        raise UserPathError(
            field, f"{text!r} cannot be resolved ({exc})", "check the path"
        ) from None
    if not is_inside(real, root):
        raise UserPathError(
            field,
            f"{text!r} leads outside your home folder",
            "give a path inside your home folder (links out of it are not followed)",
        )
    if is_inside(real, root / STATE_DIR_NAME):
        raise UserPathError(
            field,
            f"{text!r} is inside {STATE_DIR_NAME}, where ESAP keeps your state and tokens",
            f"choose a file or folder outside ~/{STATE_DIR_NAME}",
        )
    return real


__all__ = [
    "MAX_NAME",
    "MAX_PATH",
    "STATE_DIR_NAME",
    "UserPathError",
    "check_text",
    "home",
    "is_inside",
    "user_path",
]
