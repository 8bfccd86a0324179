"""Step ``package``: what a record's RO-Crate says about how its notebook ran.

An ESAP Hub publication describes itself in ``ro-crate-metadata.json``
(:mod:`esap.publish.package`): the notebook, the environment lock (the
``#python`` entity's ``softwareRequirements``), the kernel, the input
datasets (``DataDownload`` objects of the ``CreateAction``, each with its
URL and, since reproduction exists, its SHA-256 and query), and the SHA-256
of every file where the archive computed one. This module reads that back
into a :class:`Package`, accepting crates written before any of the
reproduction entries existed (their inputs then have no checksum to
compare with).

A record with no crate was not published by ESAP Hub: :func:`read_package`
says so, naming what is missing, and the fetched files stay usable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esap.publish.package import CRATE_NAME, ENVIRONMENT_NAME, InputDataset
from esap.publish.reproduction.fetch import safe_name
from esap.publish.reproduction.steps import StepFailed


@dataclass
class Package:
    """A record's package as its crate describes it (names are the archive's file names)."""

    #: archive file name -> path in the package as published (``alternateName``, else the name)
    paths: dict[str, str]
    notebook: str | None
    lock: str | None
    inputs: list[InputDataset]
    kernel: dict[str, str] | None
    python: str | None
    #: archive file name -> the SHA-256 the crate records for it
    sha256: dict[str, str] = field(default_factory=dict)


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(item["@id"]) for item in items if isinstance(item, dict) and "@id" in item]


def _types(entity: dict[str, Any]) -> set[str]:
    kind = entity.get("@type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


def not_esap(missing: list[str], fetched: int, folder: str) -> StepFailed:
    """The failure of a record ESAP Hub did not publish, naming what it lacks."""
    return StepFailed(
        "package",
        "not_published_by_esap",
        f"this record has no {' and no '.join(missing)}: it was not published by ESAP Hub, "
        "so what its notebook ran on and which data it read are unknown",
        f"its {fetched} file(s) were fetched and checked into {folder}: open a notebook "
        "there and run it in this lab, or with `esap run`",
    )


def read_package(folder: Path, names: list[str], shown: str) -> Package:
    """The package fetched into ``folder`` (``names``); ``shown`` is that folder for users."""
    if CRATE_NAME not in names:
        missing = [CRATE_NAME]
        if ENVIRONMENT_NAME not in names:
            missing.append(ENVIRONMENT_NAME)
        raise not_esap(missing, len(names), shown)
    try:
        document = json.loads((folder / CRATE_NAME).read_text(encoding="utf-8"))
        graph = document["@graph"]
        entities = {str(e["@id"]): e for e in graph if isinstance(e, dict) and "@id" in e}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StepFailed(
            "package",
            "unreadable_crate",
            f"{CRATE_NAME} is not an RO-Crate this hub can read ({type(exc).__name__}: {exc})",
            f"its files were fetched into {shown}; run a notebook there yourself",
        ) from exc

    paths: dict[str, str] = {}
    sha256: dict[str, str] = {}
    notebooks: list[str] = []
    for name in names:
        entity = entities.get(name, {})
        alternate = entity.get("alternateName")
        try:
            paths[name] = safe_name(alternate) if isinstance(alternate, str) and alternate else name
        except StepFailed:  # a crate naming a path outside the record: its file name stands
            paths[name] = name
        if isinstance(entity.get("sha256"), str):
            sha256[name] = entity["sha256"].lower()
        if name.endswith(".ipynb") or "SoftwareSourceCode" in _types(entity):
            notebooks.append(name)

    action = next((e for e in graph if isinstance(e, dict) and "CreateAction" in _types(e)), {})
    instruments = _ids(action.get("instrument"))
    notebook = next((i for i in instruments if i in notebooks), None) or (
        notebooks[0] if notebooks else None
    )
    python = entities.get("#python", {})
    requirement = _ids(python.get("softwareRequirements"))
    lock = next((name for name in requirement if name in names), None)
    if lock is None and ENVIRONMENT_NAME in names:
        lock = ENVIRONMENT_NAME
    kernel_entity = entities.get("#kernel")
    kernel = None
    if kernel_entity and kernel_entity.get("identifier"):
        kernel = {
            "name": str(kernel_entity["identifier"]),
            "display_name": str(kernel_entity.get("name") or kernel_entity["identifier"]),
        }
    return Package(
        paths=paths,
        notebook=notebook,
        lock=lock,
        inputs=_inputs(action, entities),
        kernel=kernel,
        python=str(python["version"]) if python.get("version") else None,
        sha256=sha256,
    )


def _inputs(action: dict[str, Any], entities: dict[str, dict[str, Any]]) -> list[InputDataset]:
    queries = {
        str(link): entity
        for entity in entities.values()
        if "SearchAction" in _types(entity)
        for link in _ids(entity.get("result"))
    }
    found = []
    for ref in _ids(action.get("object")):
        entity = entities.get(ref)
        if entity is None or not isinstance(entity.get("contentUrl", ref), str):
            continue
        url = str(entity.get("contentUrl") or ref)
        if not url.startswith(("http://", "https://")):
            continue
        provider = _ids(entity.get("provider"))
        service = entities.get(provider[0], {}).get("name") if provider else None
        query = queries.get(ref, {}).get("query")
        size = entity.get("contentSize")
        checksum = entity.get("sha256")
        found.append(
            InputDataset(
                service=str(service or "unknown"),
                access_url=url,
                query=str(query) if query else None,
                title=str(entity.get("name")) if entity.get("name") else None,
                sha256=str(checksum).lower() if isinstance(checksum, str) else None,
                size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
                checksum_note=str(entity["comment"]) if entity.get("comment") else None,
            )
        )
    return found


__all__ = ["Package", "not_esap", "read_package"]
