"""``helm/esap-hub/values.schema.json``: the chart's values schema, from the config models.

Helm validates a release's values against it before rendering, so a broken
``esap.config`` fails ``helm install`` with the same constraints ``esap
config check`` applies. It is written as draft-07 (what Helm's validator has
always read) with the config models under ``definitions``; the subcharts'
keys are left to their own charts' schemas. Adapter options are those of the
built-in adapters only: the file is committed, so it must not depend on
which other adapter packages happen to be installed where it is generated
(an entry of another type is still checked, its ``options`` as a mapping).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from esap.config import json_schema

DIALECT = "http://json-schema.org/draft-07/schema#"

#: The committed file, relative to the repository root.
SCHEMA_PATH = Path("helm") / "esap-hub" / "values.schema.json"

#: ``esap.alerts``: the probe's alert rules, a PrometheusRule (templates/prometheusrule.yaml).
ALERTS: dict[str, Any] = {
    "type": "object",
    "description": "Alert rules on the probe's metrics (esap.yaml probe:), as a PrometheusRule "
    "of the Prometheus Operator.",
    "additionalProperties": False,
    "properties": {
        "enabled": {
            "type": "boolean",
            "description": "Render the PrometheusRule (needs the Prometheus Operator's CRDs).",
        },
        "labels": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Labels the Prometheus' ruleSelector matches, e.g. "
            "release: kube-prometheus-stack.",
        },
        "severity": {"type": "string", "description": "The severity label of every alert."},
        "probe": {
            "type": "object",
            "description": "The thresholds of the probe's alerts.",
            "additionalProperties": False,
            "properties": {
                "failuresInARow": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Alert when a check failed this many rounds in a row.",
                },
                "spawnSlowerThan": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "Alert when the bot's lab took longer (seconds) to spawn.",
                },
                "spawnSlowFor": {
                    "type": "string",
                    "pattern": "^[0-9]+(s|m|h)$",
                    "description": "... for this long (a Prometheus duration, e.g. 10m).",
                },
                "staleAfter": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "Alert when no round ended for this many seconds.",
                },
            },
        },
    },
}


#: ``esap.projects``: the volumes of project folders (templates/projects.yaml).
PROJECTS: dict[str, Any] = {
    "type": "object",
    "description": "The volumes of project folders (esap.yaml projects:), one "
    "PersistentVolumeClaim per project.",
    "additionalProperties": False,
    "properties": {
        "storageClass": {
            "type": "string",
            "description": "Storage class of the project volumes (one offering ReadWriteMany: "
            "CephFS, NFS, Azure Files, EFS, Filestore); empty: the cluster's default.",
        },
        "accessMode": {
            "type": "string",
            "enum": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"],
            "description": "ReadWriteMany, for members' pods on several nodes; ReadWriteOnce "
            "only on a single-node cluster.",
        },
        "size": {
            "type": "string",
            "pattern": r"^[0-9]+(\.[0-9]+)?([KMGTPE]i?)?$",
            "description": "The size of a project that gives none in esap.yaml, e.g. 100Gi.",
        },
    },
}


def _draft07(node: Any) -> Any:
    """Rewrite ``#/$defs/X`` references (pydantic's, draft 2020-12) as ``#/definitions/X``."""
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/$defs/", "#/definitions/")
                if key == "$ref" and isinstance(value, str)
                else _draft07(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    return node


def values_schema() -> dict[str, Any]:
    """The JSON Schema of the chart's values (``esap.*`` strict, subcharts open)."""
    config = _draft07(json_schema(builtin_only=True))
    definitions = config.pop("$defs", {})
    config.pop("$schema", None)
    definitions["EsapConfig"] = config
    name = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
    return {
        "$schema": DIALECT,
        "title": "ESAP Hub Helm chart values",
        "type": "object",
        "properties": {
            "esap": {
                "type": "object",
                "description": "ESAP Hub's own values: the admin config and the names of "
                "the objects the chart creates or reads.",
                "additionalProperties": False,
                "required": ["config"],
                "properties": {
                    "config": {
                        "$ref": "#/definitions/EsapConfig",
                        "description": "The esap.yaml of the deployment (hub.mode: kubernetes).",
                    },
                    "configMapName": {
                        **name,
                        "description": "ConfigMap holding esap.yaml, mounted in the hub.",
                    },
                    "secretName": {
                        **name,
                        "description": "Secret the chart creates (the Dask Gateway API token).",
                    },
                    "envSecretName": {
                        **name,
                        "description": "Secret the admin creates, holding one key per env:NAME "
                        "reference of esap.yaml.",
                    },
                    "alerts": ALERTS,
                    "projects": PROJECTS,
                },
            },
            "jupyterhub": {
                "type": "object",
                "description": "Values of the zero-to-jupyterhub chart (its own schema applies).",
            },
            "dask-gateway": {
                "type": "object",
                "description": "Values of the dask-gateway chart (its own schema applies).",
            },
            "global": {"type": "object"},
        },
        "additionalProperties": False,
        "definitions": definitions,
    }


def render_schema() -> str:
    """The file's exact text (stable key order, trailing newline)."""
    return json.dumps(values_schema(), indent=2, ensure_ascii=False) + "\n"
