"""Every ESAP REST handler requires authentication, and the OpenAPI file describes them all."""

from __future__ import annotations

import re

import pytest
from tornado import web

from esap.server import api_handlers
from esap.server.openapi_handlers import openapi_document

VERBS = ("get", "post", "put", "patch", "delete")

#: The only verbs served without sign-in, each documented with ``security: []``:
#: the capability link a desktop tool fetches a table from over SAMP (it has no
#: cookie or token; the link's random id is the permission, see samp_handlers).
PUBLIC = {("samp/tables/{link_file}", "get")}


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
        if (_documented_path(path), verb) in PUBLIC:
            assert getattr(method, "__allow_unauthenticated", False), (
                f"{handler.__name__}.{verb} ({path}) is public: mark it @allow_unauthenticated"
            )
            continue
        assert method.__code__ is wrapper, (
            f"{handler.__name__}.{verb} ({path}) is not decorated with @tornado.web.authenticated"
        )


def _documented_path(path: str) -> str:
    """A served route as openapi.yaml writes it (named groups as ``{name}``)."""
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)


def test_public_verbs_are_exactly_the_documented_exceptions() -> None:
    served = {(_documented_path(p), v) for p, h in api_handlers() for v in _own_verbs(h)}
    assert served >= PUBLIC, "a public exception names a route that is not served"
    document = openapi_document()
    public = {
        (path.lstrip("/"), verb)
        for path, operations in document["paths"].items()
        for verb, operation in operations.items()
        if verb in VERBS and operation.get("security") == []
    }
    assert public == PUBLIC


def test_openapi_describes_exactly_the_routes() -> None:
    document = openapi_document()
    documented = {
        (path.lstrip("/"), verb)
        for path, operations in document["paths"].items()
        for verb in operations
        if verb in VERBS
    }
    served = {
        (_documented_path(path), verb)
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
            if operation.get("security") == []:
                assert "404" in operation["responses"], f"{verb} {path} does not document 404"
                continue
            assert "403" in operation["responses"], f"{verb} {path} does not document 403"
