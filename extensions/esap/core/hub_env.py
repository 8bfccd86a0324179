"""The two variables JupyterHub gives every process it starts: its API's address and a token.

A user's server, a hub service and a command an admin runs by hand all find
the hub the same way, so the names are declared once here rather than typed
in each module that talks to the hub.
"""

from __future__ import annotations

#: The hub's REST API (``http://…/hub/api``), set by the hub for servers and services.
HUB_API_URL_ENV = "JUPYTERHUB_API_URL"
#: The token of the server, service or admin talking to the hub.
HUB_TOKEN_ENV = "JUPYTERHUB_API_TOKEN"  # noqa: S105 - a variable name
