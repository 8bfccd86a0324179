"""``esap crossmatch``: a table file matched by position against a TAP catalogue, from a shell.

    esap crossmatch mine.vot -s local-tap -c esaptest.sources -r 2 -o matches.vot
    esap crossmatch mine.csv -s local-tap -c esaptest.sources -r 1.5 --method local -f csv

The same engine as ``esap.data.crossmatch`` and the Data panel: the file
(VOTable, FITS table, ECSV, CSV) is read here, its position columns found by
UCD and name unless ``--ra-column``/``--dec-column`` name them, and matched
as a job of this process (``--method``: upload, local or auto, the default).
The radius is in arcseconds. Progress goes to stderr; the matches (``user_row``,
``separation`` in arcsec, the catalogue's columns) to stdout or ``--output``
as VOTable, CSV or ECSV. Exit status: 0 when matched, 2 on bad input, 1 when
the service failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from esap.data.command import FORMATS


def add_parser(subparsers: Any) -> None:
    """Register ``esap crossmatch``."""
    parser = subparsers.add_parser(
        "crossmatch",
        help="match a table file by position against a catalogue of a TAP service",
        description="Match a table file (VOTable, FITS, ECSV, CSV) by position against a "
        "catalogue of a TAP service; the matches on stdout.",
    )
    parser.add_argument("table", help="the table file")
    parser.add_argument("--service", "-s", required=True, help="a TAP service of esap.yaml")
    parser.add_argument("--catalogue", "-c", required=True, help="a table of it (schema.table)")
    parser.add_argument(
        "--radius", "-r", type=float, required=True, help="the match radius in arcseconds"
    )
    parser.add_argument(
        "--method", choices=("auto", "upload", "local"), default="auto",
        help="upload (TAP upload), local (cone queries, matched here) or auto (default)",
    )  # fmt: skip
    parser.add_argument("--ra-column", help="the table's right ascension column (degrees)")
    parser.add_argument("--dec-column", help="the table's declination column (degrees)")
    parser.add_argument(
        "--column", action="append", dest="columns", metavar="NAME",
        help="a catalogue column in the answer (repeat; default: all)",
    )  # fmt: skip
    parser.add_argument("--maxrec", type=int, help="matches at most")
    parser.add_argument("--config", help="an esap.yaml (default: the hub's, or ./esap.yaml)")
    parser.add_argument(
        "--format", "-f", choices=sorted(FORMATS), default="votable",
        help="output format (default votable)",
    )  # fmt: skip
    parser.add_argument("--output", "-o", default="-", help="output file (default: stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read, match, write; see the module docstring."""
    from esap.data.command import _catalog
    from esap.data.crossmatch_jobs import run_here
    from esap.data.usertable import read_table

    err = sys.stderr
    live = err.isatty()
    table = read_table(Path(args.table), args.table, field="table")

    def progress(job: Any) -> None:
        if live and job.message:
            err.write(f"\r\033[K  {job.message}")
            err.flush()

    matched = run_here(
        _catalog(args.config),
        table,
        args.service,
        args.catalogue,
        args.radius,
        ra_column=args.ra_column,
        dec_column=args.dec_column,
        columns=args.columns,
        method=args.method,
        maxrec=args.maxrec,
        on_progress=progress,
    )
    if live:
        err.write("\r\033[K")
    more = " (stopped at the limit)" if matched.meta.get("esap_truncated") else ""
    err.write(
        f"{len(matched)} matches of {args.table} in {args.catalogue} at {args.service} "
        f"({matched.meta.get('esap_method')}){more}\n"
    )
    for name in matched.colnames:  # VOTable and ECSV keep only plain metadata
        matched[name].meta = {
            k: v for k, v in matched[name].meta.items() if isinstance(v, (str, int, float))
        }
    matched.meta = {}
    binary = args.format == "votable"
    output = (sys.stdout.buffer if binary else sys.stdout) if args.output == "-" else args.output
    matched.write(output, format=FORMATS[args.format], overwrite=True)
    return 0
