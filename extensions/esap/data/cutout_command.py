"""``esap cutout``: part of an archive's image or cube, cut by its SODA service, into a file.

    esap cutout --service local-tap --did 'ivo://esap.test/esaptest?M51-CAHA-Halpha-0001' \\
        --ra 202.4696 --dec 47.1952 --radius 0.05 --band 6.55e-7 6.6e-7
    esap cutout --datalink 'https://archive.org/dl?ID=...' --ra 83.63 --dec 22.01 --box 0.1 0.05

The product is named by a service of the config and its publisher DID, or
by the URL of its DataLink document. The FITS file goes to ``--to`` (a folder
in the home, default ``~/cutouts``); its path is printed on stdout. Exit
status: 0 when written, 2 on a refused request (the error says which field
and how to fix it), 1 when the archive failed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register ``esap cutout``."""
    parser = subparsers.add_parser(
        "cutout",
        help="cut part of an archive's image or cube (SODA) into a FITS file",
        description="Ask the archive's SODA service (found through DataLink) for a circle or "
        "a box of a product, and a cube's band; the file's path on stdout.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--did", help="the product's publisher DID (with --service)")
    which.add_argument("--datalink", metavar="URL", help="the URL of its DataLink document")
    parser.add_argument("--service", "-s", help="the data service that holds the product")
    parser.add_argument("--ra", type=float, required=True, help="centre, degrees (ICRS)")
    parser.add_argument("--dec", type=float, required=True, help="centre, degrees (ICRS)")
    shape = parser.add_mutually_exclusive_group(required=True)
    shape.add_argument("--radius", type=float, help="a circle's radius, degrees")
    shape.add_argument(
        "--box", nargs=2, type=float, metavar=("WIDTH", "HEIGHT"), help="a box, degrees"
    )
    parser.add_argument(
        "--band", nargs=2, type=float, metavar=("MIN", "MAX"), help="wavelengths, metres (cubes)"
    )
    parser.add_argument("--time", nargs=2, type=float, metavar=("START", "END"), help="MJD")
    parser.add_argument("--to", help="folder in your home (default cutouts)")
    parser.add_argument("--basket", action="store_true", help="also add it to your basket")
    parser.add_argument("--config", "-c", help="an esap.yaml (default: the hub's, or ./esap.yaml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Cut, write, print the path; see the module docstring."""
    from esap.core.errors import EsapError, UpstreamError
    from esap.data.command import _catalog
    from esap.data.cutouts import cutout

    item: dict[str, Any] = {"service": args.service} if args.service else {}
    if args.did:
        if not args.service:
            sys.stderr.write("esap cutout: --did needs --service (the service that holds it)\n")
            return 2
        item["obs_publisher_did"] = args.did
    else:
        item["datalink_url"] = args.datalink
    try:
        written = cutout(
            item,
            args.ra,
            args.dec,
            args.radius,
            box=tuple(args.box) if args.box else None,
            band=tuple(args.band) if args.band else None,
            time=tuple(args.time) if args.time else None,
            to=args.to,
            basket=args.basket,
            catalog=_catalog(args.config),
        )
    except EsapError as exc:
        sys.stderr.write(f"esap cutout: {exc}\n")
        return 1 if isinstance(exc, UpstreamError) else 2
    path = written[0] if isinstance(written, tuple) else written
    sys.stdout.write(f"{path}\n")
    return 0
