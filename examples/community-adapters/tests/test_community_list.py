"""The ``community-list`` software catalogue over the shipped sample list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from esap.software.base import CatalogueEntry, CatalogueError, SoftwareQuery
from esap.testing import SoftwareCatalogueConformance

from esap_example_community import SAMPLE_SOFTWARE
from esap_example_community.software import CommunityList


def catalogue(path: Path | None = SAMPLE_SOFTWARE, **options: Any) -> CommunityList:
    entry = CatalogueEntry(
        name="lofar-software",
        type="community-list",
        path=str(path) if path else None,
        options=options,
    )
    return CommunityList(entry)


def names(found: CommunityList, query: SoftwareQuery | None = None) -> list[str]:
    return sorted(record.identifier for record in found.search(query or SoftwareQuery()))


class TestCommunityList(SoftwareCatalogueConformance):
    """ESAP Hub's conformance suite for software catalogues."""

    @pytest.fixture
    def entry(self) -> dict[str, Any]:
        return {
            "name": "lofar-software",
            "type": "community-list",
            "path": str(SAMPLE_SOFTWARE),
            "options": {"topics": ["radio"], "max_records": 10},
        }

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"text": "source finder"}


def test_every_record_without_topics() -> None:
    shipped = json.loads(SAMPLE_SOFTWARE.read_text(encoding="utf-8"))
    assert names(catalogue()) == sorted(item["identifier"] for item in shipped)


def test_topics_keep_records_with_one_of_the_keywords() -> None:
    assert names(catalogue(topics=["imaging"])) == ["wsclean"]
    assert names(catalogue(topics=["Calibration", "source-finding"])) == ["dp3", "pybdsf"]
    assert names(catalogue(topics=["lofar"]), SoftwareQuery(language="python")) == [
        "dp3",
        "lsmtool",
    ]
    assert names(catalogue(topics=["x-ray"])) == []


def test_max_records_caps_the_list() -> None:
    assert len(names(catalogue(max_records=2))) == 2
    with pytest.raises(LookupError, match="no software 'pybdsf'"):
        catalogue(topics=["imaging"]).get("pybdsf")
    assert catalogue(topics=["imaging"]).get("wsclean").name == "WSClean"


def test_a_list_it_cannot_use_is_a_catalogue_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="give the entry a url: or a path:"):
        catalogue(None).search(SoftwareQuery())
    not_a_list = tmp_path / "software.json"
    not_a_list.write_text('{"name": "one record, not a list"}', encoding="utf-8")
    with pytest.raises(CatalogueError, match="expected a JSON list"):
        catalogue(not_a_list).search(SoftwareQuery())
    with pytest.raises(CatalogueError, match="cannot read"):
        catalogue(tmp_path / "missing.json").search(SoftwareQuery())
