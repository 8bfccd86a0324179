"""``esap search`` from a shell: progress on stderr, the combined table on stdout."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import yaml
from astropy.table import Table
from test_dachs import M31, inside

from esap.data.store import UserStore
from harness.dachs import csv_rows
from harness.faults import ERROR_TEXT

pytestmark = [pytest.mark.dachs]


@pytest.fixture
def config(dachs, faults, tmp_path):
    path = tmp_path / "esap.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "data_services": [
                    {"name": "local-tap", "type": "tap", "url": dachs.tap_url},
                    {"name": "local-scs", "type": "scs", "url": dachs.scs_url},
                    {"name": "failing", "type": "tap", "url": faults.error},
                ],
                "resolver": {"type": "table", "targets": {"M31": list(M31)}},
            }
        )
    )
    return path


def esap_search(config, tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "esap", "search", "--config", str(config), *args],
        capture_output=True,
        timeout=300,
        check=False,
        env={
            "ESAP_STATE_DIR": str(tmp_path / "state"),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
    )


@pytest.mark.parametrize("fmt", ["votable", "ecsv"])
def test_search_writes_the_combined_table_and_reports_each_service(config, dachs, tmp_path, fmt):
    done = esap_search(config, tmp_path, "M31", "--radius", "0.3", "--format", fmt)
    assert done.returncode == 0, done.stderr.decode()
    progress = done.stderr.decode()
    assert "searching 3 service(s): local-tap, local-scs, failing" in progress
    (failing,) = [line for line in progress.splitlines() if "failing:" in line]
    assert failing.startswith("  failing: http_status: 127.0.0.1:")
    assert f"answered HTTP 500: {ERROR_TEXT} — the service failed on its side" in failing
    table = Table.read(
        io.BytesIO(done.stdout), format="votable" if fmt == "votable" else "ascii.ecsv"
    )
    sources = inside(csv_rows(dachs.sources_csv), "ra", "dec", M31, 0.3)
    images = inside(csv_rows(dachs.images_csv), "s_ra", "s_dec", M31, 0.3)
    scs = table[table["service"] == "local-scs"]
    tap = table[table["service"] == "local-tap"]
    assert sorted(scs["source_id"]) == sorted(r["source_id"] for r in sources)
    assert sorted(tap["obs_id"]) == sorted(r["obs_id"] for r in images)
    assert f"local-scs: {len(sources)} rows" in progress
    # the engine recorded the search in the user's history, once (as the lab's and a notebook's)
    (entry,) = UserStore(tmp_path / "state" / "data.sqlite").history()
    assert entry["request"] == {"target": "M31", "radius": 0.3}
    assert entry["summary"] == {"local-tap": len(tap), "local-scs": len(scs), "failing": "error"}


def test_bad_input_exits_2_naming_the_field(config, tmp_path):
    done = esap_search(config, tmp_path, "--ra", "10", "--dec", "100")
    assert done.returncode == 2
    assert done.stderr.decode().startswith("esap search: dec: 100.0: out of range")
    assert done.stdout == b""
