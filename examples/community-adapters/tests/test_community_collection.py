"""The ``community-collection`` data service against a real TAP archive (GAVO DaCHS).

The conformance suite drives it through ESAP Hub's engine; the tests below
check its own options: the collection it is restricted to, ``max_rows``.
Expected rows come from the archive's shipped CSV file.
"""

from __future__ import annotations

from typing import Any

import pytest
from esap.data.base import NotApplicable, Query, ServiceEntry, ServiceError
from esap.testing import DataServiceConformance
from harness.dachs import DachsService, csv_rows
from test_dachs import M51, inside

from esap_example_community.collection import CollectionService

pytestmark = [pytest.mark.dachs]

RADIUS = 0.5


def service(dachs: DachsService, **options: Any) -> CollectionService:
    """The adapter built from its entry, as ESAP Hub builds it."""
    entry = ServiceEntry(
        name="imaging",
        type="community-collection",
        url=dachs.tap_url,
        timeout=60,
        options={"collection": dachs.collection, **options},
    )
    return CollectionService(entry)


class TestCollectionService(DataServiceConformance):
    """ESAP Hub's conformance suite for data services."""

    @pytest.fixture
    def entry(self, dachs: DachsService, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        # the admin's reference must resolve where the hub runs (the test archive ignores it)
        monkeypatch.setenv("COMMUNITY_ARCHIVE_KEY", "community-test-key")
        return {
            "name": "imaging",
            "type": "community-collection",
            "url": dachs.tap_url,
            "timeout": 60,
            "options": {
                "collection": dachs.collection,
                "max_rows": 500,
                "api_key": "env:COMMUNITY_ARCHIVE_KEY",
            },
        }

    @pytest.fixture
    def search_kwargs(self) -> dict[str, Any]:
        return {"ra": M51[0], "dec": M51[1], "radius": RADIUS}


def test_a_search_is_the_cone_within_the_collection(dachs: DachsService) -> None:
    expected = inside(csv_rows(dachs.images_csv), "s_ra", "s_dec", M51, RADIUS)
    assert expected, "the test cone must hold rows of the archive"
    table = service(dachs).search(Query(ra=M51[0], dec=M51[1], radius=RADIUS))
    assert sorted(table["obs_id"]) == sorted(row["obs_id"] for row in expected)
    assert set(table["obs_collection"]) == {dachs.collection}
    assert table.meta["esap_truncated"] is False


def test_another_collection_shows_none_of_these_rows(dachs: DachsService) -> None:
    elsewhere = service(dachs, collection="Another survey")
    assert len(elsewhere.search(Query(ra=M51[0], dec=M51[1], radius=RADIUS))) == 0


def test_max_rows_caps_every_search(dachs: DachsService) -> None:
    capped = service(dachs, max_rows=3)
    table = capped.search(Query(text="m31"))
    assert len(table) == 3
    assert table.meta["esap_truncated"] is True
    # a user may ask for fewer, never for more
    assert len(capped.search(Query(text="m31", maxrec=2))) == 2
    assert len(capped.search(Query(text="m31", maxrec=1000))) == 3


def test_a_search_in_another_collection_is_not_applicable(dachs: DachsService) -> None:
    with pytest.raises(NotApplicable, match=dachs.collection):
        service(dachs).search(Query(collection="Another survey"))


def test_a_key_that_is_not_there_is_the_services_own_error(
    dachs: DachsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMUNITY_ARCHIVE_KEY", raising=False)
    keyed = service(dachs, api_key="env:COMMUNITY_ARCHIVE_KEY")
    with pytest.raises(ServiceError, match=r"options\.api_key.*COMMUNITY_ARCHIVE_KEY") as caught:
        keyed.search(Query(ra=M51[0], dec=M51[1], radius=RADIUS))
    assert "ask the hub admin" in caught.value.fix
