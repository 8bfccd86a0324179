"""What a share of a running lab grants, in JupyterHub's scopes.

JupyterHub's sharing grants scopes on one server (``…!server=<owner>/<name>``).
Its own ``access:servers`` lets a visitor in, and then the lab lets them do
everything its owner can; ``access:servers`` has no read-only form. JupyterHub
leaves the finer grain to the single-user server: custom scopes, shared
like any other, and a jupyter-server ``Authorizer`` that reads them (the
pattern of JupyterHub's ``examples/read-only``). ESAP defines two:

- ``custom:esap-lab:read``: open files, folders and notebooks (with their
  saved outputs), list kernels; no saving, no running code, no terminal;
- ``custom:esap-lab:full``: everything the owner can, code included.

A share is ``access:servers`` plus one of them; ``esap.server.lab_access``
is the authorizer that enforces them, and treats a visitor who holds only
``access:servers`` (a share made through JupyterHub's API without ESAP's
scope) as read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

READ_SCOPE = "custom:esap-lab:read"
FULL_SCOPE = "custom:esap-lab:full"

#: ``c.JupyterHub.custom_scopes`` entries (full includes read).
CUSTOM_SCOPES: dict[str, dict[str, object]] = {
    READ_SCOPE: {
        "description": "Look at a shared lab: open its files and notebooks; no saving, no code.",
    },
    FULL_SCOPE: {
        "description": "Work in a shared lab as its owner does: edit, save and run code.",
        "subscopes": [READ_SCOPE],
    },
}

Access = Literal["read", "full"]
ACCESS: tuple[Access, ...] = ("read", "full")


def server_filter(owner: str, server: str) -> str:
    """JupyterHub's filter for one server: ``server=<owner>/<name>``."""
    return f"server={owner}/{server}"


def share_scopes(owner: str, server: str, access: Access) -> list[str]:
    """The scopes of a share of ``owner``'s server ``server`` with ``access``."""
    where = server_filter(owner, server)
    lab = FULL_SCOPE if access == "full" else READ_SCOPE
    return [f"access:servers!{where}", f"{lab}!{where}"]


def access_of(scopes: Iterable[str]) -> Access:
    """What a share's scopes let its holder do in ESAP's labs (no ESAP scope: read-only)."""
    bases = {scope.partition("!")[0] for scope in scopes}
    return "full" if FULL_SCOPE in bases else "read"


__all__ = [
    "ACCESS",
    "CUSTOM_SCOPES",
    "FULL_SCOPE",
    "READ_SCOPE",
    "Access",
    "access_of",
    "server_filter",
    "share_scopes",
]
