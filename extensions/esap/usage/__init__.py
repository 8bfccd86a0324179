"""What a user uses: their home against its quota, their servers, Dask clusters and jobs.

The "My usage" view of the lab (``GET usage`` of the REST API) asks
:func:`my_usage` in the user's own server, which knows the home (it walks
it, :mod:`esap.core.home`), the jobs (the one job store), and asks the hub
(the user's servers and groups, with the server's own token) and the Dask
Gateway (the user's clusters and what each holds) for the rest. An admin's
view of every user (``esap usage``, the hub page ``/hub/esap-usage``,
:mod:`esap.hub.usage`) gathers these answers from the running servers.
"""

from __future__ import annotations

from esap.usage.report import my_usage

__all__ = ["my_usage"]
