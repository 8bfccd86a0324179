"""The base of every ESAP API handler: JSON errors that say what to fix."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler


class ApiError(Exception):
    """An error the client can act on: ``{"error": {"code", "message", "fix"}}``."""

    def __init__(self, status: int, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fix = fix


class EsapHandler(APIHandler):
    """Base handler: every verb is ``@tornado.web.authenticated`` in subclasses.

    jupyter-server's ``APIHandler`` already checks XSRF on cookie-authenticated
    writes; this class adds the error body of the ESAP API.
    """

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render every error, ours or tornado's, as the ESAP error body."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        self.set_header("Content-Type", "application/json")
        if isinstance(error, ApiError):
            self.set_status(error.status)
            body = {"code": error.code, "message": error.message, "fix": error.fix}
        else:
            reason = self._reason or "error"
            body = {
                "code": reason.lower().replace(" ", "_"),
                "message": reason,
                "fix": "retry; if it persists, report it to the hub admin with the server log",
            }
        self.finish(json.dumps({"error": body}))

    def fail(self, status: int, code: str, message: str, fix: str) -> None:
        """Raise an :class:`ApiError`; the caller's ``return`` is then unreachable."""
        raise ApiError(status, code, message, fix)

    def write_json(self, payload: Any) -> None:
        """Answer with a JSON document."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))
