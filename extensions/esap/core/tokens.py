"""Users' own tokens (a Zenodo personal token, a Zooniverse bearer token), owner-only.

A token is entered once (a dialog, ``esap publish token``, ``PUT
data/services/<name>/token``) and from then on only read by the adapter that
sends it. It is never returned by the REST API (which only says whether one
is stored), never put in a log line or an error message, and the file is
created with mode 0600 in a 0700 folder before a byte is written, so there
is no moment when another user could read it. The archives' tokens and the
data services' tokens are two files kept by this one store.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from esap.core.errors import FieldError

#: The archives' tokens (``esap.publish``); the data services' have a file of their own.
FILE_NAME = "archive-tokens.json"


class TokenStore:
    """``{name: token}`` in ``<state dir>/<file_name>`` (mode 0600), by archive or service name.

    ``file_name`` keeps another set of users' own tokens in a file of its own
    (the data services' tokens, ``esap.data.zooniverse``), with the same care.
    """

    def __init__(self, state_dir: Path, file_name: str = FILE_NAME) -> None:
        self.state_dir = state_dir
        self.path = state_dir / file_name

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, tokens: dict[str, str]) -> None:
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(tokens, handle)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(self.path)
        self.path.chmod(0o600)

    def get(self, archive: str) -> str | None:
        """The stored token for ``archive``, or ``None``."""
        return self._read().get(archive)

    def has(self, archive: str) -> bool:
        return archive in self._read()

    def archives(self) -> list[str]:
        """Names of the archives that have a stored token (never the tokens)."""
        return sorted(self._read())

    def set(self, archive: str, token: str) -> None:
        """Store (or replace) the token for ``archive``; ``FieldError`` if it cannot be one."""
        token = token.strip()
        if not token:
            raise FieldError(
                "token", "empty", "paste the personal access token the service gave you"
            )
        if any(ch.isspace() for ch in token):
            raise FieldError("token", "contains spaces or line breaks", "paste the token alone")
        tokens = self._read()
        tokens[archive] = token
        self._write(tokens)

    def delete(self, archive: str) -> bool:
        """Forget the token for ``archive``; ``False`` if there was none."""
        tokens = self._read()
        if archive not in tokens:
            return False
        del tokens[archive]
        self._write(tokens)
        return True


__all__ = ["FILE_NAME", "TokenStore"]
