"""Step ``environment``: the notebook's environment rebuilt from the record's lock, with uv.

``environment.lock.txt`` pins every package of the environment the notebook
ran in (``name==version``, one a line, the Python version in its header).
The rebuild is a fresh virtual environment (``uv venv``) at that Python,
with every pin installed without resolution (``uv pip install --no-deps``,
the lock being complete): first from uv's cache alone (``--offline``, no
network, a second or two for hundreds of packages), then, if some are not
cached, from the package index. uv was chosen because the project depends on
it already (Open in my lab makes environments with it) and because it links
packages from its cache instead of copying them, which is what makes a
rebuild per reproduction affordable; ``pip`` and ``venv`` were the
alternative, at many times the time.

A pin no index has is not guessed at:

* a package installed from a local folder at publication (``# local`` in
  the lock) or missing from the index, of which this hub's own environment
  holds the very same version, is taken from here (its files, as listed in
  its ``RECORD``, an editable install's ``.pth`` included) and reported so;
* anything else cannot be had: the step names each such package and the
  Python version if that is missing, and stops, unless the user asked for
  the *nearest environment*, which is this lab's own: the run then uses it
  and the report lists every package whose version differs from the lock.

``packages`` changes a pin on purpose (``--package numpy==2.1.0``): the
rebuild installs that version instead, and the report says which changed,
so a reproduction shows the difference a version makes.

Every command's output is kept for the report, and a cancelled reproduction
stops the command it is waiting on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from esap.publish.reproduction.steps import StepFailed

#: ``# Python 3.11.7 (cpython) on Linux x86_64; ...``: the header ESAP Hub writes.
_HEADER = re.compile(r"^#\s*Python\s+(\d+\.\d+(?:\.\d+)?)")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(?:#\s*(.*))?$")
#: How uv names a requirement it cannot satisfy ("... and you require name==1.0, ...").
_REFUSED = re.compile(r"you require ([A-Za-z0-9][A-Za-z0-9._-]*)==")
#: Rounds of "drop what cannot be had, try again" before giving up.
ROUNDS = 12
#: Seconds a uv command may take (an install from the index over a slow link).
TIMEOUT = 1800
#: Days an environment no reproduction used is kept.
KEEP_DAYS = 14
#: The file in an environment that says from which lock it was built, and when.
MARKER = "esap-environment.json"


@dataclass(frozen=True)
class Pin:
    """One package of the lock: its name, version, and whether it came from a local folder."""

    name: str
    version: str
    local: bool = False

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass
class Lock:
    """An environment lock: the Python version and the pins, by canonical name."""

    python: str | None
    pins: dict[str, Pin]
    skipped: list[str] = field(default_factory=list)


def parse_lock(text: str) -> Lock:
    """Read an ``environment.lock.txt`` (lines it cannot read are kept in ``skipped``)."""
    python = None
    pins: dict[str, Pin] = {}
    skipped = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        header = _HEADER.match(line)
        if header:
            python = python or header.group(1)
            continue
        if line.startswith("#"):
            continue
        found = _PIN.match(line)
        if not found:
            skipped.append(line)
            continue
        name, version, comment = found.groups()
        pins[canonicalize_name(name)] = Pin(
            name, version, local=bool(comment and comment.strip().startswith("local"))
        )
    return Lock(python, pins, skipped)


@dataclass
class Environment:
    """The environment a reproduction runs in, and how it differs from the lock."""

    #: ``rebuilt`` (from the lock) or ``nearest`` (this lab's own, as the user asked)
    mode: str
    #: The interpreter the kernel runs.
    python: str
    python_version: str
    locked_python: str | None
    packages: int
    #: Pins no index or cache had, nor this hub (``name==version``; ``python==x.y.z``).
    unavailable: list[str] = field(default_factory=list)
    #: Pins taken from this hub's environment (the same version; local or not on an index).
    from_here: list[str] = field(default_factory=list)
    #: ``{name, locked, used, why}`` for every package not as the lock says.
    changed: list[dict[str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Where the rebuilt environment is.
    root: str | None = None
    #: Whether an environment built from the very same lock was found intact and used.
    reused: bool = False
    #: When it was built (ISO 8601).
    built: str | None = None
    log: str = ""

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["log"] = self.log[-4000:]
        return document


def uv() -> str:
    """The uv that came with esap-hub (a dependency), else one on ``PATH``."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise StepFailed(
            "environment",
            "uv_missing",
            "uv is not installed here, so no environment can be rebuilt",
            "reinstall esap-hub (it depends on uv), or reproduce with --nearest",
        )
    return found


def _run(
    command: list[str], stopped: Callable[[], bool], env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run ``command``, stopping it when ``stopped()``; its exit code and output."""
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    ) as process:
        started = time.monotonic()
        while True:
            try:
                output, _ = process.communicate(timeout=0.25)
                return process.returncode, output or ""
            except subprocess.TimeoutExpired:
                if stopped() or time.monotonic() - started > TIMEOUT:
                    process.kill()
                    output, _ = process.communicate()
                    return -9, (output or "") + "\n(stopped)"


def _here(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def _copy_from_here(dist: metadata.Distribution, site_packages: Path) -> None:
    """Put a distribution of this environment into another, as its ``RECORD`` lists it.

    What an installer would write, from the files already installed here:
    the package, its ``.dist-info`` (entry points included) and, for an
    editable install, its ``.pth``. Scripts (``../../bin``) are left out:
    they name this environment's interpreter.
    """
    for entry in dist.files or []:
        relative = Path(str(entry))
        if relative.is_absolute() or ".." in relative.parts or "__pycache__" in relative.parts:
            continue
        source = Path(str(dist.locate_file(entry)))
        if not source.is_file():
            continue
        target = site_packages / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _differences(lock: Lock) -> list[dict[str, str | None]]:
    """Every pin whose package this environment has in another version, or not at all."""
    changed: list[dict[str, str | None]] = []
    for pin in lock.pins.values():
        dist = _here(pin.name)
        used = dist.version if dist is not None else None
        if used != pin.version:
            changed.append(
                {
                    "name": pin.name,
                    "locked": pin.version,
                    "used": used,
                    "why": "this lab's environment",
                }
            )
    return changed


def nearest(lock: Lock | None, notes: list[str], unavailable: list[str], log: str) -> Environment:
    """This lab's own environment, with what differs from the lock (the user asked for it)."""
    version = ".".join(map(str, sys.version_info[:3]))
    changed = _differences(lock) if lock else []
    return Environment(
        mode="nearest",
        python=sys.executable,
        python_version=version,
        locked_python=lock.python if lock else None,
        packages=len(lock.pins) if lock else 0,
        unavailable=unavailable,
        changed=changed,
        notes=[
            *notes,
            "ran in this lab's environment (the nearest one), as asked: "
            f"{len(changed)} package(s) differ from the lock",
        ],
        log=log,
    )


def _venv(root: Path, lock: Lock, stopped: Callable[[], bool]) -> tuple[str | None, str, str]:
    """Make the fresh environment; ``(python version found or None, note, output)``.

    The interpreter of this process is used when it is the locked version
    (no search); else uv looks for the version among the interpreters
    installed here, and never downloads one.
    """
    env = {"UV_PYTHON_DOWNLOADS": "never"}  # no interpreter is fetched from outside
    here = ".".join(map(str, sys.version_info[:3]))
    wanted = lock.python or here
    candidates = [getattr(sys, "_base_executable", sys.executable)] if wanted == here else []
    candidates.append(wanted)
    if wanted.count(".") == 2:
        candidates.append(wanted.rsplit(".", 1)[0])
    output = ""
    for candidate in candidates:
        code, text = _run([uv(), "venv", "--quiet", "--python", candidate, str(root)], stopped, env)
        output += text
        if code == 0:
            done = subprocess.run(
                [
                    str(root / "bin" / "python"),
                    "-c",
                    "import platform; print(platform.python_version())",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            found = done.stdout.strip()
            note = "" if found == wanted else f"Python {wanted} is not here: used {found}"
            return found, note, output
    return None, "", output


def key_of(lock: Lock, packages: Mapping[str, str] | None) -> str:
    """What names an environment's place: its Python and its pins (changes asked for included)."""
    text = json.dumps(
        [lock.python, sorted(map(str, lock.pins.values())), sorted((packages or {}).items())]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def place(envs: Path, key: str, slots: int = 4) -> Iterator[Path]:
    """A folder for the environment of ``key``, the same one each time, held while in use.

    The environment built there is kept for the next reproduction of the
    same lock (:func:`_reusable`; one unused for :data:`KEEP_DAYS` is
    removed). The place is stable so that Python's compiled bytecode, kept
    apart (:func:`bytecode`, ``PYTHONPYCACHEPREFIX``, filed by source path),
    serves a rebuild too: the files uv links from its cache keep their
    times, so the bytecode stays valid and a kernel does not compile astropy
    again. A lock on the place keeps two reproductions from sharing one;
    each of up to ``slots`` running at once gets its own.
    """
    envs.mkdir(mode=0o700, parents=True, exist_ok=True)
    for slot in range(slots):
        path = envs / f"{key}-{slot}"
        fd = os.open(envs / f"{key}-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield path
        finally:
            os.utime(envs / f"{key}-{slot}.lock")  # when it was last used
            os.close(fd)
        _prune(envs)
        return
    raise StepFailed(
        "environment",
        "busy",
        f"{slots} reproductions with this very lock are running already",
        "wait for one of them to end, then start this one again",
    )


def _prune(envs: Path) -> None:
    """Remove the environments no reproduction used for :data:`KEEP_DAYS` (and not in use)."""
    limit = time.time() - KEEP_DAYS * 86400
    for lock_file in envs.glob("*.lock"):
        try:
            if lock_file.stat().st_mtime > limit:
                continue
            fd = os.open(lock_file, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            shutil.rmtree(lock_file.with_suffix(""), ignore_errors=True)
            lock_file.unlink(missing_ok=True)
        finally:
            os.close(fd)


def bytecode(cache: Path) -> dict[str, str]:
    """The variables that let a rebuilt environment's Python keep its bytecode in ``cache``.

    Only for a rebuilt environment: the nearest one is the lab's own, whose
    bytecode is where it always is.
    """
    return {"PYTHONPYCACHEPREFIX": str(cache), "PYTHONDONTWRITEBYTECODE": ""}


def build(
    lock: Lock | None,
    root: Path,
    *,
    nearest_if_needed: bool,
    packages: Mapping[str, str] | None = None,
    stopped: Callable[[], bool] = lambda: False,
    variables: Mapping[str, str] | None = None,
    fresh: bool = False,
) -> Environment:
    """Rebuild the locked environment in ``root``; :class:`StepFailed` naming what cannot be had.

    An environment left at ``root`` by a reproduction with the same lock is
    used as it is when it still holds exactly the packages it was built
    with (:func:`_reusable`), unless ``fresh``. ``variables`` are the
    environment variables its Python runs with (the kernel's too):
    :func:`bytecode`'s.
    """
    if lock is None:
        if nearest_if_needed:
            return nearest(None, ["the record has no environment lock"], [], "")
        raise StepFailed(
            "environment",
            "no_lock",
            "the record has no environment.lock.txt, so its environment is unknown",
            "reproduce with the nearest environment (--nearest): the notebook then runs in "
            "this lab's environment",
        )
    wanted: dict[str, str] = {
        canonicalize_name(name): version for name, version in (packages or {}).items()
    }
    notes: list[str] = []
    changed: list[dict[str, str | None]] = []
    pins = dict(lock.pins)
    for key, version in wanted.items():
        before = pins.get(key)
        name = before.name if before else key
        pins[key] = Pin(name, version)
        changed.append(
            {
                "name": name,
                "locked": before.version if before else None,
                "used": version,
                "why": "asked for",
            }
        )
    if not fresh:
        found = _reusable(root, key_of(lock, packages), changed)
        if found is not None:
            return found
    if root.exists():
        shutil.rmtree(root)
    python_version, note, log = _venv(root, lock, stopped)
    if note:
        notes.append(note)
    unavailable: list[str] = []
    if python_version is None:
        unavailable.append(f"python=={lock.python}")
        return _unresolved(lock, root, unavailable, notes, log, nearest_if_needed)

    site = next(iter(root.glob("lib/python*/site-packages")))
    from_here: list[str] = []
    index: dict[str, Pin] = {}
    for key, pin in pins.items():
        if pin.local and key not in wanted:
            dist = _here(pin.name)
            if dist is not None and dist.version == pin.version:
                from_here.append(str(pin))
            else:
                unavailable.append(str(pin))
        else:
            index[key] = pin
    log += _install(root, index, from_here, unavailable, stopped)
    if stopped():
        shutil.rmtree(root, ignore_errors=True)
        raise StepFailed("environment", "cancelled", "the reproduction was cancelled")
    if unavailable:
        return _unresolved(lock, root, unavailable, notes, log, nearest_if_needed)
    for text in from_here:
        dist = _here(text.split("==")[0])
        if dist is not None:
            _copy_from_here(dist, site)
    python = str(root / "bin" / "python")
    code, output = _run([python, "-c", "import ipykernel"], stopped, variables)
    if code != 0:
        notes.append("the lock has no ipykernel (the kernel's own package): this lab's was added")
        kernel = _here("ipykernel")
        extra = {"ipykernel": Pin("ipykernel", kernel.version if kernel else "6.29.5")}
        log += output + _install(root, extra, [], unavailable, stopped, deps=True)
    if lock.skipped:
        notes.append(
            f"{len(lock.skipped)} line(s) of the lock could not be read: {lock.skipped[:3]}"
        )
    built = Environment(
        mode="rebuilt",
        python=python,
        python_version=python_version,
        locked_python=lock.python,
        packages=len(pins),
        from_here=sorted(from_here),
        changed=changed,
        notes=notes,
        root=str(root),
        built=datetime.now(UTC).isoformat(timespec="seconds"),
        log=log,
    )
    marker = {**built.as_dict(), "key": key_of(lock, packages), "installed": _installed(root)}
    (root / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return built


def _installed(root: Path) -> dict[str, str]:
    """Every distribution of an environment, by canonical name (read from its ``.dist-info``)."""
    site = [str(path) for path in root.glob("lib/python*/site-packages")]
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions(path=site)
        if dist.metadata["Name"]
    }


def _reusable(root: Path, key: str, changed: list[dict[str, str | None]]) -> Environment | None:
    """The environment built at ``root`` from the same lock, if it still holds exactly that.

    A reproduction leaves its environment in place; the next one of a record
    with the very same lock (and the same changes asked for) uses it when
    its marker says it was built from that lock and its packages are still
    those it was built with (a notebook that installed something into it
    makes it rebuilt).
    """
    try:
        marker = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    python = Path(str(marker.get("python", "")))
    if marker.get("key") != key or not python.is_file():
        return None
    if marker.get("installed") != _installed(root):
        return None
    return Environment(
        mode="rebuilt",
        python=str(python),
        python_version=str(marker["python_version"]),
        locked_python=marker.get("locked_python"),
        packages=int(marker.get("packages") or 0),
        from_here=list(marker.get("from_here") or []),
        changed=changed,
        notes=[
            *(marker.get("notes") or []),
            f"built from this very lock on {marker.get('built')} by an earlier reproduction, "
            "and still holding exactly its packages: used as it is",
        ],
        root=str(root),
        reused=True,
        built=marker.get("built"),
    )


def _install(
    root: Path,
    pins: dict[str, Pin],
    from_here: list[str],
    unavailable: list[str],
    stopped: Callable[[], bool],
    *,
    deps: bool = False,
) -> str:
    """Install ``pins``: from uv's cache alone, else from the index, dropping what none has.

    A pin no index has but this environment holds in the same version goes
    to ``from_here``; any other to ``unavailable``.
    """
    if not pins:
        return ""
    requirements = root / "requirements.txt"
    python = str(root / "bin" / "python")
    base = [uv(), "pip", "install", "--python", python]
    if not deps:
        base.append("--no-deps")
    log = ""
    left = dict(pins)
    offline = True
    for _ in range(ROUNDS):
        requirements.write_text("".join(f"{pin}\n" for pin in left.values()), encoding="utf-8")
        command = [*base, *(["--offline"] if offline else []), "-r", str(requirements)]
        code, output = _run(command, stopped)
        log += f"$ uv pip install {'--offline ' if offline else ''}-r requirements.txt\n{output}\n"
        if code == 0 or stopped():
            return log
        if offline:  # not everything is in uv's cache: ask the index
            offline = False
            continue
        refused = {canonicalize_name(name) for name in _REFUSED.findall(output)} & set(left)
        if not refused:
            # the index cannot be reached, or something else failed: every pin is at stake
            unavailable.extend(str(pin) for pin in left.values())
            return log
        for key in refused:
            pin = left.pop(key)
            dist = _here(pin.name)
            if dist is not None and dist.version == pin.version:
                from_here.append(str(pin))
            else:
                unavailable.append(str(pin))
        if not left:
            return log
    unavailable.extend(str(pin) for pin in left.values())
    return log


def _unresolved(
    lock: Lock,
    root: Path,
    unavailable: list[str],
    notes: list[str],
    log: str,
    nearest_if_needed: bool,
) -> Environment:
    shutil.rmtree(root, ignore_errors=True)
    if nearest_if_needed:
        return nearest(lock, notes, sorted(unavailable), log)
    shown = ", ".join(sorted(unavailable)[:12]) + (" ..." if len(unavailable) > 12 else "")
    raise StepFailed(
        "environment",
        "lock_unresolvable",
        f"the lock does not resolve here: {len(unavailable)} pin(s) cannot be had: {shown}",
        "reproduce with the nearest environment (--nearest) to run it in this lab's "
        "environment (the report lists every package that then differs), or make these "
        "packages available (a package index, uv's cache)",
        details=sorted(unavailable),
    )


def kernelspec(
    folder: Path, environment: Environment, name: str, variables: Mapping[str, str]
) -> Path:
    """A kernelspec ``name`` for the environment, in ``folder/kernels`` (a Jupyter data dir)."""
    spec_dir = folder / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [environment.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Reproduction ({environment.mode} environment)",
        "language": "python",
        "env": dict(variables),
        "metadata": {"esap": {"environment": environment.root or "this lab's"}},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return folder


__all__ = [
    "Environment",
    "Lock",
    "Pin",
    "build",
    "bytecode",
    "kernelspec",
    "key_of",
    "nearest",
    "parse_lock",
    "place",
    "uv",
]
