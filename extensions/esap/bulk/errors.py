"""The errors of :mod:`esap.bulk`, each with a message that says what to do."""

from __future__ import annotations

from esap.core.errors import EsapError, Unavailable


class BulkError(EsapError):
    """Base of the errors of :mod:`esap.bulk`."""

    code = "bulk_error"


class NoGateway(BulkError, Unavailable):
    """This server was not told of any Dask Gateway."""

    code = "no_gateway"


class GatewayUnreachable(BulkError, Unavailable):
    """The gateway was configured but did not answer."""

    code = "gateway_unreachable"


class LimitError(BulkError):
    """The request exceeds a limit the hub admin set (``dask.limits`` / ``dask.group_limits``)."""

    code = "over_limit"
