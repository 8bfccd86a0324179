"""Publications running in the background of a user server, with their live progress.

The REST API starts a publication and answers at once; the upload goes on
in a worker thread (the engine is plain blocking code: httpx and SQLite), and
the lab polls or streams the progress kept here. What matters survives the
server: the journal has every step, so a publication interrupted by a
restart is listed as unfinished and resumed by ``start`` again.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from esap import metrics
from esap.publish.engine import Progress, Publisher, PublishError, describe
from esap.publish.journal import JournalBusyError


@dataclass
class LiveState:
    """What a running (or just finished) publication is doing, in memory."""

    progress: Progress | None = None
    running: bool = False
    fix: str | None = None


class PublicationJobs:
    """Runs publications of one user, at most ``workers`` at a time, one run per publication."""

    def __init__(self, publisher: Publisher, workers: int = 2) -> None:
        self.publisher = publisher
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="esap-publish")
        self._states: dict[str, LiveState] = {}
        self._lock = threading.Lock()

    def state(self, publication: str) -> LiveState:
        with self._lock:
            return self._states.setdefault(publication, LiveState())

    def start(self, publication: str) -> Future[None] | None:
        """Run ``publication`` in the background unless it already runs here."""
        live = self.state(publication)
        with self._lock:
            if live.running:
                return None
            live.running = True
            live.fix = None
        return self._pool.submit(self._run, publication, live)

    def _run(self, publication: str, live: LiveState) -> None:
        def record(progress: Progress) -> None:
            live.progress = progress

        outcome: bool | None = False
        try:
            self.publisher.run(publication, record)
            outcome = True
        except PublishError as exc:
            live.fix = exc.fix
        except Exception as exc:
            message, fix = describe(exc)
            live.fix = fix
            with contextlib.suppress(KeyError):
                self.publisher.journal.update(publication, error=message)
            if isinstance(exc, JournalBusyError):
                outcome = None  # another process runs it: not this run's outcome
        finally:
            # counted before the run shows as ended, so a scrape after it sees it
            if outcome is not None:
                self._count(publication, outcome)
            live.running = False

    def _count(self, publication: str, ok: bool) -> None:
        """ESAP's metrics: one publication run ended, per archive and outcome."""
        try:
            archive = self.publisher.journal.get(publication).archive
        except KeyError:
            archive = "unknown"
        metrics.record_publish(archive, ok)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["LiveState", "PublicationJobs"]
