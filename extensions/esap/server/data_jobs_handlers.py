"""``data/jobs``: asynchronous TAP jobs (UWS), kept in ``~/.esap`` across restarts."""

from __future__ import annotations

from tornado import web

from esap.data import jobs
from esap.data.request import BadField
from esap.server.base import EsapHandler
from esap.server.data_common import (
    bad_field,
    catalog,
    in_thread,
    result_store,
    service_failure,
    user_store,
)


class JobsHandler(EsapHandler):
    """List jobs; submit one."""

    @web.authenticated
    def get(self) -> None:
        self.write_json({"jobs": [job.as_dict() for job in user_store().jobs()]})

    @web.authenticated
    async def post(self) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            self.fail(400, "bad_field", "body: not a JSON object", 'send {"service", "query"}')
        assert isinstance(body, dict)
        current = catalog()
        name = body.get("service")
        try:
            jobs.tap_adapter(current, name)
            jobs.check_adql(body.get("query"))
            jobs.check_maxrec(body.get("maxrec"))
        except BadField as exc:
            raise bad_field(exc) from None
        timeout = current.entry(str(name)).timeout
        try:
            job = await in_thread(
                lambda: jobs.submit(
                    current, user_store(), name, body.get("query"), body.get("maxrec")
                ),
                timeout,
            )
        except Exception as exc:
            raise service_failure(exc, str(name)) from None
        self.set_status(201)
        self.write_json(job.as_dict())


class JobHandler(EsapHandler):
    """One job: its phase refreshed from the service; delete (abort) it."""

    def _known(self, job_id: str) -> None:
        try:
            user_store().job(job_id)
        except KeyError:
            self.fail(404, "not_found", f"no job {job_id!r}", "see GET data/jobs")

    @web.authenticated
    async def get(self, job_id: str) -> None:
        self._known(job_id)
        current = catalog()
        try:
            job = await in_thread(
                lambda: jobs.refresh(current, user_store(), result_store(), job_id), 60
            )
        except Exception as exc:
            raise service_failure(exc, user_store().job(job_id).service) from None
        self.write_json(job.as_dict())

    @web.authenticated
    async def delete(self, job_id: str) -> None:
        self._known(job_id)
        current = catalog()
        await in_thread(lambda: jobs.delete(current, user_store(), job_id), 30)
        self.set_status(204)
        self.finish()


default_handlers = [
    ("data/jobs", JobsHandler),
    (r"data/jobs/(?P<job_id>[^/]+)", JobHandler),
]
