"""Every ESAP REST handler requires authentication, and the OpenAPI file describes them all."""

from __future__ import annotations

import re

import pytest
from tornado import web

from esap.server import api_handlers
from esap.server.openapi_handlers import openapi_document

VERBS = ("get", "post", "put", "patch", "delete")


def _authenticated_code() -> object:
    """The code object of tornado's ``authenticated`` wrapper, to recognise it."""

    def probe(self: object) -> None:  # pragma: no cover - never called
        return None

    return web.authenticated(probe).__code__


def _own_verbs(handler: type) -> list[str]:
    """HTTP verbs the handler (or an ESAP base class) defines."""
    verbs = []
    for verb in VERBS:
        for klass in handler.__mro__:
            if verb in vars(klass) and klass.__module__.startswith("esap."):
                verbs.append(verb)
                break
    return verbs


@pytest.mark.parametrize(
    ("path", "handler"), api_handlers(), ids=lambda v: getattr(v, "__name__", v)
)
def test_every_verb_is_authenticated(path: str, handler: type) -> None:
    verbs = _own_verbs(handler)
    assert verbs, f"{handler.__name__} ({path}) serves no verb"
    wrapper = _authenticated_code()
    for verb in verbs:
        method = getattr(handler, verb)
        assert method.__code__ is wrapper, (
            f"{handler.__name__}.{verb} ({path}) is not decorated with @tornado.web.authenticated"
        )


def test_openapi_describes_exactly_the_routes() -> None:
    document = openapi_document()
    documented = {
        (path.lstrip("/"), verb)
        for path, operations in document["paths"].items()
        for verb in operations
        if verb in VERBS
    }
    served = {
        (re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path), verb)
        for path, handler in api_handlers()
        for verb in _own_verbs(handler)
    }
    assert served == documented


def test_openapi_document_is_valid_openapi_31() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    for path, operations in document["paths"].items():
        for verb, operation in operations.items():
            assert operation.get("operationId"), f"{verb} {path} has no operationId"
            assert "403" in operation["responses"], f"{verb} {path} does not document 403"
