"""The InvenioRDM adapter against the InvenioRDM stand-in: DOIs, versions, faults, refusals."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest
from standins.fixtures import RunningArchive

from esap.publish.base import ArchiveSettings
from esap.publish.engine import Publisher, PublishError
from esap.publish.package import CRATE_NAME, ENVIRONMENT_NAME

METADATA = {
    "title": "Cosmic-ray shower library",
    "creators": [
        {"name": "Doe, Jane", "affiliation": "KM3NeT", "orcid": "0000-0002-1825-0097"},
        {"name": "ESCAPE Collaboration"},
    ],
    "description": "Simulated showers.",
    "license": "CC-BY-4.0",
    "keywords": ["cosmic rays"],
    "related_identifiers": [{"identifier": "https://example.org/paper", "relation": "Cites"}],
}


def _publisher(tmp_path: Path, standin: RunningArchive, owner: str, **options: object) -> Publisher:
    token = secrets.token_urlsafe(16)
    standin.state.tokens[token] = owner
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    settings = ArchiveSettings(
        name="rdm",
        type="invenio-rdm",
        title="Test RDM",
        url=standin.api,
        options={"timeout": 10, **options},
    )
    publisher = Publisher(home, archives=[settings], upload_retries=0)
    publisher.tokens.set("rdm", token)
    return publisher


def _records(standin: RunningArchive, owner: str) -> list:
    return [r for r in standin.state.records.values() if r.owner == owner]


def test_publish_to_invenio_rdm_gives_a_doi(tmp_path: Path, rdm_standin: RunningArchive) -> None:
    publisher = _publisher(tmp_path, rdm_standin, "r-amy")
    (publisher.home / "showers").mkdir()
    (publisher.home / "showers" / "s1.dat").write_bytes(b"\x00\x01" * 5000)
    entry = publisher.publish(["showers"], METADATA)
    assert entry.record is not None
    [record] = _records(rdm_standin, "r-amy")
    assert record.published
    assert entry.record["doi"] == f"10.5072/rdm.{record.id}"
    assert entry.record["concept_doi"] == f"10.5072/rdm.{record.parent}"
    assert entry.record["url"].endswith(f"/records/{record.id}")
    assert set(record.files) == {"showers/s1.dat", ENVIRONMENT_NAME, CRATE_NAME}
    expected = hashlib.md5(b"\x00\x01" * 5000, usedforsecurity=False).hexdigest()
    assert record.files["showers/s1.dat"]["md5"] == expected
    metadata = record.body["metadata"]
    assert "additional_descriptions" not in metadata  # the marker is gone
    assert metadata["creators"][0] == {
        "person_or_org": {
            "type": "personal",
            "family_name": "Doe",
            "given_name": "Jane",
            "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
        },
        "affiliations": [{"name": "KM3NeT"}],
    }
    assert metadata["creators"][1]["person_or_org"]["type"] == "organizational"
    assert metadata["rights"] == [{"id": "cc-by-4.0"}]
    assert metadata["publisher"] == "Test RDM"


def test_new_version_keeps_the_parent_doi(tmp_path: Path, rdm_standin: RunningArchive) -> None:
    publisher = _publisher(tmp_path, rdm_standin, "r-ben")
    (publisher.home / "a.txt").write_text("v1")
    first = publisher.publish(["a.txt"], METADATA)
    (publisher.home / "b.txt").write_text("v2")
    rdm_standin.state.faults.arm("newversion", "drop_after")  # made, answer lost: no second
    with pytest.raises(PublishError):
        publisher.publish(["b.txt"], {**METADATA, "version": "2"}, version_of=first.id)
    second = publisher.run(publisher.publications()[0].id)
    assert first.record is not None
    assert second.record is not None
    assert second.record["doi"] != first.record["doi"]
    assert second.record["concept_doi"] == first.record["concept_doi"]
    records = _records(rdm_standin, "r-ben")
    assert len(records) == 2
    assert all(r.published for r in records)


def test_community_submission_is_refused_with_the_reason(
    tmp_path: Path, rdm_standin: RunningArchive
) -> None:
    publisher = _publisher(tmp_path, rdm_standin, "r-cat")
    (publisher.home / "a.txt").write_text("a")
    with pytest.raises(PublishError) as caught:
        publisher.publish(["a.txt"], {**METADATA, "community": "escape2020"})
    assert "curator's review" in caught.value.message
    assert _records(rdm_standin, "r-cat") == []


FAULTS = {
    "create": ("drop_after", "error500", "timeout_after"),
    "upload": ("drop_mid", "drop_after", "error500", "timeout_after"),
    "commit": ("drop_after", "error500", "timeout_after"),
    "metadata": ("drop_after", "timeout_after", "error500"),
    "publish": ("timeout_after", "drop_after", "error500"),
}


def test_publishes_with_a_fault_at_every_step_make_one_record_each(
    tmp_path: Path, rdm_standin: RunningArchive
) -> None:
    state = rdm_standin.state
    state.faults.delay = 0.25
    publisher = _publisher(tmp_path, rdm_standin, "r-faulty", timeout=0.05)
    for index in range(12):
        name = f"r{index}.txt"
        (publisher.home / name).write_text(f"{index}\n" * (index + 3))
        for offset, (step, kinds) in enumerate(FAULTS.items()):
            state.faults.arm(step, kinds[(index + offset) % len(kinds)])
        entry = publisher.prepare([name], {**METADATA, "title": f"Run {index}"})
        for _attempt in range(40):
            try:
                entry = publisher.run(entry.id)
                break
            except PublishError:
                continue
        assert entry.state == "published", entry.error
        assert state.faults.pending() == {}
    records = _records(rdm_standin, "r-faulty")
    assert len(records) == 12
    assert all(r.published for r in records)
    assert sorted(r.body["metadata"]["title"] for r in records) == sorted(
        f"Run {i}" for i in range(12)
    )
