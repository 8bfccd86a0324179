"""``esap config``: check an ``esap.yaml``, print its JSON Schema or its public part.

``check`` is what an admin runs after every edit, so it prints every problem
at once, one per line, and never a traceback; its exit code (1 on any
problem) lets CI and ``make`` stop early.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from esap import plugins
from esap.config.crosschecks import config_warnings
from esap.config.errors import ConfigError
from esap.config.loading import load
from esap.config.models import EsapConfig
from esap.config.public import public
from esap.config.schema import json_schema

DEFAULT_PATH = "esap.yaml"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap config`` and its sub-commands ``check``, ``schema`` and ``show``."""
    parser = subparsers.add_parser(
        "config",
        help="check an esap.yaml, print its JSON Schema or its public part",
        description="Work with the admin config file, esap.yaml.",
    )
    parser.set_defaults(func=lambda _args: _usage(parser))
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    installed = "; ".join(
        f"{plugins.KIND[group]}s: {', '.join(plugins.names(group))}" for group in plugins.groups()
    )
    check = actions.add_parser(
        "check",
        help="validate a config and print every problem",
        description="Validate an esap.yaml and print every problem in it, one per line.",
        epilog=f"Adapter types known here — {installed}.",
    )
    check.add_argument(
        "path", nargs="?", default=DEFAULT_PATH, help=f"the config file (default: {DEFAULT_PATH})"
    )
    check.set_defaults(func=run_check)

    schema = actions.add_parser(
        "schema",
        help="print the JSON Schema of esap.yaml",
        description="Print the JSON Schema (draft 2020-12) of esap.yaml, for editors and Helm.",
    )
    schema.set_defaults(func=run_schema)

    show = actions.add_parser(
        "show",
        help="print the public part of a config as JSON",
        description="Print what the hub passes to user servers: the config without secrets.",
    )
    show.add_argument(
        "path", nargs="?", default=DEFAULT_PATH, help=f"the config file (default: {DEFAULT_PATH})"
    )
    show.set_defaults(func=run_show)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _count(number: int, singular: str) -> str:
    return f"{number} {singular}" if number == 1 else f"{number} {singular}s"


def summary(path: str, config: EsapConfig) -> str:
    """One line saying what a valid config sets up."""
    return (
        f"{path}: OK — "
        f"{_count(len(config.data_services), 'data service')}, "
        f"{_count(len(config.software_catalogues), 'software catalogue')}, "
        f"{_count(len(config.archives), 'archive')}, "
        f"auth {config.auth.type}, mode {config.hub.mode}"
    )


def _emit(text: str) -> int:
    """Print ``text`` to stdout; a reader that stops early (``| head``) is not an error to show."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # keep Python from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _load(path: str) -> EsapConfig | None:
    try:
        return load(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def run_check(args: argparse.Namespace) -> int:
    """``esap config check [PATH]``: 0 and a summary when valid, 1 and the problems if not."""
    config = _load(args.path)
    if config is None:
        return 1
    for warning in config_warnings(config):
        print(f"{args.path}: warning: {warning}", file=sys.stderr)
    print(summary(args.path, config))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """``esap config schema``: the JSON Schema on stdout."""
    return _emit(json.dumps(json_schema(), indent=2))


def run_show(args: argparse.Namespace) -> int:
    """``esap config show [PATH]``: the public part of the config on stdout, as JSON."""
    config = _load(args.path)
    if config is None:
        return 1
    # exactly what the hub hands user servers: a secret option as the variable it sets there
    return _emit(json.dumps(public(config, secrets={}), indent=2))


__all__ = ["add_parser", "run_check", "run_schema", "run_show", "summary"]
