"""Hub settings of a workshop: roster login, the trainer as admin, the material as
every server's landing page, and the service that ends the event.

Called from ``esap.hub.configure`` after the auth, spawner and services are
set, so a workshop is an ordinary ESAP hub with these few settings replaced.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from esap.config import ConfigError, EsapConfig, Problem
from esap.workshop.auth import WorkshopAuthenticator
from esap.workshop.ender import ENDER_SCOPES, SERVICE_NAME
from esap.workshop.link import check_repo, pull_path
from esap.workshop.roster import RosterFile


def roster_file(data_dir: Path) -> RosterFile:
    """Where a hub's workshop roster lives: ``<hub.data_dir>/workshop/``."""
    return RosterFile(data_dir / "workshop")


def is_workshop(config: EsapConfig, data_dir: Path) -> bool:
    """A hub is a workshop when ``workshop.users`` is set or a roster exists in ``data_dir``."""
    return config.workshop.users > 0 or roster_file(data_dir).exists()


def configure_workshop(c: Any, config: EsapConfig, data_dir: Path) -> None:
    """Replace login, landing page and services for a workshop; nothing otherwise.

    The roster must exist (``esap workshop start`` writes it and hands the
    passwords to the trainer); a hub started on a workshop config without one
    stops with the command to run.
    """
    if not is_workshop(config, data_dir):
        return
    workshop = config.workshop
    roster = roster_file(data_dir)
    if not roster.exists():
        raise ConfigError(
            [
                Problem(
                    "workshop.users",
                    str(workshop.users),
                    "no workshop accounts exist yet in hub.data_dir",
                    "start the workshop with `esap workshop start --config <esap.yaml>`, "
                    "which creates them and writes the trainer's CSV",
                )
            ]
        )
    trainer = roster.read().trainer
    c.JupyterHub.authenticator_class = WorkshopAuthenticator
    c.WorkshopAuthenticator.roster_dir = str(roster.directory)
    c.WorkshopAuthenticator.admin_users = {trainer, *config.hub.admin_users}
    if workshop.material:
        problem = check_repo(workshop.material)
        if problem:
            raise ConfigError(
                [Problem("workshop.material", repr(workshop.material), problem, "fix the URL")]
            )
        # nbgitpuller on the user server pulls the material on every start
        # (a clone the first time, a merge that keeps the user's edits later)
        c.Spawner.default_url = "/" + pull_path(
            workshop.material, workshop.branch, target=workshop.target
        )
    services = _as_list(c.JupyterHub.services)
    roles = _as_list(c.JupyterHub.load_roles)
    services.append(
        {
            "name": SERVICE_NAME,
            "command": [
                sys.executable,
                "-m",
                "esap.workshop.ender",
                f"--roster-dir={roster.directory}",
            ],
        }
    )
    roles.append({"name": SERVICE_NAME, "scopes": ENDER_SCOPES, "services": [SERVICE_NAME]})
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def _as_list(value: Any) -> list[Any]:
    """A traitlets config value set earlier, or an empty list (unset, or a dry run)."""
    return list(value) if isinstance(value, list) else []
