"""The base of every ESAP API handler: JSON errors that say what to fix."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from esap.core.errors import EsapError, FieldError

#: The fix of an error tornado raised itself, by status, where there is a better one than "retry".
_TORNADO_FIXES: dict[int, str] = {
    401: "log in to the hub again, or send a token with access to this server",
    403: "send the _xsrf cookie's value in the X-XSRFToken header (JupyterLab does this), "
    "or authenticate with a token (Authorization: token ...) instead of the cookie",
    404: "check the path against the API description (openapi.yaml)",
    405: "use one of the methods the Allow header lists",
}

#: The verbs an API route may serve (what an ``Allow`` header can list).
_VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


#: What JSON calls each Python type ``json.loads`` makes.
_JSON_KINDS: dict[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
}


class ApiError(EsapError):
    """An error of the REST face itself (a body that is not JSON, a path no route serves).

    The capabilities raise their own :class:`EsapError` subclasses, each with
    its status; this one is for what only HTTP has, so it takes its status
    per instance.
    """

    def __init__(
        self, status: int, code: str, message: str, fix: str, *, field: str | None = None
    ) -> None:
        super().__init__(message, fix, field=field)
        self.status = status
        self.code = code


#: The fix of an error that names none: by its status, else by the class of its status.
_GENERIC_FIXES = {
    502: "retry later; if it persists, ask the operators of the service named",
    503: "retry later; if it persists, ask the hub admin",
    504: "retry later",
    4: "change the request as the message says",
    5: "retry; if it persists, report it to the hub admin with the server log",
}


def _fix(error: EsapError) -> str:
    """What to do about ``error``: its own fix, else the one for its status."""
    return error.fix or _GENERIC_FIXES.get(
        error.status, _GENERIC_FIXES.get(error.status // 100, "")
    )


def problems_of(error: EsapError) -> list[dict[str, str]]:
    """Every field at fault in ``error`` as ``{"field", "message", "fix"}`` (a form marks each)."""
    fix = _fix(error)
    return [{"field": p.field, "message": p.message, "fix": p.fix or fix} for p in error.problems]


def error_body(error: EsapError) -> dict[str, Any]:
    """The ESAP error body of ``error``: the one wire shape of every error of every endpoint.

    ``{"error": {"code", "message", "fix", "field"?, "problems"?}}``: ``field``
    is the key path of the field at fault (the message does not repeat it);
    ``problems`` lists every field at fault with its own message and fix when
    a request was checked as a whole (``field``, ``message`` and ``fix`` are
    then those of the first).
    """
    body: dict[str, Any] = {"code": error.code, "message": error.message, "fix": _fix(error)}
    if error.field:
        body["field"] = error.field
    problems = problems_of(error)
    if problems:
        body.update(problems[0])
        body["problems"] = problems
    return {"error": body}


class EsapHandler(APIHandler):
    """Base handler: every verb is ``@tornado.web.authenticated`` in subclasses.

    jupyter-server's ``APIHandler`` already checks XSRF on cookie-authenticated
    writes; this class adds the error body of the ESAP API.
    """

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render every error, ours or tornado's, as the ESAP error body.

        An :class:`EsapError`, raised by a capability or a handler, answers its
        own status and :func:`error_body`; anything else is tornado's own
        answer (4xx) or a fault (500).
        """
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        self.set_header("Content-Type", "application/json")
        if status_code == 405:  # tornado's answer to a verb the handler does not serve
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        if isinstance(error, EsapError):
            self.set_status(error.status)
            self.finish(json.dumps(error_body(error)))
            return
        reason = self._reason or "error"
        body = {
            "code": reason.lower().replace(" ", "_"),
            "message": reason,
            "fix": _TORNADO_FIXES.get(status_code, _GENERIC_FIXES[5]),
        }
        self.finish(json.dumps({"error": body}))

    def allowed_methods(self) -> list[str]:
        """The verbs this route serves: those its handler defines over tornado's 405."""
        return [
            verb
            for verb in _VERBS
            if getattr(type(self), verb.lower()) is not getattr(web.RequestHandler, verb.lower())
        ]

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """An answer the API documents is one log line; only a real fault gets a traceback.

        Tornado logs every exception that is not its own ``HTTPError`` as
        "Uncaught exception" with a traceback, which buried the log of a
        server answering bad requests with 4xx under tracebacks.
        """
        if isinstance(value, EsapError):
            # a documented answer (a 502 names a remote service's own failure): one line
            log = self.log.info if value.status < 500 else self.log.warning
            log(
                "%d %s %s: %s: %s",
                value.status,
                self.request.method,
                self.request.path,
                value.code,
                f"{value.field}: {value.message}" if value.field else value.message,
            )
            return
        super().log_exception(typ, value, tb)

    def get_json_body(self) -> Any:
        """The request's JSON body (``None`` when empty), or a 400 saying what is wrong with it.

        jupyter-server's own reader lets a body that is not UTF-8 through as a
        500 and logs a traceback for bad JSON; every ESAP handler reads bodies
        here instead.
        """
        raw = self.request.body
        if not raw or not raw.strip():
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(
                400,
                "bad_body",
                f"not UTF-8 text (byte {exc.start})",
                "send the body as JSON encoded in UTF-8",
                field="body",
            ) from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ApiError(
                400,
                "bad_body",
                f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                "send a JSON document (Content-Type: application/json)",
                field="body",
            ) from None

    def json_object(self, fix: str = "send a JSON object") -> dict[str, Any]:
        """The request's body as a JSON object, or a 400 naming what it is instead."""
        body = self.get_json_body()
        if not isinstance(body, dict):
            kind = _JSON_KINDS.get(type(body), "value")
            what = "empty, not a JSON object" if body is None else f"a JSON {kind}, not an object"
            raise FieldError("body", what, fix)
        return body

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """The query argument ``name`` as a whole number in ``low..high``, or a 400 naming it.

        Python's ``int`` has no bound, SQLite's has: an offset past 2**63 was a 500.
        """
        raw = self.get_argument(name, None)
        if raw is None:
            return default
        text = raw.strip()
        value = int(text) if len(text) <= 20 and text.lstrip("+-").isdigit() else None
        if value is None or not low <= value <= high:
            raise FieldError(
                name,
                f"{raw[:40]!r}: must be a whole number from {low} to {high}",
                f"give {name}={default}",
            )
        return value

    def fail(
        self, status: int, code: str, message: str, fix: str, *, field: str | None = None
    ) -> None:
        """Raise an :class:`ApiError`; the caller's ``return`` is then unreachable.

        A wrong field of the request is a :class:`FieldError` (``raise
        FieldError(field, message, fix)``); this is for the other answers.
        """
        raise ApiError(status, code, message, fix, field=field)

    def write_json(self, payload: Any) -> None:
        """Answer with a JSON document."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))


class NoRouteHandler(EsapHandler):
    """A path under the API prefix that no route matches: a JSON 404, not Jupyter's HTML page.

    Mounted after every route, so it answers only what nothing else does. It
    answers anyone, as Jupyter's page did: which paths exist is in the API
    description, and no user's data is read.
    """

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        await super().prepare()
        raise ApiError(
            404,
            "not_found",
            f"{self.request.method} {self.request.path}: no such path in the ESAP API",
            "check the path and its ids against the API description (openapi.json)",
        )
