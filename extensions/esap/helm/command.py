"""``esap helm values`` and ``esap helm schema``: the chart's inputs from the config.

The value builder and the schema (which import the config models and the
hub's modules, JupyterHub with them) are imported when a sub-command runs,
not with this module: ``esap helm --help`` and ``esap helm schema`` need
neither JupyterHub nor the value builder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from esap.helm.images import DEFAULT_HUB_IMAGE, DEFAULT_SINGLEUSER_IMAGE

HEADER = (
    "# Values for the helm/esap-hub chart, written by `esap helm values` from {source}.\n"
    "# Regenerate after editing that file; do not edit by hand.\n"
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap helm``."""
    parser = subparsers.add_parser(
        "helm",
        help="write values for the helm/esap-hub chart",
        description="Turn an esap.yaml into values for the helm/esap-hub chart.",
    )
    sub = parser.add_subparsers(dest="helm_command", metavar="COMMAND", required=True)
    values = sub.add_parser("values", help="chart values for an esap.yaml")
    values.add_argument("config", help="the admin config file")
    values.add_argument("-o", "--output", help="write to this file (default: stdout)")
    values.add_argument(
        "--hub-image", default=DEFAULT_HUB_IMAGE, help=f"hub image (default {DEFAULT_HUB_IMAGE})"
    )
    values.add_argument(
        "--singleuser-image",
        default=DEFAULT_SINGLEUSER_IMAGE,
        help=f"user server and Dask worker image (default {DEFAULT_SINGLEUSER_IMAGE})",
    )
    values.set_defaults(func=run_values)
    schema = sub.add_parser("schema", help="the chart's values.schema.json")
    schema.add_argument("-o", "--output", help="write to this file (default: stdout)")
    schema.set_defaults(func=run_schema)


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)


def run_values(args: argparse.Namespace) -> int:
    """Check the config like ``esap config check`` does, then write the values."""
    import yaml

    from esap.config import ConfigError, load
    from esap.helm.values import chart_values

    try:
        config = load(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    values = chart_values(config, args.hub_image, args.singleuser_image)
    text = HEADER.format(source=Path(args.config).name) + yaml.safe_dump(
        values, sort_keys=False, allow_unicode=True
    )
    _write(text, args.output)
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """Print (or write) the chart's values schema."""
    from esap.helm.schema import render_schema

    _write(render_schema(), args.output)
    return 0
