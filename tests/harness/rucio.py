"""A real Rucio server on loopback, with a small data lake registered in it.

The server is Rucio's own Flask application (``rucio.web.rest.flaskapi.v1.main``,
from the ``rucio`` package in its own virtualenv, ``.venv/rucio-server``, which
``make test`` installs from ``tests/rucio/requirements.txt``) on SQLite, its
schema built and its root account made by Rucio's own bootstrap functions.
The lake's files live in a temporary folder served over HTTP on loopback,
which is what a POSIX RSE with an HTTP door looks like to a client:

- RSE ``LAKE-DISK`` (http protocol on the file server) holds the replicas;
- RSE ``LAB-DISK`` is the one the lab mounts, target of replication rules;
- scope ``lofar``: datasets ``obs1`` (two images) and ``obs2`` (a spectrum),
  ``obs3`` with ``bad.fits``, whose registered md5 and adler32 do not match
  its bytes, and ``obs4`` with ``adler.fits``, whose adler32 only does not;
- account ``alice`` (a user, userpass identity, quota on ``LAB-DISK``).

Authentication: Rucio checks the token sent as ``X-Rucio-Auth-Token``.
Most tests use Rucio's own tokens, obtained with userpass. For OIDC,
:meth:`RucioLake.trust_provider` registers an identity provider with Rucio
the way its admins do: an ``idpsecrets.json`` (named by ``[oidc] idpsecrets``
in ``rucio.cfg``, with ``expected_audience = rucio`` and ``expected_scope``)
and an OIDC identity ``SUB=<sub>, ISS=<issuer>`` for the account. Rucio then
validates a JWT access token itself: issuer discovery and JWKS (pyoidc),
signature, ``exp``, ``aud`` and ``scope``, and maps ``sub`` + ``iss`` to the
account.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SERVER_PYTHON = REPO / ".venv" / "rucio-server" / "bin" / "python"
ROOT_IDENTITY = ("ddmlab", "secret")
ALICE_PASSWORD = "alice-lake-password"
LAKE_RSE = "LAKE-DISK"
LAB_RSE = "LAB-DISK"
SCOPE = "lofar"
#: What Rucio requires of an OIDC token (``[oidc]`` in rucio.cfg).
OIDC_AUDIENCE = "rucio"
OIDC_SCOPE = "openid profile"
#: The key of the identity provider in idpsecrets.json (``[oidc] admin_issuer``).
IDP_KEY = "esap-tests"

SERVER = """
from werkzeug.serving import run_simple
from rucio.web.rest.flaskapi.v1.main import application
run_simple("127.0.0.1", {port}, application, threaded=True)
"""
BOOTSTRAP = """
from rucio.db.sqla.util import build_database, create_base_vo, create_root_account
build_database()
create_base_vo()
create_root_account()
"""


@dataclass
class LakeFile:
    """A file registered in the lake: its bytes and what Rucio records for it."""

    scope: str
    name: str
    content: bytes
    md5: str
    adler32: str
    dataset: str
    pfn: str = ""

    @property
    def did(self) -> str:
        return f"{self.scope}:{self.name}"


@dataclass
class RucioLake:
    """The running server and what it holds."""

    url: str
    root_token: str
    alice_token: str
    log_path: Path
    files: dict[str, LakeFile] = field(default_factory=dict)
    lake_rse: str = LAKE_RSE
    lab_rse: str = LAB_RSE
    scope: str = SCOPE
    idp_secrets: Path | None = None
    trusted_issuer: str = ""

    def root_client(self) -> Any:
        """A rucio-clients client of the server as root."""
        from esap.data.rucio import _client_class

        return _client_class()(self.root_token, rucio_host=self.url, auth_host=self.url)

    def trust_provider(
        self, issuer: str, client_id: str, client_secret: str, accounts: dict[str, str]
    ) -> None:
        """Register an OIDC identity provider with Rucio; map ``sub`` -> account.

        Rucio reads ``idpsecrets.json`` when it first validates a JWT and keeps
        those clients for the life of the process, so a server trusts one
        provider: asking for another is an error, not a silent mismatch.
        """
        if self.trusted_issuer == issuer:
            return
        if self.trusted_issuer or self.idp_secrets is None:
            raise RuntimeError(
                f"this Rucio server already trusts {self.trusted_issuer or 'no provider file'}; "
                "it loads its identity providers once: use one OIDC provider per Rucio server"
            )
        client = {
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": [f"{self.url}/auth/oidc_code", f"{self.url}/auth/oidc_token"],
        }
        # Rucio also wants an admin client of the provider (client credentials,
        # used by its SCIM sync daemon, not by token validation)
        secrets = {IDP_KEY: {**client, "SCIM": dict(client)}}
        self.idp_secrets.write_text(json.dumps(secrets))
        root = self.root_client()
        for sub, account in accounts.items():
            root.add_identity(
                account=account,
                identity=f"SUB={sub}, ISS={issuer}",
                authtype="OIDC",
                email=f"{account}@example.org",
                default=True,
            )
        self.trusted_issuer = issuer


def _quiet_handler(directory: Path) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    return functools.partial(Handler, directory=str(directory))  # type: ignore[return-value]


def _config(directory: Path, port: int, idp_secrets: Path) -> Path:
    database = f"sqlite:///{directory / 'rucio.db'}"
    migrations = subprocess.run(
        [
            str(SERVER_PYTHON),
            "-c",
            "import rucio.db.sqla, os; print(os.path.dirname(rucio.db.sqla.__file__))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    alembic = directory / "alembic.ini"
    alembic.write_text(
        f"[alembic]\nsqlalchemy.url = {database}\nscript_location = {migrations}/migrate_repo\n"
        "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = WARN\nhandlers = console\nqualname =\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\n"
        "formatter = generic\n[formatter_generic]\nformat = %(levelname)s %(message)s\n"
    )
    config = directory / "rucio.cfg"
    config.write_text(
        f"[common]\nlogdir = {directory}\nloglevel = INFO\nmailtemplatedir = {directory}\n"
        f"[database]\ndefault = {database}\n"
        f"[bootstrap]\nuserpass_identity = {ROOT_IDENTITY[0]}\nuserpass_pwd = {ROOT_IDENTITY[1]}\n"
        f"[alembic]\ncfg = {alembic}\n"
        "[api]\nendpoints = accounts, accountlimits, auth, dids, identities, locks, ping, "
        "replicas, rses, rules, scopes\n"
        "[policy]\npermission = generic\nschema = generic\nlfn2pfn_algorithm_default = hash\n"
        "support = https://rucio.cern.ch/\nsupport_rucio = https://github.com/rucio/rucio/issues/\n"
        f"[oidc]\nidpsecrets = {idp_secrets}\nadmin_issuer = {IDP_KEY}\n"
        f"expected_audience = {OIDC_AUDIENCE}\nexpected_scope = {OIDC_SCOPE}\n"
    )
    return config


def _token(url: str, account: str, identity: str, password: str) -> str:
    response = httpx.get(
        f"{url}/auth/userpass",
        headers={
            "X-Rucio-Account": account,
            "X-Rucio-Username": identity,
            "X-Rucio-Password": password,
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.headers["X-Rucio-Auth-Token"]


def _populate(lake: RucioLake, store: Path, files_port: int) -> None:
    """Register the scope, RSEs, account, datasets and files; write the files' bytes."""
    root = lake.root_client()
    root.add_scope("root", SCOPE)
    root.add_rse(LAKE_RSE)
    root.add_protocol(
        LAKE_RSE,
        {
            "scheme": "http",
            "hostname": "127.0.0.1",
            "port": files_port,
            "prefix": "/lake/",
            "impl": "rucio.rse.protocols.webdav.Default",
            "domains": {
                "lan": {"read": 1, "write": 1, "delete": 1},
                "wan": {"read": 1, "write": 1, "delete": 1},
            },
        },
    )
    root.add_rse(LAB_RSE)
    root.add_account("alice", "USER", "alice@example.org")
    root.add_identity(
        account="alice",
        identity="alice",
        authtype="USERPASS",
        email="alice@example.org",
        password=ALICE_PASSWORD,
    )
    root.set_local_account_limit("alice", LAB_RSE, 10**9)
    planned = [
        ("obs1", "L100_SB000.fits", b"SIMPLE  = T / image 0\n" * 40, "image"),
        ("obs1", "L100_SB001.fits", b"SIMPLE  = T / image 1\n" * 55, "image"),
        ("obs2", "L200_spec.fits", b"SIMPLE  = T / spectrum\n" * 30, "spectrum"),
        ("obs3", "bad.fits", b"these bytes are not the registered ones\n", "image"),
        ("obs4", "adler.fits", b"right md5, wrong adler32\n", "image"),
    ]
    for dataset, name, content, datatype in planned:
        md5 = hashlib.md5(content).hexdigest()  # noqa: S324 - Rucio's own checksum
        adler = f"{zlib.adler32(content) & 0xFFFFFFFF:08x}"
        registered = {"bad.fits": ("0" * 32, "00000001"), "adler.fits": (md5, "00000001")}.get(
            name, (md5, adler)
        )
        root.add_replicas(
            LAKE_RSE,
            [
                {
                    "scope": SCOPE,
                    "name": name,
                    "bytes": len(content),
                    "md5": registered[0],
                    "adler32": registered[1],
                    "meta": {"datatype": datatype, "project": "lofar-test"},
                }
            ],
        )
        lake.files[f"{SCOPE}:{name}"] = LakeFile(
            SCOPE, name, content, registered[0], registered[1], f"{SCOPE}:{dataset}"
        )
    for dataset in ("obs1", "obs2", "obs3", "obs4"):
        datatype = "spectrum" if dataset == "obs2" else "image"
        root.add_dataset(SCOPE, dataset)
        root.set_metadata(SCOPE, dataset, "datatype", datatype)
        members = [f for f in lake.files.values() if f.dataset == f"{SCOPE}:{dataset}"]
        root.attach_dids(SCOPE, dataset, [{"scope": SCOPE, "name": f.name} for f in members])
    replicas = root.list_replicas(
        [{"scope": SCOPE, "name": f.name} for f in lake.files.values()], schemes=["http"]
    )
    for replica in replicas:
        lake_file = lake.files[f"{replica['scope']}:{replica['name']}"]
        lake_file.pfn = next(iter(replica["pfns"]))
        path = store / lake_file.pfn.split(f":{files_port}/", 1)[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(lake_file.content)


@pytest.fixture(scope="session")
def rucio_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RucioLake]:
    """A Rucio server with the lake above, and the HTTP door to its files."""
    if not SERVER_PYTHON.exists():
        pytest.fail(f"no Rucio server in {SERVER_PYTHON.parent.parent}: run make test")
    directory = tmp_path_factory.mktemp("rucio")
    port = free_port()
    idp_secrets = directory / "idpsecrets.json"
    config = _config(directory, port, idp_secrets)
    env = {**os.environ, "RUCIO_CONFIG": str(config)}
    subprocess.run(
        [str(SERVER_PYTHON), "-c", BOOTSTRAP],
        check=True,
        env=env,
        cwd=directory,
        capture_output=True,
        timeout=300,
    )
    store = directory / "files"
    store.mkdir()
    files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _quiet_handler(store))
    threading.Thread(target=files.serve_forever, daemon=True).start()
    log_path = directory / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SERVER_PYTHON), "-c", SERVER.format(port=port)],
            env=env,
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"the Rucio server stopped:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the Rucio server did not answer:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        lake = RucioLake(
            url, _token(url, "root", *ROOT_IDENTITY), "", log_path, idp_secrets=idp_secrets
        )
        _populate(lake, store, files.server_address[1])
        lake.alice_token = _token(url, "alice", "alice", ALICE_PASSWORD)
        yield lake
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        files.shutdown()
