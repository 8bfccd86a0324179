"""``esap probe --once``: one probe round from a terminal, as a table; non-zero when a check fails.

The round is the one the ``esap-probe`` hub service runs on its schedule
(the same plan, built from the same ``esap.yaml``), with the probe's token:
``probe.token`` of the config (resolved where the command runs), else
``$JUPYTERHUB_API_TOKEN`` (a token with the rights of
:func:`esap.probe.service.service_scopes`, e.g. an admin's).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from esap.core.hub_env import HUB_TOKEN_ENV

HELP = "run the hub's probe once: spawn, search, basket, publish, Dask; a report"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``esap probe``."""
    parser = subparsers.add_parser(
        "probe",
        help=HELP,
        description="Run one probe round against a running hub as its bot account and print "
        "each check (check, service, ok/FAIL, seconds, message). Exits 1 when a check failed.",
    )
    parser.add_argument("--once", action="store_true", help="run one round now and report it")
    parser.add_argument(
        "--config", default="esap.yaml", help="the hub's admin config (default: esap.yaml)"
    )
    parser.add_argument(
        "--hub-url",
        help="the hub's public address, e.g. https://hub.example.org "
        "(default: the local hub of the config, http://127.0.0.1:<hub.port>)",
    )
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"esap probe: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from esap.config import ConfigError, load
    from esap.probe.plan import Plan
    from esap.probe.report import render
    from esap.probe.results import CheckResult
    from esap.probe.runner import run_round
    from esap.probe.service import hub_url

    if not args.once:
        return _fail(
            "give --once to run one round now (the hub's esap-probe service runs rounds on "
            "a schedule when probe.enabled is true in esap.yaml)"
        )
    try:
        config = load(args.config, lenient_adapters=True)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return _fail(f"fix {args.config} (check it with `esap config check {args.config}`)")
    if args.hub_url is None and config.hub.mode != "local":
        return _fail("this hub runs on Kubernetes: give its address, --hub-url https://...")
    token = os.environ.get(HUB_TOKEN_ENV)
    if config.probe.token is not None:
        try:
            token = config.probe.token.resolve()
        except LookupError as exc:
            return _fail(f"probe.token: {exc} — set it where this command runs")
    if not token:
        return _fail(
            f"no token: set probe.token in {args.config} (the esap-probe service's token, "
            f"by reference) or export {HUB_TOKEN_ENV} with a hub token that may manage the bot "
            f"{config.probe.user!r} (admin:users, servers and tokens on that user)"
        )
    plan = Plan.from_config(config, args.hub_url or hub_url(config))

    def progress(result: CheckResult) -> None:
        if sys.stderr.isatty():
            state = "ok" if result.ok else "FAIL"
            print(f"  {result.check} {result.service}: {state}", file=sys.stderr)

    try:
        done = asyncio.run(run_round(plan, token, progress))
    except KeyboardInterrupt:
        return _fail("interrupted (the round's clean-up ran before it stopped)")
    print(render(done))
    return 0 if done.ok else 1


__all__ = ["HELP", "add_parser", "run"]
