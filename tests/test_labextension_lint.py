"""The labextension passes its linters: eslint, stylelint and prettier.

``jlpm lint:check`` in ``extensions/labextension`` runs stylelint
(``stylelint.config.mjs``), prettier (``package.json``) and eslint with
typescript-eslint (``eslint.config.mjs``), as ``make lint`` does; here
``make test`` runs it too, and shows what it reported when it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LABEXTENSION = Path(__file__).resolve().parents[1] / "extensions" / "labextension"
#: jlpm (from jupyter-builder) and node, as the build finds them
BIN = Path(sys.executable).parent


def test_lint_check_passes() -> None:
    assert (LABEXTENSION / "node_modules" / ".bin" / "eslint").exists(), (
        "eslint is not installed in the labextension: run `make install` (it runs jlpm install)"
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(BIN / "jlpm"), "lint:check"],
        cwd=LABEXTENSION,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"jlpm lint:check failed:\n{done.stdout}\n{done.stderr}"
