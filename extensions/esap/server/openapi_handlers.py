"""``GET /esap/api/v1/openapi.json``: the OpenAPI document of this API."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from tornado import web

from esap import __version__
from esap.server.answers import FreeObject
from esap.server.base import EsapHandler


@cache
def openapi_document() -> dict[str, Any]:
    """The API description shipped as ``openapi.yaml``, with the package version."""
    document: dict[str, Any] = yaml.safe_load(
        (files("esap.server") / "openapi.yaml").read_text(encoding="utf-8")
    )
    document["info"]["version"] = __version__
    return document


class OpenAPIHandler(EsapHandler):
    """Serve the OpenAPI document, so clients and tests can read the contract."""

    @web.authenticated
    def get(self) -> None:
        self.write_answer(FreeObject, openapi_document())


default_handlers = [("openapi.json", OpenAPIHandler)]
