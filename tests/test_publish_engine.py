"""The publishing engine on the local archive: metadata and path checks, bags, crates, versions."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from pathlib import Path

import bagit
import pytest
from rocrate.rocrate import ROCrate

from esap.publish.base import ArchiveSettings
from esap.publish.engine import PreparationError, Publisher
from esap.publish.metadata import MetadataError, parse_metadata
from esap.publish.package import CRATE_NAME, ENVIRONMENT_NAME

METADATA = {
    "title": "M31 light curves",
    "creators": [
        {"name": "Doe, Jane", "affiliation": "ASTRON", "orcid": "0000-0002-1825-0097"},
        "Roe, Richard",
    ],
    "description": "Light curves made in a notebook.",
    "license": "CC-BY-4.0",
    "keywords": "M31, variability",
    "related_identifiers": [{"identifier": "10.5281/zenodo.1234", "relation": "isDerivedFrom"}],
}

INPUTS = [
    {
        "service": "gavo-dc",
        "access_url": "https://dc.g-vo.org/getproduct/m31.fits",
        "query": "SELECT * FROM ivoa.obscore "
        "WHERE 1=CONTAINS(POINT(s_ra, s_dec), CIRCLE(10.7, 41.3, 1))",
    }
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "results").mkdir(parents=True)
    notebook = {
        "cells": [],
        "metadata": {"esap": {"inputs": INPUTS}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (home / "analysis.ipynb").write_text(json.dumps(notebook))
    (home / "results" / "curve.csv").write_text("t,flux\n0,1.0\n1,1.5\n")
    (home / "results" / "plot.png").write_bytes(os.urandom(4096))
    return home


@pytest.fixture
def publisher(home: Path, tmp_path: Path) -> Publisher:
    archive = ArchiveSettings(name="local", type="local", path=str(tmp_path / "archive"))
    return Publisher(home, archives=[archive])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- metadata -------------------------------------------------------------------


def test_metadata_reports_every_field_and_why() -> None:
    with pytest.raises(MetadataError) as caught:
        parse_metadata(
            {
                "title": " ",
                "creators": [{"name": "Doe, Jane", "orcid": "0000-0002-1825-0098"}],
                "description": "x",
                "license": "CC-BY-4",
            }
        )
    problems = {p.field: p.message for p in caught.value.problems}
    fixes = {p.field: p.fix for p in caught.value.problems}
    assert set(problems) == {"title", "creators[0].orcid", "license"}
    assert "required" in problems["title"]
    assert "check digit" in problems["creators[0].orcid"]
    assert "ORCID page" in fixes["creators[0].orcid"]
    assert "not an SPDX licence id" in problems["license"]
    assert "did you mean 'CC-BY-4.0'" in fixes["license"]  # the fix, apart from what is wrong
    assert caught.value.status == 422
    assert caught.value.field == "title"  # the first problem's


def test_metadata_needs_a_creator_and_a_well_formed_orcid() -> None:
    with pytest.raises(MetadataError) as caught:
        parse_metadata({"title": "t", "description": "d", "creators": []})
    assert [p.field for p in caught.value.problems] == ["creators"]
    with pytest.raises(MetadataError) as caught:
        parse_metadata(
            {"title": "t", "description": "d", "creators": [{"name": "A", "orcid": "1234"}]}
        )
    assert caught.value.problems[0].field == "creators[0].orcid"
    assert "not an ORCID" in caught.value.problems[0].message


def test_metadata_normalises_and_round_trips() -> None:
    parsed = parse_metadata(
        {
            **METADATA,
            "license": "mit",
            "creators": [{"name": "X", "orcid": "https://orcid.org/0000-0001-5109-3700"}],
        }
    )
    assert parsed.license == "MIT"
    assert parsed.creators[0].orcid == "0000-0001-5109-3700"
    assert parsed.keywords == ("M31", "variability")
    assert parsed.related_identifiers[0].relation == "IsDerivedFrom"
    assert parse_metadata(parsed.to_dict()) == parsed


# -- paths ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../outside.txt", "/etc/passwd", "results/../../x"])
def test_paths_outside_the_home_are_refused(publisher: Publisher, bad: str) -> None:
    with pytest.raises(PreparationError) as caught:
        publisher.prepare([bad], METADATA)
    assert caught.value.field == "files"
    assert bad in str(caught.value)
    assert publisher.publications() == []


def test_symlinks_pointing_out_of_the_home_are_refused(
    publisher: Publisher, home: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    (home / "link.txt").symlink_to(secret)
    with pytest.raises(PreparationError, match="outside your home"):
        publisher.prepare(["link.txt"], METADATA)
    (home / "results" / "sneaky").symlink_to(tmp_path)
    with pytest.raises(PreparationError, match="outside your home"):
        publisher.prepare(["results"], METADATA)


def test_absolute_paths_refused_when_the_caller_says_so(publisher: Publisher, home: Path) -> None:
    with pytest.raises(PreparationError, match="absolute paths are refused"):
        publisher.prepare([str(home / "analysis.ipynb")], METADATA, allow_absolute=False)


def test_bad_metadata_is_refused_before_anything_is_written(
    publisher: Publisher, tmp_path: Path
) -> None:
    with pytest.raises(MetadataError):
        publisher.prepare(["analysis.ipynb"], {**METADATA, "license": "nope"})
    assert publisher.publications() == []
    assert not (tmp_path / "archive").exists()


# -- the local archive end to end ---------------------------------------------------


def test_local_archive_publishes_a_valid_bag_with_an_ro_crate(
    publisher: Publisher, home: Path
) -> None:
    events = []
    entry = publisher.publish(["analysis.ipynb", "results"], METADATA, progress=events.append)
    assert entry.state == "published"
    assert entry.record is not None
    bag_dir = Path(entry.record["url"].removeprefix("file://"))
    assert bag_dir.name == entry.id

    bag = bagit.Bag(str(bag_dir))
    bag.validate(fast=False)  # raises on any missing or altered file
    payload = sorted(bag.payload_files())
    assert payload == sorted(
        f"data/{name}"
        for name in [
            "analysis.ipynb",
            "results/curve.csv",
            "results/plot.png",
            ENVIRONMENT_NAME,
            CRATE_NAME,
        ]
    )
    for name in ["analysis.ipynb", "results/curve.csv", "results/plot.png"]:
        assert _sha256(bag_dir / "data" / name) == _sha256(home / name)
        assert bag.entries[f"data/{name}"]["sha256"] == _sha256(home / name)

    crate = ROCrate(str(bag_dir / "data"))
    assert crate.name == "M31 light curves"
    files = {entity.id: entity for entity in crate.data_entities}
    assert set(files) == {
        "analysis.ipynb",
        "results/curve.csv",
        "results/plot.png",
        ENVIRONMENT_NAME,
    }
    for name, entity in files.items():
        assert entity["sha256"] == _sha256(bag_dir / "data" / name)
        assert entity["contentSize"] == (bag_dir / "data" / name).stat().st_size
    authors = crate.root_dataset["author"]
    assert authors[0].id == "https://orcid.org/0000-0002-1825-0097"
    action = crate.get("#analysis")
    assert [i.id for i in action["instrument"]] == ["analysis.ipynb", "#python"]
    inputs = action["object"]
    assert [i.id for i in inputs] == [INPUTS[0]["access_url"]]
    assert INPUTS[0]["query"] in inputs[0]["description"]
    assert crate.get("#python")["softwareRequirements"].id == ENVIRONMENT_NAME
    lock = (bag_dir / "data" / ENVIRONMENT_NAME).read_text()
    assert "\nbagit==" in lock
    assert "\nrocrate==" in lock

    info = (bag_dir / "bag-info.txt").read_text()
    assert f"External-Identifier: esap-local:{entry.id}" in info
    assert [e.step for e in events][-1] == "published"
    assert events[-1].sent == events[-1].total


def test_publishing_the_same_content_twice_makes_one_record(
    publisher: Publisher, tmp_path: Path
) -> None:
    first = publisher.publish(["analysis.ipynb"], METADATA)
    again = publisher.publish(["analysis.ipynb"], METADATA)
    assert again.id == first.id
    records = [p for p in (tmp_path / "archive").iterdir() if not p.name.startswith(".")]
    assert [p.name for p in records] == [first.id]


def test_new_version_keeps_the_concept_identifier(publisher: Publisher, home: Path) -> None:
    first = publisher.publish(["analysis.ipynb"], METADATA)
    (home / "results" / "curve.csv").write_text("t,flux\n0,2.0\n")
    second = publisher.publish(
        ["analysis.ipynb", "results/curve.csv"], {**METADATA, "version": "2"}, version_of=first.id
    )
    assert first.record
    assert second.record
    assert second.record["id"] != first.record["id"]
    assert second.record["concept_id"] == first.record["concept_id"] == first.record["id"]


def test_a_stopped_local_publication_resumes_the_same_draft(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from esap.publish.engine import PublishError
    from esap.publish.local import LocalArchive

    real_publish = LocalArchive.publish

    def broken(self: LocalArchive, draft: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LocalArchive, "publish", broken)
    with pytest.raises(PublishError) as caught:
        publisher.publish(["analysis.ipynb"], METADATA)
    stopped = publisher.publications()[0]
    assert stopped.state == "publish_requested"
    assert "No space left" in (stopped.error or "")
    assert caught.value.publication == stopped.id
    monkeypatch.setattr(LocalArchive, "publish", real_publish)
    done = publisher.run(stopped.id)
    assert done.state == "published"
    assert done.error is None
    assert len(publisher.publications()) == 1
    assert [p.name for p in (tmp_path / "archive").iterdir() if not p.name.startswith(".")] == [
        stopped.id
    ]


def test_a_publication_run_cut_off_by_a_restart_is_resumed_once(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from esap.core.jobs import JobStore
    from esap.core.runner import Runner
    from esap.publish import jobs
    from esap.publish.local import LocalArchive

    real_publish = LocalArchive.publish

    def cut(self: LocalArchive, draft: object) -> object:
        raise OSError(5, "the server stopped")

    monkeypatch.setattr(LocalArchive, "publish", cut)
    entry = publisher.prepare(["analysis.ipynb"], METADATA)
    store = JobStore(tmp_path / "jobs.db")
    runner = Runner(store, [jobs.kind(lambda: publisher)])
    stopped = jobs.start(runner, entry.id)
    for _ in range(200):
        if not runner.get(jobs.KIND, stopped.id).active:
            break
        threading.Event().wait(0.05)
    # as a server stopped in the middle leaves it: the run still "running", its process gone
    store.update(jobs.KIND, stopped.id, state="running", owner="gone", error=None)
    monkeypatch.setattr(LocalArchive, "publish", real_publish)
    resumed = Runner(JobStore(tmp_path / "jobs.db"), [jobs.kind(lambda: publisher)])
    assert [job.id for job in resumed.recover()] == [entry.id]
    for _ in range(200):
        run = resumed.get(jobs.KIND, entry.id)
        if not run.active:
            break
        threading.Event().wait(0.05)
    assert run.state == "done", run.error
    assert run.result["published"] is True
    assert publisher.journal.get(entry.id).attempts == 2
    records = [p.name for p in (tmp_path / "archive").iterdir() if not p.name.startswith(".")]
    assert records == [entry.id]  # the same draft, never a second record


def test_tokens_are_kept_owner_only(publisher: Publisher) -> None:
    publisher.tokens.set("zenodo", "s3cret-token")
    mode = stat.S_IMODE(publisher.tokens.path.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(publisher.tokens.path.parent.stat().st_mode) == 0o700
    assert publisher.tokens.archives() == ["zenodo"]
    assert publisher.tokens.get("zenodo") == "s3cret-token"


def test_input_datasets_come_from_the_basket_when_nothing_else_names_them(
    publisher: Publisher, home: Path
) -> None:
    from esap.basket.store import Basket

    with Basket(publisher.state_dir / "basket.db") as basket:
        basket.add(
            {
                "kind": "data",
                "service": "local-tap",
                "access_url": "https://archive.example.org/m31.fits",
                "query": "SELECT TOP 1 * FROM ivoa.obscore",
                "title": "M31 deep field",
            }
        )
    entry = publisher.publish(["results/curve.csv"], METADATA)
    assert entry.crate is not None
    downloads = {
        item["@id"]: item for item in entry.crate["@graph"] if item.get("@type") == "DataDownload"
    }
    assert list(downloads) == ["https://archive.example.org/m31.fits"]
    assert "local-tap" in downloads["https://archive.example.org/m31.fits"]["description"]
    # a notebook that lists its own inputs wins over the basket
    preview = publisher.preview(["analysis.ipynb"], METADATA)
    assert [i["access_url"] for i in preview["inputs"]] == [INPUTS[0]["access_url"]]


def test_a_file_streams_in_constant_memory_with_both_checksums(tmp_path: Path) -> None:
    import tracemalloc

    from esap.publish.base import FileSource

    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(64 << 20)
        handle.seek(40 << 20)
        handle.write(b"not only zeros")
    source = FileSource(big, big.stat().st_size)
    md5 = hashlib.md5(usedforsecurity=False)
    tracemalloc.start()
    try:
        for chunk in source.chunks():
            md5.update(chunk)  # what a socket would be sent
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.sent == 64 << 20
    assert source.md5 == md5.hexdigest()
    assert source.sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
    assert peak < 3 << 20  # one 1 MiB chunk at a time: none copied or kept
    # what the remote archives ask for: the MD5 they report, nothing else
    md5_only = FileSource(big, big.stat().st_size, checksums=("md5",))
    assert sum(len(chunk) for chunk in md5_only.chunks()) == 64 << 20
    assert (md5_only.md5, md5_only.sha256) == (md5.hexdigest(), None)
    with pytest.raises(ValueError, match="unknown checksum sha1"):
        FileSource(big, 1, checksums=("md5", "sha1"))
