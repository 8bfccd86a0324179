"""The errors of :mod:`esap.bulk`, each with a message that says what to do."""

from __future__ import annotations


class BulkError(Exception):
    """Base of the errors of :mod:`esap.bulk`."""


class NoGateway(BulkError):
    """This server was not told of any Dask Gateway."""


class GatewayUnreachable(BulkError):
    """The gateway was configured but did not answer."""


class LimitError(BulkError):
    """The request exceeds a limit the hub admin set (``dask.limits`` / ``dask.group_limits``)."""
