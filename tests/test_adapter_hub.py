"""The adapter contract on a real hub: a community package, broken on purpose, over REST.

A throwaway distribution (a module and its ``.dist-info`` with entry points,
on the hub's ``PYTHONPATH``, as ``pip install`` would leave it) registers a
data service with a secret option, a data service whose module raises while
importing, a catalogue whose search raises and a healthy catalogue. The hub
must start all the same (a broken package warns, it does not stop the hub),
the lab's REST API must show the broken service with its reason, answer a
software search with the failing catalogue's error beside the other's hits,
and the secret option must reach the adapter on the user's server through the
variable the hub sets — checked by the adapter itself, which answers only
whether the value it resolved is the admin's (the secret never travels back).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.hub import RunningHub, hub_config, start_hub

pytestmark = pytest.mark.hub

USER = "ada"
#: The admin's environment variable holding the secret option's value.
ADMIN_VARIABLE = "ESAP_TEST_CONTRACT_KEY"
#: The variable the hub sets on user servers for the ``keyed`` service's ``api_key``.
SERVER_VARIABLE = "ESAP_SECRET_DATA_KEYED_API_KEY"

PROBE_MODULE = '''\
"""Adapters of a community package, as its author would write them."""

import hashlib
import os

from pydantic import Field

from esap.config.models import SecretRef
from esap.config.options import AdapterOptions
from esap.data.base import DataService
from esap.software.base import SoftwareCatalogue, SoftwareRecord


class KeyedOptions(AdapterOptions):
    api_key: SecretRef = Field(description="The service's key.")
    key_sha256: str = Field(description="What the key's SHA-256 must be (for the test).")


class KeyedService(DataService):
    Options = KeyedOptions

    def search(self, query):
        from astropy.table import Table

        value = self.options.api_key.resolve()
        matches = hashlib.sha256(value.encode()).hexdigest() == self.options.key_sha256
        return Table(
            {
                "probe": ["keyed"],
                "key_matches": [matches],
                "reference": [str(self.options.api_key)],
                "admin_variable_seen": ["{admin}" in os.environ],
            }
        )


class FailingCatalogue(SoftwareCatalogue):
    def search(self, query):
        raise ValueError("the community index is corrupt")

    def get(self, identifier):
        raise ValueError("the community index is corrupt")


class ListingCatalogue(SoftwareCatalogue):
    def search(self, query):
        return [SoftwareRecord(catalogue=self.name, identifier="probe-tool", name="probe-tool")]
'''.replace("{admin}", ADMIN_VARIABLE)

ENTRY_POINTS = """\
[esap.data_services]
contract-keyed = contract_probe:KeyedService
contract-broken = contract_broken:BrokenService

[esap.software_catalogues]
contract-failing = contract_probe:FailingCatalogue
contract-listing = contract_probe:ListingCatalogue
"""


def write_distribution(folder: Path) -> Path:
    """The throwaway package: its modules and its ``.dist-info``, importable from ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contract_probe.py").write_text(PROBE_MODULE, encoding="utf-8")
    (folder / "contract_broken.py").write_text(
        'raise RuntimeError("contract_broken was built for another ESAP Hub")\n',
        encoding="utf-8",
    )
    info = folder / "esap_contract_probe-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: esap-contract-probe\nVersion: 0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return folder


@dataclass
class ContractHub:
    """The hub, its user's token and the admin's secret."""

    hub: RunningHub
    token: str
    secret: str

    def client(self) -> httpx.Client:
        client = self.hub.user_api(USER, self.token)
        client.timeout = httpx.Timeout(120)
        return client


@pytest.fixture(scope="module")
def contract_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractHub]:
    """A hub whose esap.yaml names the throwaway package's adapters."""
    directory = tmp_path_factory.mktemp("contract-hub")
    package = write_distribution(directory / "site-packages")
    secret = secrets.token_hex(16)
    url = "http://127.0.0.1:9/probe"
    offer: dict[str, Any] = {
        "data_services": [
            {
                "name": "keyed",
                "type": "contract-keyed",
                "url": url,
                "options": {
                    "api_key": f"env:{ADMIN_VARIABLE}",
                    "key_sha256": hashlib.sha256(secret.encode()).hexdigest(),
                },
            },
            {"name": "broken", "type": "contract-broken", "url": url},
        ],
        "software_catalogues": [
            {"name": "failing", "type": "contract-failing"},
            {"name": "listing", "type": "contract-listing"},
        ],
    }
    with pytest.MonkeyPatch.context() as patch:
        # what the admin's environment holds where `esap hub` runs
        patch.setenv(ADMIN_VARIABLE, secret)
        patch.setenv(
            "PYTHONPATH",
            os.pathsep.join(filter(None, [str(package), os.environ.get("PYTHONPATH")])),
        )
        running = start_hub(directory, hub_config(directory, offer))
    try:
        running.start_server(USER)
        yield ContractHub(running, running.token_for(USER), secret)
    finally:
        running.stop()


def events(api: httpx.Client, request: dict[str, Any]) -> list[dict[str, Any]]:
    with api.stream("POST", "data/search", json=request) as answer:
        assert answer.status_code == 200, answer.read()
        return [json.loads(line) for line in answer.iter_lines() if line]


def test_the_hub_starts_and_warns_about_the_broken_package(contract_hub: ContractHub) -> None:
    log = contract_hub.hub.log_path.read_text(errors="replace")
    assert "data_services[1].type: 'contract-broken'" in log
    assert "contract_broken was built for another ESAP Hub" in log
    assert contract_hub.secret not in log


def test_the_public_config_marks_the_broken_entry_and_carries_only_references(
    contract_hub: ContractHub,
) -> None:
    with contract_hub.client() as api:
        answer = api.get("config")
    assert answer.status_code == 200, answer.text
    assert contract_hub.secret not in answer.text
    assert ADMIN_VARIABLE not in answer.text
    keyed, broken = answer.json()["data_services"]
    assert keyed["options"]["api_key"] == f"env:{SERVER_VARIABLE}"
    assert "error" not in keyed
    assert broken["options"] == {}
    assert "contract_broken was built for another ESAP Hub" in broken["error"]


def test_data_services_lists_the_broken_service_with_its_error(contract_hub: ContractHub) -> None:
    with contract_hub.client() as api:
        answer = api.get("data/services")
    assert answer.status_code == 200, answer.text
    services = {service["name"]: service for service in answer.json()["services"]}
    assert "error" not in services["keyed"]
    assert services["keyed"]["capabilities"] == ["search"]
    error = services["broken"]["error"]
    assert "importing contract_broken raised RuntimeError" in error
    assert "contract_broken was built for another ESAP Hub" in error
    assert services["broken"]["capabilities"] == []


def test_a_search_gets_the_secret_option_to_the_adapter_and_the_broken_service_errs(
    contract_hub: ContractHub,
) -> None:
    with contract_hub.client() as api:
        found = events(api, {"services": ["keyed", "broken"], "ra": 10.0, "dec": 41.0})
    by_service = {event["service"]: event for event in found if "service" in event}
    rows = by_service["keyed"]
    assert rows["event"] == "rows", rows
    names = [column["name"] for column in rows["columns"]]
    [row] = rows["rows"]
    values = dict(zip(names, row, strict=True))
    assert values == {
        "probe": "keyed",
        "key_matches": True,
        "reference": f"env:{SERVER_VARIABLE}",
        "admin_variable_seen": False,  # the server got the value, not the hub's environment
    }
    error = by_service["broken"]
    assert error["event"] == "error"
    assert "contract_broken was built for another ESAP Hub" in error["message"]
    assert contract_hub.secret not in json.dumps(found)


def test_a_software_search_answers_with_the_failing_catalogues_error_and_the_others_hits(
    contract_hub: ContractHub,
) -> None:
    with contract_hub.client() as api:
        answer = api.get("software/search")
        record = api.get("software/records/failing/probe-tool")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(hit["catalogue"], hit["identifier"]) for hit in body["hits"]] == [
        ("listing", "probe-tool")
    ]
    assert body["errors"] == {"failing": "failing: ValueError: the community index is corrupt"}
    assert record.status_code == 502, record.text
    assert record.json()["error"]["message"] == (
        "failing: ValueError: the community index is corrupt"
    )
