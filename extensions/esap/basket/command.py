"""``esap basket ...``: the basket from a terminal (the same store as the lab and notebooks)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from esap.basket.models import KINDS


def add_parser(subparsers: Any) -> None:
    """Register ``esap basket`` and its sub-commands."""
    parser = subparsers.add_parser(
        "basket",
        help="list, add, edit, export, import and download the items of your basket",
        description="Your ESAP basket (~/.esap/basket.db), shared with the lab and notebooks.",
    )
    commands = parser.add_subparsers(dest="basket_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="list the items")
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--json", action="store_true", help="one JSON item per line")
    listing.set_defaults(func=_list)

    show = commands.add_parser("show", help="every field of one item, as JSON")
    show.add_argument("id")
    show.set_defaults(func=_show)

    add = commands.add_parser("add", help="add an item given as JSON (or - for stdin)")
    add.add_argument(
        "item", help='e.g. \'{"kind": "data", "service": "s", "access_url": "https://..."}\''
    )
    add.set_defaults(func=_add)

    remove = commands.add_parser("remove", help="remove items by id")
    remove.add_argument("ids", nargs="+")
    remove.set_defaults(func=_remove)

    clear = commands.add_parser("clear", help="remove every item (or every item of a kind)")
    clear.add_argument("--kind", choices=KINDS)
    clear.set_defaults(func=_clear)

    rename = commands.add_parser("rename", help="give an item a title")
    rename.add_argument("id")
    rename.add_argument("title")
    rename.set_defaults(func=_rename)

    note = commands.add_parser("note", help="set an item's notes")
    note.add_argument("id")
    note.add_argument("text")
    note.set_defaults(func=_note)

    export = commands.add_parser("export", help="write the basket to a .json or .vot file")
    export.add_argument("path", type=Path)
    export.set_defaults(func=_export)

    imported = commands.add_parser("import", help="add the items of a basket file (all or none)")
    imported.add_argument("path", type=Path)
    imported.set_defaults(func=_import)

    download = commands.add_parser("download", help="download data items into a home folder")
    download.add_argument("ids", nargs="*", help="items to fetch (default: every data item)")
    download.add_argument("--folder", default=None, help="folder in your home (esap-downloads)")
    download.set_defaults(func=_download)


def _fail(message: str) -> int:
    print(f"esap basket: {message}", file=sys.stderr)
    return 1


def _guard(func: Any) -> Any:
    """Turn the basket's own errors into one line on stderr and exit status 1."""

    def run(args: argparse.Namespace) -> int:
        from esap.basket.store import BasketError
        from esap.basket.transfer import describe

        try:
            return int(func(args))
        except BasketError as exc:
            return _fail(str(exc))
        except ValidationError as exc:
            return _fail(describe(exc))

    return run


@_guard
def _list(args: argparse.Namespace) -> int:
    from esap.basket import basket

    if args.json:
        for item in basket().all(args.kind):
            print(item.model_dump_json())
        return 0
    rows = basket().summaries(args.kind)
    for row in rows:
        where = row["access_url"] or row["service"] or ""
        print(f"{row['id']}  {row['kind']:<8}  {row['label']}  {where}")
    print(f"{len(rows)} item(s)", file=sys.stderr)
    return 0


@_guard
def _show(args: argparse.Namespace) -> int:
    from esap.basket import basket

    print(basket().get(args.id).model_dump_json(indent=2))
    return 0


@_guard
def _add(args: argparse.Namespace) -> int:
    from esap.basket import basket

    text = sys.stdin.read() if args.item == "-" else args.item
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(f"item: not JSON ({exc.msg} at column {exc.colno})")
    print(basket().add(raw).id)
    return 0


@_guard
def _remove(args: argparse.Namespace) -> int:
    from esap.basket import basket

    removed = basket().remove(args.ids)
    print(f"removed {removed} item(s)")
    return 0 if removed == len(args.ids) else 1


@_guard
def _clear(args: argparse.Namespace) -> int:
    from esap.basket import basket

    print(f"removed {basket().clear(args.kind)} item(s)")
    return 0


@_guard
def _rename(args: argparse.Namespace) -> int:
    from esap.basket import basket

    print(basket().rename(args.id, args.title).label())
    return 0


@_guard
def _note(args: argparse.Namespace) -> int:
    from esap.basket import basket

    basket().update(args.id, notes=args.text)
    return 0


@_guard
def _export(args: argparse.Namespace) -> int:
    from esap.basket import export_file

    print(export_file(args.path))
    return 0


@_guard
def _import(args: argparse.Namespace) -> int:
    from esap.basket import import_file

    print(f"imported {len(import_file(args.path))} item(s)")
    return 0


@_guard
def _download(args: argparse.Namespace) -> int:
    from esap.basket import download

    results = download(args.ids or None, args.folder, progress=sys.stderr.isatty())
    for result in results:
        print(f"{result.state:<6} {result.path or result.name}")
    return 1 if any(result.state == "error" for result in results) else 0


__all__ = ["add_parser"]
