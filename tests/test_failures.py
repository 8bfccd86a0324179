"""Failures named exactly: each way a remote service fails, through each kind of adapter and face.

Real servers on loopback fail on purpose, one way each: a host name under
``.invalid`` (RFC 2606: it never resolves), a port nothing listens on, a
TLS server whose certificate is self-signed (made here with
``cryptography``), a server that accepts and never answers, one that
answers HTTP 500 with its own words, one that answers a web page where a
VOTable or JSON is due; and the test archive (DaCHS) refusing an ADQL
query. Each failure goes through a data service (TAP), a software
catalogue (a codemeta URL) and an archive (the Zenodo adapter), and is
read from the REST API of a lab started on an ``esap.yaml`` (as outside
a hub: ``$ESAP_CONFIG``) and from the command line (``esap search``,
``esap publish``; the notebook API for catalogues, which have no
command): the code and message say which failure it is, and its fix is
there once.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvo.dal
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.dachs import DachsService
from harness.hub import esap_env
from harness.ports import free_port

#: Seconds every failing service is given (the silent server never answers).
TIMEOUT = 1.5
#: A host name that never resolves (RFC 2606 reserves ``.invalid``).
NOWHERE = "archive.esap-failures.invalid"
#: What the failing web server says in its HTTP 500 page (the service's own words).
DOWN_WORDS = "Archive down: the database is being restored, back at 14:00 UTC"
DOWN_PAGE = f"<html><body><h1>Archive down:</h1><p>{DOWN_WORDS[14:]}</p></body></html>"
#: What it answers with 200 where a VOTable or JSON is due: a web page.
WEB_PAGE = "<html><body><p>Welcome to the archive portal</p></body></html>"
#: The API token of the lab the tests start.
LAB_TOKEN = "failures-test-token"
METADATA = ["--title", "Failures", "--creator", "Doe, Jane", "--description", "x"]


class _Pages(BaseHTTPRequestHandler):
    """``/error/...`` answers 500 with a page of words, anything else 200 with a web page."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        failing = self.path.startswith("/error/")
        body = (DOWN_PAGE if failing else WEB_PAGE).encode()
        self.send_response(500 if failing else 200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer


class _Silent:
    """A server that accepts connections and never answers (until it is stopped)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = int(self.socket.getsockname()[1])
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed: the server stops
                return
            self.held.append(connection)

    def stop(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (what no client trusts), and the key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Failing:
    """The base URL of each failure (a service's path goes after it)."""

    bases: dict[str, str]
    addresses: dict[str, str]


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Failing]:
    """One server per way of failing, on loopback, for the module."""
    web = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    web.daemon_threads = True
    tls = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    tls.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path_factory.mktemp("tls")))
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    silent = _Silent()
    closed = free_port()  # bound, then closed: nothing listens there
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (web, tls)]
    for thread in threads:
        thread.start()
    web_at = f"127.0.0.1:{web.server_address[1]}"
    tls_at = f"127.0.0.1:{tls.server_address[1]}"
    try:
        yield Failing(
            bases={
                "name": f"http://{NOWHERE}",
                "refused": f"http://127.0.0.1:{closed}",
                "tls": f"https://{tls_at}",
                "silent": f"http://127.0.0.1:{silent.port}",
                "status": f"http://{web_at}/error",
                "page": f"http://{web_at}/page",
            },
            addresses={
                "refused": f"127.0.0.1:{closed}",
                "tls": tls_at,
                "silent": f"127.0.0.1:{silent.port}",
                "web": web_at,
            },
        )
    finally:
        for server in (web, tls):
            server.shutdown()
            server.server_close()
        silent.stop()


@dataclass(frozen=True)
class Kind:
    """One way of failing: its code, HTTP status, and what its message and fix say."""

    name: str
    code: str
    status: int
    message: str
    fix: str


#: Every way of failing a base URL shows; ``{...}`` are filled from the addresses.
KINDS = [
    Kind(
        "name",
        "name_not_resolved",
        502,
        f"the host name {NOWHERE} does not resolve",
        "check the host name in the service's URL",
    ),
    Kind(
        "refused",
        "connection_refused",
        502,
        "{refused} refused the connection: nothing listens there",
        "check the port in the service's URL",
    ),
    Kind(
        "tls",
        "tls_failure",
        502,
        "the TLS handshake with {tls} failed: certificate verify failed: self-signed certificate",
        "certificate is not trusted here",
    ),
    Kind("silent", "timed_out", 504, "no answer from {silent}", "retry later"),
    Kind(
        "status",
        "http_status",
        502,
        f"answered HTTP 500: {DOWN_WORDS}",
        "failed on its side: retry later",
    ),
    Kind(
        "page",
        "bad_answer",
        502,
        "the answer from {web} is not a valid {expected}",
        "is the service's own address",
    ),
]


def _expected(kind: Kind, failing: Failing, expected: str) -> str:
    return kind.message.format(expected=expected, **failing.addresses)


# ------------------------------------------------------------------ the lab


@dataclass
class Lab:
    """A lab (jupyter-server with the ESAP extension) on an esap.yaml, and its user's home."""

    url: str
    home: Path
    config: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, token: str | None = LAB_TOKEN) -> httpx.Client:
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.Client(base_url=f"{self.url}/esap/api/v1/", headers=headers, timeout=60)

    def esap(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run the ``esap`` command as the lab's user, in their home."""
        return subprocess.run(
            [sys.executable, "-m", "esap", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.home,
            env=esap_env(HOME=str(self.home), ESAP_CONFIG=str(self.config)),
            timeout=120,
            check=False,
        )


def esap_yaml(failing: Failing) -> dict[str, Any]:
    """A data service, a catalogue and an archive per way of failing, on its failing server."""
    return {
        "data_services": [
            {"name": f"tap-{k.name}", "type": "tap", "url": f"{failing.bases[k.name]}/tap",
             "timeout": TIMEOUT}
            for k in KINDS
        ],
        "software_catalogues": [
            {"name": f"codemeta-{k.name}", "type": "codemeta",
             "url": f"{failing.bases[k.name]}/codemeta.json", "options": {"timeout": TIMEOUT}}
            for k in KINDS
        ],
        "archives": [
            {"name": f"zenodo-{k.name}", "type": "zenodo", "url": f"{failing.bases[k.name]}/api",
             "options": {"timeout": TIMEOUT}}
            for k in KINDS
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def lab(failing: Failing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab outside a hub, configured by ``$ESAP_CONFIG``, in its own process group."""
    directory = tmp_path_factory.mktemp("failures-lab")
    home = directory / "home"
    home.mkdir()
    config = directory / "esap.yaml"
    config.write_text(yaml.safe_dump(esap_yaml(failing), sort_keys=False))
    port = free_port()
    log = directory / "lab.log"
    root = ["--allow-root"] if os.geteuid() == 0 else []
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", *root, "--no-browser",
             f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={LAB_TOKEN}",
             f"--ServerApp.root_dir={home}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=home,
            env=esap_env(HOME=str(home), ESAP_CONFIG=str(config)),
            start_new_session=True,
        )  # fmt: skip
    running = Lab(f"http://127.0.0.1:{port}", home, config, process, log)
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"the lab exited:\n{log.read_text()[-3000:]}")
            try:
                with running.api() as api:
                    if api.get("config").status_code == 200:
                        break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"the lab did not answer:\n{log.read_text()[-3000:]}")
        yield running
    finally:
        with_signal(process, signal.SIGTERM)


def with_signal(process: subprocess.Popen[bytes], sig: int) -> None:
    """Stop a process group: ``sig``, then SIGKILL if it is still there after 15 s."""
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# ------------------------------------------------------------------ the checks


def check_error(error: dict[str, Any], raw: str, kind: Kind, message: str) -> str:
    """The REST error names the failure and carries its fix once; returns the fix."""
    assert error["code"] == kind.code, error
    assert message in error["message"], error
    fix = str(error["fix"])
    assert kind.fix in fix, error
    assert fix not in error["message"], error
    assert error["message"] not in fix, error
    assert raw.count(kind.fix) == 1, raw
    return fix


def check_line(output: str, message: str, fix: str) -> None:
    """A face's text names the failure, and says its fix exactly once."""
    assert message in output, output
    assert output.count(fix) == 1, output


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_data_service_names_the_failure(lab: Lab, failing: Failing, kind: Kind) -> None:
    service = f"tap-{kind.name}"
    message = _expected(kind, failing, "VOTable")
    with lab.api() as api:
        answer = api.post("data/adql", json={"service": service, "query": "SELECT 1 FROM x"})
    assert answer.status_code == kind.status, answer.text
    fix = check_error(answer.json()["error"], answer.text, kind, message)

    # the federated search's event: the same words, code and fix apart
    with lab.api() as api:
        lines = api.post("data/search", json={"services": [service], "ra": 10, "dec": 41})
    events = [json.loads(line) for line in lines.text.splitlines() if line.strip()]
    (event,) = [e for e in events if e["event"] == "error"]
    assert (event["code"], event["fix"]) == (kind.code, fix), event
    assert message in event["message"], event

    done = lab.esap("search", "-s", service, "--ra", "10", "--dec", "41")
    assert done.returncode == 1, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.strip().startswith(f"{service}:"))
    assert line.strip().startswith(f"{service}: {kind.code}: "), line
    check_line(done.stderr, message, fix)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_software_catalogue_names_the_failure(lab: Lab, failing: Failing, kind: Kind) -> None:
    catalogue = f"codemeta-{kind.name}"
    message = _expected(kind, failing, "JSON document")
    with lab.api() as api:
        answer = api.get(f"software/records/{catalogue}/anything")
        found = api.get("software/search", params={"catalogues": catalogue}).json()
    assert answer.status_code == kind.status, answer.text
    fix = check_error(answer.json()["error"], answer.text, kind, message)
    assert message in found["errors"][catalogue], found

    # the notebook face: the exception's text is the message and the fix, once
    shown = run_python(
        lab,
        "import esap.software\n"
        "try:\n"
        f"    esap.software.get({catalogue!r}, 'anything')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc.code, str(exc))\n",
    )
    assert f" {kind.code} " in shown, shown
    check_line(shown, message, fix)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_an_archive_names_the_failure(lab: Lab, failing: Failing, kind: Kind) -> None:
    archive = f"zenodo-{kind.name}"
    message = _expected(kind, failing, "JSON document")
    (lab.home / f"{kind.name}.txt").write_text(kind.name)
    request = {
        "files": [f"{kind.name}.txt"],
        "metadata": {"title": f"Failures {kind.name}", "creators": [{"name": "Doe, Jane"}],
                     "description": "x", "license": "CC-BY-4.0"},
        "archive": archive,
    }  # fmt: skip
    with lab.api() as api:
        api.put(f"publish/tokens/{archive}", json={"token": "t0ken"}).raise_for_status()
        started = api.post("publish/publications", json=request)
        assert started.status_code == 202, started.text
        answer = wait_for_job(lambda: api.get(f"jobs/publish/{started.json()['id']}"))
    job = answer.json()
    assert job["state"] == "error", job
    fix = check_error(job["error"], answer.text, kind, message)

    done = lab.esap("publish", "token", archive, stdin="t0ken\n")
    assert done.returncode == 0, done.stderr
    (lab.home / f"{kind.name}-cli.txt").write_text(kind.name)
    done = lab.esap("publish", "create", f"{kind.name}-cli.txt", "--archive", archive, *METADATA)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "(retry: esap publish resume " in fix  # each publication's own id: not compared
    check_line(done.stderr, message, fix.split(" (retry: ")[0])


@pytest.mark.dachs
def test_an_adql_error_is_the_archives_own_words(lab: Lab, dachs: DachsService) -> None:
    with lab.api() as api:
        added = api.post("data/services", json={"name": "archive", "type": "tap",
                                                 "url": dachs.tap_url})  # fmt: skip
        assert added.status_code == 201, added.text
        try:
            answer = api.post(
                "data/adql", json={"service": "archive", "query": "SELECT nothing FROM nowhere"}
            )
        finally:
            api.delete("data/services/archive")
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "query_error", error
    with pytest.raises(pyvo.dal.DALQueryError) as direct:  # what the archive itself says
        pyvo.dal.TAPService(dachs.tap_url).run_sync("SELECT nothing FROM nowhere")
    assert error["message"] == str(direct.value.reason), error
    assert "nowhere" in error["message"], error
    assert error["fix"] == "correct the query as the service's message says"
    assert answer.text.count(error["fix"]) == 1


def test_a_rest_call_without_login_or_xsrf_says_what_to_send(lab: Lab) -> None:
    with lab.api(token=None) as anonymous:
        refused = anonymous.post("basket", json={"items": []})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "not_authenticated"
    assert error["message"] == "no token: send Authorization: token <your API token> or log in"
    assert "/hub/token" in error["fix"]

    with httpx.Client(base_url=lab.url, timeout=60) as browser:
        browser.get("/lab", params={"token": LAB_TOKEN})  # a browser's login: a cookie
        assert any(name.startswith("username-") for name in browser.cookies)
        cookie_only = browser.post("/esap/api/v1/basket", json={"items": []})
        assert cookie_only.status_code == 403
        error = cookie_only.json()["error"]
        assert error["code"] == "xsrf_missing"
        assert error["message"] == (
            "missing or wrong _xsrf: send the X-XSRFToken header with the _xsrf cookie's "
            "value, or authenticate with Authorization: token <token>"
        )
        assert "X-XSRFToken" not in error["fix"]
        xsrf = browser.cookies["_xsrf"]
        sent = browser.post(
            "/esap/api/v1/basket", json={"items": []}, headers={"X-XSRFToken": xsrf}
        )
        assert sent.status_code != 403, sent.text


# ------------------------------------------------------------------ helpers


def wait_for_job(read: Callable[[], httpx.Response]) -> httpx.Response:
    """Poll a job until it has ended (a count of polls, not a wall-clock limit)."""
    for _ in range(1200):
        answer = read().raise_for_status()
        if answer.json()["state"] not in ("pending", "running"):
            return answer
        time.sleep(0.1)
    raise AssertionError(f"the job is still running: {answer.text}")


def run_python(lab: Lab, code: str) -> str:
    """Run ``code`` as a notebook of the lab's user would (its config, its home)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=lab.home,
        env=esap_env(HOME=str(lab.home), ESAP_CONFIG=str(lab.config)),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
