"""The ``esap`` command imports only the sub-command it runs.

``esap publish`` streams gigabytes in constant memory; it must not start
with JupyterHub, astropy, pyvo or Dask in memory because another sub-command
needs them. Each check runs ``esap`` in a fresh interpreter and reads what it
imported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path

from esap.cli import COMMANDS, build_parser

#: Top-level packages that no ``esap publish`` run needs.
NOT_FOR_PUBLISH = (
    "jupyterhub",
    "jupyter_server",
    "tornado",
    "sqlalchemy",
    "alembic",
    "astropy",
    "pyvo",
    "numpy",
    "dask",
    "distributed",
    "dask_gateway",
    "kubernetes_asyncio",
    "kubespawner",
    "papermill",
)
# pydantic is not in the list: an archive adapter validates its own options
# (esap.config.options) with a pydantic model when it is built.

PROBE = """
import json, sys
import esap.cli
code = esap.cli.main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def run_esap(args: list[str], home: Path) -> tuple[int, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAP_")}
    env["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.stdout, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    return int(answer["code"]), set(answer["modules"])


def test_every_sub_command_is_listed_with_the_help_its_module_registers() -> None:
    full = build_parser(COMMANDS)
    listed = build_parser()
    for parser in (full, listed):
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        assert list(helps) == list(COMMANDS)
        assert helps == {name: help_text for name, (_, help_text) in COMMANDS.items()}
    for name, (module, _) in COMMANDS.items():
        # the module registers exactly the sub-command the table names
        parser = argparse.ArgumentParser()
        import_module(module).add_parser(parser.add_subparsers(dest="command"))
        assert list(parser._subparsers._group_actions[0].choices) == [name]  # type: ignore[union-attr]


def test_publish_imports_neither_the_hub_nor_the_data_stack(tmp_path: Path) -> None:
    (tmp_path / "result.txt").write_text("42\n")
    code, modules = run_esap(
        [
            "publish",
            "create",
            "result.txt",
            "--title",
            "A result",
            "--creator",
            "Doe, Jane",
            "--description",
            "The answer.",
        ],
        tmp_path,
    )
    assert code == 0
    assert "esap.publish.local" in modules  # it did publish (to the local archive)
    loaded = {name.split(".")[0] for name in modules}
    assert sorted(loaded & set(NOT_FOR_PUBLISH)) == []
    assert sorted(m for m in modules if m.endswith(".command")) == ["esap.publish.command"]


def test_help_lists_every_sub_command_and_imports_none(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAP_")}
    done = subprocess.run(
        [sys.executable, "-m", "esap", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for name in COMMANDS:
        # a name longer than argparse's column has its help on the next line
        assert re.search(rf"\n    {name}\s", done.stdout), name
    code, modules = run_esap([], tmp_path)
    assert code == 2  # no sub-command: the usage, on standard error
    assert sorted(m for m in modules if m.endswith(".command")) == []


def test_building_every_parser_imports_no_hub() -> None:
    """The hub, helm and workshop modules import JupyterHub and the roster only to run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAP_")}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, esap.cli\n"
            "esap.cli.build_parser(esap.cli.COMMANDS)\n"
            "print(json.dumps(sorted(sys.modules)))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    modules = set(json.loads(done.stdout))
    assert {module for module, _ in COMMANDS.values()} <= modules
    assert sorted(m for m in modules if m.split(".")[0] in ("jupyterhub", "kubespawner")) == []
    assert "esap.hub.compose" not in modules
    assert "esap.workshop.roster" not in modules
