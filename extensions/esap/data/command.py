"""``esap search``: the federated search from a shell, with progress on stderr.

    esap search M31 --radius 0.2 --service gavo-dc --service cadc -o m31.vot
    esap search --ra 10.68 --dec 41.27 --format csv > m31.csv
    esap search --list-services
    esap search M31 --all-vo --type tap --type sia2 --keywords galaxy -o m31-vo.vot

Services come from ``--config`` (an esap.yaml), else the hub's config in the
environment (inside an ESAP Hub), else ``$ESAP_CONFIG`` or ``./esap.yaml``.
Progress — one line per service as it answers or fails — goes to stderr;
the combined table (with a ``service`` column) goes to stdout or ``--output``
as VOTable, CSV or ECSV (astropy's writers). Exit status: 0 when at least one
service answered, 1 when all failed, 2 on bad input.

``--all-vo`` searches every service of the ``--type`` given (ObsCore TAP,
SIAv2, cone search; all three by default) that the IVOA registry lists,
narrowed by ``--keywords`` and ``--waveband`` (:mod:`esap.data.allvo`):
progress is then one line per service that answered, the services that
failed or timed out one summary line at the end, and the output the
combined view (every product once, with the service that gave it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import IO, Any

FORMATS = {"votable": "votable", "csv": "ascii.csv", "ecsv": "ascii.ecsv"}


def add_parser(subparsers: Any) -> None:
    """Register ``esap search``."""
    parser = subparsers.add_parser(
        "search",
        help="search data services at once (TAP, SIAv2, SCS, SSA)",
        description="Search every enabled data service (or those named) at once; progress "
        "on stderr, the combined table on stdout.",
    )
    parser.add_argument("target", nargs="?", help="target name, resolved to coordinates")
    parser.add_argument("--ra", type=float, help="right ascension, degrees (ICRS)")
    parser.add_argument("--dec", type=float, help="declination, degrees (ICRS)")
    parser.add_argument("--radius", type=float, help="cone radius in degrees (default 0.1)")
    parser.add_argument(
        "--band", nargs=2, type=float, metavar=("MIN", "MAX"), help="wavelength range in metres"
    )
    parser.add_argument("--time", nargs=2, metavar=("START", "END"), help="ISO 8601 or MJD")
    parser.add_argument("--collection", help="ObsCore collection")
    parser.add_argument("--text", help="free text matched in titles and target names")
    parser.add_argument(
        "--service",
        "-s",
        action="append",
        dest="services",
        metavar="NAME",
        help="a service to search (repeat; default: every enabled one)",
    )
    parser.add_argument("--maxrec", type=int, help="rows per service at most")
    parser.add_argument(
        "--all-vo",
        action="store_true",
        help="search every service the IVOA registry lists (of --type), not the configured ones",
    )
    parser.add_argument(
        "--type",
        action="append",
        dest="types",
        choices=["tap", "sia2", "scs"],
        help="with --all-vo: a service type (repeat; default: tap (ObsCore), sia2 and scs)",
    )
    parser.add_argument("--keywords", help="with --all-vo: words the registry records must have")
    parser.add_argument("--waveband", help="with --all-vo: e.g. optical, radio, x-ray")
    parser.add_argument("--config", "-c", help="an esap.yaml (default: the hub's, or ./esap.yaml)")
    parser.add_argument(
        "--format",
        "-f",
        choices=sorted(FORMATS),
        default="votable",
        help="output format (default votable)",
    )
    parser.add_argument("--output", "-o", default="-", help="output file (default: stdout)")
    parser.add_argument("--list-services", action="store_true", help="list the services and exit")
    parser.set_defaults(func=run)


class Progress:
    """One line per service on stderr; on a terminal, a live "waiting for" line too."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.waiting: list[str] = []
        self.began = time.monotonic()
        #: An all-VO search: failures are summed up at the end, not one line each.
        self.vo = False

    def _summary(self, event: dict[str, Any]) -> None:
        combined = event["combined"]
        self.stream.write(
            f"  {combined['total']} products from {event['answered']} services "
            f"({combined['duplicates']} duplicates left out)\n"
        )
        failed = [s for s in event["services"] if s["state"] != "rows"]
        if failed:
            reasons = "; ".join(f"{s['service']} ({s.get('code', 'error')})" for s in failed)
            self.stream.write(f"  {len(failed)} failed or timed out: {reasons}\n")

    def _status_waiting(self) -> str:
        if self.vo and len(self.waiting) > 3:
            return f"{len(self.waiting)} services"
        return ", ".join(self.waiting)

    def _clear(self) -> None:
        if self.live:
            self.stream.write("\r\033[K")

    def _status(self) -> None:
        if self.live and self.waiting:
            elapsed = time.monotonic() - self.began
            self.stream.write(f"  waiting for {self._status_waiting()} ({elapsed:.0f} s)")
        self.stream.flush()

    def event(self, event: dict[str, Any]) -> None:
        """Show one federation event."""
        from esap.data.failures import error_text

        kind = event["event"]
        self._clear()
        if kind == "registry":
            self.vo = True
            self.stream.write(
                f"  {len(event['services'])} services from the registry {event['registry']} "
                f"(its answer {event['age_s']:.0f} s old"
                f"{', refreshing' if event['refreshing'] else ''})\n"
            )
        elif kind == "summary":
            self._summary(event)
        elif kind == "error" and self.vo:  # listed once, in the summary
            if event["service"] in self.waiting:
                self.waiting.remove(event["service"])
        elif kind == "started":
            self.waiting = list(event["services"])
            shown = ", ".join(self.waiting[:10]) + (", ..." if len(self.waiting) > 10 else "")
            self.stream.write(f"searching {len(self.waiting)} service(s): {shown}\n")
        elif kind == "resolved":
            self.stream.write(
                f"  {event['target']} -> ra {event['ra']:.5f}, "
                f"dec {event['dec']:.5f} ({event['resolver']})\n"
            )
        elif kind in ("rows", "error"):
            name = event["service"]
            if name in self.waiting:
                self.waiting.remove(name)
            seconds = event["elapsed_ms"] / 1000
            if kind == "rows":
                more = " (truncated by the service)" if event["truncated"] else ""
                self.stream.write(f"  {name}: {event['total']} rows in {seconds:.1f} s{more}\n")
            else:
                self.stream.write(f"  {name}: {event['code']}: {error_text(event)}\n")
        elif kind == "done":
            self.stream.write(f"done in {event['elapsed_ms'] / 1000:.1f} s\n")
        self._status()


def _catalog(config: str | None) -> Any:
    """The services of ``config``, else of the hub or ``$ESAP_CONFIG``, else of ./esap.yaml.

    ./esap.yaml is the command's own default (as for ``esap hub``), so it is
    tried here, only when nothing names a config; without it, the user file
    or the packaged default (``esap.core.public_config``).
    """
    from esap.core.public_config import NotConfigured, public_config
    from esap.data.catalog import Catalog
    from esap.data.store import UserStore

    try:
        offered = public_config(config, defaults=False)
    except NotConfigured:
        offered = public_config("esap.yaml" if Path("esap.yaml").is_file() else None)
    return Catalog(offered, UserStore())


def run(args: argparse.Namespace) -> int:
    """Run the search; see the module docstring."""
    from esap.core.errors import EsapError
    from esap.data.searches import prepare, search_request
    from esap.data.searches import run as run_search

    err = sys.stderr
    try:
        catalog = _catalog(args.config)
    except EsapError as exc:  # no config, or a broken one
        err.write(f"esap search: {exc}\n")
        return 2
    if args.list_services:
        for entry in catalog.entries():
            state = "" if entry.enabled else " (disabled)"
            err.write(f"{entry.name:20} {entry.type:9} {entry.url}{state}\n")
        return 0
    all_vo = None
    if args.all_vo:
        all_vo = {"types": args.types, "keywords": args.keywords, "waveband": args.waveband}
    elif args.types or args.keywords or args.waveband:
        err.write("esap search: --type, --keywords and --waveband go with --all-vo\n")
        return 2
    request = search_request(
        all_vo=all_vo,
        services=args.services,
        target=args.target,
        ra=args.ra,
        dec=args.dec,
        radius=args.radius,
        band=args.band,
        time=args.time,
        collection=args.collection,
        text=args.text,
        maxrec=args.maxrec,
    )
    # a bad field (BadField) is printed by esap.cli as "esap search: field: ... — fix", exit 2
    prepared = prepare(catalog, request, keep_tables=True)
    # the engine records the search in the history, as the lab's and a notebook's do
    result = run_search(prepared, on_event=Progress(err).event)
    if not result.tables:
        err.write("esap search: no service answered\n")
        return 1
    combined = result.combined
    for name in combined.colnames:  # VOTable and ECSV keep only plain metadata
        combined[name].meta = {
            k: v for k, v in combined[name].meta.items() if isinstance(v, (str, int, float))
        }
    combined.meta = {}
    binary = args.format == "votable"
    output = (sys.stdout.buffer if binary else sys.stdout) if args.output == "-" else args.output
    combined.write(output, format=FORMATS[args.format], overwrite=True)
    return 0
