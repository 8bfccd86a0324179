"""``basket/downloads``: download jobs (files into a folder of the home) with progress."""

from __future__ import annotations

import functools

from tornado import web

from esap.basket.jobs import DownloadJobs
from esap.basket.store import BasketError, ItemNotFound
from esap.server.base import ApiError
from esap.server.basket_handlers import BasketBase, bad_request, user_basket


@functools.cache
def download_jobs() -> DownloadJobs:
    """The download jobs of the user's basket (running ones on threads of this server)."""
    return DownloadJobs(user_basket())


class DownloadsHandler(BasketBase):
    """List download jobs; start one."""

    @web.authenticated
    def get(self) -> None:
        self.write_json({"downloads": download_jobs().list()})

    @web.authenticated
    def post(self) -> None:
        body = self.body()
        ids = self.ids(body) if body.get("ids") is not None else None
        folder = body.get("folder")
        if folder is not None and not isinstance(folder, str):
            self.fail(400, "bad_field", "folder: must be text", "name a folder in your home")
        try:
            job = download_jobs().start(ids, folder)
        except BasketError as exc:
            raise bad_request(exc) from None
        self.set_status(202)
        self.write_json(job)


class DownloadHandler(BasketBase):
    """One download job and its progress."""

    @web.authenticated
    def get(self, job_id: str) -> None:
        try:
            self.write_json(download_jobs().get(job_id))
        except ItemNotFound:
            raise ApiError(
                404, "not_found", f"no download {job_id!r}", "list them with GET basket/downloads"
            ) from None


default_handlers = [
    ("basket/downloads", DownloadsHandler),
    ("basket/downloads/(?P<job_id>[0-9a-f]{32})", DownloadHandler),
]
