"""Step ``inputs``: each input dataset fetched again from its URL, and compared with the record.

The publication recorded, for each input, the exact URL it fetched (the
access URL with its query) and the SHA-256 and size of what it served then.
Here the same URL is fetched again (:func:`esap.publish.digest.digest_url`,
hashed as it streams, nothing kept) and each input is:

``unchanged``   the same bytes;
``changed``     other bytes (the archive reprocessed it, the query's result grew);
``gone``        the URL answers 404 or 410;
``unreachable`` its service did not answer, or answered with another error;
``unchecked``   it answered, but the record holds no checksum to compare with
                (a record published before checksums were recorded, a body
                too large to hash).

None of these stops the reproduction: the notebook fetches its data itself
and its outputs then show what a changed or missing input changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from esap.core.errors import EsapError
from esap.publish.digest import digest_url
from esap.publish.package import InputDataset

#: Inputs fetched at once.
CONCURRENCY = 4


@dataclass
class InputCheck:
    """One input dataset: what the record says, what its URL serves now, and the verdict."""

    service: str
    url: str
    title: str | None
    query: str | None
    state: str
    recorded_sha256: str | None
    sha256: str | None
    recorded_size: int | None
    size: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_input(dataset: InputDataset, home: Path) -> InputCheck:
    """Fetch one input again and say how it compares with the record."""

    def result(
        state: str, message: str, sha256: str | None = None, size: int | None = None
    ) -> InputCheck:
        return InputCheck(
            service=dataset.service,
            url=dataset.url,
            title=dataset.title,
            query=dataset.query,
            state=state,
            recorded_sha256=dataset.sha256,
            sha256=sha256,
            recorded_size=dataset.size,
            size=size,
            message=message,
        )

    try:
        found = digest_url(dataset.url, home=home)
    except EsapError as exc:
        return result("unreachable", f"its service did not answer: {exc.message}")
    if found.status in (404, 410):
        return result("gone", f"the URL answers HTTP {found.status}: the data is gone")
    if not found.found:
        return result("unreachable", f"the URL answers HTTP {found.status}")
    if dataset.sha256 is None or found.sha256 is None:
        why = dataset.checksum_note or found.note or "the record holds no checksum for it"
        return result("unchecked", f"fetched, not compared: {why}", found.sha256, found.size)
    if found.sha256 == dataset.sha256:
        return result("unchanged", "the same bytes as at publication", found.sha256, found.size)
    sizes = (
        f" ({dataset.size} bytes then, {found.size} now)"
        if dataset.size is not None and dataset.size != found.size
        else ""
    )
    return result(
        "changed",
        f"other bytes than at publication{sizes}: outputs that depend on it may differ",
        found.sha256,
        found.size,
    )


def check_inputs(
    inputs: Sequence[InputDataset], home: Path, stopped: Callable[[], bool] = lambda: False
) -> list[InputCheck]:
    """Every input checked, a few at once, in the record's order."""
    if not inputs:
        return []
    with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(inputs))) as pool:
        futures = [pool.submit(check_input, dataset, home) for dataset in inputs]
        checks = []
        for future in futures:
            if stopped():
                for left in futures:
                    left.cancel()
                break
            checks.append(future.result())
    return checks


__all__ = ["InputCheck", "check_input", "check_inputs"]
