"""The images' locks are the environment the tests run in.

``make test`` installs ``images/singleuser/requirements.txt`` (and installs
the package with it as constraints), so every package the lock pins must be
installed here at exactly the pinned version, and every dependency of
``esap-hub``, with every extra (``all``), must be in the lock. The
Dockerfiles install nothing else.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "images"
FIX = "run `make test` (it installs the lock), or regenerate the lock with images/lock.sh"


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(3)
    return found


def with_extras(project: dict[str, Any], extras: set[str]) -> list[Requirement]:
    """The package's own dependencies and those of ``extras``, self-references followed."""
    found = [Requirement(text) for text in project["dependencies"]]
    seen: set[str] = set()
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == canonicalize_name(project["name"]):
                todo.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def test_the_all_extra_is_every_extra_but_the_tests_the_docs_and_the_benchmark_peers() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # `bench` holds what benchmarks compare against (astroquery), never what esap runs
    extras = set(project["optional-dependencies"]) - {"all", "test", "docs", "bench"}
    everything = {str(req) for req in with_extras(project, {"all"})}
    assert everything == {str(req) for req in with_extras(project, extras)}


@pytest.mark.parametrize("image", ["hub", "singleuser"])
def test_lock_pins_every_dependency_of_the_package(image: str) -> None:
    locked = pins(IMAGES / image / "requirements.txt")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = with_extras(project, {"all"})
    # an extra of a dependency (dask-gateway-server[kubernetes]) is locked by name
    missing = [str(req) for req in wanted if canonicalize_name(req.name) not in locked]
    assert not missing, f"not in images/{image}/requirements.txt: {missing} — {FIX}"
    off = [
        f"{req.name}=={locked[canonicalize_name(req.name)]} does not satisfy {req}"
        for req in wanted
        if not req.specifier.contains(locked[canonicalize_name(req.name)], prereleases=True)
    ]
    assert not off, f"{off} — {FIX}"


def test_test_environment_is_the_singleuser_lock() -> None:
    locked = pins(IMAGES / "singleuser" / "requirements.txt")
    assert len(locked) > 50  # a real lock, not an empty file
    wrong = []
    for name, version in sorted(locked.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} (locked {version}) is not installed")
            continue
        if installed != version:
            wrong.append(f"{name} is {installed}, the lock says {version}")
    assert not wrong, "; ".join(wrong) + f" — {FIX}"


@pytest.mark.parametrize("image", ["hub", "singleuser"])
def test_dockerfile_installs_only_its_lock_and_the_wheel(image: str) -> None:
    dockerfile = (IMAGES / image / "Dockerfile").read_text()
    assert f"COPY images/{image}/requirements.txt /tmp/requirements.txt" in dockerfile
    installs = re.findall(r"pip install ([^\n\\&]+)", dockerfile.split("\nFROM python")[1])
    assert installs == ["--no-deps -r /tmp/requirements.txt ", "--no-deps /tmp/dist/*.whl "]
    assert "pip check" in dockerfile
