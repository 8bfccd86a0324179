"""``esap workshop``: start a workshop hub, end it, print an nbgitpuller link.

``start`` writes the roster and the trainer's CSV, then runs the hub exactly
as ``esap hub`` does (checked config, free ports, JupyterHub in this process)
on the same esap.yaml with the workshop settings from the command line.

It lives with the hub, not in ``esap.workshop``: it composes a hub, as
``esap.hub.compose`` does, and the workshop's own parts (accounts, roster,
the ender service, links, its hub settings) never import the hub.

The config models, the hub's composition (JupyterHub), the workshop's hub
side and the roster (which computes a scrypt hash, 16 MiB, when imported)
are imported by the action that needs them, not with this module: ``esap
workshop link`` needs none of them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from esap.hub.command import dry_run, exec_hub, left_behind, port_problems
from esap.hub.state import HubState
from esap.workshop.link import check_repo, hub_link

if TYPE_CHECKING:
    from esap.config import EsapConfig
    from esap.workshop.roster import Roster

DEFAULT_CONFIG = "esap.yaml"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap workshop start|end|link``."""
    parser = subparsers.add_parser(
        "workshop",
        help="run a workshop: temporary accounts, course material in every home",
        description="Open a workshop hub with temporary accounts, end it, or print a link "
        "that pulls course material into every home.",
    )
    commands = parser.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)

    start = commands.add_parser("start", help="create the accounts and run the hub")
    start.add_argument("--users", type=int, required=True, help="participant accounts to create")
    start.add_argument("--hours", type=float, default=None, help="hours before the end (4)")
    start.add_argument("--material", help="git URL of the course material, pulled on login")
    start.add_argument("--branch", help="branch of the material (main)")
    start.add_argument("--config", help="the admin config (default: esap.yaml if present)")
    start.add_argument("--port", type=int, help="public port (overrides hub.port)")
    start.add_argument(
        "--password-mode",
        choices=["per-user", "shared"],
        help="a password per account (default), or one event password for all",
    )
    start.add_argument(
        "--csv",
        type=Path,
        help="where to write the accounts for the trainer "
        "(default: <hub.data_dir>/workshop/accounts.csv)",
    )
    start.set_defaults(func=run_start)

    end = commands.add_parser("end", help="remove the participants' accounts and servers now")
    end.add_argument("--config", help="the admin config (default: esap.yaml if present)")
    end.add_argument("--wait", type=float, default=120, help="seconds to wait for the hub (120)")
    end.set_defaults(func=run_end)

    link = commands.add_parser("link", help="print an nbgitpuller link for a course repository")
    link.add_argument("repo", help="git URL of the course repository")
    link.add_argument("--branch", help="branch to pull (the repository's default)")
    link.add_argument("--path", help="file or folder to open after the pull")
    link.add_argument("--hub", help="the hub's address (default: from esap.yaml)")
    link.add_argument("--config", help="the admin config (default: esap.yaml if present)")
    link.set_defaults(func=run_link)


def _load(path: str | None) -> tuple[EsapConfig, Path]:
    """The given config, else ./esap.yaml, else an empty (default) config here."""
    from esap.config import load
    from esap.config.loading import loads

    if path is None and not Path(DEFAULT_CONFIG).exists():
        return loads("", "<defaults>", base_dir=Path.cwd()), Path.cwd() / "<defaults>"
    file = Path(path or DEFAULT_CONFIG).resolve()
    return load(file), file


def _with_workshop(config: EsapConfig, args: argparse.Namespace) -> EsapConfig:
    """``config`` with the command line's workshop settings, validated again."""
    from esap.config.loading import loads

    data = config.model_dump(mode="json")
    updates: dict[str, Any] = {
        "users": args.users,
        "hours": args.hours,
        "material": args.material,
        "branch": args.branch,
        "password_mode": args.password_mode,
    }
    data["workshop"].update({key: value for key, value in updates.items() if value is not None})
    if args.port is not None:
        data["hub"]["port"] = args.port
    return loads(yaml.safe_dump(data), "<command line>")


def hub_url(config: EsapConfig) -> str:
    """The hub's public address as the trainer's browser reaches it on this machine."""
    host = config.hub.ip if config.hub.ip not in ("", "0.0.0.0") else "127.0.0.1"  # noqa: S104
    return f"http://{host}:{config.hub.port}"


def run_start(args: argparse.Namespace) -> int:
    """Create (or resume) the workshop, then ``exec`` the hub."""
    from esap.config import ConfigError
    from esap.workshop.hub import roster_file
    from esap.workshop.roster import create, write_accounts_csv

    try:
        base, _ = _load(args.config)
        config = _with_workshop(base, args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    workshop = config.workshop
    if workshop.users < 1:
        print("esap workshop start: --users must be at least 1", file=sys.stderr)
        return 1
    if workshop.material and (problem := check_repo(workshop.material)):
        print(f"--material: {problem}", file=sys.stderr)
        return 1
    state = HubState(config.hub.data_dir.resolve())
    state.prepare()
    roster = roster_file(state.root)
    csv_path = (args.csv or roster.directory / "accounts.csv").resolve()
    if roster.exists():
        current = roster.read()
        if current.is_over():
            print(
                f"esap workshop start: the workshop in {state.root} has ended; "
                f"start a new one with another hub.data_dir, or delete {roster.directory}",
                file=sys.stderr,
            )
            return 1
        print(f"Resuming the workshop in {state.root} (its accounts are unchanged).")
    else:
        if csv_path.exists():
            print(
                f"--csv: {csv_path} exists — choose another file; it is never overwritten",
                file=sys.stderr,
            )
            return 1
        current, accounts = create(
            workshop.users, workshop.hours, workshop.password_mode, workshop.trainer
        )
        roster.write(current)
        write_accounts_csv(csv_path, accounts, hub_url(config))
    effective = roster.directory / "esap.yaml"
    effective.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    try:
        dry_run(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    if config.hub.mode == "local" and not left_behind(config):  # a killed hub's leftovers
        return 1
    busy = port_problems(config)
    if busy:
        print("\n".join(busy), file=sys.stderr)
        return 1
    announce(config, current, csv_path)
    return exec_hub(config, effective)


def announce(config: EsapConfig, roster: Roster, csv_path: Path) -> None:
    """Tell the trainer where the hub is, where the accounts are and when it ends."""
    ends = time.strftime("%H:%M", time.localtime(roster.ends_at))
    lines = [
        f"{config.hub.title} workshop: starting on {hub_url(config)}/",
        f"  {len(roster.participants)} participant accounts "
        f"({roster.participants[0]} … {roster.participants[-1]}), "
        f"{roster.mode} passwords, and the trainer {roster.trainer} (admin)",
        f"  accounts and passwords: {csv_path} (only readable by you)",
        f"  ends at {ends}: accounts and servers are then removed "
        "(or earlier with `esap workshop end`)",
    ]
    if config.workshop.material:
        lines.append(f"  material pulled into every home on login: {config.workshop.material}")
    print("\n".join(lines), file=sys.stderr)


def _hub_running(state: HubState) -> bool:
    pid_file = state.root / "jupyterhub.pid"
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def run_end(args: argparse.Namespace) -> int:
    """Ask the hub to remove the participants now and wait until it has."""
    from esap.config import ConfigError
    from esap.workshop.hub import roster_file

    try:
        config, _ = _load(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    state = HubState(config.hub.data_dir.resolve())
    roster = roster_file(state.root)
    if not roster.exists():
        print(f"esap workshop end: no workshop in {state.root}", file=sys.stderr)
        return 1
    current = roster.request_end()
    if current.ended_at is None and not _hub_running(state):
        print(
            "The workshop is closed: no participant can log in. The hub is not running; "
            "their accounts are removed when it next starts."
        )
        return 0
    deadline = time.monotonic() + args.wait
    while current.ended_at is None and time.monotonic() < deadline:
        time.sleep(0.5)
        current = roster.read()
    if current.ended_at is None:
        print(
            f"esap workshop end: the hub has not removed the accounts within {args.wait:g}s; "
            "no participant can log in — check the hub's log for the workshop-ender service",
            file=sys.stderr,
        )
        return 1
    print(
        f"The workshop has ended: {len(current.removed)} participant accounts and their "
        f"servers removed; the trainer {current.trainer} remains. Homes stay in {state.homes}."
    )
    return 0


def run_link(args: argparse.Namespace) -> int:
    """Print the nbgitpuller link for ``repo``."""
    from esap.config import ConfigError

    problem = check_repo(args.repo)
    if problem:
        print(f"repo: {problem}", file=sys.stderr)
        return 1
    hub = args.hub
    if hub is None:
        try:
            config, _ = _load(args.config)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 1
        hub = hub_url(config)
    print(hub_link(hub, args.repo, args.branch, args.path))
    return 0
