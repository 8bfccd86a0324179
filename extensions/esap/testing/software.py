"""The conformance checks of a software catalogue adapter: search, record details, contained errors.

Beyond the config checks every kind shares (``esap.testing.base``): the
notebook face (``esap.software.search``) finds the catalogue's records,
``esap.software.get`` gives the details of a hit, and an exception the
adapter raises, in ``search``, ``get`` or its constructor, is that
catalogue's error (``CatalogueError`` naming it) while another catalogue's
hits arrive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from esap import plugins
from esap.software.base import (
    CatalogueEntry,
    CatalogueError,
    SoftwareCatalogue,
    SoftwareQuery,
    SoftwareRecord,
)
from esap.testing.base import BOOM, AdapterConformance, Conformance, boom

#: The name and type of the catalogue that always answers, beside the one under test.
ANSWERING = "conformance-answering"


class AnsweringCatalogue(SoftwareCatalogue):
    """A catalogue that answers every search with one record: the "other catalogue"."""

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        """One record, whatever was asked."""
        return [self.get("still-here")]

    def get(self, identifier: str) -> SoftwareRecord:
        """A record of that identifier."""
        return SoftwareRecord(self.name, identifier, "still here")


class SoftwareCatalogueConformance(AdapterConformance):
    """The conformance suite of a software catalogue adapter (see ``esap.testing``).

    Fixtures to give: ``entry`` (the entry under ``software_catalogues``) and
    ``search_kwargs`` (keyword arguments of ``esap.software.search`` — text,
    language, licence, runtime, limit — that find at least one record).
    Optional: ``config_extra``.
    """

    section: ClassVar[str] = "software_catalogues"

    def _conformance_build(
        self, conformance: Conformance, request: pytest.FixtureRequest
    ) -> SoftwareCatalogue:
        from esap.software import catalogue, offered

        # a user server reads the public config the hub put in its environment
        (entry,) = [e for e in offered() if e["name"] == conformance.name]
        return catalogue(CatalogueEntry.from_public(entry))

    @pytest.fixture
    def conformance_answering(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        """The entry of a catalogue that always answers, registered for this test only."""
        monkeypatch.setitem(
            plugins.BUILTIN[plugins.SOFTWARE_CATALOGUES],
            ANSWERING,
            f"{__name__}:AnsweringCatalogue",
        )
        return {"name": ANSWERING, "type": ANSWERING}

    def _search(
        self, path: Path, name: str, search_kwargs: dict[str, Any], capsys: Any
    ) -> tuple[Any, str]:
        import esap.software

        table = esap.software.search(config=path, catalogues=[name], **search_kwargs)
        printed = capsys.readouterr().out
        return table, "\n".join(
            line for line in printed.splitlines() if line.startswith(f"{name}:")
        )

    # -------------------------------------------------------------- the checks

    def test_notebook_search_finds_records(
        self,
        conformance: Conformance,
        search_kwargs: dict[str, Any],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """``esap.software.search(catalogues=[it], **search_kwargs)`` finds records, no error."""
        table, error = self._search(conformance.write(), conformance.name, search_kwargs, capsys)
        assert not error, f"the search failed: {error}"
        assert len(table) > 0, (
            f"the search found no record; give search_kwargs that find one ({search_kwargs})"
        )
        assert {str(value) for value in table["catalogue"]} == {conformance.name}, (
            f"records say they are from {sorted(set(table['catalogue']))}: build each "
            "SoftwareRecord with catalogue=self.name"
        )
        assert all(str(value) for value in table["identifier"]), "a record has no identifier"

    def test_record_details_of_a_hit(
        self,
        conformance: Conformance,
        search_kwargs: dict[str, Any],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """``esap.software.get(it, <identifier of a hit>)`` gives that record's details."""
        import esap.software

        path = conformance.write()
        table, error = self._search(path, conformance.name, search_kwargs, capsys)
        assert not error, f"the search failed: {error}"
        assert len(table) > 0, "the search found nothing to open; give search_kwargs that do"
        identifier = str(table["identifier"][0])
        record = esap.software.get(conformance.name, identifier, config=path)
        assert isinstance(record, SoftwareRecord), f"get() answered {type(record).__name__}"
        assert record.catalogue == conformance.name, (
            f"the record says it is from {record.catalogue!r}: build it with self.name"
        )
        assert record.identifier == identifier, (
            f"get({identifier!r}) answered the record {record.identifier!r}: a hit's identifier "
            "must open that hit"
        )
        try:
            json.dumps([record.as_dict(), record.basket_item()])
        except (TypeError, ValueError) as exc:
            pytest.fail(f"the record is not JSON-serialisable for the REST answer ({exc})")
        with pytest.raises(LookupError):
            esap.software.get(conformance.name, "esap-conformance-no-such-record", config=path)

    @pytest.mark.parametrize("method", ["search", "__init__"], ids=["search", "constructor"])
    def test_a_failure_is_the_catalogue_error(
        self,
        conformance: Conformance,
        search_kwargs: dict[str, Any],
        conformance_answering: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        method: str,
    ) -> None:
        """Any exception from ``search`` or while the adapter is built is that catalogue's error.

        Another adapter in the same search still answers: its hits arrive.
        """
        monkeypatch.setattr(conformance.adapter_class, method, boom)
        self._check_contained(conformance, search_kwargs, conformance_answering)

    def test_a_failing_record_is_the_catalogue_error(
        self, conformance: Conformance, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Any exception from ``get`` becomes a ``CatalogueError`` naming the catalogue."""
        import esap.software

        path = conformance.write()
        monkeypatch.setattr(conformance.adapter_class, "get", boom)
        with pytest.raises(CatalogueError) as caught:
            esap.software.get(conformance.name, "any", config=path)
        message = str(caught.value)
        assert message.startswith(f"{conformance.name}:"), f"name the catalogue: {message}"
        assert BOOM in message, f"the error lost the adapter's message: {message}"

    def _check_contained(
        self, conformance: Conformance, search_kwargs: dict[str, Any], answering: dict[str, Any]
    ) -> None:
        from esap.software import offered, search_all

        path = conformance.write(answering)
        found, errors = search_all(
            offered(path), SoftwareQuery(**search_kwargs), [conformance.name, ANSWERING]
        )
        assert BOOM in errors.get(conformance.name, ""), (
            f"the adapter's exception is not reported as its error: {errors}"
        )
        assert errors[conformance.name].startswith(f"{conformance.name}:"), (
            f"the error must name the catalogue: {errors[conformance.name]}"
        )
        assert ANSWERING not in errors, f"the other catalogue failed too: {errors}"
        assert [r.catalogue for r in found] == [ANSWERING], (
            f"another catalogue's hits were lost with the failing one: {found}, {errors}"
        )


__all__ = ["ANSWERING", "AnsweringCatalogue", "SoftwareCatalogueConformance"]
