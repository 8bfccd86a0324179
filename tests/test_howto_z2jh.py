"""The how-to for the panels on someone else's zero-to-jupyterhub, checked as far as it can be here.

No z2jh deployment runs on a test machine; what the how-to adds to one is a
``singleuser`` block. Its YAML is taken from the page itself, so the page
cannot drift: it must pass z2jh's own values schema, the ``esap.yaml`` it
mounts must pass ``esap config`` validation, and ``ESAP_CONFIG`` must name
the file the block mounts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from test_helm_chart import upstream_schema

from esap.config import loads

PAGE = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "panels-in-any-jupyterlab.md"


def partial_schema(schema: Any, *, in_choice: bool = False) -> Any:
    """z2jh's schema for a partial values file: ``required`` dropped except inside a choice.

    The chart's defaults supply the keys a partial file leaves out, so
    ``required`` is dropped; but a ``oneOf`` tells its branches apart by what
    they require (an extra file has ``data``, ``stringData`` or
    ``binaryData``), so there it stays.
    """
    if isinstance(schema, dict):
        return {
            key: [partial_schema(item, in_choice=True) for item in value]
            if key in ("oneOf", "anyOf") and isinstance(value, list)
            else partial_schema(value)
            for key, value in schema.items()
            if key != "required" or in_choice
        }
    if isinstance(schema, list):
        return [partial_schema(item) for item in schema]
    return schema


def chart_block() -> dict[str, Any]:
    """The YAML block of the page that starts with ``singleuser:``."""
    blocks = re.findall(r"```yaml\n(.*?)```", PAGE.read_text(), flags=re.S)
    found = [yaml.safe_load(block) for block in blocks if "singleuser:" in block]
    assert len(found) == 1, f"{PAGE.name} should hold one singleuser block, found {len(found)}"
    values: dict[str, Any] = found[0]
    return values


def test_the_singleuser_block_fits_z2jh_and_mounts_a_valid_esap_config() -> None:
    values = chart_block()
    schema = partial_schema(upstream_schema("z2jh-values.schema.yaml"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(values), key=str)
    assert not errors, "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    singleuser = values["singleuser"]
    (mounted,) = singleuser["extraFiles"].values()
    assert singleuser["extraEnv"]["ESAP_CONFIG"] == mounted["mountPath"]
    config = loads(mounted["stringData"])
    assert [entry.type for entry in config.data_services] == ["tap"]
    assert [entry.type for entry in config.archives] == ["local"]


def test_a_misspelt_key_in_such_a_block_is_caught() -> None:
    """The check above can fail: z2jh's schema refuses what z2jh would ignore."""
    values = chart_block()
    values["singleuser"]["extraEnvs"] = values["singleuser"].pop("extraEnv")
    schema = partial_schema(upstream_schema("z2jh-values.schema.yaml"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(values))
