"""The conformance checks of an archive adapter: a publication, its retry, contained errors.

Beyond the config checks every kind shares (``esap.testing.base``): the
publish engine, given the archive as a user server sees it, publishes a
small notebook and a file into a record with an id and a URL; publishing
the same content again gives that record, not a second one; and an
exception the adapter raises is that publication's error naming the
archive (``PublishError`` for a step, kept for a retry that then finishes
it; ``PreparationError`` for the constructor), never a bare exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from esap.publish.base import Archive
from esap.publish.engine import PreparationError, Publisher, PublishError
from esap.publish.journal import Entry
from esap.publish.settings import configured_archives, find_archive
from esap.testing.base import BOOM, AdapterConformance, Conformance, boom, optional_fixture

#: A notebook with nothing in it, as nbformat 4 writes it.
NOTEBOOK: dict[str, Any] = {
    "cells": [],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def metadata(name: str) -> dict[str, Any]:
    """The metadata of the suite's publication to the archive ``name``."""
    return {
        "title": f"ESAP Hub conformance check of the archive {name}",
        "creators": [{"name": "Conformance, Suite", "affiliation": "ESAP Hub"}],
        "description": "A publication made by esap.testing to check an archive adapter.",
        "license": "CC-BY-4.0",
        "keywords": ["esap-conformance"],
    }


class ArchiveConformance(AdapterConformance):
    """The conformance suite of an archive adapter (see ``esap.testing``).

    Fixtures to give: ``entry`` (the entry under ``archives``). Optional:
    ``token`` (a personal token the archive accepts, for an adapter with
    ``needs_token``) and ``config_extra``.
    """

    section: ClassVar[str] = "archives"

    @pytest.fixture
    def publisher(self, conformance: Conformance, request: pytest.FixtureRequest) -> Publisher:
        """The user's publisher, offered the archive as the hub's public config describes it."""
        conformance.spawn(conformance.write())
        return self._publisher(conformance, optional_fixture(request, "token", None))

    def _publisher(self, conformance: Conformance, token: str | None) -> Publisher:
        home = conformance.directory / "home"
        home.mkdir(exist_ok=True)
        # a user server reads the public config the hub put in its environment
        publisher = Publisher(
            home, archives=configured_archives(), state_dir=conformance.directory / "state"
        )
        cls = conformance.adapter_class
        if getattr(cls, "needs_token", False):
            assert token, (
                f"the {conformance.entry['type']} adapter needs the user's token: give the "
                "fixture `token` (a personal token the archive accepts)"
            )
        if token:
            publisher.tokens.set(conformance.name, token)
        return publisher

    def _conformance_build(self, conformance: Conformance, request: pytest.FixtureRequest) -> Any:
        publisher = self._publisher(conformance, optional_fixture(request, "token", None))
        return publisher.adapter(find_archive(publisher.archives, conformance.name))

    def _files(self, publisher: Publisher) -> list[str]:
        """A notebook and a data file in the home, written once (a rewrite is new content)."""
        files = {"analysis.ipynb": json.dumps(NOTEBOOK), "result.csv": "x,y\n1,2\n3,4\n"}
        for name, text in files.items():
            path = publisher.home / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")
        return list(files)

    def _publish(self, publisher: Publisher, name: str) -> Entry:
        return publisher.publish(self._files(publisher), metadata(name), name)

    # -------------------------------------------------------------- the checks

    def test_publish_gives_a_record(self, conformance: Conformance, publisher: Publisher) -> None:
        """Publishing a notebook and a file gives a published record with an id and a URL."""
        try:
            entry = self._publish(publisher, conformance.name)
        except (PublishError, PreparationError) as exc:
            pytest.fail(f"the publication failed: {exc}", pytrace=False)
        assert entry.published, f"the publication ended in state {entry.state}"
        record = entry.record or {}
        for key in ("id", "url"):
            assert record.get(key), (
                f"publish() must return a Record with an id and a URL; the journal holds {record}"
            )
        assert entry.archive == conformance.name, f"published to {entry.archive}, not the archive"

    def test_publishing_again_gives_the_same_record(
        self, conformance: Conformance, publisher: Publisher
    ) -> None:
        """The same content published again, even by a new process, is the same record."""
        first = self._publish(publisher, conformance.name)
        again = self._publish(
            Publisher(publisher.home, archives=publisher.archives, state_dir=publisher.state_dir),
            conformance.name,
        )
        assert again.record == first.record, (
            f"a second publication of the same content made another record: {first.record} "
            f"then {again.record}"
        )
        assert again.id == first.id, "the same content became a second publication"
        assert len(publisher.publications()) == 1, "the retry left a second publication"

    def test_a_failing_step_is_the_archive_error_and_a_retry_resumes(
        self, conformance: Conformance, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An exception from a step is a ``PublishError``; a retry then finishes the publication."""
        cls: type[Archive] = conformance.adapter_class
        with monkeypatch.context() as patched:
            patched.setattr(cls, "create_draft", boom)
            error = _raised(lambda: self._publish(publisher, conformance.name))
        assert isinstance(error, PublishError), (
            f"the adapter's exception escaped the engine as {type(error).__name__}: {error}"
        )
        assert BOOM in str(error), f"the error lost the adapter's message: {error}"
        stopped = publisher.journal.get(error.publication)
        assert stopped.archive == conformance.name, "the stopped publication names no archive"
        assert not stopped.published, "the publication says published although a step failed"
        assert BOOM in (stopped.error or ""), "the journal does not keep why it stopped"
        finished = publisher.run(error.publication)
        assert finished.published, (
            "a retry after the failure did not publish: find_draft(marker) and create_draft "
            "must let the engine resume from its journal"
        )
        assert (finished.record or {}).get("id"), f"the retry's record has no id: {finished}"
        assert len(publisher.publications()) == 1, "the retry made a second publication"

    def test_a_failing_constructor_is_the_archive_error(
        self, conformance: Conformance, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An exception while the adapter is built is a ``PreparationError`` naming the archive."""
        monkeypatch.setattr(conformance.adapter_class, "__init__", boom)
        error = _raised(lambda: self._publish(publisher, conformance.name))
        assert isinstance(error, PreparationError), (
            f"the adapter's exception escaped the engine as {type(error).__name__}: {error}"
        )
        assert error.field == "archive", f"the error must be about the archive: {error}"
        assert conformance.name in error.message, f"the error must name the archive: {error}"
        assert BOOM in str(error), f"the error lost the adapter's message: {error}"


def _raised(call: Callable[[], object]) -> Exception:
    """What ``call`` raised; fails the check when it raised nothing."""
    try:
        call()
    except Exception as exc:  # whatever escapes the engine is what the check looks at
        return exc
    pytest.fail("the publication succeeded although the adapter raised", pytrace=False)


__all__ = ["NOTEBOOK", "ArchiveConformance", "metadata"]
