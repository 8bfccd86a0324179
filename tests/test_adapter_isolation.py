"""The adapter contract, engine side: whatever an adapter raises stays that adapter's error.

The adapters here fail on purpose (in their constructor, their search, their
record look-up) beside healthy ones, registered as built-ins for the test;
each face of the engine (the federation and ``esap.data.search``,
``esap.software.search``/``get``, the ``Publisher``) must report the failing
adapter by name and still deliver the healthy one's results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from astropy.table import Table

import esap.data
import esap.software
from esap import plugins
from esap.config import loads, public
from esap.config.options import AdapterOptions
from esap.data.base import DataService, Query, ServiceEntry
from esap.data.catalog import BrokenAdapter, Catalog
from esap.publish.base import Archive, ArchiveSettings
from esap.publish.engine import PreparationError, Publisher
from esap.software import CatalogueError, catalogue, search_all
from esap.software.base import CatalogueEntry, SoftwareCatalogue, SoftwareQuery, SoftwareRecord


class HealthyService(DataService):
    """Answers one row wherever it is asked."""

    def search(self, query: Query) -> Table:
        return Table({"obs_id": ["healthy-1"], "s_ra": [query.ra], "s_dec": [query.dec]})


class ExplodingService(DataService):
    """Cannot even be built."""

    def __init__(self, entry: ServiceEntry, session: Any = None) -> None:
        raise RuntimeError("the probe service's client library is misconfigured")


class CrashingService(DataService):
    """Is built, then fails in its search with an exception no one planned for."""

    def search(self, query: Query) -> Table:
        raise KeyError("s_region")


class StrictOptions(AdapterOptions):
    """Options that a stale public config no longer satisfies."""

    level: int = 1


class StrictService(HealthyService):
    """A healthy service whose options are declared."""

    Options = StrictOptions


class HealthyCatalogue(SoftwareCatalogue):
    """Lists one piece of software and gives its details."""

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        return [SoftwareRecord(catalogue=self.name, identifier="probe-tool", name="probe-tool")]

    def get(self, identifier: str) -> SoftwareRecord:
        if identifier != "probe-tool":
            raise LookupError(f"no software {identifier!r}")
        return self.search(SoftwareQuery())[0]


class FailingCatalogue(SoftwareCatalogue):
    """Fails in every call with a plain ValueError."""

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        raise ValueError("the catalogue's index is corrupt")

    def get(self, identifier: str) -> SoftwareRecord:
        raise ZeroDivisionError("division by zero in the record view")


class ExplodingCatalogue(SoftwareCatalogue):
    """Cannot be built."""

    def __init__(self, entry: Any, base: Path | None = None) -> None:
        raise OSError("the catalogue's cache folder is read-only")


class ExplodingArchive(Archive):
    """Cannot be built."""

    def __init__(self, settings: ArchiveSettings, token: str | None = None) -> None:
        raise AttributeError("'NoneType' object has no attribute 'rstrip'")


ADAPTERS = {
    plugins.DATA_SERVICES: {
        "healthy": "HealthyService",
        "exploding": "ExplodingService",
        "crashing": "CrashingService",
        "strict": "StrictService",
    },
    plugins.SOFTWARE_CATALOGUES: {
        "healthy-catalogue": "HealthyCatalogue",
        "failing-catalogue": "FailingCatalogue",
        "exploding-catalogue": "ExplodingCatalogue",
    },
    plugins.ARCHIVES: {"exploding-archive": "ExplodingArchive"},
}

CONFIG: dict[str, Any] = {
    "data_services": [
        {"name": "good", "type": "healthy", "url": "https://good.example.org/tap"},
        {"name": "boom", "type": "exploding", "url": "https://boom.example.org/tap"},
        {"name": "crash", "type": "crashing", "url": "https://crash.example.org/tap"},
    ],
    "software_catalogues": [
        {"name": "good-software", "type": "healthy-catalogue"},
        {"name": "bad-software", "type": "failing-catalogue"},
        {"name": "boom-software", "type": "exploding-catalogue"},
    ],
    "archives": [
        {"name": "boom-archive", "type": "exploding-archive", "url": "https://a.example.org/api"},
        {"name": "bags", "type": "local", "path": "bags"},
    ],
}


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """This module's adapters, registered as built-ins for the test."""
    for group, adapters in ADAPTERS.items():
        for name, attribute in adapters.items():
            monkeypatch.setitem(plugins.BUILTIN[group], name, f"{__name__}:{attribute}")


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The esap.yaml of these adapters; the user's state in ``tmp_path``."""
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    for variable in ("ESAP_PUBLIC_CONFIG", "ESAP_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "esap.yaml"
    path.write_text(yaml.safe_dump(CONFIG, sort_keys=False), encoding="utf-8")
    return path


def offered() -> dict[str, Any]:
    return public(loads(yaml.safe_dump(CONFIG)))


# --------------------------------------------------------------------------- data


def test_an_adapter_whose_constructor_raises_is_a_broken_adapter_with_the_reason() -> None:
    catalog = Catalog(offered())
    adapter = catalog.adapter("boom")
    assert isinstance(adapter, BrokenAdapter)
    assert adapter.reason == (
        "the exploding adapter could not start: RuntimeError: the probe service's client "
        "library is misconfigured"
    )
    described = adapter.describe()
    assert described["name"] == "boom"
    assert described["error"] == adapter.reason
    assert described["capabilities"] == []
    with pytest.raises(RuntimeError, match="could not start"):
        adapter.search(Query(ra=1.0, dec=2.0))
    # the others are built as usual, and listing every service never raises
    assert isinstance(catalog.adapter("good"), HealthyService)
    listed = {service["name"]: service for service in catalog.describe()}
    assert "error" not in listed["good"]
    assert listed["boom"]["error"] == adapter.reason


def test_an_entry_the_hub_could_not_load_is_broken_with_the_hubs_reason() -> None:
    view = offered()
    view["data_services"][0]["error"] = "cannot load the data service adapter 'healthy'"
    adapter = Catalog(view).adapter("good")
    assert isinstance(adapter, BrokenAdapter)
    assert adapter.describe()["error"] == "cannot load the data service adapter 'healthy'"


def test_options_an_adapter_refuses_at_start_make_it_broken_not_the_search() -> None:
    entry = ServiceEntry(
        name="stale", type="strict", url="https://s.example.org/tap", options={"level": "high"}
    )
    adapter = Catalog({"data_services": []}).adapter(entry)
    assert isinstance(adapter, BrokenAdapter)
    assert adapter.reason.startswith("the strict adapter refused its options (options.level: ")
    assert adapter.reason.endswith("; check esap.yaml")


def test_a_search_reports_each_failing_adapter_and_keeps_the_healthy_rows(
    config_path: Path,
) -> None:
    result = esap.data.search(ra=10.5, dec=41.25, radius=0.1, config=config_path)
    assert list(result.tables) == ["good"]
    assert list(result.tables["good"]["obs_id"]) == ["healthy-1"]
    fix = " — retry; if it fails again, report it to the hub admin with this message"
    assert result.errors == {
        "boom": "RuntimeError: the exploding adapter could not start: RuntimeError: the probe "
        "service's client library is misconfigured" + fix,
        "crash": "KeyError: 's_region'" + fix,
    }
    assert list(result.combined["service"]) == ["good"]


def test_the_federation_streams_an_error_event_per_failing_adapter(config_path: Path) -> None:
    from esap.data.searches import prepare

    catalog = Catalog(offered())
    prepared = prepare(catalog, {"ra": 10.5, "dec": 41.25, "radius": 0.1})
    events = list(prepared.federation.events())
    by_service = {event["service"]: event for event in events if "service" in event}
    assert [events[0]["event"], events[-1]["event"]] == ["started", "done"]
    assert by_service["good"]["event"] == "rows"
    assert by_service["good"]["total"] == 1
    assert by_service["boom"]["event"] == "error"
    assert by_service["boom"]["code"] == "error"
    assert "could not start" in by_service["boom"]["message"]
    assert by_service["crash"] == {**by_service["crash"], "event": "error", "code": "error"}
    assert by_service["crash"]["message"] == "KeyError: 's_region'"


# --------------------------------------------------------------------------- software


def test_software_search_lists_a_failing_catalogues_error_beside_the_others_hits() -> None:
    entries = offered()["software_catalogues"]
    records, errors = search_all(entries, SoftwareQuery())
    assert [(r.catalogue, r.identifier) for r in records] == [("good-software", "probe-tool")]
    assert errors == {
        "bad-software": "bad-software: ValueError: the catalogue's index is corrupt",
        "boom-software": "boom-software: the exploding-catalogue adapter could not start: "
        "OSError: the catalogue's cache folder is read-only",
    }


def test_the_notebook_search_prints_the_errors_and_returns_the_hits(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = esap.software.search(config=config_path)
    assert list(table["catalogue"]) == ["good-software"]
    printed = capsys.readouterr().out
    assert "bad-software: bad-software: ValueError: the catalogue's index is corrupt" in printed
    assert "boom-software: " in printed


def test_a_record_from_a_failing_catalogue_is_a_catalogue_error_naming_it(
    config_path: Path,
) -> None:
    with pytest.raises(CatalogueError) as info:
        esap.software.get("bad-software", "probe-tool", config=config_path)
    assert info.value.message == (
        "bad-software: ZeroDivisionError: division by zero in the record view"
    )
    # the notebook shows the message with its fix, once
    assert str(info.value) == f"{info.value.message} — {info.value.fix}"
    with pytest.raises(CatalogueError, match=r"^boom-software: the exploding-catalogue adapter"):
        esap.software.get("boom-software", "probe-tool", config=config_path)
    # a missing record stays a LookupError; a healthy catalogue answers
    with pytest.raises(LookupError, match="no software 'nothing'"):
        esap.software.get("good-software", "nothing", config=config_path)
    assert esap.software.get("good-software", "probe-tool", config=config_path).name == (
        "probe-tool"
    )


def test_building_a_catalogue_raises_only_catalogue_errors() -> None:
    entries = {entry["name"]: entry for entry in offered()["software_catalogues"]}
    with pytest.raises(CatalogueError, match="could not start: OSError"):
        catalogue(entries["boom-software"])
    marked = CatalogueEntry.from_public({**entries["good-software"], "error": "not installed"})
    with pytest.raises(CatalogueError) as refused:
        catalogue(marked)
    assert refused.value.message == "good-software: not installed"
    with pytest.raises(CatalogueError, match="no software catalogue adapter named 'absent'"):
        catalogue({"name": "gone", "type": "absent"})


# --------------------------------------------------------------------------- publish


def test_an_archive_whose_constructor_raises_is_a_preparation_error_naming_it(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "result.txt").write_text("42\n", encoding="utf-8")
    archives = [
        ArchiveSettings(name="boom-archive", type="exploding-archive", url="https://a.example"),
        ArchiveSettings(name="gone", type="local", error="the hub could not load it"),
    ]
    publisher = Publisher(home, archives=archives)
    metadata = {"title": "A result", "creators": ["Doe, Jane"], "description": "The answer."}
    with pytest.raises(PreparationError) as info:
        publisher.publish(["result.txt"], metadata, "boom-archive")
    assert info.value.field == "archive"
    assert info.value.message == (
        "boom-archive: the exploding-archive adapter could not start: AttributeError: "
        "'NoneType' object has no attribute 'rstrip'"
    )
    assert "esap config check" in info.value.fix
    with pytest.raises(PreparationError) as marked:
        publisher.publish(["result.txt"], metadata, "gone")
    assert marked.value.message == "gone: the hub could not load it"
    assert publisher.journal.entries() == []
