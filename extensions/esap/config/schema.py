"""The JSON Schema of ``esap.yaml``, generated from the models.

Editors (YAML language servers) and the Helm chart's ``values.schema.json``
use it; since it comes from the same models that validate the file, the
three can never disagree.
"""

from __future__ import annotations

from typing import Any

from esap.config.models import EsapConfig

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "ESAP Hub configuration (esap.yaml)"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``EsapConfig``, with every field's description."""
    generated = EsapConfig.model_json_schema(mode="validation")
    generated.pop("title", None)
    return {"$schema": DIALECT, "title": TITLE, **generated}


__all__ = ["json_schema"]
