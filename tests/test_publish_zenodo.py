"""The Zenodo adapter against the Zenodo stand-in: DOIs, versions, tokens, 100 faulty publishes."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from standins.fixtures import RunningArchive

from esap.publish.base import ArchiveSettings
from esap.publish.engine import PreparationError, Publisher, PublishError
from esap.publish.package import CRATE_NAME, ENVIRONMENT_NAME

METADATA = {
    "title": "Pulsar timing residuals",
    "creators": [{"name": "Doe, Jane", "affiliation": "ASTRON", "orcid": "0000-0002-1825-0097"}],
    "description": "Residuals <b>computed</b> in a notebook.",
    "license": "CC-BY-4.0",
    "keywords": ["pulsars"],
    "related_identifiers": ["10.5281/zenodo.1234"],
}


def _user(standin: RunningArchive, name: str) -> str:
    """A fresh token for a fresh stand-in user, so tests count only their own records."""
    token = secrets.token_urlsafe(16)
    standin.state.tokens[token] = name
    return token


def _publisher(
    tmp_path: Path, standin: RunningArchive, token: str | None, **options: object
) -> Publisher:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    settings = ArchiveSettings(
        name="zenodo", type="zenodo", url=standin.api, options={"timeout": 10, **options}
    )
    publisher = Publisher(home, archives=[settings], upload_retries=0)
    if token:
        publisher.tokens.set("zenodo", token)
    return publisher


def _depositions(standin: RunningArchive, owner: str) -> list:
    return [d for d in standin.state.depositions.values() if d.owner == owner]


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def test_publish_to_zenodo_gives_a_doi(tmp_path: Path, zenodo_standin: RunningArchive) -> None:
    publisher = _publisher(tmp_path, zenodo_standin, _user(zenodo_standin, "z-carol"))
    (publisher.home / "data.csv").write_text("a,b\n1,2\n")
    (publisher.home / "nb.ipynb").write_text('{"cells": [], "metadata": {}}')
    entry = publisher.publish(["nb.ipynb", "data.csv"], METADATA)
    assert entry.record is not None
    [deposition] = _depositions(zenodo_standin, "z-carol")
    assert deposition.submitted
    assert entry.record["doi"] == deposition.doi == f"10.5072/zenodo.{deposition.id}"
    assert entry.record["url"].endswith(f"/records/{deposition.id}")
    assert set(deposition.files) == {"nb.ipynb", "data.csv", ENVIRONMENT_NAME, CRATE_NAME}
    for name in ("nb.ipynb", "data.csv"):
        assert deposition.files[name]["md5"] == _md5(publisher.home / name)
        assert (
            Path(deposition.files[name]["path"]).read_bytes()
            == (publisher.home / name).read_bytes()
        )
    # the crate describes each file by size; its checksum is the MD5 Zenodo lists
    crate = json.loads(Path(deposition.files[CRATE_NAME]["path"]).read_text())
    described = {item["@id"]: item for item in crate["@graph"]}
    assert described["data.csv"]["contentSize"] == (publisher.home / "data.csv").stat().st_size
    assert "sha256" not in described["data.csv"]
    metadata = deposition.metadata
    assert "notes" not in metadata  # the marker is gone once the draft is found again
    assert metadata["license"] == "cc-by-4.0"
    assert metadata["creators"] == [
        {"name": "Doe, Jane", "affiliation": "ASTRON", "orcid": "0000-0002-1825-0097"}
    ]
    assert metadata["description"] == "<p>Residuals &lt;b&gt;computed&lt;/b&gt; in a notebook.</p>"
    assert metadata["related_identifiers"] == [
        {"identifier": "10.5281/zenodo.1234", "relation": "isSupplementTo"}
    ]


def test_new_version_keeps_the_concept_doi(tmp_path: Path, zenodo_standin: RunningArchive) -> None:
    publisher = _publisher(tmp_path, zenodo_standin, _user(zenodo_standin, "z-dave"))
    (publisher.home / "v1.txt").write_text("first")
    first = publisher.publish(["v1.txt"], METADATA)
    (publisher.home / "v2.txt").write_text("second")
    second = publisher.publish(["v2.txt"], {**METADATA, "version": "2"}, version_of=first.id)
    assert first.record is not None
    assert second.record is not None
    assert second.record["doi"] != first.record["doi"]
    assert second.record["concept_doi"] == first.record["concept_doi"]
    assert second.record["concept_doi"].startswith("10.5072/zenodo.")
    newest = max(_depositions(zenodo_standin, "z-dave"), key=lambda d: d.id)
    # the file inherited from version 1 was removed: the record holds what was chosen
    assert set(newest.files) == {"v2.txt", ENVIRONMENT_NAME, CRATE_NAME}
    assert len(_depositions(zenodo_standin, "z-dave")) == 2


def test_a_new_version_sends_only_what_changed(
    tmp_path: Path, zenodo_standin: RunningArchive
) -> None:
    publisher = _publisher(tmp_path, zenodo_standin, _user(zenodo_standin, "z-ursula"))
    home = publisher.home
    (home / "cube.fits").write_bytes(secrets.token_bytes(3 << 20))
    (home / "notes.txt").write_text("draft one")
    first = publisher.publish(["cube.fits", "notes.txt"], METADATA)
    (home / "notes.txt").write_text("draft two")  # same size, other bytes
    (home / "more.txt").write_text("added")
    sent_before = len(zenodo_standin.state.uploads)
    steps: list[str] = []
    second = publisher.publish(
        ["cube.fits", "notes.txt", "more.txt"],
        {**METADATA, "version": "2"},
        version_of=first.id,
        progress=lambda p: steps.append(p.step),
    )
    assert second.record is not None
    sent = [u["key"] for u in zenodo_standin.state.uploads[sent_before:]]
    # the unchanged cube, inherited from version 1, is checked, not sent again
    assert "cube.fits" not in sent
    assert {"notes.txt", "more.txt", CRATE_NAME} <= set(sent)
    assert "check" in steps
    newest = max(_depositions(zenodo_standin, "z-ursula"), key=lambda d: d.id)
    assert newest.submitted
    for name in ("cube.fits", "notes.txt", "more.txt"):
        assert newest.files[name]["md5"] == _md5(home / name)


def test_a_new_version_through_faults_is_one_draft_keeping_the_concept_doi(
    tmp_path: Path, zenodo_standin: RunningArchive
) -> None:
    state = zenodo_standin.state
    state.faults.delay = 0.25
    publisher = _publisher(tmp_path, zenodo_standin, _user(zenodo_standin, "z-vera"), timeout=0.05)
    (publisher.home / "v1.txt").write_text("first")
    first = publisher.publish(["v1.txt"], METADATA)
    (publisher.home / "v2.txt").write_text("second")
    # the new-version call acts and its answer is lost, then is late, then fails;
    # removing the inherited file and publishing fail too
    for step, kind in [
        ("newversion", "drop_after"),
        ("newversion", "timeout_after"),
        ("newversion", "error500"),
        ("delete_file", "error500"),
        ("publish", "drop_after"),
    ]:
        state.faults.arm(step, kind)
    entry = publisher.prepare(["v2.txt"], {**METADATA, "version": "2"}, version_of=first.id)
    failures = 0
    for _attempt in range(20):
        try:
            entry = publisher.run(entry.id)
            break
        except PublishError:
            failures += 1
    assert entry.state == "published", entry.error
    assert failures == 5
    assert state.faults.pending() == {}
    depositions = sorted(_depositions(zenodo_standin, "z-vera"), key=lambda d: d.id)
    assert len(depositions) == 2  # never a second new-version draft
    assert all(d.submitted for d in depositions)
    assert entry.record is not None
    assert first.record is not None
    assert entry.record["concept_doi"] == first.record["concept_doi"]
    assert set(depositions[1].files) == {"v2.txt", ENVIRONMENT_NAME, CRATE_NAME}


def test_a_token_is_needed_before_anything_is_sent(
    tmp_path: Path, zenodo_standin: RunningArchive
) -> None:
    publisher = _publisher(tmp_path, zenodo_standin, None)
    (publisher.home / "a.txt").write_text("a")
    with pytest.raises(PreparationError) as caught:
        publisher.publish(["a.txt"], METADATA)
    assert caught.value.field == "token"
    assert publisher.publications() == []


def test_a_refused_token_is_reported_and_the_publication_kept(
    tmp_path: Path, zenodo_standin: RunningArchive
) -> None:
    publisher = _publisher(tmp_path, zenodo_standin, "not-a-valid-token")
    (publisher.home / "a.txt").write_text("a")
    with pytest.raises(PublishError) as caught:
        publisher.publish(["a.txt"], METADATA)
    assert "Zenodo answered 401" in caught.value.message
    assert "not-a-valid-token" not in str(caught.value)
    [stopped] = publisher.publications()
    assert stopped.state == "draft_requested"
    assert "401" in (stopped.error or "")
    # with a valid token the same publication goes through, once
    publisher.tokens.set("zenodo", _user(zenodo_standin, "z-erin"))
    done = publisher.run(stopped.id)
    assert done.state == "published"
    assert len(_depositions(zenodo_standin, "z-erin")) == 1


def test_an_abandoned_draft_stays_listed_with_where_it_stopped(
    tmp_path: Path, zenodo_standin: RunningArchive
) -> None:
    publisher = _publisher(tmp_path, zenodo_standin, _user(zenodo_standin, "z-frank"))
    (publisher.home / "a.txt").write_text("a")
    zenodo_standin.state.faults.arm("publish", "error500")
    with pytest.raises(PublishError) as caught:
        publisher.publish(["a.txt"], METADATA)
    [draft] = _depositions(zenodo_standin, "z-frank")
    assert not draft.submitted
    assert caught.value.draft_url == f"{zenodo_standin.server.url}/deposit/{draft.id}"
    [listed] = publisher.publications()
    assert listed.state == "publish_requested"
    assert "500" in (listed.error or "")


#: The remote steps of a Zenodo publication and the faults each can suffer.
FAULTS = {
    "create": ("error500", "drop_after", "timeout_after"),
    # after any failed create, the retry first looks for the draft by its marker
    "list": ("error500", "drop_after", "timeout_after"),
    "status": ("error500", "drop_after", "timeout_after"),
    "upload": ("drop_mid", "error500", "drop_after", "timeout_after"),
    "metadata": ("error500", "drop_after", "timeout_after"),
    "publish": ("error500", "drop_after", "timeout_after"),
}


@pytest.fixture
def memory_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory (tmpfs) where there is one: the journal's fsyncs then cost nothing,
    which keeps 100 publications with 500 failed runs fast; the code is the same."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(dir=shm, prefix="esap-publish-test-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_100_publishes_with_a_fault_at_every_step_make_exactly_100_records(
    memory_dir: Path, zenodo_standin: RunningArchive
) -> None:
    tmp_path = memory_dir
    state = zenodo_standin.state
    # the stand-in answers after the client has given up; a slow answer to a
    # request without a fault is just one more failure to recover from
    state.faults.delay = 0.25
    publisher = _publisher(
        tmp_path, zenodo_standin, _user(zenodo_standin, "z-faulty"), timeout=0.05
    )
    failures = 0
    entries = []
    for index in range(100):
        name = f"result-{index}.txt"
        (publisher.home / name).write_text(f"result {index}\n" * (index + 1))
        for offset, (step, kinds) in enumerate(FAULTS.items()):
            state.faults.arm(step, kinds[(index + offset) % len(kinds)])
        entry = publisher.prepare([name], {**METADATA, "title": f"Result {index}"})
        for _attempt in range(40):
            try:
                entry = publisher.run(entry.id)
                break
            except PublishError:
                failures += 1
        assert entry.state == "published", f"publication {index} never finished: {entry.error}"
        assert state.faults.pending() == {}, f"publication {index} did not meet every fault"
        entries.append(entry)

    assert failures >= len(FAULTS) * 100  # every armed fault stopped a run
    records = _depositions(zenodo_standin, "z-faulty")
    assert len(records) == 100
    assert all(d.submitted for d in records)
    assert sorted(d.metadata["title"] for d in records) == sorted(f"Result {i}" for i in range(100))
    assert {e.record["id"] for e in entries if e.record} == {str(d.id) for d in records}
    assert all(e.state == "published" for e in publisher.publications())
    for deposition in records:
        index = int(deposition.metadata["title"].split()[1])
        content = (f"result {index}\n" * (index + 1)).encode()
        expected = hashlib.md5(content, usedforsecurity=False).hexdigest()
        assert deposition.files[f"result-{index}.txt"]["md5"] == expected
        assert "notes" not in deposition.metadata
