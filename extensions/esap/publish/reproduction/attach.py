"""A reproduction report attached to its record, through the publish engine like any publication.

Two ways, as the archives offer them:

``related``  a record of its own (``report.html`` and ``report.json``) whose
             metadata names the reproduced record as a related identifier
             (``IsSupplementTo``): it works for anyone's record, in any
             archive of the hub;
``version``  a new version of the reproduced record, carrying its files and
             the report (in ``reproduction/``): only for a record that is one's
             own publication, in its archive, keeping its concept DOI. As for
             every publication, its environment lock and RO-Crate are written
             anew.

Both go through :class:`~esap.publish.engine.Publisher` (``prepare`` then
``run``), so the journal, the retries and "never a second record" hold.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from esap.publish.engine import PreparationError, ProgressCallback, Publisher
from esap.publish.journal import Entry
from esap.publish.package import CRATE_NAME, ENVIRONMENT_NAME
from esap.publish.reproduction.report import HTML_NAME, JSON_NAME

HOW = ("related", "version")


def _metadata(
    report: Mapping[str, Any], given: Mapping[str, Any] | None, base: Mapping[str, Any]
) -> dict[str, Any]:
    record = report.get("record") or {}
    title = record.get("title") or record.get("id") or report.get("source")
    metadata: dict[str, Any] = {
        "title": f"Reproduction report: {title}",
        "description": (
            f"A reproduction of {title} by ESAP Hub ({report.get('verdict')}: "
            f"{report.get('summary')}), cell by cell and file by file."
        ),
        "keywords": ["reproducibility", "ESAP Hub"],
        "resource_type": "other",
        **{key: value for key, value in base.items() if key == "creators"},
        **dict(given or {}),
    }
    related = record.get("doi") or record.get("url")
    if related and (record.get("doi") or str(related).startswith(("http://", "https://"))):
        metadata.setdefault("related_identifiers", [])
        metadata["related_identifiers"] = [
            *metadata["related_identifiers"],
            {"identifier": related, "relation": "IsSupplementTo"},
        ]
    return metadata


def attach(
    publisher: Publisher,
    folder: Path,
    report: Mapping[str, Any],
    *,
    how: str = "related",
    archive: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> Entry:
    """Publish the report of the reproduction in ``folder`` (see the module docstring)."""
    if how not in HOW:
        raise PreparationError("how", f"{how!r} is not a way to attach", "use related or version")
    for name in (HTML_NAME, JSON_NAME):
        if not (folder / name).is_file():
            raise PreparationError(
                "files", f"the reproduction has no {name} yet", "wait for it to finish"
            )
    record = report.get("record") or {}
    own = record.get("publication")
    earlier = publisher.journal.get(own).metadata if own else {}
    if how == "related":
        entry = publisher.prepare(
            [folder / HTML_NAME, folder / JSON_NAME],
            _metadata(report, metadata, earlier),
            archive,
            inputs=[],
            base=folder,
        )
        return publisher.run(entry.id, progress)
    if not own:
        raise PreparationError(
            "how",
            "a new version can only be made of one of your own publications",
            "attach the report as a related record instead (how=related)",
        )
    staging = folder / "attach"
    shutil.rmtree(staging, ignore_errors=True)
    for source in sorted((folder / "record").rglob("*")):
        relative = source.relative_to(folder / "record")
        if not source.is_file() or relative.as_posix() in (CRATE_NAME, ENVIRONMENT_NAME):
            continue
        if source.name.endswith(".mismatch"):
            continue
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for name in (HTML_NAME, JSON_NAME):
        (staging / "reproduction").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, staging / "reproduction" / name)
    entry = publisher.journal.get(own)
    described = {**entry.metadata, **dict(metadata or {})}
    described.pop("publication_date", None)
    prepared = publisher.prepare(
        [str(path) for path in sorted(staging.iterdir())],
        described,
        entry.archive,
        inputs=entry.inputs,
        version_of=own,
        base=staging,
    )
    return publisher.run(prepared.id, progress)


__all__ = ["HOW", "attach"]
