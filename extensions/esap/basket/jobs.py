"""Download jobs: a basket download, kind ``download`` of the one job runner (``esap.core.runner``).

``start`` checks the request (every item in the basket, the folder inside
the home, room under the home quota) before anything runs; the work
downloads the files one by one and reports the bytes as they arrive, with
each file's state in the job's result. A download the server was stopped
in the middle of is resumed when the server is back: each file goes on
from its ``.part`` (see ``download``) and a file already complete is only
checked again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from esap.basket.download import FileResult, download, plan
from esap.basket.models import AnyItem
from esap.basket.store import Basket, ItemNotFound
from esap.core.jobs import Job, JobFailed
from esap.core.paths import home
from esap.core.quota import ensure_room
from esap.core.runner import JobContext, Kind, Runner

KIND = "download"


def _relative(items: Sequence[AnyItem], folder: str | None) -> tuple[str, list[FileResult]]:
    """The folder relative to the home (``.`` for the home) and the files a download writes."""
    chosen = plan(items, folder)  # raises on a folder outside the home
    relative = str(chosen.folder.relative_to(home())) if chosen.folder != home() else "."
    return relative, [FileResult(item.id, name, size=item.size) for item, name in chosen.files]


def _result(folder: str, files: Sequence[FileResult]) -> dict[str, Any]:
    return {"folder": folder, "files": [asdict(f) for f in files]}


def start(runner: Runner, basket: Basket, ids: Sequence[str] | None, folder: str | None) -> Job:
    """Check the request, record the job and start it (``ids=None``: every data item)."""
    items: list[AnyItem] = basket.all("data") if ids is None else [basket.get(i) for i in ids]
    relative, files = _relative(items, folder)
    # a home at its quota takes no new download (507, naming the size and the quota)
    ensure_room("a basket download", sum(f.size or 0 for f in files))
    return runner.start(
        KIND,
        {"ids": [item.id for item in items], "folder": relative},
        result=_result(relative, files),
    )


def kind(basket: Callable[[], Basket]) -> Kind:
    """The ``download`` kind, reading the items from the user's basket."""

    def work(job: JobContext) -> dict[str, Any]:
        items = []
        for item_id in job.params["ids"]:
            try:
                items.append(basket().get(item_id))
            except ItemNotFound:
                continue  # removed from the basket while the download was stopped
        folder, files = _relative(items, job.params["folder"])

        def save(now: bool = False) -> None:
            sizes = [f.size for f in files]
            total = sum(s for s in sizes if s is not None) if None not in sizes else None
            done = sum(f.done for f in files)
            job.report(done, total, result=_result(folder, files), now=now)

        def on_file(index: int, result: FileResult) -> None:
            files[index] = result
            save(now=True)

        outcome = download(
            items,
            job.params["folder"],
            on_file=on_file,
            progress=lambda index, done, total: save(),
            stop=job.stop,
        )
        save(now=True)
        failed = [r for r in outcome if r.state == "error"]
        if failed:
            raise JobFailed(
                "download_failed",
                f"{len(failed)} of {len(outcome)} files failed: {failed[0].error}",
                "start the download again: files already fetched are kept and checked",
                result=_result(folder, files),
            )
        return _result(folder, files)

    return Kind(KIND, work, resumable=True)


__all__ = ["KIND", "kind", "start"]
