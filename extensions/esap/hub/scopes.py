"""Rights every user holds, and that their server's token carries.

Several parts of the hub add to the same two JupyterHub settings: the Dask
Gateway (using the gateway, reading one's groups) and the fresh-tokens
endpoint (``custom:esap:tokens``). Each adds its scopes through
:func:`grant`, which keeps what is already there, so the order in which the
parts are configured does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: JupyterHub's ``server`` role: what a server's token has unless a list is configured.
SERVER_ROLE_SCOPES = ("users:activity!user", "access:servers!server")


def grant(c: Any, *, user: Iterable[str] = (), server: Iterable[str] = ()) -> None:
    """Add ``user`` to every user's scopes and ``server`` to their servers' tokens.

    ``c.JupyterHub.extra_user_scopes`` extends JupyterHub's ``user`` role;
    ``c.Spawner.server_token_scopes``, once set, replaces the ``server`` role,
    so a first list starts from that role's scopes.
    """
    scopes = c.JupyterHub.extra_user_scopes
    c.JupyterHub.extra_user_scopes = {*(scopes if isinstance(scopes, set) else ()), *user}
    tokens = c.Spawner.server_token_scopes
    existing = list(tokens) if isinstance(tokens, list) else list(SERVER_ROLE_SCOPES)
    c.Spawner.server_token_scopes = existing + [s for s in server if s not in existing]


__all__ = ["SERVER_ROLE_SCOPES", "grant"]
