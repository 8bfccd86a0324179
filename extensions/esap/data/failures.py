"""A data service's failure, as an error every face answers alike: the one classification.

Whatever an adapter raised (pyvo's errors, which wrap requests' and the
socket's, an adapter's own) becomes an :class:`~esap.core.errors.EsapError`
here, through :func:`esap.core.failures.classify`, the classification the
software catalogues and the archives use too: a host name that does not
resolve, a refused connection, a TLS failure, a time-out, an HTTP error
status with the service's own text, an answer that is no VOTable, a query
the service refused, each with the fix that fits. A federated search makes
each failing service's ``error`` event from it (:func:`error_event`); a
request to one service (ADQL, its tables, a job, the registry, a data
lake's files) answers it as a whole (:func:`failure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esap.core.errors import EsapError
from esap.core.failures import classify


class BadRequest(EsapError):
    """An adapter refused the request with a plain ``ValueError`` (an older adapter's way)."""

    code = "bad_field"
    fix = "change the request as the message says"


def failure(
    exc: BaseException, service: str, url: str | None = None, timeout: float | None = None
) -> EsapError:
    """What ``exc``, raised by ``service``'s adapter (asking ``url``), is for the user.

    ``timeout`` is the service's own (the one an admin raises in
    ``esap.yaml``, or the user in their service list), named in the fix of
    a time-out.
    """
    if (
        isinstance(exc, ValueError)
        and not isinstance(exc, EsapError)
        and type(exc).__module__.startswith("esap")
    ):
        return BadRequest(str(exc))
    return classify(
        exc,
        service=service,
        url=url,
        timeout=timeout,
        timeout_setting=f"the timeout of {service} (its `timeout` in esap.yaml)",
    )


def error_event(
    exc: BaseException, service: str, url: str | None = None, timeout: float | None = None
) -> dict[str, Any]:
    """A federated search's ``error`` event for ``service``: code, message and fix apart."""
    error = failure(exc, service, url, timeout)
    return {
        "event": "error",
        "service": service,
        "code": error.code,
        "message": error.message,
        "fix": error.fix,
    }


def error_text(event: Mapping[str, Any]) -> str:
    """An ``error`` event as one line, as an ESAP error prints: ``message — fix``."""
    fix = event.get("fix")
    return f"{event['message']} — {fix}" if fix else str(event["message"])


__all__ = ["BadRequest", "error_event", "error_text", "failure"]
