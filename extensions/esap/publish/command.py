"""``esap publish``: publish files with a DOI from the shell, with a progress bar.

``create`` checks the metadata and the files first and prints every problem
(``field: why``) before anything is sent; ``resume`` carries on an
unfinished publication (the same draft); ``list`` is "My publications";
``token`` stores your personal archive token (read from the terminal without
echo, or from standard input), never printed again.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from esap.publish.engine import PreparationError, Progress, Publisher, PublishError
from esap.publish.journal import STATE_TEXT, Entry
from esap.publish.metadata import MetadataError
from esap.publish.settings import configured_archives


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap publish`` and its sub-commands."""
    parser = subparsers.add_parser(
        "publish",
        help="publish files to an archive record with a DOI",
        description="Publish notebooks and results to an archive (local, Zenodo, InvenioRDM).",
    )
    parser.set_defaults(func=lambda _args: _usage(parser))
    parser.add_argument("--config", help="an esap.yaml naming the archives (default: the hub's)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    create = actions.add_parser(
        "create",
        help="publish files and folders (resumes the same publication if run again)",
        description="Publish files and folders with metadata; every problem is reported "
        "before anything is uploaded.",
    )
    create.add_argument("files", nargs="+", help="files or folders inside your home")
    create.add_argument("--archive", help="archive name (default: the first one offered)")
    create.add_argument("--metadata", type=Path, help="a JSON file with the metadata fields")
    create.add_argument("--title")
    create.add_argument(
        "--creator",
        action="append",
        default=[],
        metavar="'FAMILY, GIVEN[;AFFILIATION[;ORCID]]'",
        help="a creator (repeat for several)",
    )
    create.add_argument("--description")
    create.add_argument("--license", help="an SPDX licence id, e.g. CC-BY-4.0 (the default)")
    create.add_argument("--keyword", action="append", default=[], help="repeat for several")
    create.add_argument(
        "--related",
        action="append",
        default=[],
        metavar="ID[=RELATION]",
        help="a related DOI or URL, e.g. 10.5281/zenodo.1234=IsDerivedFrom",
    )
    create.add_argument("--community")
    create.add_argument("--resource-type", dest="resource_type")
    create.add_argument("--version", dest="version")
    create.add_argument("--inputs", type=Path, help="a JSON list of input datasets")
    create.add_argument("--version-of", help="publication or record id: publish a new version")
    create.add_argument(
        "--dry-run", action="store_true", help="check and show the package; send nothing"
    )
    create.set_defaults(func=run_create)

    resume = actions.add_parser("resume", help="carry on an unfinished publication")
    resume.add_argument("publication", help="its id (see `esap publish list`)")
    resume.set_defaults(func=run_resume)

    listing = actions.add_parser("list", help="my publications, finished or not")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)

    token = actions.add_parser("token", help="store your personal token for an archive")
    token.add_argument("archive")
    token.add_argument("--delete", action="store_true", help="forget the stored token")
    token.set_defaults(func=run_token)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _publisher(args: argparse.Namespace) -> Publisher:
    return Publisher(archives=configured_archives(args.config))


def _metadata(args: argparse.Namespace) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if args.metadata:
        metadata = json.loads(args.metadata.read_text(encoding="utf-8"))
    for name in ("title", "description", "license", "community", "resource_type", "version"):
        value = getattr(args, name)
        if value is not None:
            metadata[name] = value
    if args.creator:
        creators = []
        for text in args.creator:
            name, _, rest = text.partition(";")
            affiliation, _, orcid = rest.partition(";")
            creator = {"name": name.strip()}
            if affiliation.strip():
                creator["affiliation"] = affiliation.strip()
            if orcid.strip():
                creator["orcid"] = orcid.strip()
            creators.append(creator)
        metadata["creators"] = creators
    if args.keyword:
        metadata["keywords"] = args.keyword
    if args.related:
        related = []
        for text in args.related:
            identifier, _, relation = text.partition("=")
            related.append({"identifier": identifier, "relation": relation or "IsSupplementTo"})
        metadata["related_identifiers"] = related
    return metadata


class _Bar:
    """A progress bar on standard error (tqdm), fed by the engine's progress events."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self.bar: Any = None
        self.step = ""

    def __call__(self, progress: Progress) -> None:
        if self.bar is None:
            self.bar = self._tqdm(
                total=progress.total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                desc="publishing",
                dynamic_ncols=True,
            )
        if progress.step != self.step:
            self.step = progress.step
            self.bar.set_description(progress.step)
        self.bar.update(progress.sent - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _report(entry: Entry) -> None:
    record = entry.record or {}
    print(f"published: {entry.title}")
    print(f"  url: {record.get('url')}")
    if record.get("doi"):
        print(f"  doi: {record['doi']}")
    if record.get("concept_doi"):
        print(f"  concept doi: {record['concept_doi']}")
    print(f"  publication: {entry.id}")


def _run(publisher: Publisher, publication: str) -> int:
    bar = _Bar()
    try:
        entry = publisher.run(publication, bar)
    except PublishError as exc:
        bar.close()
        print(f"esap publish: {exc}", file=sys.stderr)
        return 1
    bar.close()
    _report(entry)
    return 0


def run_create(args: argparse.Namespace) -> int:
    publisher = _publisher(args)
    try:
        metadata = _metadata(args)
        inputs = json.loads(args.inputs.read_text(encoding="utf-8")) if args.inputs else None
        if args.dry_run:
            preview = publisher.preview(
                args.files, metadata, args.archive, inputs=inputs, base=Path.cwd()
            )
            print(f"archive: {preview['archive']}")
            for item in preview["files"]:
                print(f"  {item['size']:>12}  {item['name']}")
            print(f"  + {', '.join(preview['package'][-2:])}")
            for dataset in preview["inputs"]:
                print(f"  input: {dataset['service']} {dataset['access_url']}")
            return 0
        entry = publisher.prepare(
            args.files,
            metadata,
            args.archive,
            inputs=inputs,
            version_of=args.version_of,
            base=Path.cwd(),
        )
    except (MetadataError, PreparationError) as exc:  # every field at fault, with its fix
        for problem in exc.problems:
            print(f"esap publish: {problem}", file=sys.stderr)
        print("nothing was uploaded", file=sys.stderr)
        return 2
    except (OSError, json.JSONDecodeError) as exc:
        print(f"esap publish: cannot read a metadata or inputs file: {exc}", file=sys.stderr)
        return 2
    if entry.published:
        print("already published (the same files and metadata):", file=sys.stderr)
        _report(entry)
        return 0
    return _run(publisher, entry.id)


def run_resume(args: argparse.Namespace) -> int:
    publisher = _publisher(args)
    try:
        publisher.journal.get(args.publication)
    except KeyError:
        print(
            f"esap publish: no publication {args.publication} (see `esap publish list`)",
            file=sys.stderr,
        )
        return 2
    return _run(publisher, args.publication)


def run_list(args: argparse.Namespace) -> int:
    entries = _publisher(args).publications()
    if args.json:
        rows = [
            {
                "id": e.id,
                "title": e.title,
                "archive": e.archive,
                "state": e.state,
                "record": e.record,
                "error": e.error,
            }
            for e in entries
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not entries:
        print("no publications yet")
    for entry in entries:
        record = entry.record or {}
        where = record.get("doi") or record.get("url") or STATE_TEXT[entry.state]
        line = f"{entry.id}  {entry.archive:<14} {entry.title[:40]:<40}  {where}"
        if entry.error and not entry.published:
            line += f"  (stopped: {entry.error[:80]})"
        print(line)
    return 0


def run_token(args: argparse.Namespace) -> int:
    publisher = _publisher(args)
    try:
        publisher.archive_settings(args.archive)
    except PreparationError as exc:
        print(f"esap publish: {exc}", file=sys.stderr)
        return 2
    if args.delete:
        publisher.tokens.delete(args.archive)
        print(f"forgot the token for {args.archive}")
        return 0
    if sys.stdin.isatty():
        token = getpass.getpass(f"personal token for {args.archive} (not shown): ")
    else:
        token = sys.stdin.readline()
    try:
        publisher.tokens.set(args.archive, token)
    except ValueError as exc:
        print(f"esap publish: {exc}", file=sys.stderr)
        return 2
    print(f"stored the token for {args.archive} in {publisher.tokens.path} (owner-only)")
    return 0


__all__ = ["add_parser"]
