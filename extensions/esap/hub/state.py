"""The hub's data directory: database, cookie secret, generated passwords, homes.

Everything the local hub writes lives below ``hub.data_dir`` so that a second
``make run`` finds it again and a ``rm -rf`` of one folder resets the hub.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HubState:
    """Paths below the hub's data directory."""

    root: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_file}"

    @property
    def hub_pid_file(self) -> Path:
        """Where JupyterHub writes its process id (``JupyterHub.pid_file``)."""
        return self.root / "jupyterhub.pid"

    @property
    def proxy_pid_file(self) -> Path:
        """Where JupyterHub writes its proxy's process id, to stop a stale one on its next start."""
        return self.root / "jupyterhub-proxy.pid"

    @property
    def database_file(self) -> Path:
        """The hub's SQLite database (users, tokens, and each running server's process id)."""
        return self.root / "jupyterhub.sqlite"

    @property
    def cookie_secret_file(self) -> Path:
        return self.root / "jupyterhub_cookie_secret"

    @property
    def homes(self) -> Path:
        return self.root / "homes"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def password_file(self) -> Path:
        return self.secrets_dir / "user-password"

    @property
    def auth_state_key_file(self) -> Path:
        return self.secrets_dir / "auth-state-key"

    def prepare(self) -> None:
        """Create the folders with owner-only permissions where secrets go."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.homes.mkdir(exist_ok=True)
        self.secrets_dir.mkdir(mode=0o700, exist_ok=True)
        self.secrets_dir.chmod(0o700)

    def generated_password(self) -> str:
        """Return the local hub's user password, generating it once.

        Kept in ``secrets/user-password`` (mode 0600) so that a restarted hub
        keeps the password its users were told.
        """
        self.prepare()
        path = self.password_file
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(12)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        return password

    def generated_auth_state_key(self) -> str:
        """Return the hex key that encrypts users' tokens, generating it once (mode 0600).

        Kept so that a restarted hub can still read the tokens it stored.
        """
        self.prepare()
        path = self.auth_state_key_file
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key
