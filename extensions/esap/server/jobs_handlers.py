"""``jobs``: headless notebook runs (papermill), recorded in ``~/.esap`` and outliving the lab.

Paths in and out are relative to the server's root (the user's home), as the
lab's file browser shows them; a notebook outside it is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tornado import web

from esap.bulk import jobs
from esap.core.paths import user_path
from esap.server.base import EsapHandler

JOB_ID = r"(?P<job_id>[0-9A-Za-z-]+)"


class _JobsBase(EsapHandler):
    @property
    def root(self) -> Path:
        return Path(self.settings.get("server_root_dir") or Path.home()).expanduser().resolve()

    def relative(self, path: str | Path) -> str | None:
        """``path`` relative to the root, or None when it lies outside."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def describe(self, job: jobs.Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "state": job.state,
            "notebook": self.relative(job.notebook),
            "parameters": job.parameters,
            "created": job.created,
            "started": job.started,
            "finished": job.finished,
            "error": job.error,
            "output_dir": self.relative(job.output_dir),
            "executed_notebook": self.relative(job.executed_notebook),
            "log": self.relative(job.log),
        }

    def notebook(self, value: Any) -> Path:
        if not isinstance(value, str) or not value.strip():
            self.fail(
                400,
                "bad_field",
                "notebook: missing; give the notebook's path relative to your home",
                'send {"notebook": "analysis/run.ipynb", "parameters": {...}}',
            )
        # the path rule (esap.core.paths): inside the home, not through a link out,
        # not into ~/.esap, no NUL or over-long name; a refusal is a 400 naming it
        return user_path(value, self.root, field="notebook", allow_absolute=True)

    def job(self, job_id: str) -> jobs.Job:
        store = jobs.JobStore()
        try:
            return store.get(job_id)
        except jobs.JobError:
            self.fail(404, "not_found", f"no job {job_id!r}", "list the jobs with GET jobs")
            raise  # unreachable: fail raises
        finally:
            store.close()


class JobsHandler(_JobsBase):
    """List the runs; start one."""

    @web.authenticated
    def get(self) -> None:
        store = jobs.JobStore()
        try:
            listed = store.list()
        finally:
            store.close()
        self.write_json({"jobs": [self.describe(job) for job in listed]})

    @web.authenticated
    def post(self) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            self.fail(400, "bad_field", "body: not a JSON object", 'send {"notebook": "..."}')
        assert isinstance(body, dict)
        path = self.notebook(body.get("notebook"))
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict) or not all(
            isinstance(name, str) and name.isidentifier() for name in parameters
        ):
            self.fail(
                400,
                "bad_field",
                "parameters: not an object of Python names to values",
                'send {"parameters": {"threshold": 0.5}}',
            )
        try:
            job = jobs.submit(path, parameters)
        except jobs.JobError as exc:
            self.fail(400, "bad_field", f"notebook: {exc}", "give the path of a .ipynb file")
            raise  # unreachable
        self.set_status(201)
        self.write_json(self.describe(job))


class JobHandler(_JobsBase):
    """One run: its state; cancel it (running) or forget it (finished, its files stay)."""

    @web.authenticated
    def get(self, job_id: str) -> None:
        self.write_json(self.describe(self.job(job_id)))

    @web.authenticated
    def delete(self, job_id: str) -> None:
        job = self.job(job_id)
        if job.state in jobs.FINISHED:
            store = jobs.JobStore()
            try:
                store.delete(job_id)
            finally:
                store.close()
        else:
            jobs.cancel(job_id)
        self.set_status(204)
        self.finish()


default_handlers = [("jobs", JobsHandler), (f"jobs/{JOB_ID}", JobHandler)]
