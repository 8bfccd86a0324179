"""A service's failure is named for what it is: a host that does not resolve is not a bad VOTable.

pyvo wraps a failed connection in whichever error it was raising at the
time (``DALFormatError`` while reading a VOTable, ``DALServiceError`` while
calling the service); the error must name the failed connection either
way. (``tests/test_failures.py`` runs every kind against real servers,
through every face.)
"""

from __future__ import annotations

import socket

import pytest
import requests
from pyvo.dal import exceptions as dal

from esap.data.failures import error_event, failure

NO_NAME = requests.ConnectionError(
    "HTTPSConnectionPool(host='archive.example.org', port=443): Max retries exceeded "
    "(Caused by NameResolutionError(\"Failed to resolve 'archive.example.org'\"))"
)
NO_NAME.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
URL = "https://archive.example.org/tap"


@pytest.mark.parametrize(
    "wrapped",
    [dal.DALFormatError(NO_NAME), dal.DALServiceError(None, cause=NO_NAME), NO_NAME],
    ids=["format-error", "service-error", "bare"],
)
def test_a_name_that_does_not_resolve_is_named_so(wrapped: Exception) -> None:
    event = error_event(wrapped, "archive", URL, 30)
    assert event["code"] == "name_not_resolved"
    assert event["message"] == (
        "the host name archive.example.org does not resolve (Name or service not known)"
    )
    assert "not a valid VOTable" not in event["message"]
    assert event["fix"].startswith(f"check the host name in the service's URL ({URL})")


def test_a_refused_connection_is_named_so_through_pyvo() -> None:
    from pyvo.dal import TAPService

    with socket.socket() as closed:  # a free loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(dal.DALAccessError) as caught:
        TAPService(f"http://127.0.0.1:{port}/tap").run_sync("SELECT 1 FROM x")
    error = failure(caught.value, "local")
    assert error.code == "connection_refused", error
    assert error.message == f"127.0.0.1:{port} refused the connection: nothing listens there"
    assert error.status == 502


def test_a_broken_votable_is_a_bad_answer() -> None:
    error = failure(dal.DALFormatError(reason="not well-formed (invalid token)"), "s", URL)
    assert error.code == "bad_answer"
    assert error.message == (
        "the answer from archive.example.org:443 is not a valid VOTable: "
        "not well-formed (invalid token)"
    )


def test_an_adapters_own_error_keeps_its_words_and_a_bug_is_named_as_one() -> None:
    from esap.data.base import ServiceError

    own = ServiceError("the archive is read-only today", "publish tomorrow")
    assert failure(own, "s") is own
    bug = failure(KeyError("ra"), "s")
    assert (bug.code, bug.message) == ("error", "KeyError: 'ra'")
    assert bug.fix not in bug.message
