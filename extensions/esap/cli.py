"""The ``esap`` command: one entry point, one sub-command module per capability.

Each sub-command lives next to the capability it drives and exposes
``add_parser(subparsers)``, which registers its arguments and sets ``func``
(a callable taking the parsed namespace and returning an exit code). This file
only wires them together, so a capability never imports another's CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from esap import __version__


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every sub-command registered."""
    from esap.basket import command as basket_command
    from esap.bulk import command as run_command
    from esap.config import command as config_command
    from esap.data import command as search_command
    from esap.helm import command as helm_command
    from esap.hub import command as hub_command
    from esap.publish import command as publish_command
    from esap.workshop import command as workshop_command

    parser = argparse.ArgumentParser(
        prog="esap",
        description="ESAP Hub: configure and run a science analysis platform on JupyterHub.",
    )
    parser.add_argument("--version", action="version", version=f"esap-hub {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        config_command,
        hub_command,
        basket_command,
        run_command,
        workshop_command,
        helm_command,
        search_command,
        publish_command,
    ):
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``esap`` command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return int(func(args))


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
