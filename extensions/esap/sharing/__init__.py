"""Sharing a running lab: JupyterHub's shares and share codes, read-only or full, for a time.

- :mod:`esap.sharing.scopes`: what a share grants (JupyterHub's access scope
  and ESAP's ``custom:esap-lab:read`` / ``custom:esap-lab:full``);
- :mod:`esap.sharing.lab`: the lab's own server sharing itself through the
  hub's REST API (the REST face ``shares`` and the Shared view use it);
- :mod:`esap.sharing.expiry`: when a share ends, the records the hub's
  ``esap-sharing`` service keeps and the rule it revokes by.
"""

from __future__ import annotations

from esap.sharing.scopes import FULL_SCOPE, READ_SCOPE, Access, access_of, share_scopes

__all__ = ["FULL_SCOPE", "READ_SCOPE", "Access", "access_of", "share_scopes"]
