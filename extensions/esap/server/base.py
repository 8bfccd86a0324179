"""The base of every ESAP API handler: JSON errors that say what to fix."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import APIHandler
from pydantic import ValidationError
from tornado import web

from esap.core.errors import EsapError, FieldError
from esap.server.answers import AnswerModel
from esap.server.bodies import Body, body_refusal, shape

B = TypeVar("B", bound=Body)

#: The fix of an error tornado raised itself, by status, where there is a better one than "retry".
_TORNADO_FIXES: dict[int, str] = {
    403: "ask the hub admin for access to this server, or use a token of its owner",
    404: "check the path against the API description (openapi.yaml)",
    405: "use one of the methods the Allow header lists",
}

#: A request that carries no login at all (no token, no cookie): what a REST client must send.
_NO_LOGIN = (
    "not_authenticated",
    "no token: send Authorization: token <your API token> or log in",
    "make an API token on the hub's Token page (/hub/token), or log in to the hub in a browser",
)
#: A login (token or cookie) sent, but one with no access to this server.
_NO_ACCESS = (
    "forbidden",
    "the token or login sent has no access to this server",
    "use a token of the server's owner (or one with its access scope), or ask the hub admin",
)
#: A write with the login cookie but without the matching _xsrf value.
_NO_XSRF = (
    "xsrf_missing",
    "missing or wrong _xsrf: send the X-XSRFToken header with the _xsrf cookie's value, "
    "or authenticate with Authorization: token <token>",
    "a script is best authenticated by a token, which needs no _xsrf; in the lab, reload "
    "the page for a fresh _xsrf cookie",
)

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


def _checked(model: AnswerModel, data: Any, *, allow_nan: bool = True) -> str:
    """``data`` as the JSON text sent, once ``model`` has read that text without a fault."""
    text = json.dumps(data, allow_nan=allow_nan)
    model.model_validate_json(text)
    return text


class EsapHandler(APIHandler):
    """Base handler: every verb is ``@tornado.web.authenticated`` in subclasses.

    jupyter-server's ``APIHandler`` already checks XSRF on cookie-authenticated
    writes; this class adds the error body of the ESAP API.
    """

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        """Ask the server's authorizer about every request, as jupyter-server's own routes do.

        A reader of a shared lab (``esap.server.lab_access``) may read (GET)
        and change nothing; without sharing, the authorizer lets the server's
        owner do everything, as before.
        """
        await super().prepare()
        user = self.current_user
        if user is None:
            return  # @web.authenticated answers it
        action = "read" if self.request.method in ("GET", "HEAD", "OPTIONS") else "write"
        if not await ensure_async(self.authorizer.is_authorized(self, user, action, "esap")):
            raise ApiError(
                403,
                "read_only_share",
                "this lab is shared with you read-only: you may look, not change anything",
                "ask the lab's owner to share it with you with full access",
            )

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
        refusal = self._refusal(status_code, error)
        if refusal is not None:
            code, message, fix = refusal
        else:
            reason = self._reason or "error"
            code = reason.lower().replace(" ", "_")
            message = reason
            fix = _TORNADO_FIXES.get(status_code, _GENERIC_FIXES[5])
        self.finish(json.dumps({"error": {"code": code, "message": message, "fix": fix}}))

    def _refusal(
        self, status_code: int, error: BaseException | None
    ) -> tuple[str, str, str] | None:
        """Why jupyter-server refused the request, when it was its login or XSRF check.

        A plain ``Forbidden`` did not say what a REST client must send; both
        checks answer 403 (an API handler never redirects to a login page),
        and tornado names the XSRF check in its log message.
        """
        if status_code not in (401, 403):
            return None
        if status_code == 401 or getattr(self, "_jupyter_current_user", None) is None:
            request = self.request
            token = "Authorization" in request.headers or "token" in request.query_arguments
            cookie = any(name != "_xsrf" for name in request.cookies)
            # JupyterHub's servers drop a login cookie that comes without its _xsrf
            if cookie and not token and self._xsrf_refused():
                return _NO_XSRF
            return _NO_ACCESS if token or cookie else _NO_LOGIN
        logged = str(getattr(error, "log_message", "") or "")
        if "xsrf" in logged.lower():
            return _NO_XSRF
        return None

    def _xsrf_refused(self) -> bool:
        """Whether this request fails the XSRF check (the server's own, JupyterHub's on a hub)."""
        try:
            self.check_xsrf_cookie()
        except web.HTTPError as exc:
            return "xsrf" in str(exc.log_message or "").lower()
        return False

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

    def body_as(self, model: type[B]) -> B:
        """The request's JSON body as ``model``, or one 400 naming every field at fault.

        Every handler that takes a JSON body reads it here: the body's shape
        is checked in one place, against the model the API description
        documents (``esap.server.bodies``), and refused in one shape.
        """
        body = self.json_object(f"send a JSON object, e.g. {shape(model)}")
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise body_refusal(exc, model) from None

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

    def write_answer(self, model: AnswerModel, data: Any) -> None:
        """Answer ``data``, checked first against ``model``: what the API description says.

        Every JSON answer goes out here (the models: ``esap.server.answers``).
        The check reads the very text sent, so the wire is ``data`` as given
        (key order, numbers as written); an answer the document does not
        describe raises ``ValidationError``: a fault of the server (a 500 with
        its traceback in the log), never a surprise for the client.
        """
        self.set_header("Content-Type", "application/json")
        self.finish(_checked(model, data))

    def write_line(self, model: AnswerModel, data: Any, *, allow_nan: bool = True) -> None:
        """One line of an NDJSON stream, checked against ``model`` as :meth:`write_answer` does."""
        self.write(_checked(model, data, allow_nan=allow_nan) + "\n")


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
