"""Every capability is reached the same two ways from a notebook.

``import esap`` then ``esap.<capability>``, and ``from esap import
<capability>``, give the same module, in a fresh interpreter (as a kernel
is), and a bare ``import esap`` loads none of them until one is used.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import esap

SCRIPT = """
import json, sys
import esap
light = [name for name in esap.CAPABILITIES if f"esap.{name}" in sys.modules]
reached = {}
for name in esap.CAPABILITIES:
    by_attribute = getattr(esap, name)
    namespace = {}
    exec(f"from esap import {name} as found", namespace)
    reached[name] = [by_attribute.__name__, by_attribute is namespace["found"]]
print(json.dumps({"light": light, "reached": reached}))
"""


def test_every_capability_is_reached_as_an_attribute_and_by_from_import() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["light"] == []  # import esap alone imports no capability
    assert answer["reached"] == {name: [f"esap.{name}", True] for name in esap.CAPABILITIES}
    assert set(esap.CAPABILITIES) >= {"data", "basket", "software", "publish", "bulk", "samp"}


def test_a_name_that_is_no_capability_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="nothing_here"):
        esap.nothing_here  # noqa: B018 - the attribute access is the test
