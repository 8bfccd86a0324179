"""The hub service that ends a workshop: at ``ends_at`` (or when asked), every
participant's server is stopped and their account deleted.

It runs as a managed JupyterHub service (``python -m esap.workshop.ender``),
with its token and the hub's API address in ``JUPYTERHUB_API_TOKEN`` and
``JUPYTERHUB_API_URL``, and watches the roster file: ``esap workshop end``
only writes the request there, so the trainer needs no API token. After the
end it keeps watching, and removes a participant account that reappears.
The trainer's account stays, and so do the homes (the trainer decides when
to delete ``hub.data_dir``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV
from esap.workshop.roster import RosterFile

#: Scopes the service's role needs: find, stop and delete the participants.
ENDER_SCOPES = ["list:users", "read:users", "admin:users", "admin:servers"]
SERVICE_NAME = "workshop-ender"

log = logging.getLogger("esap.workshop.ender")


def existing_participants(api: httpx.Client, participants: Sequence[str]) -> list[str]:
    """The participants the hub still has an account for."""
    wanted = set(participants)
    users = api.get("users").raise_for_status().json()
    return [user["name"] for user in users if user["name"] in wanted]


def remove_participants(api: httpx.Client, participants: Sequence[str]) -> list[str]:
    """Delete each participant that exists (the hub stops a running server first)."""
    removed = []
    for name in existing_participants(api, participants):
        response = api.delete(f"users/{name}")
        if response.status_code == 400 and "stopping" in response.text:
            # a server still stopping: the next round deletes the account
            continue
        if response.status_code not in (204, 404):
            log.warning("could not remove %s: %s %s", name, response.status_code, response.text)
            continue
        removed.append(name)
        log.info("removed workshop account %s", name)
    return removed


def run(roster_dir: Path, every: float) -> None:
    """Wait for the end, then remove the participants; keep them removed."""
    roster_file = RosterFile(roster_dir)
    api = httpx.Client(
        base_url=os.environ[HUB_API_URL_ENV].rstrip("/") + "/",
        headers={"Authorization": f"token {os.environ[HUB_TOKEN_ENV]}"},
        timeout=60,
    )
    while True:
        roster = roster_file.read()
        if roster.is_over():
            try:
                removed = remove_participants(api, roster.participants)
                remaining = existing_participants(api, roster.participants)
            except httpx.HTTPError as exc:
                log.warning("the hub API did not answer (%s); retrying", exc)
            else:
                if not remaining and (removed or roster.ended_at is None):
                    roster_file.mark_ended(removed)
        time.sleep(every)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m esap.workshop.ender --roster-dir DIR``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roster-dir", required=True, type=Path)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between checks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")
    run(args.roster_dir, args.every)
    return 0


if __name__ == "__main__":  # pragma: no cover - run by the hub as a service
    sys.exit(main())
