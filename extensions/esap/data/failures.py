"""A data service's failure on a request made to it alone, as an error every face answers alike.

In a federated search a failing service is one ``error`` event among the
others (:func:`esap.data.federation.error_of` words it). A request to one
service (ADQL, its tables, an asynchronous job, the registry, a data lake's
files) fails as a whole instead: :func:`failure` turns whatever the adapter
raised (pyvo's errors, ``requests``' timeouts, an adapter's own) into an
:class:`~esap.core.errors.EsapError` whose class says its status: a query
the service refused is the request's fault (400), a service that did not
answer in time a 504, any other failure the service's own (502).
"""

from __future__ import annotations

from esap.core.errors import EsapError, UpstreamError
from esap.data.federation import error_of


class ServiceFailure(UpstreamError):
    """The service failed; ``code`` says how (``unreachable``, ``bad_response``, ...).

    The code is :func:`~esap.data.federation.error_of`'s, the one a federated
    search's ``error`` event carries for the same failure.
    """

    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(message, fix)
        self.code = code


class QueryRefused(ServiceFailure):
    """The service refused the query itself (its words say why)."""

    status = 400


class ServiceTimeout(ServiceFailure):
    """The service did not answer in time."""

    status = 504


def failure(exc: BaseException, service: str) -> EsapError:
    """What ``exc``, raised by ``service``'s adapter, is for the user: an ESAP error as it is."""
    if isinstance(exc, EsapError):
        return exc
    code, message = error_of(exc)
    if code == "query_error":
        return QueryRefused(code, message, "correct the query (the message is the service's own)")
    if code == "timeout":
        return ServiceTimeout(code, message, f"retry later, or raise {service}'s timeout")
    if code == "bad_field":  # an esap ValueError that is no EsapError (yet)
        return QueryRefused(code, message, "change the request as the message says")
    return ServiceFailure(code, message, f"{service} failed; retry later or ask its operators")


__all__ = ["QueryRefused", "ServiceFailure", "ServiceTimeout", "failure"]
