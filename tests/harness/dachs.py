"""A real TAP/SIAv2/SCS/SSA archive for the tests: GAVO DaCHS from Debian on PostgreSQL.

The ``dachs`` session fixture publishes the shipped resource
``tests/data/dachs/esaptest`` (an ObsCore image collection plus a
point-source catalogue, a few spectra behind an SSA service, and a small
RegTAP registry in schema ``rr``; see that directory's README) and runs a
private ``dachs serve debug`` on a free loopback port.  The registry's
records of the test archive hold a ``{serverURL}`` placeholder that the
``rr.interface`` view replaces with the PostgreSQL setting
``esaptest.server_url``; each server gets its own value through
``PGOPTIONS``, so sessions on different ports share one import.

How it stays out of the machine's way:

* DaCHS reads ``/etc/gavo.rc`` and then the file named by ``GAVOCUSTOM``.  The
  fixture points ``GAVOCUSTOM`` at a generated file that only moves the web
  server (``[web] serverPort``/``serverURL`` on 127.0.0.1) and DaCHS's
  per-run directories (logs, state, UWS job directories, temp) into the
  session's temporary directory; nothing in ``/etc`` is edited.  A user's
  ``~/.gavorc`` is ignored for the same reason.
* The resource is copied into DaCHS's own inputs directory and imported into
  DaCHS's database (that is how an operator publishes it, and other DaCHS
  processes on the machine then see consistent metadata).  The import only
  runs when the shipped files differ from what was imported last (a SHA-256
  of the resource directory kept next to the copy), or when the served
  tables do not hold the shipped rows, so a warm start is just the server.
* ``dachs`` runs on Debian's Python with a clean environment: the
  virtualenv's ``PYTHONPATH``/``VIRTUAL_ENV`` must not reach it.
* PostgreSQL is started when it is down and stopped again at the end by the
  session that started it, unless another session still uses it.  Sessions
  coordinate through two ``flock`` files in the inputs directory: one
  serialises setup (start database, import), one is held shared while a
  session runs.

It fails (never skips) when DaCHS or PostgreSQL is missing: ``make test``
installs them.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from harness.ports import free_port

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "tests" / "data" / "dachs"
RESOURCE = "esaptest"
RESOURCE_SRC = DATA_DIR / RESOURCE
IMAGES_CSV = RESOURCE_SRC / "data" / "images.csv"
SOURCES_CSV = RESOURCE_SRC / "data" / "sources.csv"
#: The SSA collection (``spectra.rd``): one row per spectrum, DaCHS's SSA column names.
SPECTRA_CSV = RESOURCE_SRC / "data" / "spectra.csv"
#: The test registry (RegTAP tables in schema ``rr``, see ``registry.rd``).
REGISTRY_RESOURCES_CSV = RESOURCE_SRC / "data" / "registry_resources.csv"
REGISTRY_CAPABILITIES_CSV = RESOURCE_SRC / "data" / "registry_capabilities.csv"
#: Placeholder for the answering server's base URL in registry access URLs.
SERVER_URL_PLACEHOLDER = "{serverURL}"
#: The PostgreSQL setting rr.interface substitutes for the placeholder.
SERVER_URL_SETTING = "esaptest.server_url"
#: The PostgreSQL setting listing a server's mirrors of the archive (``name=baseURL,...``):
#: each is one more registry resource with the archive's TAP, SIAv2 and cone search under
#: that base URL (see ``registry.rd``).
MIRRORS_SETTING = "esaptest.mirrors"
#: Where a mirror's interfaces are, below its base URL.
MIRROR_PATHS = {
    "tap": "/tap",
    "sia2": f"/{RESOURCE}/q/sia2/siap2.xml",
    "scs": f"/{RESOURCE}/q/cone/scs.xml",
}

#: Debian's command search path; the venv's bin must not shadow anything.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INSTALL_HINT = (
    "run `make test`, which installs PostgreSQL and gavodachs2-server "
    "(tests/install-system-packages.sh)"
)
#: The RDs of RESOURCE, imported in this order after ``//obscore``.
RESOURCE_RDS = ("q", "spectra", "registry")
#: Part of the import stamp: changing how we import must invalidate old imports.
IMPORT_RECIPE = "; ".join(
    ["dachs imp //obscore", *(f"dachs imp {RESOURCE}/{rd}" for rd in RESOURCE_RDS), "v3"]
)
#: Prefix of the harness's own files inside the copied resource directory.
OURS = ".esap-"
STAMP_NAME = f"{OURS}import-sha256"
#: ADQL counting what the server publishes of RESOURCE (ObsCore rows, catalogue rows,
#: registry resources, spectra in the SSA table).
COUNT_QUERIES = (
    "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE source_table = 'esaptest.images'",
    "SELECT COUNT(*) AS n FROM esaptest.sources",
    "SELECT COUNT(*) AS n FROM rr.resource",
    "SELECT COUNT(*) AS n FROM esapspec.spectra",
)
READY_TIMEOUT = 60.0
STOP_GRACE = 15.0


class DachsError(RuntimeError):
    """Something in bringing up DaCHS failed; the message says what and how to fix it."""


@dataclass(frozen=True)
class DachsService:
    """The running archive, as tests and clients see it."""

    base_url: str
    tap_url: str
    sia2_url: str
    scs_url: str
    obscore_table: str
    images_table: str
    sources_table: str
    #: ``obs_collection`` of every shipped ObsCore row.
    collection: str
    #: ObsCore rows shipped in ``images.csv`` (all published to ivoa.obscore).
    rows: int
    #: Catalogue rows shipped in ``sources.csv``.
    source_rows: int
    #: The RegTAP endpoint (DaCHS's TAP service, which publishes schema ``rr``).
    registry_url: str
    registry_resources_csv: Path
    registry_capabilities_csv: Path
    images_csv: Path
    sources_csv: Path
    #: The SSA (Simple Spectral Access) service over the spectra of ``spectra.rd``.
    ssa_url: str
    #: The SSA table (also in TAP), one row per spectrum.
    spectra_table: str
    #: The spectra shipped in ``spectra.csv`` (all published through SSA).
    spectra_csv: Path
    spectrum_rows: int
    log_path: Path
    #: Whether this session had to (re)import the resource.
    imported: bool
    #: Seconds the fixture took to bring everything up.
    startup_seconds: float

    def product_url(self, accref: str) -> str:
        """The URL DaCHS serves a product under (what ObsCore's access_url holds)."""
        return f"{self.base_url}/getproduct/{accref}"


# ---------------------------------------------------------------- subprocesses


def dachs_env(rc_file: Path) -> dict[str, str]:
    """A clean environment for ``dachs``: Debian's PATH and our settings, nothing from the venv."""
    env = {
        "PATH": SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "GAVOCUSTOM": str(rc_file),
    }
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    return env


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run(cmd: list[str], env: dict[str, str], what: str, timeout: float = 300) -> str:
    """Run a system command; on failure raise DachsError with its output."""
    try:
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise DachsError(f"{what}: `{' '.join(cmd)}` took more than {timeout}s") from exc
    if done.returncode != 0:
        raise DachsError(
            f"{what}: `{' '.join(cmd)}` exited with {done.returncode}\n"
            f"{_tail(done.stdout)}\n{_tail(done.stderr)}"
        )
    return done.stdout


def _require(command: str) -> str:
    """The absolute path of a Debian command, or a DachsError that says how to get it."""
    found = shutil.which(command, path=SYSTEM_PATH)
    if found is None:
        raise DachsError(f"`{command}` is not installed: {INSTALL_HINT}")
    return found


# ------------------------------------------------------------------ PostgreSQL


@dataclass
class Postgres:
    """The local PostgreSQL cluster DaCHS uses (Debian's pg_ctlcluster wrapper)."""

    version: str
    name: str
    port: int
    started_here: bool = False

    @classmethod
    def find(cls) -> Postgres:
        """The cluster to use: ESAP_TEST_PG_CLUSTER (``15/main``), else the one on 5432.

        DaCHS's Debian package connects to ``localhost:5432`` unless its DSN
        was changed, so that cluster is the one to keep running.
        """
        _require("pg_ctlcluster")
        listing = _run(
            [_require("pg_lsclusters"), "--no-header"],
            {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"},
            "listing PostgreSQL clusters",
        )
        clusters = [line.split() for line in listing.splitlines() if line.strip()]
        wanted = os.environ.get("ESAP_TEST_PG_CLUSTER")
        for fields in clusters:
            version, name, port = fields[0], fields[1], int(fields[2])
            if (wanted and wanted == f"{version}/{name}") or (not wanted and port == 5432):
                return cls(version, name, port)
        raise DachsError(
            "no PostgreSQL cluster "
            + (f"{wanted!r}" if wanted else "on port 5432")
            + f" (pg_lsclusters: {listing.strip() or 'none'}): {INSTALL_HINT}"
        )

    def online(self) -> bool:
        """Whether the cluster runs (pg_lsclusters says ``online``)."""
        listing = _run(
            [_require("pg_lsclusters"), "--no-header", self.version, self.name],
            {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"},
            "asking PostgreSQL's status",
        )
        fields = listing.split()
        return len(fields) > 3 and fields[3].startswith("online")

    def ensure_running(self) -> None:
        """Start the cluster unless it runs; remember that we started it."""
        if self.online():
            return
        _run(
            [_require("pg_ctlcluster"), self.version, self.name, "start"],
            {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"},
            f"starting PostgreSQL {self.version}/{self.name} (needs root or the postgres user)",
            timeout=120,
        )
        self.started_here = True

    def stop(self) -> None:
        """Stop the cluster (only called by the session that started it)."""
        _run(
            [_require("pg_ctlcluster"), self.version, self.name, "stop"],
            {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"},
            f"stopping PostgreSQL {self.version}/{self.name}",
            timeout=120,
        )


# ---------------------------------------------------------------- the resource


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The data rows of a shipped CSV file (header line gives the keys)."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def content_hash(src: Path) -> str:
    """SHA-256 over a resource directory (relative names and bytes) and the import recipe.

    Our own dotfiles (the stamp) are left out, so the copy in DaCHS's inputs
    hashes like the shipped directory as long as nobody edited it.
    """
    digest = hashlib.sha256(IMPORT_RECIPE.encode())
    files = (p for p in src.rglob("*") if p.is_file() and not p.name.startswith(OURS))
    for path in sorted(files):
        digest.update(str(path.relative_to(src)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def sync_resource(src: Path, dest: Path) -> None:
    """Make ``dest`` a copy of ``src``, keeping our dotfiles (the stamp)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    for path in sorted(dest.rglob("*"), reverse=True):
        rel = path.relative_to(dest)
        if path.is_file() and rel not in wanted and not rel.name.startswith(OURS):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for rel in sorted(wanted):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, target)


def open_lock(path: Path) -> IO[bytes]:
    """Open (creating) a lock file read-only: flock needs no write access.

    That way a session of another member of the ``gavo`` group can lock a
    file that a root session created.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o664)
    return os.fdopen(fd, "rb")


@contextlib.contextmanager
def flocked(path: Path, mode: int) -> Iterator[IO[bytes]]:
    """Hold an flock on ``path`` for the block."""
    with open_lock(path) as handle:
        fcntl.flock(handle, mode)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Resource:
    """The shipped resource directory and its copy in DaCHS's inputs."""

    def __init__(self, inputs_dir: Path, env: dict[str, str], log_dir: Path) -> None:
        self.inputs_dir = inputs_dir
        self.dest = inputs_dir / RESOURCE
        self.stamp = self.dest / STAMP_NAME
        self.env = env
        self.log_dir = log_dir
        self.setup_lock = inputs_dir / f".{RESOURCE}-setup.lock"
        self.users_lock = inputs_dir / f".{RESOURCE}-users.lock"

    def up_to_date(self, digest: str) -> bool:
        """Whether the last successful import was of exactly these files, still in place."""
        try:
            stamped = self.stamp.read_text().strip()
        except OSError:
            return False
        return stamped == digest and content_hash(self.dest) == digest

    def import_(self, digest: str) -> None:
        """Copy the resource into the inputs and run ``dachs imp`` (callers hold setup_lock).

        ``//obscore`` is imported first: on a fresh DaCHS the ObsCore view and
        its bookkeeping table do not exist yet, and importing it again is
        harmless (it keeps other tables' contributions).
        """
        self.stamp.unlink(missing_ok=True)
        sync_resource(RESOURCE_SRC, self.dest)
        dachs = _require("dachs")
        log = []
        for rd in ("//obscore", *(f"{RESOURCE}/{name}" for name in RESOURCE_RDS)):
            log.append(
                _run(
                    [dachs, "--hints", "imp", rd],
                    self.env,
                    f"importing {rd} into DaCHS (is DaCHS's database set up? "
                    "`dachs init` does it; the package install runs it when PostgreSQL runs)",
                )
            )
        (self.log_dir / "import.log").write_text("\n".join(log))
        self.stamp.write_text(digest + "\n")


# ------------------------------------------------------------------ the server


def write_settings(directory: Path, port: int) -> Path:
    """The GAVOCUSTOM file for ``port``: private web port and per-run directories.

    Database profiles, inputs and web templates stay DaCHS's own.  Each port
    gets its own file, written once, so a server retried on another port
    never rewrites a file another ``dachs`` process is reading.
    """
    for sub in ("state", "logs", "tmp", "uwsjobs"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    rc = directory / f"gavo-{port}.rc"
    if not rc.exists():
        rc.write_text(
            "[general]\n"
            f"stateDir: {directory / 'state'}\n"
            f"logDir: {directory / 'logs'}\n"
            f"tempDir: {directory / 'tmp'}\n"
            f"uwsWD: {directory / 'uwsjobs'}\n"
            "\n[web]\n"
            "bindAddress: 127.0.0.1\n"
            f"serverPort: {port}\n"
            # what DaCHS writes into capabilities, access_url and preview links
            f"serverURL: http://127.0.0.1:{port}\n"
            "sitename: ESAP Hub test archive\n"
            "\n[async]\n"
            # UWS jobs live in the shared database: keep them short-lived, and
            # let a session run several at once without queueing behind another
            "defaultLifetime: 3600\n"
            "maxTAPRunning: 8\n"
        )
    return rc


def stop_process_group(process: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """SIGTERM the server's process group (it and any TAP workers), SIGKILL after ``grace``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Server:
    """One ``dachs serve debug`` process (foreground, no PID file, logs to stderr)."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @classmethod
    def start(cls, directory: Path, port: int, mirrors: dict[str, str] | None = None) -> Server:
        """Start the server on ``port`` in its own process group; returns without waiting.

        ``mirrors`` (name -> base URL, e.g. a delaying proxy in front of the
        archive) are listed by this server's registry besides the shipped records.
        """
        env = dachs_env(write_settings(directory, port))
        # rr.interface fills this server's URL into the test archive's records
        env["PGOPTIONS"] = f"-c {SERVER_URL_SETTING}=http://127.0.0.1:{port}"
        if mirrors:
            listed = ",".join(f"{name}={url}" for name, url in mirrors.items())
            if any(c in listed for c in " \\'\""):
                raise DachsError(f"mirror names and URLs must not hold spaces or quotes: {listed}")
            env["PGOPTIONS"] += f" -c {MIRRORS_SETTING}={listed}"
        log_path = directory / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [_require("dachs"), "serve", "debug"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=directory,
                start_new_session=True,
            )
        return cls(process, f"http://127.0.0.1:{port}", log_path)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return _tail(self.log_path.read_text(errors="replace"), lines)
        except OSError:
            return ""

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Poll VOSI availability until DaCHS says it is available."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DachsError(
                    f"`dachs serve debug` exited with {self.process.returncode}\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(f"{self.base_url}/tap/availability", timeout=5)
                if answer.status_code == 200 and "<avl:available>true<" in answer.text:
                    return
            time.sleep(0.1)
        raise DachsError(
            f"DaCHS did not answer on {self.base_url} in {timeout}s\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server and its TAP workers."""
        if self.process.poll() is None:
            stop_process_group(self.process)


def ready_server(directory: Path, server: Server | None = None, attempts: int = 3) -> Server:
    """Wait for ``server`` (or a new one on a free port) to answer.

    The port is free when chosen but only taken when DaCHS binds it; if
    something else got there first, try again on another port.
    """
    for attempt in range(attempts):
        server = server or Server.start(directory, free_port())
        try:
            server.wait_ready()
        except DachsError:
            server.stop()
            port_taken = "CannotListenError" in server.log_tail(200)
            if not port_taken or attempt == attempts - 1:
                raise
            server = None
        else:
            return server
    raise AssertionError("unreachable")


def served_counts(tap_url: str) -> tuple[int, ...]:
    """The counts of COUNT_QUERIES (ObsCore, catalogue, registry, spectra) as TAP sees them.

    A plain sync query with CSV output keeps this cheap; -1 stands for "the
    query failed", which is what a missing table looks like.
    """
    counts = []
    for query in COUNT_QUERIES:
        answer = httpx.post(
            f"{tap_url}/sync",
            data={"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": "csv"},
            timeout=60,
        )
        lines = answer.text.split()
        ok = answer.status_code == 200 and len(lines) == 2 and lines[1].isdigit()
        counts.append(int(lines[1]) if ok else -1)
    return tuple(counts)


# ----------------------------------------------------------------- the fixture


class Harness:
    """Brings DaCHS up for one pytest session and takes down what it brought up.

    ``stop`` is safe to call whatever point ``start`` reached, so a failed
    start never leaves a server, a started database or a lock behind.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.server: Server | None = None
        self.postgres: Postgres | None = None
        self.resource: Resource | None = None
        self.users: IO[bytes] | None = None

    def start(self) -> DachsService:
        """PostgreSQL, the resource (imported if needed), a server; see the module docstring.

        Each ``dachs`` command spends a second or two starting Python, so
        when the database already runs the server starts at once, while
        DaCHS is asked for its inputs directory and the import is checked.
        """
        began = time.monotonic()
        dachs = _require("dachs")
        self.postgres = Postgres.find()
        port = free_port()
        env = dachs_env(write_settings(self.directory, port))
        asking = subprocess.Popen(
            [dachs, "config", "inputsDir"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if self.postgres.online():
            self.server = Server.start(self.directory, port)
        out, err = asking.communicate(timeout=120)
        if asking.returncode != 0:
            raise DachsError(f"`dachs config inputsDir` failed:\n{_tail(out)}\n{_tail(err)}")
        inputs = Path(out.strip())
        if not os.access(inputs, os.W_OK):
            raise DachsError(
                f"cannot write DaCHS's inputs directory {inputs}: run the tests as root or "
                "as a member of the `gavo` group (`adduser $USER gavo`)"
            )
        self.resource = resource = Resource(inputs, env, self.directory / "logs")
        digest = content_hash(RESOURCE_SRC)
        images = csv_rows(IMAGES_CSV)
        (collection,) = {row["obs_collection"] for row in images}
        expected = (
            len(images),
            len(csv_rows(SOURCES_CSV)),
            len(csv_rows(REGISTRY_RESOURCES_CSV)),
            len(csv_rows(SPECTRA_CSV)),
        )

        imported = False
        self.users = open_lock(resource.users_lock)
        with flocked(resource.setup_lock, fcntl.LOCK_EX):
            fcntl.flock(self.users, fcntl.LOCK_SH)  # "this session uses the database"
            self.postgres.ensure_running()
            if self.postgres.started_here and self.server is not None:
                # another session stopped the database under our early server
                self.server.stop()
                self.server = None
            if not resource.up_to_date(digest):
                resource.import_(digest)
                imported = True

        self.server = server = ready_server(self.directory, self.server)
        tap_url = f"{server.base_url}/tap"
        counts = served_counts(tap_url)
        if counts != expected and not imported:
            # the stamp says imported but the database disagrees (dropped, re-created)
            with flocked(resource.setup_lock, fcntl.LOCK_EX):
                resource.import_(digest)
            imported = True
            counts = served_counts(tap_url)
        if counts != expected:
            raise DachsError(
                f"DaCHS serves {counts} ObsCore, catalogue, registry and spectrum rows "
                f"of {RESOURCE}, the shipped CSVs have {expected}\n"
                f"{server.log_tail()}"
            )
        return DachsService(
            base_url=server.base_url,
            tap_url=tap_url,
            sia2_url=f"{server.base_url}/{RESOURCE}/q/sia2/siap2.xml",
            scs_url=f"{server.base_url}/{RESOURCE}/q/cone/scs.xml",
            obscore_table="ivoa.obscore",
            images_table=f"{RESOURCE}.images",
            sources_table=f"{RESOURCE}.sources",
            collection=collection,
            rows=expected[0],
            source_rows=expected[1],
            registry_url=tap_url,
            registry_resources_csv=REGISTRY_RESOURCES_CSV,
            registry_capabilities_csv=REGISTRY_CAPABILITIES_CSV,
            images_csv=IMAGES_CSV,
            sources_csv=SOURCES_CSV,
            ssa_url=f"{server.base_url}/{RESOURCE}/spectra/ssa/ssap.xml",
            spectra_table="esapspec.spectra",
            spectra_csv=SPECTRA_CSV,
            spectrum_rows=expected[3],
            log_path=server.log_path,
            imported=imported,
            startup_seconds=time.monotonic() - began,
        )

    def stop(self) -> None:
        """Stop our server; stop PostgreSQL if we started it and no other session uses it."""
        if self.server is not None:
            self.server.stop()
        if self.users is None:
            return
        try:
            if self.postgres is not None and self.postgres.started_here and self.resource:
                with flocked(self.resource.setup_lock, fcntl.LOCK_EX):
                    try:
                        fcntl.flock(self.users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        return  # another session still holds it shared
                    self.postgres.stop()
        finally:
            self.users.close()


def start_or_fail(harness: Harness) -> DachsService:
    """Start, or fail the test with DaCHS's own words (never skip: ``make test`` installs it)."""
    try:
        return harness.start()
    except DachsError as exc:
        message = f"GAVO DaCHS could not be started: {exc}"
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def dachs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DachsService]:
    """A running GAVO DaCHS publishing the shipped test archive (TAP, ObsCore, SIAv2, SCS, SSA)."""
    harness = Harness(tmp_path_factory.mktemp("dachs"))
    try:
        yield start_or_fail(harness)
    finally:
        harness.stop()
