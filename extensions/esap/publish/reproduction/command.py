"""``esap reproduce``: re-run a published notebook from its DOI and compare its outputs.

``esap reproduce 10.5281/zenodo.123`` (or a record's URL, or an id from
``esap publish list``) fetches the record, rebuilds its environment, fetches
its inputs again, re-runs the notebook and writes a report (HTML and JSON)
saying cell by cell and file by file what matched; ``--nearest`` runs in
this lab's environment when the lock cannot be rebuilt, ``--package
NAME==VERSION`` changes a pin on purpose, ``--attach`` publishes the report;
``--list`` shows the reproductions. The exit code is 0 when the record was
reproduced, 3 when it ran but something differs, 1 when a step failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from esap.core.errors import EsapError
from esap.core.jobs import Job, JobStore
from esap.publish.engine import Publisher, PublishError
from esap.publish.reproduction import Reproduction, jobs, run_here
from esap.publish.reproduction.attach import HOW
from esap.publish.settings import configured_archives

#: Exit codes, by verdict.
EXIT = {"reproduced": 0, "differs": 3}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap reproduce``."""
    parser = subparsers.add_parser(
        "reproduce",
        help="re-run a published notebook from its DOI and compare its outputs",
        description="Reproduce a publication: fetch the record (checksums checked), rebuild "
        "its environment from its lock with uv, fetch its inputs again, re-run the notebook "
        "headless and compare its outputs and files; the report (HTML, JSON) is written to "
        "~/esap-reproductions/<id>/. Exit code: 0 reproduced, 3 differs, 1 failed.",
    )
    parser.add_argument(
        "source", nargs="?", help="a DOI, a record's URL, or an id from `esap publish list`"
    )
    parser.add_argument(
        "--nearest",
        action="store_true",
        help="run in this lab's environment if the lock cannot be rebuilt (the report lists "
        "every package that differs)",
    )
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME==VERSION",
        help="install this version instead of the locked one (repeatable)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="rebuild the environment even when one built from the same lock is kept",
    )
    parser.add_argument(
        "--attach",
        choices=HOW,
        help="publish the report: as a record related to this one, or as a new version "
        "of it (your own publications only)",
    )
    parser.add_argument("--archive", help="the archive to attach the report to (related)")
    parser.add_argument(
        "--creator",
        action="append",
        default=[],
        metavar="'FAMILY, GIVEN'",
        help="a creator of the attached report (repeat for several)",
    )
    parser.add_argument("--config", help="an esap.yaml naming the archives (default: the hub's)")
    parser.add_argument("--list", action="store_true", help="list the reproductions, newest first")
    parser.add_argument("--json", action="store_true", help="print the job (or list) as JSON")
    parser.set_defaults(func=run)


def _progress(job: Job) -> None:
    print(f"  {job.message}", file=sys.stderr)


def _list(as_json: bool) -> int:
    store = JobStore()
    try:
        listed = store.list(jobs.KIND)
    finally:
        store.close()
    if as_json:
        print(json.dumps([job.as_dict() for job in listed], indent=2))
        return 0
    if not listed:
        print("no reproductions yet")
    for job in listed:
        result = job.result or {}
        verdict = result.get("verdict") or job.state
        print(f"{job.id}  {verdict:<10}  {job.params.get('source')}  {result.get('report_html')}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Reproduce a record, or list the reproductions."""
    if args.list:
        return _list(args.json)
    if not args.source:
        print("esap reproduce: give a DOI, a record's URL or a publication id", file=sys.stderr)
        return 2
    publisher = Publisher(archives=configured_archives(args.config))
    values = jobs.params(
        args.source,
        nearest=args.nearest,
        packages=args.package,
        fresh=args.fresh,
    )
    print(f"reproducing {values['source']}", file=sys.stderr)
    job = run_here(values, publisher=publisher, on_progress=_progress)
    result = Reproduction.from_job(job, publisher.home)
    if args.json:
        print(json.dumps(job.as_dict(), indent=2))
    else:
        print(repr(result))
    code = EXIT.get(result.verdict, 1)
    if args.attach and result.report_json.is_file():
        creators = [{"name": name} for name in args.creator]
        try:
            entry = result.attach(
                args.attach,
                archive=args.archive,
                metadata={"creators": creators} if creators else None,
                publisher=publisher,
            )
        except (EsapError, PublishError) as exc:
            print(f"esap reproduce: the report was not attached: {exc}", file=sys.stderr)
            return code or 1
        record = entry.record or {}
        print(f"  attached: {record.get('doi') or record.get('url')}")
    return code


__all__ = ["add_parser"]
