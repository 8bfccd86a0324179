"""Add to basket: a result row with a link the basket refuses is added without that link.

The Data panel turns selected result rows into basket items with
``itemsFromRows`` (``extensions/labextension/src/basket/rows.ts``). One row
whose ``access_url`` is ``javascript:`` or whose checksum is malformed used
to make the basket refuse the whole selection. An archive's ``ftp://`` link
is kept: whether it is fetched is the hub's rule (``fetch.schemes``). Here the built module itself
runs under Node on such rows, and its items go to a real user server's
basket, which must take them all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.hub import RunningHub

ROWS_JS = Path(__file__).parents[1] / "extensions" / "labextension" / "lib" / "basket" / "rows.js"

COLUMNS = [
    {"name": "obs_id", "role": None},
    {"name": "access_url", "role": "access_url"},
    {"name": "checksum", "role": None},
]
ROWS = [
    ["good", "https://archive.example.org/good.fits", "md5:9e107d9d372bb6826bd81d3542a419d6"],
    ["script", "javascript:alert(1)", None],
    ["ftp", "ftp://archive.example.org/x.fits", "crc:zz"],
    ["slashed", "javascript://%0aalert(1)", None],
]


def items_from_rows(tmp_path: Path) -> list[dict[str, Any]]:
    """What the panel's built module makes of ``ROWS`` (run by Node, as the browser would)."""
    assert ROWS_JS.is_file(), f"{ROWS_JS} is built by the labextension build (make install)"
    module = tmp_path / "rows.mjs"
    shutil.copyfile(ROWS_JS, module)
    script = (
        f"import {{ itemsFromRows }} from {json.dumps(module.as_uri())};\n"
        f"const items = itemsFromRows('svc', {json.dumps(COLUMNS)}, {json.dumps(ROWS)}, null);\n"
        "process.stdout.write(JSON.stringify(items));\n"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    items: list[dict[str, Any]] = json.loads(done.stdout)
    return items


def test_a_row_with_an_odd_link_keeps_it_only_in_its_fields(tmp_path: Path) -> None:
    good, script, ftp, slashed = items_from_rows(tmp_path)
    assert good["access_url"] == ROWS[0][1]
    assert good["checksum"] == ROWS[0][2]
    assert ftp["access_url"] == ROWS[2][1]
    assert "checksum" not in ftp, ftp
    for item, row in ((script, ROWS[1]), (slashed, ROWS[3])):
        assert "access_url" not in item, item
        assert "checksum" not in item, item
        assert item["fields"]["access_url"] == row[1]
        assert item["title"] == row[0]


@pytest.mark.hub
def test_the_whole_selection_goes_into_the_basket(
    tmp_path: Path, hub: RunningHub, alice: str
) -> None:
    items = items_from_rows(tmp_path)
    with hub.user_api("alice", alice) as api:
        added = api.post("basket", json={"items": items})
        assert added.status_code == 201, added.text
        ids = added.json()["ids"]
        try:
            assert len(ids) == len(ROWS)
            stored = [api.get(f"basket/items/{item_id}").json() for item_id in ids]
            assert [item["access_url"] for item in stored] == [ROWS[0][1], None, ROWS[2][1], None]
        finally:
            api.post("basket/remove", json={"ids": ids})
