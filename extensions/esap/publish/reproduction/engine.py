"""The reproduction itself: a record's steps, from its DOI to a report, as one job's work.

:func:`reproduce` walks the steps of :mod:`.steps` for a job of kind
``reproduce`` (its ``params``: ``source``, ``nearest``, ``packages``),
reporting each one's progress to the job, and ends with the report written
whatever happened. Where things go, in the user's home:

``~/esap-reproductions/<job id>/record/``  the record's files as fetched (checked)
``~/esap-reproductions/<job id>/run/``     the notebook and the record's other files,
                                           where it runs; the run's own folder
                                           (``<notebook>-runs/<run id>/``) beside it
``~/esap-reproductions/<job id>/report.json``, ``report.html``
``~/.esap/reproduce/envs/<lock>-<n>/``     the environment rebuilt from the lock, kept for
                                           the next reproduction of the same lock
``~/.esap/reproduce/<job id>/``            its kernelspec and the kernel's own ESAP state
                                           (removed at the end)

The kernel gets a state folder of its own (``$ESAP_STATE_DIR``): a notebook
that fills the basket or publishes starts from an empty basket and journal,
as in a fresh lab, and leaves the user's alone.

The verdict is ``reproduced`` (every compared cell and file matched, within
tolerance where set), ``differs`` (the notebook ran; something did not
match) or ``failed`` (a step could not be done; the report names it).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from esap import __version__
from esap.core.errors import EsapError
from esap.core.jobs import JobFailed
from esap.core.runner import JobContext
from esap.core.state import STATE_ENV, state_dir
from esap.publish.base import ArchiveError
from esap.publish.engine import Publisher
from esap.publish.package import CRATE_NAME
from esap.publish.reproduction import environment as environments
from esap.publish.reproduction import rerun
from esap.publish.reproduction.compare import compare_notebooks
from esap.publish.reproduction.crate import Package, read_package
from esap.publish.reproduction.fetch import fetch_files, mismatch
from esap.publish.reproduction.files import compare_files, snapshot
from esap.publish.reproduction.inputs import check_inputs
from esap.publish.reproduction.report import FORMAT, write_report
from esap.publish.reproduction.source import reader, resolve, unavailable
from esap.publish.reproduction.steps import STEP_TEXT, STEPS, Step, StepFailed

#: The folder of the home reproductions go to.
HOME_FOLDER = "esap-reproductions"
#: The kernelspec name a reproduction's run uses.
KERNEL = "esap-reproduction"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Reproduction:
    """One reproduction in progress: its steps, what each found, and its job to report to."""

    def __init__(self, job: JobContext, home: Path) -> None:
        self.job = job
        self.home = home
        self.folder = home / HOME_FOLDER / job.id
        self.work = state_dir() / "reproduce" / job.id
        self.steps = {name: Step(name) for name in STEPS}
        self.report: dict[str, Any] = {
            "format": FORMAT,
            "version": __version__,
            "source": job.params["source"],
            "record": {},
            "verdict": "running",
            "summary": "",
            "started": _now(),
            "finished": None,
            "folder": self.relative(self.folder),
            "files": [],
            "environment": None,
            "inputs": [],
            "cells": [],
            "outputs": [],
            "tolerances": None,
            "problems": [],
            "run": None,
        }
        self.failure: StepFailed | None = None
        #: The environment's place, held until the reproduction ends.
        self.places = ExitStack()

    def relative(self, path: Path) -> str:
        """``path`` as users name it: relative to the home."""
        try:
            return path.resolve().relative_to(self.home.resolve()).as_posix()
        except ValueError:
            return str(path)

    # -- progress -----------------------------------------------------------------
    def result(self) -> dict[str, Any]:
        """The job's result: where the report is, the verdict so far, each step's state."""
        return {
            "folder": self.report["folder"],
            "report_html": f"{self.report['folder']}/report.html",
            "report_json": f"{self.report['folder']}/report.json",
            "verdict": self.report["verdict"],
            "summary": self.report["summary"],
            "record": self.report["record"],
            "run_job": (self.report["run"] or {}).get("job"),
            "steps": [
                {"name": s.name, "state": s.state, "message": s.message}
                for s in self.steps.values()
            ],
        }

    def progress(self, step: str, message: str = "", *, now: bool = False) -> None:
        index = STEPS.index(step)
        text = f"{step}: {message or STEP_TEXT[step]}"
        self.job.report(index, len(STEPS), text, result=self.result(), now=now)

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Run one step: its state, seconds and message kept; a failure named and kept."""
        step = self.steps[name]
        step.state = "running"
        self.progress(name, now=True)
        started = time.monotonic()
        try:
            yield step
        except Exception as exc:
            failed = exc if isinstance(exc, StepFailed) else _unexpected(name, exc)
            target = self.steps.get(failed.step, step)
            target.state, target.code = "failed", failed.code
            target.message, target.fix, target.details = failed.message, failed.fix, failed.details
            if target is not step:
                step.state = "skipped"
            if failed is exc:
                raise
            raise failed from exc
        finally:
            step.seconds = round(time.monotonic() - started, 3)
        if step.state == "running":
            step.state = "done"

    def stopped(self) -> bool:
        return self.job.stopped

    # -- the steps ------------------------------------------------------------------
    def run(self, publisher: Publisher) -> dict[str, Any]:
        params = self.job.params
        try:
            try:
                self._reproduce(
                    publisher,
                    bool(params.get("nearest")),
                    params.get("packages") or {},
                    fresh=bool(params.get("fresh")),
                )
            except StepFailed as exc:
                self.failure = exc
            for step in self.steps.values():
                if step.state == "pending":
                    step.state = "skipped"
            self._finish()
        finally:
            self.places.close()  # the environment's place: emptied, and free again
            shutil.rmtree(self.work, ignore_errors=True)
        if self.failure is not None:
            raise JobFailed(
                self.failure.code,
                f"{self.failure.step}: {self.failure.message}",
                self.failure.fix,
                result=self.result(),
            )
        return self.result()

    def _reproduce(
        self, publisher: Publisher, nearest: bool, packages: dict[str, str], *, fresh: bool
    ) -> None:
        with self.step("record") as step:
            source = resolve(self.job.params["source"], publisher)
            archive = reader(publisher, source.archive)
            try:
                record = archive.published(source.record_id)
            except EsapError as exc:
                archive.close()
                # the archive's own answer (404: no such record) is not the archive being down
                answered = exc.answered if isinstance(exc, ArchiveError) else None
                if (answered or 0) >= 500 or (
                    answered is None and exc.status >= 500 and not isinstance(exc, ArchiveError)
                ):
                    raise unavailable("record", source.archive.name, exc) from exc
                raise StepFailed(
                    "record",
                    "record_not_found",
                    f"{source.given}: the archive {source.archive.name} has no published "
                    f"record {source.record_id}: {exc.message}",
                    "check the DOI or URL; a draft cannot be reproduced until it is published",
                    status=404,
                ) from exc
            except (httpx.HTTPError, OSError) as exc:
                archive.close()
                raise unavailable("record", source.archive.name, exc) from exc
            self.report["record"] = {
                "archive": source.archive.name,
                "id": record.id,
                "url": record.url,
                "title": record.title,
                "doi": record.doi or source.doi,
                "publication": source.publication,
            }
            step.message = (
                f"{record.title or record.id} in {source.archive.name}: {len(record.files)} file(s)"
            )

        try:
            with self.step("files") as step:
                total = sum(f.size or 0 for f in record.files)
                got = [0]

                def on_bytes(count: int, name: str) -> None:
                    got[0] += count
                    self.progress("files", f"{name} ({got[0]} of {total} bytes)")

                fetched = fetch_files(
                    archive, record, self.folder / "record", on_bytes, self.stopped
                )
                self.report["files"] = [f.as_dict() for f in fetched]
                failure = mismatch(fetched)
                if failure is not None:
                    raise failure
                checked = sum(1 for f in fetched if f.state == "verified")
                step.message = (
                    f"{len(fetched)} file(s) fetched, {checked} checked against the archive's "
                    "checksum"
                )
        finally:
            archive.close()
        self._check_stop()

        with self.step("package") as step:
            record_dir = self.folder / "record"
            names = [f["name"] for f in self.report["files"]]
            package = read_package(record_dir, names, self.relative(record_dir))
            by_name = {f["name"]: f for f in self.report["files"]}
            wrong = [
                name
                for name, digest in package.sha256.items()
                if name in by_name and by_name[name]["sha256"] != digest
            ]
            if wrong:
                for name in wrong:
                    by_name[name]["state"] = "mismatch"
                    by_name[name]["expected"] = f"sha256:{package.sha256[name]} (RO-Crate)"
                raise StepFailed(
                    "files",
                    "checksum_mismatch",
                    f"the bytes of {', '.join(wrong)} do not match the SHA-256 the record's "
                    "RO-Crate gives: the record is not what was published",
                    "tell the archive's operators; the files fetched are in "
                    f"{self.relative(record_dir)}",
                )
            if package.notebook is None:
                raise StepFailed(
                    "package",
                    "no_notebook",
                    "the record holds no notebook, so there is nothing to re-run",
                    f"its files were fetched and checked into {self.relative(record_dir)}",
                )
            lock = None
            if package.lock is None:
                step.state = "warning"
                step.message = "the record has no environment lock: its environment is unknown"
            else:
                lock = environments.parse_lock(
                    (record_dir / package.lock).read_text(encoding="utf-8")
                )
                step.message = (
                    f"notebook {package.paths[package.notebook]}, {len(lock.pins)} locked "
                    f"package(s), Python {lock.python or 'unrecorded'}, "
                    f"{len(package.inputs)} input(s)"
                )
        self._check_stop()

        with self.step("environment") as step:
            self.progress("environment", "rebuilding with uv", now=True)
            reproduce_dir = state_dir() / "reproduce"
            cache = reproduce_dir / "pycache"
            if lock is not None:
                key = environments.key_of(lock, packages)
                root = self.places.enter_context(environments.place(reproduce_dir / "envs", key))
            else:
                root = self.work / "env"
            bytecode = environments.bytecode(cache)
            env = environments.build(
                lock,
                root,
                nearest_if_needed=nearest,
                packages=packages,
                stopped=self.stopped,
                variables=bytecode,
                fresh=fresh,
            )
            if package.python and lock and lock.python is None:
                env.notes.append(f"the crate records Python {package.python}")
            self.report["environment"] = env.as_dict()
            kernels = environments.kernelspec(
                self.work / "jupyter",
                env,
                KERNEL,
                {
                    STATE_ENV: str(self.work / "state"),
                    **(bytecode if env.mode == "rebuilt" else {}),
                },
            )
            (self.work / "state").mkdir(parents=True, exist_ok=True)
            if env.mode == "nearest":
                step.state = "warning"
            step.message = (
                f"{env.mode} environment, Python {env.python_version}, {env.packages} package(s)"
                + (f"; {len(env.changed)} not as locked" if env.changed else "")
                + (f"; {len(env.unavailable)} cannot be had" if env.unavailable else "")
            )
        self._check_stop()

        with self.step("inputs") as step:
            checks = check_inputs(package.inputs, self.home, self.stopped)
            self.report["inputs"] = [c.as_dict() for c in checks]
            moved = [c for c in checks if c.state in ("changed", "gone", "unreachable")]
            if moved:
                step.state = "warning"
            counts = {
                state: sum(1 for c in checks if c.state == state)
                for state in {c.state for c in checks}
            }
            step.message = (
                ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
                or "no input recorded"
            )
            step.details = [f"{c.state}: {c.url} — {c.message}" for c in moved]
        self._check_stop()

        run_failure: StepFailed | None = None
        try:
            self._run(package, kernels)
        except StepFailed as exc:
            if exc.code != "notebook_failed":
                raise
            run_failure = exc  # what ran before the failing cell is still compared
        self._compare(package)
        if run_failure is not None:
            raise run_failure

    def _check_stop(self) -> None:
        if self.stopped():
            raise StepFailed("run", "cancelled", "the reproduction was cancelled")

    def _run(self, package: Package, kernels: Path) -> None:
        with self.step("run") as step:
            run_dir = self.folder / "run"
            record_dir = self.folder / "record"
            for name, path in package.paths.items():
                if name in (CRATE_NAME, package.lock):
                    continue
                target = run_dir / path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(record_dir / name, target)
            assert package.notebook is not None
            notebook = run_dir / package.paths[package.notebook]
            self._outputs = {
                name: path
                for name, path in package.paths.items()
                if name not in (CRATE_NAME, package.lock, package.notebook)
            }
            self._before = snapshot(run_dir, self._outputs.values())
            job = rerun.start(notebook, KERNEL, kernels)
            result = job.result or {}
            self.report["run"] = {
                "job": job.id,
                "notebook": self.relative(notebook),
                "executed_notebook": self.relative(Path(result.get("executed_notebook", ""))),
                "log": self.relative(Path(result.get("log", ""))),
            }
            self._executed = Path(result["executed_notebook"])
            self.progress("run", "starting the kernel", now=True)
            done = rerun.follow(
                self.job.store, job.id, lambda text: self.progress("run", text), self.stopped
            )
            step.message = f"ran to the end ({(done.result or {}).get('finished')})"

    def _compare(self, package: Package) -> None:
        with self.step("compare") as step:
            assert package.notebook is not None
            recorded = json.loads(
                (self.folder / "record" / package.notebook).read_text(encoding="utf-8")
            )
            try:
                rerun_document = json.loads(self._executed.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StepFailed(
                    "compare",
                    "no_executed_notebook",
                    f"the run left no executed notebook to compare ({exc})",
                    "see the run's log in the reproduction's folder",
                ) from exc
            problems: list[str] = []
            tolerance, cells = compare_notebooks(recorded, rerun_document, problems)
            outputs = compare_files(
                self.folder / "record", self.folder / "run", self._outputs, self._before, tolerance
            )
            self.report["tolerances"] = tolerance.as_dict()
            self.report["cells"] = [c.as_dict() for c in cells]
            self.report["outputs"] = [o.as_dict() for o in outputs]
            self.report["problems"] = problems
            step.details = problems
            differ_cells = sum(1 for c in cells if c.state in ("differ", "not_run"))
            differ_files = sum(1 for o in outputs if o.state in ("differ", "missing"))
            step.message = (
                f"{len(cells) - differ_cells} of {len(cells)} cell(s) and "
                f"{len(outputs) - differ_files} of {len(outputs)} file(s) match"
            )

    def _finish(self) -> None:
        cells, outputs = self.report["cells"], self.report["outputs"]
        step = self.steps["report"]
        if self.failure is not None:
            self.report["verdict"] = "failed"
            self.report["summary"] = f"stopped at {self.failure.step}: {self.failure.message}"
        else:
            differ = [c for c in cells if c["state"] in ("differ", "not_run")]
            differ_files = [o for o in outputs if o["state"] in ("differ", "missing")]
            within = sum(1 for x in [*cells, *outputs] if x["state"] == "within_tolerance")
            moved = [i for i in self.report["inputs"] if i["state"] in ("changed", "gone")]
            parts = [
                f"{len(cells) - len(differ)} of {len(cells)} cell(s) and "
                f"{len(outputs) - len(differ_files)} of {len(outputs)} output file(s) match"
            ]
            if within:
                parts.append(f"{within} within tolerance")
            if moved:
                parts.append(f"{len(moved)} input(s) changed or gone")
            environment = self.report["environment"] or {}
            if environment.get("changed"):
                parts.append(f"{len(environment['changed'])} package(s) not as locked")
            self.report["verdict"] = "differs" if differ or differ_files else "reproduced"
            self.report["summary"] = "; ".join(parts)
        self.report["finished"] = _now()
        step.state = "done"
        step.message = f"{self.relative(self.folder)}/report.html"
        self.report["steps"] = [asdict(s) for s in self.steps.values()]
        write_report(self.report, self.folder)
        self.progress("report", self.report["summary"], now=True)


def _unexpected(step: str, exc: BaseException) -> StepFailed:
    """Something no step expected, as that step's failure (its type and words, no traceback)."""
    return StepFailed(
        step,
        "unexpected",
        f"{type(exc).__name__}: {exc}",
        "try again; if it happens again, report it with the report.json of this reproduction",
        status=500,
    )


def reproduce(job: JobContext, publisher: Callable[[], Publisher], home: Path) -> dict[str, Any]:
    """The work of a ``reproduce`` job: every step, then the report; its result or ``JobFailed``."""
    return Reproduction(job, home).run(publisher())


__all__ = ["HOME_FOLDER", "KERNEL", "Reproduction", "reproduce"]
