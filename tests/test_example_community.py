"""The example community package (``examples/community-adapters``) through every face of ESAP Hub.

The package is installed like any third-party one (``make test`` installs
it); its three adapters reach ESAP Hub only through their entry points. They
are driven against real servers: the ``community-collection`` service
against GAVO DaCHS, the ``community-list`` catalogue over the package's own
sample list, the ``community-vault`` archive in a folder; from the command
line, the notebook API, and the REST API of a user server of a real hub.

The service's secret option (``api_key``, sent as a header) is followed to
where it is used: a proxy in front of the archive records the header each
request carries, so the tests see the key arrive from the adapter on the
user's server, and nowhere else.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from astropy.table import Table
from esap_example_community import SAMPLE_SOFTWARE
from esap_example_community.collection import KEY_HEADER
from test_dachs import M51, inside

from esap.config.options import secret_variable
from harness.dachs import DachsService, csv_rows
from harness.hub import RunningHub, hub_config, start_hub

pytestmark = [pytest.mark.dachs]

RADIUS = 0.5
PROJECT = "lotss"
#: The topics the community's software entry keeps (WSClean and DP3 of the sample).
TOPICS = ["imaging", "calibration"]
ON_TOPIC = ["dp3", "wsclean"]
USER = "lotte"
METADATA = {
    "title": "LoTSS field P205+55: source catalogue",
    "creators": [{"name": "Doe, Jane", "affiliation": "ASTRON"}],
    "description": "Sources found with PyBDSF in one LoTSS field.",
    "license": "CC-BY-4.0",
}


# ------------------------------------------------------------ the entries


def collection(name: str, url: str, collection_name: str, **options: Any) -> dict[str, Any]:
    """A ``community-collection`` entry of ``data_services``."""
    return {
        "name": name,
        "type": "community-collection",
        "url": url,
        "title": f"Community view: {collection_name}",
        "timeout": 60,
        "options": {"collection": collection_name, **options},
    }


def software_list() -> dict[str, Any]:
    """The ``community-list`` entry over the package's sample list, on two topics."""
    return {
        "name": "lofar-software",
        "type": "community-list",
        "path": str(SAMPLE_SOFTWARE),
        "title": "LOFAR software",
        "options": {"topics": TOPICS, "max_records": 10},
    }


def vault(path: Path, **options: Any) -> dict[str, Any]:
    """The ``community-vault`` entry writing under ``path``."""
    return {
        "name": "vault",
        "type": "community-vault",
        "path": str(path),
        "title": "Community vault",
        "options": {"project": PROJECT, "max_files": 20, **options},
    }


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def esap(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``esap`` as an admin or a user runs it, in a clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "esap", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "ESAP_STATE_DIR": str(home / "state")},
    )


# ---------------------------------------------------- the header recorder


class KeyRecorder(ThreadingHTTPServer):
    """A proxy in front of the archive that records the ``X-Community-Key`` of each request.

    ``<url>/<route>/...`` forwards ``...`` to the archive and records
    ``(route, header value or None)``, so a test can tell which service's
    requests carried a key.
    """

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), RecorderHandler)
        self.upstream = upstream.rstrip("/")
        self.seen: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def url(self, route: str) -> str:
        """The proxied TAP URL of ``route``."""
        return f"http://127.0.0.1:{self.server_address[1]}/{route}/tap"

    def keys(self, route: str) -> set[str | None]:
        """The header values requests to ``route`` carried (``None``: no header)."""
        with self.lock:
            return {key for seen, key in self.seen if seen == route}


class RecorderHandler(BaseHTTPRequestHandler):
    server: KeyRecorder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _forward(self) -> None:
        _, route, rest = self.path.split("/", 2)
        with self.server.lock:
            self.server.seen.append((route, self.headers.get(KEY_HEADER)))
        length = int(self.headers.get("Content-Length") or 0)
        answer = httpx.request(
            self.command,
            f"{self.server.upstream}/{rest}",
            content=self.rfile.read(length) if length else None,
            headers={"Content-Type": self.headers.get("Content-Type", "text/plain")},
            timeout=120,
        )
        self.send_response(answer.status_code)
        for header in ("Content-Type", "Location"):
            if header in answer.headers:
                self.send_header(header, answer.headers[header])
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = _forward
    do_POST = _forward


@pytest.fixture(scope="module")
def recorder(dachs: DachsService) -> Iterator[KeyRecorder]:
    server = KeyRecorder(dachs.base_url)
    server.thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.thread.join(timeout=10)


@pytest.fixture(scope="module")
def expected(dachs: DachsService) -> list[str]:
    """The obs_ids of the archive's rows in the test cone."""
    rows = inside(csv_rows(dachs.images_csv), "s_ra", "s_dec", M51, RADIUS)
    assert rows, "the test cone must hold rows of the archive"
    return sorted(row["obs_id"] for row in rows)


# --------------------------------------------------- esap config check


def test_config_check_names_a_misspelt_and_a_mistyped_vault_option(
    dachs: DachsService, tmp_path: Path
) -> None:
    good = {
        "data_services": [collection("imaging", dachs.tap_url, dachs.collection)],
        "software_catalogues": [software_list()],
        "archives": [
            {"name": "local", "type": "local", "path": str(tmp_path / "bags")},
            vault(tmp_path / "vault"),
        ],
    }
    done = esap("config", "check", str(write_config(tmp_path / "good.yaml", good)), home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 data service, 1 software catalogue, 2 archives" in done.stdout + done.stderr

    bad = {**good, "archives": [good["archives"][0], vault(tmp_path / "vault")]}
    bad["archives"][1]["options"] = {"projcet": PROJECT, "max_files": "lots"}
    done = esap("config", "check", str(write_config(tmp_path / "bad.yaml", bad)), home=tmp_path)
    assert done.returncode == 1
    said = done.stdout + done.stderr
    assert "archives[1].options.projcet: 'lotss': unknown option — did you mean 'project'?" in said
    (mistyped,) = [line for line in said.splitlines() if "archives[1].options.max_files" in line]
    assert "'lots': expected an integer" in mistyped
    assert "e.g. max_files: 100" in mistyped  # the model's default, as the example to write
    assert "archives[1].options.project: (missing): required key is missing" in said


def test_config_schema_describes_each_types_options(tmp_path: Path) -> None:
    """What an admin's editor gets: each example type's options, typed and described."""
    done = esap("config", "schema", home=tmp_path)
    assert done.returncode == 0, done.stderr
    definitions = json.loads(done.stdout)["$defs"]
    vault_options = definitions["CommunityVaultOptions"]
    assert vault_options["required"] == ["project"]
    assert vault_options["additionalProperties"] is False
    max_files = vault_options["properties"]["max_files"]
    assert (max_files["type"], max_files["default"], max_files["minimum"]) == ("integer", 100, 1)
    assert max_files["description"].startswith("Files per record at most")
    api_key = definitions["CommunityCollectionOptions"]["properties"]["api_key"]
    assert "env:NAME or file:/path" in api_key["description"]
    topics = definitions["CommunityListOptions"]["properties"]["topics"]
    assert topics["type"] == "array"


def test_config_show_prints_what_user_servers_get(tmp_path: Path) -> None:
    """A secret option shows as the variable the hub sets on user servers, never its value."""
    entry = collection("keyed", "http://127.0.0.1:9/tap", "x", api_key="env:COMMUNITY_KEY")
    path = write_config(tmp_path / "esap.yaml", {"data_services": [entry]})
    done = esap("config", "show", str(path), home=tmp_path)
    assert done.returncode == 0, done.stderr
    (shown,) = json.loads(done.stdout)["data_services"]
    assert shown["options"] == {
        "collection": "x",
        "max_rows": 1000,
        "api_key": "env:ESAP_SECRET_DATA_KEYED_API_KEY",
    }
    assert "COMMUNITY_KEY" not in done.stdout


# ----------------------------------------------------------- esap search


def test_esap_search_lists_rows_of_the_collection_only(
    dachs: DachsService, tmp_path: Path, expected: list[str]
) -> None:
    config = write_config(
        tmp_path / "esap.yaml",
        {
            "data_services": [
                collection("imaging", dachs.tap_url, dachs.collection),
                collection("elsewhere", dachs.tap_url, "Another survey"),
                {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
            ]
        },
    )
    done = esap(
        "search", "--config", str(config), "-s", "imaging", "-s", "elsewhere",
        "--ra", str(M51[0]), "--dec", str(M51[1]), "--radius", str(RADIUS), "-f", "ecsv",
        home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "searching 2 service(s): imaging, elsewhere" in done.stderr
    assert f"imaging: {len(expected)} rows" in done.stderr
    assert "elsewhere: 0 rows" in done.stderr
    table = Table.read(done.stdout, format="ascii.ecsv")
    assert set(table["service"]) == {"imaging"}
    assert set(table["obs_collection"]) == {dachs.collection}
    assert sorted(table["obs_id"]) == expected


def test_the_key_goes_to_its_own_service_only(
    dachs: DachsService,
    recorder: KeyRecorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    expected: list[str],
) -> None:
    """In a notebook: the key is read from the environment and sent by this service only."""
    import esap.data

    key = secrets.token_hex(12)
    monkeypatch.setenv("COMMUNITY_ARCHIVE_KEY", key)
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("ESAP_PUBLIC_CONFIG", raising=False)
    config = write_config(
        tmp_path / "esap.yaml",
        {
            "data_services": [
                collection(
                    "keyed",
                    recorder.url("notebook-keyed"),
                    dachs.collection,
                    api_key="env:COMMUNITY_ARCHIVE_KEY",
                ),
                {"name": "plain", "type": "tap", "url": recorder.url("notebook-plain")},
            ]
        },
    )
    result = esap.data.search(
        ra=M51[0], dec=M51[1], radius=RADIUS, services=["keyed", "plain"], config=config
    )
    assert result.errors == {}
    assert sorted(result.tables["keyed"]["obs_id"]) == expected
    assert len(result.tables["plain"]) > 0
    assert recorder.keys("notebook-keyed") == {key}
    # the session all services share never learnt the key
    assert recorder.keys("notebook-plain") == {None}
    assert key not in repr(result)


# ---------------------------------------------------- the notebook API


def test_software_search_honours_the_entrys_topics(tmp_path: Path) -> None:
    import esap.software

    config = write_config(tmp_path / "esap.yaml", {"software_catalogues": [software_list()]})
    found = esap.software.search(config=config, catalogues=["lofar-software"])
    assert sorted(found["identifier"]) == ON_TOPIC
    # a search within the topics; PyBDSF (source finding) matches "radio" but is off topic
    radio = esap.software.search("radio", config=config, catalogues=["lofar-software"])
    assert sorted(radio["identifier"]) == ON_TOPIC
    record = esap.software.get("lofar-software", "wsclean", config=config)
    assert record.repository == "https://gitlab.com/aroffringa/wsclean"


def test_publish_writes_the_record_in_the_entrys_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import esap.publish

    home = tmp_path / "home"
    home.mkdir()
    (home / "sources.csv").write_text("ra,dec,flux\n205.1,55.2,0.8\n", encoding="utf-8")
    config = write_config(tmp_path / "esap.yaml", {"archives": [vault(tmp_path / "vault")]})
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ESAP_CONFIG", str(config))
    monkeypatch.delenv("ESAP_PUBLIC_CONFIG", raising=False)
    monkeypatch.delenv("ESAP_STATE_DIR", raising=False)
    monkeypatch.chdir(home)

    publication = esap.publish.publish(["sources.csv"], METADATA, archive="vault", progress=False)
    assert publication.state == "published", publication
    assert publication.url is not None
    folder = Path(publication.url.removeprefix("file://"))
    assert folder.parent == tmp_path / "vault" / PROJECT / "records"
    assert (folder / "files" / "sources.csv").is_file()
    again = esap.publish.publish(["sources.csv"], METADATA, archive="vault", progress=False)
    assert again.id == publication.id
    assert len(list(folder.parent.iterdir())) == 1


# ---------------------------------------------- a user server of a real hub


@dataclass
class CommunityHub:
    """A hub offering the example's adapters beside built-in ones, and its user."""

    hub: RunningHub
    user: str
    token: str
    vault: Path
    secret: str

    @property
    def home(self) -> Path:
        return self.hub.data_dir / "homes" / self.user

    def client(self) -> httpx.Client:
        client = self.hub.user_api(self.user, self.token)
        client.timeout = httpx.Timeout(120)
        return client


def community_config(
    directory: Path, dachs: DachsService, data_services: list[dict[str, Any]]
) -> dict[str, Any]:
    """A test hub's esap.yaml whose offer is the example's three adapters and built-in ones."""
    return hub_config(
        directory,
        {
            "data_services": [
                {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
                *data_services,
            ],
            "software_catalogues": [software_list()],
            "archives": [
                {"name": "local", "type": "local", "path": str(directory / "bags")},
                vault(directory / "vault"),
            ],
            "resolver": {"type": "table", "targets": {"M51": list(M51)}},
        },
    )


@pytest.fixture(scope="module")
def community_hub(
    tmp_path_factory: pytest.TempPathFactory, dachs: DachsService, recorder: KeyRecorder
) -> Iterator[CommunityHub]:
    directory = tmp_path_factory.mktemp("community-hub")
    secret = secrets.token_hex(16)
    key_file = directory / "community-key"
    key_file.write_text(secret)
    config = community_config(
        directory,
        dachs,
        [
            collection("imaging", dachs.tap_url, dachs.collection),
            collection(
                "keyed", recorder.url("hub-keyed"), dachs.collection, api_key=f"file:{key_file}"
            ),
        ],
    )
    running = start_hub(directory, config)
    try:
        running.start_server(USER)
        yield CommunityHub(running, USER, running.token_for(USER), directory / "vault", secret)
    finally:
        running.stop()


def stream(api: httpx.Client, request: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(the raw answer, its events) of one search."""
    with api.stream("POST", "data/search", json=request) as answer:
        assert answer.status_code == 200, answer.read()
        text = answer.read().decode()
    return text, [json.loads(line) for line in text.splitlines() if line]


def column(event: dict[str, Any], name: str) -> list[Any]:
    index = [c["name"] for c in event["columns"]].index(name)
    return [row[index] for row in event["rows"]]


@pytest.mark.hub
def test_rest_lists_and_searches_the_collection_service(
    community_hub: CommunityHub, dachs: DachsService, expected: list[str]
) -> None:
    with community_hub.client() as api:
        services = {s["name"]: s for s in api.get("data/services").json()["services"]}
        imaging = services["imaging"]
        assert imaging["type"] == "community-collection"
        assert imaging["capabilities"] == ["search"]
        assert "error" not in imaging
        _, events = stream(
            api, {"services": ["imaging"], "ra": M51[0], "dec": M51[1], "radius": RADIUS}
        )
    (rows,) = [e for e in events if e["event"] == "rows"]
    assert rows["service"] == "imaging"
    assert rows["total"] == len(expected)
    assert sorted(column(rows, "obs_id")) == expected
    assert set(column(rows, "obs_collection")) == {dachs.collection}
    assert [e for e in events if e["event"] == "error"] == []


@pytest.mark.hub
def test_rest_software_search_returns_the_community_list(community_hub: CommunityHub) -> None:
    with community_hub.client() as api:
        listed = api.get("software/catalogues").raise_for_status().json()["catalogues"]
        assert [c["name"] for c in listed] == ["lofar-software"]
        found = api.get("software/search", params={"catalogues": "lofar-software"})
        body = found.raise_for_status().json()
        assert sorted(h["identifier"] for h in body["hits"]) == ON_TOPIC
        assert body["errors"] == {}
        details = api.get("software/records/lofar-software/dp3").raise_for_status().json()
        assert details["repository"] == "https://git.astron.nl/RD/DP3"


@pytest.mark.hub
def test_rest_publishes_to_the_vault(community_hub: CommunityHub) -> None:
    home = community_hub.home
    (home / "catalogue.csv").write_text("ra,dec\n205.1,55.2\n", encoding="utf-8")
    with community_hub.client() as api:
        request = {"files": ["catalogue.csv"], "metadata": METADATA, "archive": "vault"}
        started = api.post("publish/publications", json=request)
        assert started.status_code == 202, started.text
        publication = started.json()["id"]
        for _ in range(600):
            body = api.get(f"publish/publications/{publication}").json()
            if not body["running"] and (body["published"] or body["error"]):
                break
            time.sleep(0.1)
    assert body["published"] is True, body
    folder = Path(body["record"]["url"].removeprefix("file://"))
    assert folder.parent == community_hub.vault / PROJECT / "records"
    assert (folder / "files" / "catalogue.csv").read_bytes() == b"ra,dec\n205.1,55.2\n"


def user_server_environment(hub: RunningHub, user: str) -> dict[str, str]:
    """The environment of ``user``'s server: the process that talks to this hub's API as them."""
    api = f":{hub.config['hub']['internal_port']}/"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "environ").read_bytes()
        except OSError:
            continue
        variables = dict(
            item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item
        )
        if (
            variables.get("JUPYTERHUB_USER") == user
            and api in variables.get("JUPYTERHUB_API_URL", "")
            and "ESAP_PUBLIC_CONFIG" in variables
        ):
            return variables
    raise AssertionError(f"no server of {user} on the hub at {hub.url}")


@pytest.mark.hub
def test_the_secret_option_reaches_the_adapter_on_the_user_server(
    community_hub: CommunityHub, recorder: KeyRecorder, expected: list[str]
) -> None:
    variable = secret_variable("data", "keyed", "api_key")
    secret = community_hub.secret
    with community_hub.client() as api:
        offered = api.get("config").raise_for_status()
        (keyed,) = [s for s in offered.json()["data_services"] if s["name"] == "keyed"]
        assert keyed["options"]["api_key"] == f"env:{variable}"
        text, events = stream(
            api, {"services": ["keyed"], "ra": M51[0], "dec": M51[1], "radius": RADIUS}
        )
        services = api.get("data/services").text
    (rows,) = [e for e in events if e["event"] == "rows"]
    assert sorted(column(rows, "obs_id")) == expected
    # the adapter on the user's server resolved the reference and sent the key
    assert recorder.keys("hub-keyed") == {secret}
    environment = user_server_environment(community_hub.hub, community_hub.user)
    assert environment[variable] == secret
    assert secret not in environment["ESAP_PUBLIC_CONFIG"]
    for seen in (offered.text, text, services, community_hub.hub.log_path.read_text()):
        assert secret not in seen
