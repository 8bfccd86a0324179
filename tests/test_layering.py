"""ESAP's layers hold: config <- core <- capabilities <- faces, and nothing runs the other way.

``lint-imports`` (import-linter) checks every import of the package, those
inside functions included, against the contracts in ``pyproject.toml``: a
capability importing a face (REST, the CLI), core importing a capability, or
one capability importing another outside the compositions listed there fails
here, with the chain of imports that does it. Import-linter sees modules,
not names, so a second check finds a private name (``_x``) imported across
packages.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "extensions" / "esap"

#: The contracts of pyproject.toml, by name: each must be checked and kept.
CONTRACTS = (
    "config <- core <- capabilities <- faces",
    "capabilities do not import each other, but for the compositions listed",
)

#: ``lint-imports``, run by the interpreter of the tests (its script need not be on PATH).
LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())"
)


def test_every_import_follows_the_layers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for name in CONTRACTS:
        assert f"{name} KEPT" in output, output


def test_every_package_has_its_layer() -> None:
    """A new package or module of ``esap`` is placed in a layer, or nothing checks its imports."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [
        contract["layers"]
        for contract in settings["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    ]
    placed = {name for layer in layers for name in re.split(r"\s*[|:]\s*", layer.strip())}
    present = {
        f"esap.{child.name.removesuffix('.py')}"
        for child in PACKAGE.iterdir()
        if (child.suffix == ".py" and child.name != "__init__.py")
        or (child / "__init__.py").is_file()
    }
    # the version file is written by the build and imports nothing
    assert sorted(present - placed - {"esap._version"}) == []
    assert sorted(placed - present) == []


def _package_of(path: Path) -> str:
    """``data`` for esap/data/catalog.py, ``cli`` for esap/cli.py."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0].removesuffix(".py")


def test_no_package_imports_a_private_name_of_another() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _package_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            parts = node.module.split(".")
            if parts[0] != "esap" or len(parts) < 2 or parts[1] == importer:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(f"{where}: {alias.name} from {node.module}")
    assert found == [], "\n".join(found)
