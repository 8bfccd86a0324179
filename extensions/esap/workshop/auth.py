"""Log in with a workshop account: a name and password from the roster, until the end.

Written here because none of the well-kept authenticators fits a time-boxed
event with accounts handed out on paper. JupyterHub's own
``SharedPasswordAuthenticator`` has one password and no per-user table;
``jupyterhub-nativeauthenticator`` keeps per-user bcrypt hashes but is built
around self sign-up and admin approval, with no way to load a prepared list of
accounts; ``jupyterhub-firstuseauthenticator`` lets whoever comes first set
the password; ``jupyterhub-tmpauthenticator`` hands out anonymous accounts
without any password. None of them closes the door when the event ends.
This one checks a name against the roster's scrypt hash in constant time and
refuses participants once the event is over (so a removed account cannot
log in again and be re-created).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from esap.workshop.roster import Roster, RosterFile, check_password


class WorkshopAuthenticator(Authenticator):  # type: ignore[misc]
    """Names and passwords from a workshop roster; participants only while it runs."""

    roster_dir = Unicode(
        help="Folder holding the workshop's roster.json (written by `esap workshop start`)."
    ).tag(config=True)

    _cache: tuple[float, Roster] | None = None

    def roster(self) -> Roster:
        """The roster, read again whenever the file changes (the end is marked in it)."""
        roster_file = RosterFile(self._directory())
        mtime = roster_file.path.stat().st_mtime
        if self._cache is None or self._cache[0] != mtime:
            self._cache = (mtime, roster_file.read())
        return self._cache[1]

    def _directory(self) -> Path:
        return Path(self.roster_dir)

    async def authenticate(self, handler: Any, data: dict[str, str]) -> str | None:
        """The user's name when the password matches the roster, else ``None``."""
        name = str(self.normalize_username(data.get("username", "")))
        password = data.get("password", "")
        roster = self.roster()
        # scrypt takes tens of milliseconds: off the hub's event loop
        matches = await asyncio.to_thread(check_password, password, roster.hash_for(name))
        if not matches:
            self.log.warning("Workshop login refused for %r: wrong name or password", name)
            return None
        if not roster.may_log_in(name):
            self.log.warning("Workshop login refused for %r: the workshop has ended", name)
            return None
        return name

    def check_allowed(self, username: str, authentication: Any = None) -> bool:
        """Only the roster's names, and participants only until the end."""
        return self.roster().may_log_in(username)

    def is_admin(self, handler: Any, authentication: dict[str, Any]) -> bool:
        """The trainer (and the hub's admin_users) are admins."""
        name = authentication["name"]
        return bool(name == self.roster().trainer or name in self.admin_users)
