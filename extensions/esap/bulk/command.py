"""``esap run``: run a notebook headless with parameters, or list the runs.

``esap run analysis.ipynb -p threshold=0.5 -p band=r`` runs the notebook to
the end (papermill) and says where the executed notebook and the log are;
``--detach`` returns at once with the job id (the run goes on after the
terminal or the lab is closed); ``esap run --list`` shows the runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from esap.bulk.jobs import KIND, JobError, kind, parse_parameter, store, submit
from esap.core.jobs import ERROR, Job
from esap.core.runner import Runner


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap run``."""
    parser = subparsers.add_parser(
        "run",
        help="run a notebook headless with parameters (papermill), or list the runs",
        description="Run a notebook as a batch job; its executed copy, parameters and log "
        "are saved in <notebook>-runs/<job id>/ next to it.",
    )
    parser.add_argument("notebook", nargs="?", type=Path, help="the notebook (.ipynb) to run")
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter for the notebook's parameters cell (repeatable)",
    )
    parser.add_argument(
        "--detach", action="store_true", help="return at once; the run goes on in the background"
    )
    parser.add_argument("--list", action="store_true", help="list the runs, newest first")
    parser.add_argument("--json", action="store_true", help="print jobs as JSON")
    parser.set_defaults(func=run)


def describe(job: Job) -> str:
    """What a person wants to know about a job, in a few lines."""
    result = job.result or {}
    lines = [
        f"job {job.id}: {job.state}",
        f"  notebook   {job.params['notebook']}",
        f"  parameters {json.dumps(job.params['parameters'])}",
        f"  executed   {result.get('executed_notebook')}",
        f"  log        {result.get('log')}",
    ]
    if job.error:
        cell = (result.get("cell") or {}).get("cell")
        where = f" in cell [{cell}]" if cell else ""
        lines.append(f"  error{where}: {job.error['message']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """List the runs, or run a notebook."""
    if args.list:
        jobs = store()
        try:
            listed = Runner(jobs, [kind()]).list(KIND)  # a run whose process ended is marked so
        finally:
            jobs.close()
        if args.json:
            print(json.dumps([job.as_dict() for job in listed], indent=2))
        for job in [] if args.json else listed:
            print(f"{job.id}  {job.state:<9}  {job.created}  {job.params['notebook']}")
        return 0
    if args.notebook is None:
        print("esap run: give a notebook to run, or --list", file=sys.stderr)
        return 2
    try:
        parameters = dict(parse_parameter(text) for text in args.parameter)
        job = submit(args.notebook, parameters, wait=not args.detach)
    except JobError as exc:
        print(f"esap run: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(job.as_dict(), indent=2) if args.json else describe(job))
    return 1 if job.state == ERROR else 0
