"""The tutorials shipped with ESAP Hub, and copying them into a user's home.

The notebooks live in the repository's ``notebooks/`` folder (executed by the
test suite, so a shipped tutorial always runs); a wheel carries them as
``esap/notebooks``. Copying never touches a file the user already has: a
tutorial the user edited stays as they left it, and only missing files (a
new tutorial, a deleted one) are copied.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from esap.core.paths import user_path

#: The folder in the home that receives the tutorials.
HOME_FOLDER = "esap-tutorials"

_PACKAGE = Path(__file__).resolve().parent
#: Where the notebooks are: inside the installed package, or the source tree's.
CANDIDATES = (_PACKAGE / "notebooks", _PACKAGE.parent.parent / "notebooks")
SKIPPED = {".ipynb_checkpoints", "__pycache__"}


def shipped_dir() -> Path:
    """The folder of shipped tutorials; ``FileNotFoundError`` names where it looked."""
    for candidate in CANDIDATES:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(path) for path in CANDIDATES)
    raise FileNotFoundError(f"no tutorials folder found (looked in {looked})")


def shipped_files(source: Path) -> list[Path]:
    """The shipped files, relative to ``source``, sorted (no checkpoints, no links)."""
    files = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in SKIPPED or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            files.append(relative)
    return files


@dataclass
class CopyReport:
    """What a copy did: the home folder, the files copied and those kept as they were."""

    folder: str
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    first: str | None = None


def copy_tutorials(home: Path, source: Path | None = None) -> CopyReport:
    """Copy the shipped tutorials into ``home/esap-tutorials``, only the files missing there.

    Each file is written only where the path rule (``esap.core.paths``)
    allows: a ``esap-tutorials`` (or a folder or file in it) that is a link
    out of the home is refused with ``UserPathError``, never written through.
    """
    source = shipped_dir() if source is None else source
    report = CopyReport(folder=HOME_FOLDER)
    for relative in shipped_files(source):
        name = f"{HOME_FOLDER}/{relative.as_posix()}"
        destination = user_path(name, home, field=name)
        if relative.suffix == ".ipynb" and report.first is None:
            report.first = name
        if destination.exists() or (home / name).is_symlink():
            report.kept.append(name)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination)
        report.copied.append(name)
    return report
