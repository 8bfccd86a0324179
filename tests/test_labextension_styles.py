"""Every stylesheet of the labextension reaches the lab.

JupyterLab loads a federated extension's CSS through ``styleModule``
(``style/index.js``) and source builds through ``style`` (``style/index.css``).
A sheet left out of either renders its panel unstyled — a Software panel that
cannot scroll, for one — with no error anywhere, so the two lists are checked
against the files on disk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

LABEXTENSION = Path(__file__).resolve().parents[1] / "extensions" / "labextension"
STYLE = LABEXTENSION / "style"


def sheets() -> set[str]:
    return {path.name for path in STYLE.glob("*.css")} - {"index.css"}


def test_package_names_both_entry_points() -> None:
    package = json.loads((LABEXTENSION / "package.json").read_text())
    assert package["style"] == "style/index.css"
    assert package["styleModule"] == "style/index.js"


def test_index_js_imports_every_sheet() -> None:
    imported = set(
        re.findall(r"^import '\./([\w-]+\.css)';$", (STYLE / "index.js").read_text(), re.M)
    )
    assert imported == sheets()


def test_index_css_imports_every_sheet() -> None:
    text = (STYLE / "index.css").read_text()
    imported = set(re.findall(r"^@import url\('([\w-]+\.css)'\);$", text, re.M))
    assert imported == sheets()
