"""The one error model of ESAP: what went wrong, how to fix it, which field, which HTTP status.

Every error a capability raises for a user to act on is an :class:`EsapError`:
``code`` (snake_case, stable: clients may branch on it), ``message`` (what is
wrong), ``fix`` (what to do), ``field`` (the key path at fault, when one
field is) and ``problems`` (when several are). Each class says once which
HTTP status it is (``status``), so every face answers it the same way: REST
turns it into ``{"error": {...}}`` with that status in one place
(``esap.server.base``), the CLI prints one line, a notebook shows the
exception, whose text is the same line.

Every rule in ``esap.core`` (paths, URLs, ids) refuses input with a
subclass of :class:`FieldError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of a request: the field (as a key path), why, what to do."""

    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" + (f" — {self.fix}" if self.fix else "")


class EsapError(Exception):
    """An error a user can act on: ``code``, ``message``, ``fix``, ``field`` when one is at fault.

    Subclasses set ``code`` and ``status`` (and may set a default ``fix``)
    as class attributes, once; an instance may name a better fix. The text
    of the exception (``str``) is the line the CLI prints and a notebook
    shows: ``field: message — fix``.
    """

    #: The HTTP status every face that speaks HTTP answers this error with.
    status: int = 400
    #: What kind of error this is, in snake_case (stable: clients may branch on it).
    code: str = "error"
    #: What to do about it, when the raiser does not say better.
    fix: str = ""
    #: The key path of the one field at fault (``items[2].access_url``), or ``None``.
    field: str | None = None
    #: Every field at fault, when a request is checked as a whole (a form).
    problems: tuple[FieldProblem, ...] = ()

    def __init__(
        self,
        message: str,
        fix: str = "",
        *,
        field: str | None = None,
        problems: Iterable[FieldProblem] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix or type(self).fix
        self.field = field
        self.problems = tuple(problems)

    def at(self, field: str) -> Self:
        """This error, naming the request's ``field`` it came from (which only a face knows).

        A capability raises "no result 'x'"; the REST handler that read
        ``result_id`` from the body re-raises it as ``exc.at("result_id")``.
        """
        self.field = field
        return self

    def __str__(self) -> str:
        if len(self.problems) > 1:
            return "; ".join(str(problem) for problem in self.problems)
        text = f"{self.field}: {self.message}" if self.field else self.message
        return f"{text} — {self.fix}" if self.fix else text


class FieldError(EsapError, ValueError):
    """Input a rule refused: ``field`` names it, ``message`` says why, ``fix`` what to do.

    A ``ValueError`` too, so a pydantic validator may raise it and callers
    that guard input with ``except ValueError`` still catch it.
    """

    code = "bad_field"

    def __init__(self, field: str, message: str, fix: str = "") -> None:
        super().__init__(message, fix, field=field)


class NotFound(EsapError, LookupError):
    """What the request names does not exist (or no longer does)."""

    status = 404
    code = "not_found"


class Forbidden(EsapError, PermissionError):
    """The request is understood, but the user may not do it (a read-only share, a project)."""

    status = 403
    code = "forbidden"


class Conflict(EsapError):
    """The request clashes with the state of things (a name taken, a run still going)."""

    status = 409
    code = "conflict"


class Unavailable(EsapError):
    """What the request needs is not set up or not answering; nothing the request can change."""

    status = 503
    code = "unavailable"


class UpstreamError(EsapError):
    """A remote service (a data service, a catalogue, an archive) failed or refused."""

    status = 502
    code = "upstream_error"


__all__ = [
    "Conflict",
    "EsapError",
    "FieldError",
    "FieldProblem",
    "Forbidden",
    "NotFound",
    "Unavailable",
    "UpstreamError",
]
