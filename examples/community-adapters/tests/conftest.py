"""Fixtures of the example's tests: the archive its data service talks to.

A community's package would start (or point at) a test instance of its own
archive here. In ESAP Hub's repository the example uses the hub's own test
archive, GAVO DaCHS publishing ``tests/data/dachs`` (``dachs`` fixture).
"""

from __future__ import annotations

pytest_plugins = ["harness.dachs"]
