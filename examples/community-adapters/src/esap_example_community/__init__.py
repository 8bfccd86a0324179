"""A community's own ESAP Hub adapters: an example package, one adapter of each kind.

* ``community-collection`` (:mod:`.collection`): the community's view of an
  archive, one ObsCore collection of a TAP service;
* ``community-list`` (:mod:`.software`): the software the community
  recommends, a JSON list of codemeta documents;
* ``community-vault`` (:mod:`.vault`): a file-based archive the community
  keeps for its projects' publications.

ESAP Hub finds them through the entry points in ``pyproject.toml``; nothing
here is imported until an admin's ``esap.yaml`` names one of the types.
"""

from __future__ import annotations

from pathlib import Path

#: A sample software list shipped with the package (for trying it, and its tests).
SAMPLE_SOFTWARE = Path(__file__).parent / "sample" / "community-software.json"

__all__ = ["SAMPLE_SOFTWARE"]
