"""The ``esap`` command: one entry point, one sub-command module per capability.

Each sub-command lives next to the capability it drives and exposes
``add_parser(subparsers)``, which registers its arguments and sets ``func``
(a callable taking the parsed namespace and returning an exit code). This file
only wires them together, so a capability never imports another's CLI.

Only the module of the sub-command being run is imported. Importing a
sub-command module imports its package, and some packages bring heavy
libraries with them (the basket and the config models pydantic, data
searches requests and pyvo's stack, the hub JupyterHub): ``esap publish``
would otherwise start with all of them in memory. The other sub-commands
are listed in ``esap --help`` from :data:`COMMANDS`, which names each one's
module and its one-line help (a test checks that it matches what the module
registers).

An :class:`~esap.core.errors.EsapError` a sub-command lets through is
printed here, in one way for every sub-command: the line a notebook shows
for the same error (``field: message — fix``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from importlib import import_module

from esap import __version__, plugins
from esap.core.errors import EsapError

#: Sub-command -> (its module, the one-line help its ``add_parser`` registers), in help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "config": (
        "esap.config.command",
        "check an esap.yaml, print its JSON Schema or its public part",
    ),
    "hub": ("esap.hub.command", "run JupyterHub from an esap.yaml"),
    "basket": (
        "esap.basket.command",
        "list, add, edit, export, import and download the items of your basket",
    ),
    "run": (
        "esap.bulk.command",
        "run a notebook headless with parameters (papermill), or list the runs",
    ),
    "workshop": (
        "esap.hub.workshop_command",
        "run a workshop: temporary accounts, course material in every home",
    ),
    "helm": ("esap.helm.command", "write values for the helm/esap-hub chart"),
    "search": ("esap.data.command", "search data services at once (TAP, SIAv2, SCS, SSA)"),
    "crossmatch": (
        "esap.data.crossmatch_command",
        "match a table file by position against a catalogue of a TAP service",
    ),
    "cutout": (
        "esap.data.cutout_command",
        "cut part of an archive's image or cube (SODA) into a FITS file",
    ),
    "publish": ("esap.publish.command", "publish files to an archive record with a DOI"),
    "reproduce": (
        "esap.publish.reproduction.command",
        "re-run a published notebook from its DOI and compare its outputs",
    ),
    "probe": (
        "esap.probe.command",
        "run the hub's probe once: spawn, search, basket, publish, Dask; a report",
    ),
    "usage": (
        "esap.hub.usage_command",
        "show everyone's usage per user and per group: home, servers, Dask, jobs",
    ),
}


#: Sub-commands that need an extra of esap-hub (pyproject.toml), whatever library is missing.
_EXTRA_OF = {"hub": "hub", "workshop": "hub", "probe": "hub"}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command named on the command line (the first word), or ``None``."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(registered: Collection[str] = ()) -> argparse.ArgumentParser:
    """Build the top-level parser.

    The sub-commands named in ``registered`` are registered by their modules
    (with their arguments); the others are listed by name and help only,
    their modules not imported.
    """
    parser = argparse.ArgumentParser(
        prog="esap",
        description="ESAP Hub: configure and run a science analysis platform on JupyterHub.",
    )
    parser.add_argument("--version", action="version", version=f"esap-hub {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if name in registered:
            import_module(module).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=help_text)
    return parser


def failed(command: str, error: EsapError) -> int:
    """Print ``error`` as the one line every face shows (``field: message — fix``); its exit code.

    The line is the exception's own text, so a shell shows what a notebook
    shows; a request the command refused (a 4xx on the REST API) exits 2,
    any other failure 1.
    """
    print(f"esap {command}: {error}", file=sys.stderr)
    return 2 if error.status < 500 else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``esap`` command and return its exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    name = chosen_command(words)
    try:
        parser = build_parser([name] if name else [])
        args = parser.parse_args(words)
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return 2
        try:
            return int(func(args))
        except EsapError as exc:  # any capability's error: one line, the same as a notebook's
            return failed(str(args.command), exc)
    except ModuleNotFoundError as exc:
        # a lean install (no hub, no Dask...): say which extra brings the library back
        missing = exc.name or ""
        extra = plugins.EXTRAS.get(missing.partition(".")[0]) or _EXTRA_OF.get(name or "")
        if extra is None:
            raise
        print(f"esap {name}: {plugins.not_installed(missing, extra=extra)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
