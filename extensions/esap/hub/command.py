"""``esap hub``: check the config, check the ports, then run JupyterHub on it.

The hub runs in this process (``exec``), so signals from a terminal, ``make``
or a test harness reach JupyterHub directly and it cleans up its proxy and
user servers as it always does; whatever that clean-up misses, and whatever
a hub killed outright left, is found by its mark and stopped
(:mod:`esap.hub.leftovers`).

Only the standard library is imported with this module: ``esap workshop``
(``esap.hub.workshop_command``) imports it too (for ``link`` and ``end`` as
well as ``start``), and the config models and the hub's composition (which
brings JupyterHub) are imported when a hub is started.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from esap.config import EsapConfig


class _Scratch:
    """A throwaway traitlets-like config, to run ``configure`` as a dry run."""

    def __getattr__(self, name: str) -> _Scratch:
        value = _Scratch()
        object.__setattr__(self, name, value)
        return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap hub``."""
    parser = subparsers.add_parser(
        "hub",
        help="run JupyterHub from an esap.yaml",
        description="Check an esap.yaml and run the hub it describes.",
    )
    parser.add_argument(
        "--config", default="esap.yaml", help="the admin config file (default: esap.yaml)"
    )
    parser.add_argument("--port", type=int, help="public port (overrides hub.port)")
    parser.set_defaults(func=run)


def port_problems(config: EsapConfig) -> list[str]:
    """Return a message for each port of the hub that another program already holds."""
    hub = config.hub
    wanted = [
        (hub.ip, hub.port, "hub.port", "the public port"),
        ("127.0.0.1", hub.internal_port, "hub.internal_port", "the hub's internal API port"),
        ("127.0.0.1", hub.proxy_api_port, "hub.proxy_api_port", "the proxy's API port"),
    ]
    if config.dask.enabled:
        dask = config.dask
        wanted += [
            ("127.0.0.1", dask.proxy_port, "dask.proxy_port", "the Dask Gateway's proxy"),
            ("127.0.0.1", dask.scheduler_port, "dask.scheduler_port", "the schedulers' port"),
            ("127.0.0.1", dask.api_port, "dask.api_port", "the Dask Gateway's API"),
        ]
    messages = []
    for host, port, key, what in wanted:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # as the hub and its proxy bind: the connections of a hub that just stopped
            # (TIME_WAIT) do not hold the port, only a program listening on it does
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                fix = (
                    f"pick another port: `esap hub --port {port + 1}` "
                    f"(or `make run PORT={port + 1}`), or set {key} in esap.yaml"
                    if key == "hub.port"
                    else f"set {key} in esap.yaml to a free port"
                )
                messages.append(
                    f"{key}: {port}: {what} {host}:{port} is already in use "
                    f"(another hub, or another program) — stop that program, or {fix}"
                )
    return messages


def dry_run(config: EsapConfig) -> None:
    """Compose the hub on a throwaway config: ``ConfigError`` for what would stop it."""
    from esap.hub.compose import configure

    configure(_Scratch(), config)


def exec_hub(config: EsapConfig, config_path: Path) -> int:
    """Run JupyterHub on ``config_path`` in this process, from ``hub.data_dir`` (never returns)."""
    from esap.core.public_config import CONFIG_ENV
    from esap.hub.compose import PORT_ENV
    from esap.hub.leftovers import MARKER

    env = dict(os.environ)
    env[CONFIG_ENV] = str(config_path)
    env[PORT_ENV] = str(config.hub.port)
    env[MARKER] = str(config.hub.data_dir.resolve())  # the hub's mark, from its first instant
    hub_config = str(files("esap.hub") / "jupyterhub_config.py")
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(config.hub.data_dir)
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", hub_config], env)  # noqa: S606
    return 0  # pragma: no cover - exec does not return


def run(args: argparse.Namespace) -> int:
    """Validate everything that can be validated, then ``exec`` JupyterHub."""
    from esap.config import ConfigError, load
    from esap.hub.compose import with_port

    config_path = Path(args.config).resolve()
    try:
        config = load(config_path, lenient_adapters=True)
        if args.port is not None:
            config = with_port(config, args.port)
        dry_run(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        print(
            f"esap hub: not starting; fix {args.config} (check it with `esap config check`)",
            file=sys.stderr,
        )
        return 1
    if config.hub.mode == "local" and not left_behind(config):
        return 1
    busy = port_problems(config)
    if busy:
        for message in busy:
            print(message, file=sys.stderr)
        return 1
    announce(config)
    return exec_hub(config, config_path)


def left_behind(config: EsapConfig) -> bool:
    """Stop what a killed hub left on this data directory; ``False`` if a hub still runs there.

    The servers the last hub's database knows keep running: the new hub
    adopts them. See :mod:`esap.hub.leftovers`.
    """
    from esap.hub import leftovers
    from esap.hub.state import HubState

    state = HubState(config.hub.data_dir.resolve())
    running = leftovers.running_hub(state)
    if running is not None:
        print(
            f"hub.data_dir: {state.root}: a hub (process {running}) already runs on it — "
            f"stop that hub first (Ctrl-C where it runs, or `kill {running}`), or give this "
            "one another hub.data_dir",
            file=sys.stderr,
        )
        return False
    stopped = leftovers.clean(state)
    if stopped:
        print(
            "esap hub: stopped what the last hub on this data directory left running "
            "(it was killed): " + "; ".join(stopped),
            file=sys.stderr,
        )
    return True


def announce(config: EsapConfig) -> None:
    """Tell the person at the terminal where the hub is and how to log in."""
    from esap.hub.auth import user_password
    from esap.hub.state import HubState

    hub = config.hub
    state = HubState(hub.data_dir)
    host = "127.0.0.1" if hub.ip in ("", "0.0.0.0") else hub.ip  # noqa: S104
    lines = [f"{hub.title}: starting on http://{host}:{hub.port}/"]
    if config.auth.type == "shared-password":
        password, generated = user_password(config, state)
        if not generated:
            lines.append(
                f"  log in with any user name and the password from {config.auth.password}"
            )
        elif sys.stderr.isatty():
            lines.append(f"  log in with any user name and the password: {password}")
            lines.append(f"  (kept in {state.password_file})")
        else:
            lines.append(f"  log in with any user name and the password in {state.password_file}")
        if hub.admin_users:
            lines.append(f"  admins ({', '.join(hub.admin_users)}) log in with auth.admin_password")
    lines.append("  stop with Ctrl-C")
    print("\n".join(lines), file=sys.stderr)
