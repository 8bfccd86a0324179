"""A share with a group reaches its members' tokens (JupyterHub 6.1 leaves them out).

JupyterHub works out what a request may do from its token:
``jupyterhub.scopes.get_scopes_for(token)`` is the token's scopes within
its owner's. For a *user* it adds the shares granted to the user and to
each of the user's groups; for a *token* it adds only the shares granted
to the user directly. Every request carries a token (an API token, or the
OAuth token a browser holds for a server), so a server shared with a group
was listed as shared with its members (``GET /hub/api/users/<name>/shared``)
but let none of them in.

:func:`install` wraps ``get_scopes_for`` in the hub's process so that a
token gets its owner's group shares the way the user does, still within
what the token itself was granted (an OAuth token for one server, a
server's own token). It uses JupyterHub's own helpers and changes nothing
else; when JupyterHub computes this itself, the union adds nothing. It is
installed when ``sharing.enabled`` (:mod:`esap.hub.sharing`); if a future
JupyterHub no longer has the helpers it needs, it logs that group shares
may not let members in, and leaves JupyterHub as it is.
"""

from __future__ import annotations

import logging
from typing import Any

LOG = logging.getLogger("esap.hub")

#: The helpers of ``jupyterhub.scopes`` the wrapper uses.
_HELPERS = ("expand_scopes", "access_scopes", "reduce_scopes", "_intersect_expanded_scopes")
_MARK = "_esap_group_shares"


def install() -> bool:
    """Wrap ``jupyterhub.scopes.get_scopes_for`` once; ``False`` if JupyterHub lacks a helper."""
    import sqlalchemy
    from jupyterhub import orm
    from jupyterhub import scopes as hub_scopes

    original = hub_scopes.get_scopes_for
    if getattr(original, _MARK, False):
        return True
    if not all(hasattr(hub_scopes, name) for name in _HELPERS):
        LOG.warning(
            "this JupyterHub's scopes module changed: shares with groups may not let "
            "their members in (share with users instead)"
        )
        return False

    def get_scopes_for(orm_object: Any) -> Any:
        found = original(orm_object)
        if not isinstance(orm_object, orm.APIToken) or orm_object.user is None:
            return found
        owner = orm_object.user
        shared: set[str] = set()
        for group in owner.groups:
            for share in group.shared_with_me:
                shared |= set(share.scopes)
        if not shared:
            return found
        granted = set(orm_object.scopes)
        if "inherit" in granted:
            return set(found) | shared
        token_scopes = set(
            hub_scopes.expand_scopes(granted, owner=owner, oauth_client=orm_object.oauth_client)
        )
        if orm_object.client_id != "jupyterhub":
            token_scopes.update(hub_scopes.access_scopes(orm_object.oauth_client))
        token_scopes = hub_scopes.reduce_scopes(token_scopes)
        within = hub_scopes._intersect_expanded_scopes(
            token_scopes, shared, db=sqlalchemy.inspect(orm_object).session
        )
        return set(found) | set(within)

    setattr(get_scopes_for, _MARK, True)
    hub_scopes.get_scopes_for = get_scopes_for
    return True


__all__ = ["install"]
