"""The ``community-vault`` archive, driven by ESAP Hub's publish engine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from esap.publish.engine import Publisher, PublishError
from esap.publish.settings import configured_archives
from esap.testing import ArchiveConformance

METADATA = {
    "title": "LoTSS field P205+55: source catalogue",
    "creators": [{"name": "Doe, Jane", "affiliation": "ASTRON"}],
    "description": "Sources found with PyBDSF in one LoTSS field.",
    "license": "CC-BY-4.0",
}


class TestCommunityVault(ArchiveConformance):
    """ESAP Hub's conformance suite for archives."""

    @pytest.fixture
    def entry(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "name": "vault",
            "type": "community-vault",
            "path": str(tmp_path / "vault"),
            "options": {"project": "lotss", "max_files": 10},
        }


def publisher(tmp_path: Path, **options: Any) -> Publisher:
    """A user's publisher whose one archive is the vault, read from an esap.yaml."""
    config = tmp_path / "esap.yaml"
    entry = {
        "name": "vault",
        "type": "community-vault",
        "path": "vault",  # relative to esap.yaml
        "options": {"project": "lotss", **options},
    }
    config.write_text(yaml.safe_dump({"archives": [entry]}), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Publisher(home, archives=configured_archives(str(config)))


def write(home: Path, name: str, text: str) -> Path:
    path = home / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_record_is_a_folder_of_the_project(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    catalogue = write(pub.home, "sources.csv", "ra,dec,flux\n205.1,55.2,0.8\n")
    entry = pub.publish([catalogue], METADATA, "vault")
    assert entry.published
    assert entry.record is not None
    folder = Path(entry.record["url"].removeprefix("file://"))
    assert folder.parent == tmp_path / "vault" / "lotss" / "records"
    info = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    assert info["metadata"]["title"] == METADATA["title"]
    assert "marker" not in info
    digest = hashlib.md5(catalogue.read_bytes(), usedforsecurity=False).hexdigest()
    assert info["files"]["sources.csv"]["md5"] == digest
    assert (folder / "files" / "sources.csv").read_bytes() == catalogue.read_bytes()
    assert list((tmp_path / "vault" / "lotss" / "drafts").iterdir()) == []


def test_max_files_refuses_a_bigger_record_until_it_is_raised(tmp_path: Path) -> None:
    pub = publisher(tmp_path, max_files=2)
    catalogue = write(pub.home, "sources.csv", "ra,dec\n205.1,55.2\n")
    # the package is the file, the environment lock and the RO-Crate: three files
    with pytest.raises(PublishError) as stopped:
        pub.publish([catalogue], METADATA, "vault")
    assert "at most 2 files per record (options.max_files)" in str(stopped.value)
    assert "raise archives[].options.max_files" in stopped.value.fix
    drafts = list((tmp_path / "vault" / "lotss" / "drafts").iterdir())
    assert len(drafts) == 1

    # the admin raises the cap: the retry resumes the same draft, no second record
    entry = publisher(tmp_path, max_files=3).run(stopped.value.publication)
    assert entry.published
    assert entry.record is not None
    assert entry.record["id"] == drafts[0].name
    assert [p.name for p in (tmp_path / "vault" / "lotss" / "records").iterdir()] == [
        drafts[0].name
    ]


def test_a_new_version_keeps_the_concept_and_only_the_chosen_files(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    first = pub.publish([write(pub.home, "v1.csv", "a\n1\n")], METADATA, "vault")
    assert first.record is not None
    second = pub.publish(
        [write(pub.home, "v2.csv", "a\n2\n")], METADATA, "vault", version_of=first.id
    )
    assert second.record is not None
    assert second.record["id"] != first.record["id"]
    assert second.record["concept_id"] == first.record["concept_id"] == first.record["id"]
    files = Path(second.record["url"].removeprefix("file://")) / "files"
    assert sorted(p.name for p in files.iterdir()) == [
        "environment.lock.txt",
        "ro-crate-metadata.json",
        "v2.csv",
    ]
