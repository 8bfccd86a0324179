"""Why a remote service failed, named exactly: one classification for every adapter.

A data service, a software catalogue and an archive fail in the same few
ways, and a user can only act on the way it failed: a host name that does
not resolve (a typo, or no DNS), a port where nothing listens, a
certificate that is not trusted, a service too slow for its timeout, an
HTTP error answer (with the service's own words), an answer that is not
what the protocol promises (a web page instead of a VOTable), a query the
service refused. :func:`classify` turns whatever a client library raised
into the :class:`RemoteFailure` subclass of that kind, with a message
that says what happened and a separate fix that fits it.

The libraries wrap the cause: pyvo raises ``DALFormatError`` for a host
that does not resolve (it was reading a VOTable when the connection
failed), requests wraps urllib3 which wraps the socket's error, httpx
wraps httpcore. The classification therefore walks the whole chain
(``__cause__``, ``__context__``, pyvo's ``cause``, urllib3's ``reason``)
and looks for the standard library's own errors first (``socket.gaierror``,
``ConnectionRefusedError``, ``ssl.SSLError``, ``TimeoutError``), which every
HTTP client in use ends its chain with. No client library is imported here:
an exception is recognised by its type's place in the chain, by the
standard library's types, and by the names of the client libraries' classes,
so the core stays free of capabilities' dependencies.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from esap.core.errors import EsapError, UpstreamError
from esap.core.text import plain_text

#: Characters of a service's own error text passed on (its first words say what it is).
TEXT_LIMIT = 200


class RemoteFailure(UpstreamError):
    """A remote service failed; the subclass says how, ``service`` and ``url`` which one."""

    code = "service_error"
    fix = "retry later; if it persists, ask the service's operators"

    def __init__(
        self, message: str, fix: str = "", *, service: str = "", url: str | None = None
    ) -> None:
        super().__init__(message, fix)
        self.service = service
        self.url = url


class NameNotResolved(RemoteFailure):
    """The service's host name does not resolve (a typo in the URL, or no DNS here)."""

    code = "name_not_resolved"


class ConnectionRefused(RemoteFailure):
    """Nothing listens at the service's address (a wrong port, or the service is down)."""

    code = "connection_refused"


class ConnectionFailed(RemoteFailure):
    """The connection broke otherwise (reset, closed mid-answer, no route to the host)."""

    code = "connection_failed"


class TlsFailure(RemoteFailure):
    """The TLS handshake failed: an untrusted certificate, or TLS spoken to a plain port."""

    code = "tls_failure"


class TimedOut(RemoteFailure):
    """The service did not answer within its timeout."""

    status = 504
    code = "timed_out"


class HttpStatus(RemoteFailure):
    """The service answered with an HTTP error status; ``answered`` is it, the message its text."""

    code = "http_status"

    def __init__(
        self,
        message: str,
        fix: str = "",
        *,
        answered: int,
        service: str = "",
        url: str | None = None,
    ) -> None:
        super().__init__(message, fix, service=service, url=url)
        self.answered = answered


class BadAnswer(RemoteFailure):
    """The service answered something its protocol does not allow (not a VOTable, not JSON)."""

    code = "bad_answer"


class QueryRefused(RemoteFailure):
    """The service refused the query itself; its own words say why (an ADQL error)."""

    status = 400
    code = "query_error"
    fix = "correct the query as the service's message says"


class ServiceFailed(RemoteFailure):
    """The service reported a failure of its own, with no HTTP error (a UWS job in ERROR)."""

    code = "service_error"


class UnexpectedFailure(RemoteFailure):
    """An adapter raised something that is no remote failure of a known kind (its own bug)."""

    code = "error"
    fix = "retry; if it fails again, report it to the hub admin with this message"


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps, each once, outermost first."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if any(current is other for other in seen):
            continue
        seen.append(current)
        yield current
        # pyvo's DALProtocolError.cause, urllib3's MaxRetryError.reason, then Python's own
        for linked in (
            getattr(current, "cause", None),
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
        ):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _named(exc: BaseException, *names: str) -> bool:
    """Whether a class of ``exc``'s type (its MRO) has one of ``names``."""
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def _from(exc: BaseException, *modules: str) -> bool:
    """Whether ``exc``'s type is defined in one of ``modules`` (or below)."""
    module = type(exc).__module__
    return any(module == name or module.startswith(name + ".") for name in modules)


def _first(links: list[BaseException], *kinds: type[BaseException]) -> BaseException | None:
    return next((link for link in links if isinstance(link, kinds)), None)


def _attribute(value: object, name: str) -> Any:
    """``value.name``, or ``None``: httpx raises ``RuntimeError`` for a request it never set."""
    try:
        return getattr(value, name, None)
    except RuntimeError:
        return None


def _url_in(links: list[BaseException]) -> str | None:
    """The URL a client library recorded on the request that failed, if any did."""
    for link in links:
        url = _attribute(_attribute(link, "request"), "url")
        if url:
            return str(url)
        recorded = _attribute(link, "url")  # pyvo's errors keep the query URL
        if _from(link, "pyvo") and isinstance(recorded, str) and recorded:
            return recorded
    return None


def _shown(url: str | None) -> str | None:
    """``url`` as a message may show it: no credentials, query or fragment (a token hides there)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else url.split("?")[0]


def _where(url: str | None, service: str) -> tuple[str, str]:
    """(``host``, ``host:port``) of ``url``, the service's name when there is no URL."""
    if not url:
        return service or "the service", service or "the service"
    parts = urlsplit(url)
    host = parts.hostname or url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return host, host
    return host, f"{host}:{port}"


def excerpt(value: str) -> str:
    """A service's own words as one line of plain text, at most :data:`TEXT_LIMIT` characters."""
    words = " ".join(plain_text(value).split())
    return words if len(words) <= TEXT_LIMIT else words[: TEXT_LIMIT - 1] + "…"


def _seconds(links: list[BaseException]) -> float | None:
    """The timeout a client library names in its message (``read timeout=30``)."""
    for link in links:
        found = re.search(r"timeout=([0-9.]+)", str(link))
        if found:
            try:
                return float(found.group(1))
            except ValueError:
                return None
    return None


def _tls_reason(error: BaseException) -> str:
    verify = getattr(error, "verify_message", None)
    if verify:
        return f"certificate verify failed: {verify}"
    text = re.sub(r"^\[SSL: [A-Z_]+\]\s*", "", str(error))
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", text) or type(error).__name__


def _status_of(links: list[BaseException]) -> tuple[int, str] | None:
    """(HTTP status, the service's own text) of an error answer somewhere in the chain."""
    for link in links:
        response = _attribute(link, "response")
        status = _attribute(response, "status_code")
        if isinstance(status, int) and status >= 400:
            try:
                body = str(response.text)
            except Exception:  # a streamed body not read, an undecodable one
                body = ""
            reason = str(getattr(response, "reason", "") or getattr(response, "reason_phrase", ""))
            return status, body.strip() or reason
    for link in links:
        code = getattr(link, "code", None)
        if _from(link, "pyvo") and isinstance(code, int) and code >= 400:
            return code, str(getattr(link, "reason", None) or link)
    return None


def _http_fix(status: int, url: str | None, service: str) -> str:
    if status in (401, 403):
        return (
            "the service refused access: store the token it needs (or a valid one), "
            f"or ask {service}'s operators for access"
        )
    if status in (404, 410):
        return f"check the service's URL ({url or 'in esap.yaml'}): it has no such path"
    if status == 429:
        return "the service limits how often it may be asked: wait a minute, then retry"
    if status >= 500:
        return (
            f"the service failed on its side: retry later; if it persists, ask {service}'s "
            "operators"
        )
    return "the service refused the request: change it as its answer says"


def _unparsable(links: list[BaseException]) -> tuple[str, str] | None:
    """(what was expected, why it is not that) when the answer could not be read."""
    for link in links:
        if isinstance(link, json.JSONDecodeError):
            return "JSON document", str(link)
    for link in links:
        if (
            _named(link, "DALFormatError")
            or _from(link, "astropy.io.votable", "xml", "pyexpat")
            or "VOTable" in type(link).__name__
            or (isinstance(link, ValueError) and "votable" in str(link).lower())
        ):
            reason = getattr(link, "reason", None)
            return "VOTable", str(reason if isinstance(reason, str) else link)
    return None


def recognise(
    exc: BaseException,
    *,
    service: str,
    url: str | None = None,
    timeout: float | None = None,
    timeout_setting: str | None = None,
) -> RemoteFailure | None:
    """The kind of remote failure ``exc`` is, or ``None`` when it is none of the known kinds.

    ``service`` names the service in fixes, ``url`` is the address asked
    (found on the exception when not given), ``timeout`` the seconds it was
    given and ``timeout_setting`` where an admin or user raises them.
    """
    links = list(chain(exc))
    url = _shown(url or _url_in(links))
    host, address = _where(url, service)
    at = url or "as written in esap.yaml"
    operators = f"retry later; if it persists, ask {service}'s operators"

    if any(_named(link, "DALQueryError") for link in links):
        query_error = next(link for link in links if _named(link, "DALQueryError"))
        reason = getattr(query_error, "reason", None) or str(query_error)
        return QueryRefused(str(reason), service=service, url=url)  # its own words, as they are
    tls = _first(links, ssl.SSLError, ssl.CertificateError)
    if tls is not None:
        why = _tls_reason(tls)
        if "certificate" in why.lower():
            fix = (
                "the service's certificate is not trusted here (self-signed, expired or made "
                f"for another host name): ask {service}'s operators to fix it, or the hub "
                "admin to trust its certificate authority"
            )
        else:
            fix = (
                f"check the scheme of the service's URL ({at}): https:// to a plain-HTTP "
                f"port fails the handshake; else ask {service}'s operators"
            )
        return TlsFailure(
            f"the TLS handshake with {address} failed: {why}", fix, service=service, url=url
        )
    unresolved = _first(links, socket.gaierror)
    if unresolved is not None or any(_named(link, "NameResolutionError") for link in links):
        why = getattr(unresolved, "strerror", None) or "no such name"
        return NameNotResolved(
            f"the host name {host} does not resolve ({why})",
            f"check the host name in the service's URL ({at}); if it is spelled right, "
            "this server has no working DNS or network: ask the hub admin",
            service=service,
            url=url,
        )
    if _first(links, ConnectionRefusedError) is not None:
        return ConnectionRefused(
            f"{address} refused the connection: nothing listens there",
            f"check the port in the service's URL ({at}); if it is right, the service is "
            f"down: {operators}",
            service=service,
            url=url,
        )
    if _first(links, TimeoutError) is not None or any(
        _named(link, "Timeout", "TimeoutException", "ReadTimeout", "ConnectTimeout")
        for link in links
    ):
        seconds = timeout if timeout is not None else _seconds(links)
        within = f"within {seconds:g} s" if seconds is not None else "in time"
        raise_it = timeout_setting or "its timeout"
        return TimedOut(
            f"no answer from {address} {within}",
            f"retry later; if the service is always this slow, raise {raise_it}",
            service=service,
            url=url,
        )
    answered = _status_of(links)
    if answered is not None:
        status, text = answered
        return HttpStatus(
            f"{address} answered HTTP {status}: {excerpt(text)}",
            _http_fix(status, url, service),
            answered=status,
            service=service,
            url=url,
        )
    broken = _first(links, ConnectionError)
    if broken is not None or any(
        _named(link, "ConnectionError", "ConnectError", "NetworkError", "RemoteProtocolError")
        for link in links
    ):
        leaf = broken or links[-1]
        why = getattr(leaf, "strerror", None) or str(leaf) or type(leaf).__name__
        return ConnectionFailed(
            f"the connection to {address} failed: {why}", operators, service=service, url=url
        )
    unparsable = _unparsable(links)
    if unparsable is not None:
        expected, why = unparsable
        return BadAnswer(
            f"the answer from {address} is not a valid {expected}: {excerpt(why)}",
            f"check that {url or 'the URL'} is the service's own address (a web page or a "
            f"proxy answers HTML instead); if it is, ask {service}'s operators",
            service=service,
            url=url,
        )
    if any(_named(link, "DALServiceError") for link in links):
        reason = getattr(exc, "reason", None) or str(exc)
        return ServiceFailed(f"the service failed: {reason}", operators, service=service, url=url)
    return None


def classify(
    exc: BaseException,
    *,
    service: str,
    url: str | None = None,
    timeout: float | None = None,
    timeout_setting: str | None = None,
) -> EsapError:
    """What ``exc``, raised while asking ``service``, is for the user: an :class:`EsapError`.

    An ``EsapError`` is returned as it is (an adapter's own words); a
    known failure becomes its :class:`RemoteFailure` (see
    :func:`recognise`); anything else an :class:`UnexpectedFailure`
    carrying the exception's type and text.
    """
    if isinstance(exc, EsapError):
        return exc
    known = recognise(
        exc, service=service, url=url, timeout=timeout, timeout_setting=timeout_setting
    )
    if known is not None:
        return known
    return UnexpectedFailure(f"{type(exc).__name__}: {exc}", service=service, url=url)


__all__ = [
    "TEXT_LIMIT",
    "BadAnswer",
    "ConnectionFailed",
    "ConnectionRefused",
    "HttpStatus",
    "NameNotResolved",
    "QueryRefused",
    "RemoteFailure",
    "ServiceFailed",
    "TimedOut",
    "TlsFailure",
    "UnexpectedFailure",
    "chain",
    "classify",
    "excerpt",
    "recognise",
]
