"""Every built-in adapter passes the conformance suite shipped in ``esap.testing``.

One subclass per adapter registered in ``esap.plugins.BUILTIN``, each given
only its entry (with options, so the options checks have something to
carry), a search that finds something, and, for an archive that needs one,
a token. The servers are the tests' own: GAVO DaCHS for TAP, SIAv2, SCS,
SSA and the registry; a real Rucio; the Panoptes, Zenodo and InvenioRDM
stand-ins; a Zenodo records API for the OSSR (as in
``test_software_catalogues``); the shipped codemeta folder.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standins.fixtures import RunningArchive, RunningPanoptes
from standins.server import running
from test_dachs import M31, M51
from test_software_catalogues import DATA as ZENODO_DATA
from test_software_catalogues import Codemeta, Record, Records
from tornado import web

from esap import plugins
from esap.testing import (
    ArchiveConformance,
    DataServiceConformance,
    SoftwareCatalogueConformance,
)
from harness.dachs import DachsService
from harness.rucio import RucioLake

REPO = Path(__file__).resolve().parents[1]
#: pyvo does not model DaCHS's capability extensions; harmless.
DACHS_WARNINGS = [
    pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]


def dachs_service(cls: type) -> type:
    """Mark a class whose checks talk to the session's DaCHS."""
    for mark in [pytest.mark.dachs, *DACHS_WARNINGS]:
        cls = mark(cls)
    return cls


# ------------------------------------------------------------------ data services


@dachs_service
class TestTap(DataServiceConformance):
    @pytest.fixture
    def entry(self, dachs: DachsService) -> dict[str, Any]:
        return {
            "name": "archive-tap",
            "type": "tap",
            "url": dachs.tap_url,
            "timeout": 60,
            "options": {"table": dachs.obscore_table, "text_columns": ["obs_title"]},
        }

    @pytest.fixture
    def search_kwargs(self, dachs: DachsService) -> dict[str, Any]:
        return {"ra": M31[0], "dec": M31[1], "radius": 1.0, "collection": dachs.collection}


@dachs_service
class TestSia2(DataServiceConformance):
    @pytest.fixture
    def entry(self, dachs: DachsService) -> dict[str, Any]:
        return {"name": "archive-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60}

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"ra": M31[0], "dec": M31[1], "radius": 1.0}


@dachs_service
class TestScs(DataServiceConformance):
    @pytest.fixture
    def entry(self, dachs: DachsService) -> dict[str, Any]:
        return {"name": "archive-cone", "type": "scs", "url": dachs.scs_url, "timeout": 60}

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"ra": M51[0], "dec": M51[1], "radius": 0.3}


@dachs_service
class TestSsa(DataServiceConformance):
    @pytest.fixture
    def entry(self, dachs: DachsService) -> dict[str, Any]:
        return {"name": "archive-spectra", "type": "ssa", "url": dachs.ssa_url, "timeout": 60}

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"ra": M31[0], "dec": M31[1], "radius": 0.1}


@dachs_service
class TestRegistry(DataServiceConformance):
    @pytest.fixture
    def entry(self, dachs: DachsService) -> dict[str, Any]:
        return {"name": "registry", "type": "registry", "url": dachs.registry_url, "timeout": 60}

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"text": "ESAP"}


class TestRucio(DataServiceConformance):
    @pytest.fixture(autouse=True)
    def alice(self, rucio_lake: RucioLake, monkeypatch: pytest.MonkeyPatch) -> None:
        """Alice's server: the hub gave it her token for Rucio's audience."""
        monkeypatch.setenv("ESAP_ACCESS_TOKEN_RUCIO", rucio_lake.alice_token)

    @pytest.fixture
    def config_extra(self, rucio_lake: RucioLake, monkeypatch: pytest.MonkeyPatch) -> dict:
        """A hub logging in with OpenID Connect, whose token exchange names Rucio's audience."""
        monkeypatch.setenv("ESAP_TEST_OIDC_SECRET", "test-value")
        oidc = {
            "issuer": "https://iam.example.org/",
            "client_id": "esap",
            "client_secret": "env:ESAP_TEST_OIDC_SECRET",
            "audiences": {"rucio": rucio_lake.url},
        }
        return {"auth": {"type": "oidc", "oidc": oidc}}

    @pytest.fixture
    def entry(self, rucio_lake: RucioLake) -> dict[str, Any]:
        return {
            "name": "lake",
            "type": "rucio",
            "url": rucio_lake.url,
            "timeout": 60,
            "options": {"audience": "rucio", "scope": rucio_lake.scope},
        }

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"text": "obs*"}


class TestZooniverse(DataServiceConformance):
    @pytest.fixture
    def entry(self, zooniverse_standin: RunningPanoptes) -> dict[str, Any]:
        return {
            "name": "zooniverse",
            "type": "zooniverse",
            "url": zooniverse_standin.url,
            "options": {"page_size": 10},
        }

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"text": "galaxies"}


# ------------------------------------------------------------- software catalogues


class TestCodemeta(SoftwareCatalogueConformance):
    @pytest.fixture
    def entry(self) -> dict[str, Any]:
        return {
            "name": "curated",
            "type": "codemeta",
            "path": str(REPO / "tests" / "data" / "software"),
            "options": {"binderhub_url": "https://binder.example.org"},
        }

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"text": "demo", "language": "python"}


@pytest.fixture(scope="module")
def ossr_api() -> Iterator[str]:
    """Zenodo's records API over the shipped OSSR records (``test_software_catalogues``)."""
    records: list[dict[str, Any]] = []
    app = web.Application(
        [
            (r"/api/records", Records, {"records": records}),
            (r"/api/records/(\d+)", Record, {"records": records}),
            (r"/api/records/(\d+)/files/codemeta.json/content", Codemeta),
        ]
    )
    with running(app) as server:
        text = (ZENODO_DATA / "records.json").read_text().replace("{base}", server.url)
        records.extend(json.loads(text))
        yield f"{server.url}/api"


class TestOssr(SoftwareCatalogueConformance):
    @pytest.fixture
    def entry(self, ossr_api: str) -> dict[str, Any]:
        return {
            "name": "ossr",
            "type": "ossr",
            "url": ossr_api,
            "options": {"community": "escape2020", "timeout": 20},
        }

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"text": "gamma-ray"}


# ------------------------------------------------------------------------ archives


class TestLocal(ArchiveConformance):
    @pytest.fixture
    def entry(self, tmp_path: Path) -> dict[str, Any]:
        return {"name": "local", "type": "local", "path": str(tmp_path / "archive")}


def fresh_user(standin: RunningArchive) -> str:
    """A token of a user of their own, so one check never sees another's records."""
    token = secrets.token_urlsafe(16)
    standin.state.tokens[token] = f"conformance-{token[:8]}"
    return token


class TestZenodo(ArchiveConformance):
    @pytest.fixture
    def entry(self, zenodo_standin: RunningArchive) -> dict[str, Any]:
        return {
            "name": "zenodo",
            "type": "zenodo",
            "url": zenodo_standin.api,
            "options": {"timeout": 20},
        }

    @pytest.fixture
    def token(self, zenodo_standin: RunningArchive) -> str:
        return fresh_user(zenodo_standin)


class TestInvenioRdm(ArchiveConformance):
    @pytest.fixture
    def entry(self, rdm_standin: RunningArchive) -> dict[str, Any]:
        return {
            "name": "rdm",
            "type": "invenio-rdm",
            "title": "Test RDM",
            "url": rdm_standin.api,
            "options": {"publisher": "ESAP Hub tests", "timeout": 20},
        }

    @pytest.fixture
    def token(self, rdm_standin: RunningArchive) -> str:
        return fresh_user(rdm_standin)


# ------------------------------------------------------------------- completeness

#: The class above that checks each built-in adapter, by entry-point group and type.
CHECKED: dict[str, dict[str, type]] = {
    plugins.DATA_SERVICES: {
        "tap": TestTap,
        "sia2": TestSia2,
        "scs": TestScs,
        "ssa": TestSsa,
        "registry": TestRegistry,
        "rucio": TestRucio,
        "zooniverse": TestZooniverse,
    },
    plugins.SOFTWARE_CATALOGUES: {"codemeta": TestCodemeta, "ossr": TestOssr},
    plugins.ARCHIVES: {"local": TestLocal, "zenodo": TestZenodo, "invenio-rdm": TestInvenioRdm},
}


def test_every_builtin_adapter_has_a_conformance_class() -> None:
    """A built-in adapter added to the registry without a class here fails this test."""
    for group, adapters in plugins.BUILTIN.items():
        missing = sorted(set(adapters) - set(CHECKED[group]))
        assert not missing, f"{group}: add a conformance class for {missing} to this module"
