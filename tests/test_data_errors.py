"""A service's failure is named for what it is: a host that does not resolve is not a bad VOTable.

pyvo wraps a failed connection in whichever error it was raising at the
time (``DALFormatError`` while reading a VOTable, ``DALServiceError`` while
calling the service); the error event must say "unreachable" either way.
"""

from __future__ import annotations

import socket

import pytest
import requests
from pyvo.dal import exceptions as dal

from esap.data.federation import error_of

NO_NAME = requests.ConnectionError(
    "HTTPSConnectionPool(host='archive.example.org', port=443): Max retries exceeded "
    "(Caused by NameResolutionError(\"Failed to resolve 'archive.example.org'\"))"
)


@pytest.mark.parametrize(
    "wrapped",
    [dal.DALFormatError(NO_NAME), dal.DALServiceError(None, cause=NO_NAME), NO_NAME],
    ids=["format-error", "service-error", "bare"],
)
def test_a_name_that_does_not_resolve_is_unreachable(wrapped: Exception) -> None:
    code, message = error_of(wrapped)
    assert code == "unreachable"
    assert message.startswith("the service's host name does not resolve")
    assert "not a valid VOTable" not in message


def test_a_refused_connection_is_unreachable_through_pyvo() -> None:
    from pyvo.dal import TAPService

    with socket.socket() as closed:  # a free loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(dal.DALAccessError) as caught:
        TAPService(f"http://127.0.0.1:{port}/tap").run_sync("SELECT 1 FROM x")
    code, message = error_of(caught.value)
    assert code == "unreachable", message
    assert message.startswith("cannot connect to the service")


def test_a_broken_votable_is_still_a_bad_response() -> None:
    code, message = error_of(dal.DALFormatError(reason="not well-formed (invalid token)"))
    assert code == "bad_response"
    assert "not a valid VOTable" in message
