"""The user's state folder: ``~/.esap`` (or ``$ESAP_STATE_DIR``), created owner-only.

Everything ESAP keeps for a user lives here (the basket, data jobs and
history, results, launches, headless runs, the publication journal, tokens),
so it moves with the home (a respawn, another node, the Kubernetes home
volume) and survives restarts. Tokens are among it, so the folder is made
0700 the moment it is made: there is no moment when another user could list
or read it. Every store asks this one function for it.
"""

from __future__ import annotations

import os
from pathlib import Path

from esap.core.paths import STATE_DIR_NAME

#: Points the state elsewhere: a benchmark, a throw-away session, a headless run of a lab.
STATE_ENV = "ESAP_STATE_DIR"


def state_dir(home: Path | None = None) -> Path:
    """The user's state folder, created owner-only (0700) when missing.

    With ``home`` it is ``<home>/.esap`` (a publisher over a home given to
    it); without, ``$ESAP_STATE_DIR`` if set, else ``~/.esap``.
    """
    if home is not None:
        path = home / STATE_DIR_NAME
    else:
        configured = os.environ.get(STATE_ENV)
        path = Path(configured) if configured else Path.home() / STATE_DIR_NAME
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


__all__ = ["STATE_ENV", "state_dir"]
