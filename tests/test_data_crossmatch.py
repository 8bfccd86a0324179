"""Cross-matching a user's table against the test archive's catalogue (GAVO DaCHS).

The user's table is made from the shipped ``sources.csv`` (each source moved
by about an arcsecond, plus positions near no source and a row without a
position); what must match is recomputed from the CSV with astropy
(``SkyCoord.separation`` of every pair), and both methods (TAP upload, and
the local cone query + match) must find exactly those pairs with the same
separations. Through the notebook API (a job of the notebook's own process)
and through the REST API of the data hub's user server (a job of the server,
followed, paged and cancelled like any other). Every bad input is refused
with the field it names.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import astropy.units as u
import httpx
import numpy as np
import pytest
import yaml
from astropy.coordinates import SkyCoord
from astropy.table import Table
from test_dachs import inside

import esap.data
from esap.core.errors import EsapError
from esap.core.jobs import JobStore
from esap.data import crossmatches, sky_pairs
from esap.data.results import ResultStore, columns_of
from esap.data.upload import MultipartStream
from harness.dachs import csv_rows
from harness.data_hub import TARGETS

pytestmark = [
    pytest.mark.dachs,
    pytest.mark.filterwarnings("ignore::astropy.io.votable.exceptions.VOWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]

CATALOGUE = "esaptest.sources"
RADIUS = 3.0  # arcsec
#: How close to the radius a pair may lie before the test data is ambiguous (arcsec).
EDGE = 1e-3


# ------------------------------------------------------------------ expectations


def user_table(sources: list[dict[str, str]], seed: int = 19) -> Table:
    """Every source moved by ~1 arcsec, 60 positions near no source, one row without one."""
    rng = np.random.default_rng(seed)
    ra = np.array([float(s["ra"]) for s in sources])
    dec = np.array([float(s["dec"]) for s in sources])
    moved_ra = ra + rng.normal(0, 1.2, len(ra)) / 3600 / np.cos(np.radians(dec))
    moved_dec = dec + rng.normal(0, 1.2, len(dec)) / 3600
    lonely_ra = rng.uniform(10.0, 11.4, 60)
    lonely_dec = rng.uniform(40.6, 41.9, 60)
    table = Table(
        {
            "name": [f"mine-{i}" for i in range(len(ra) + 61)],
            "RAJ2000": np.concatenate([moved_ra, lonely_ra, [np.nan]]),
            "DEJ2000": np.concatenate([moved_dec, lonely_dec, [np.nan]]),
            "flux": rng.uniform(1, 2, len(ra) + 61),
        }
    )
    table["RAJ2000"].unit = table["DEJ2000"].unit = "deg"
    return table


def expected_pairs(
    ra: Any, dec: Any, sources: list[dict[str, str]], radius: float
) -> dict[tuple[int, str], float]:
    """(user row, source_id) -> separation in arcsec, for every pair within ``radius``."""
    catalogue = SkyCoord([float(s["ra"]) for s in sources] * u.deg,
                         [float(s["dec"]) for s in sources] * u.deg)  # fmt: skip
    ids = [s["source_id"] for s in sources]
    found = {}
    for row, (r, d) in enumerate(zip(ra, dec, strict=True)):
        if not (math.isfinite(r) and math.isfinite(d)):
            continue
        apart = SkyCoord(r * u.deg, d * u.deg).separation(catalogue).arcsec
        assert not np.any(np.abs(apart - radius) < EDGE), "a pair lies on the radius: reseed"
        for index in np.flatnonzero(apart < radius):
            found[(row, ids[index])] = float(apart[index])
    return found


def pairs_of(matched: Table) -> dict[tuple[int, str], float]:
    return {
        (int(row), str(source)): float(sep)
        for row, source, sep in zip(
            matched["user_row"], matched["source_id"], matched["separation"], strict=True
        )
    }


def assert_same(found: dict[tuple[int, str], float], expected: dict[tuple[int, str], float]):
    assert set(found) == set(expected)
    worst = max((abs(found[k] - expected[k]) for k in expected), default=0.0)
    assert worst < 1e-4, f"separations differ by up to {worst} arcsec"


# ------------------------------------------------------------------ the notebook


@pytest.fixture(scope="module")
def sources(dachs) -> list[dict[str, str]]:
    return csv_rows(dachs.sources_csv)


@pytest.fixture(scope="module")
def home(dachs, tmp_path_factory) -> Iterator[Path]:
    """A notebook's world: its home, its state folder and an esap.yaml naming the archive."""
    home = tmp_path_factory.mktemp("crossmatch-home")
    config = home / "esap.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_services": [
                    {"name": "tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
                    {"name": "scs", "type": "scs", "url": dachs.scs_url, "timeout": 60},
                ]
            }
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("ESAP_STATE_DIR", str(home / ".esap"))
        yield home


def match(table: Any, **options: Any) -> Table:
    home = Path.home()
    options.setdefault("method", "auto")
    return esap.data.crossmatch(
        table, "tap", CATALOGUE, options.pop("radius", RADIUS), config=home / "esap.yaml",
        **options,
    )  # fmt: skip


def test_both_methods_find_the_pairs_astropy_finds(home, sources, monkeypatch):
    table = user_table(sources)
    expected = expected_pairs(table["RAJ2000"], table["DEJ2000"], sources, RADIUS)
    assert len(expected) >= len(sources) * 0.9, "the moved sources must mostly match"

    uploaded = match(table, method="upload")
    local = match(table, method="local")
    assert_same(pairs_of(uploaded), expected)
    assert_same(pairs_of(local), expected)
    assert uploaded.meta["esap_method"] == "upload"
    assert local.meta["esap_method"] == "local"
    # one answer: the same columns, in order of the user's row then separation
    names = ["user_row", "separation", "source_id", "ra", "dec", "field", "gmag", "rmag", "kind"]
    assert uploaded.colnames == local.colnames == names
    assert str(uploaded["separation"].unit) == "arcsec"
    keys = list(zip(uploaded["user_row"], uploaded["separation"], strict=True))
    assert keys == sorted(keys)
    # three fields far apart: three cone queries, not one around the whole sky
    rows = np.flatnonzero(np.isfinite(table["RAJ2000"]))
    cones = sky_pairs.cones(np.asarray(table["RAJ2000"]), np.asarray(table["DEJ2000"]),
                               rows, RADIUS)  # fmt: skip
    assert len(cones) == 3
    assert sorted(np.concatenate([c.rows for c in cones]).tolist()) == rows.tolist()

    # a larger upload goes as a UWS job; its bytes are the job's progress
    monkeypatch.setattr(crossmatches, "SYNC_UPLOAD_BYTES", 0)
    by_job = match(table, method="upload")
    assert_same(pairs_of(by_job), expected)
    job = JobStore().get("crossmatch", by_job.meta["esap_job_id"])
    assert job.state == "done"
    assert job.result["uploaded"] > 0
    assert job.done == job.total == job.result["uploaded"]
    # the service's UWS job, deleted once its rows were fetched
    assert "/async/" in job.result["job_url"]
    assert httpx.get(job.result["job_url"], timeout=30).status_code == 404
    assert job.result["without_position"] == 1
    assert job.result["matches"] == len(expected)


def test_columns_and_maxrec_shape_the_answer_and_it_is_stored(home, sources):
    table = user_table(sources)
    few = match(table, columns=["SOURCE_ID"], maxrec=5, method="upload")
    assert few.colnames == ["user_row", "separation", "source_id"]
    assert len(few) == 5
    assert few.meta["esap_truncated"] is True
    stored = ResultStore().page(few.meta["esap_result_id"], 0, 10)
    assert stored["total"] == 5
    assert [c["name"] for c in stored["columns"]] == few.colnames
    assert [row[0] for row in stored["rows"]] == list(few["user_row"])


def test_a_file_in_the_home_and_a_stored_result(home, sources):
    table = user_table(sources)
    expected = expected_pairs(table["RAJ2000"], table["DEJ2000"], sources, RADIUS)
    folder = home / "tables"
    folder.mkdir(exist_ok=True)
    # a VOTable with UCDs and other names; a FITS table; a plain CSV
    described = Table(table, copy=True)
    described.rename_columns(["RAJ2000", "DEJ2000"], ["alpha_x", "delta_x"])
    described["alpha_x"].meta["ucd"] = "pos.eq.ra;meta.main"
    described["delta_x"].meta["ucd"] = "pos.eq.dec;meta.main"
    described.write(folder / "mine.vot", format="votable", overwrite=True)
    table.write(folder / "mine.fits", format="fits", overwrite=True)
    table.write(folder / "mine.csv", format="ascii.csv", overwrite=True)
    for name in ("tables/mine.vot", "tables/mine.fits", "tables/mine.csv"):
        assert_same(pairs_of(match(name, method="local")), expected)
    # a stored result (what a search or a job leaves in the cache), by its id
    stored = ResultStore().put("mine", table, columns_of(table, {}))
    assert_same(pairs_of(match(stored.id, method="upload")), expected)
    # degrees named by the user: arcseconds would be refused as no angle in degrees
    arcsec = Table({"x": table["RAJ2000"] * 3600, "y": table["DEJ2000"] * 3600})
    arcsec["x"].unit = arcsec["y"].unit = "arcsec"
    assert_same(pairs_of(match(arcsec, ra_column="x", dec_column="y", method="local")),
                expected)  # fmt: skip


def test_basket_items_with_positions(home, sources):
    table = user_table(sources)[:20]
    items = [
        {"id": f"item{i}", "kind": "data", "fields": {"obs_id": str(row["name"]),
                                                      "s_ra": float(row["RAJ2000"]),
                                                      "s_dec": float(row["DEJ2000"])}}
        for i, row in enumerate(table)
    ]  # fmt: skip
    expected = expected_pairs(table["RAJ2000"], table["DEJ2000"], sources, RADIUS)
    assert_same(pairs_of(match(items, method="upload")), expected)


def no_coordinates() -> Table:
    return Table({"a": [1.0, 2.0], "b": [3.0, 4.0]})


BAD = [
    ("radius", {"radius": 0}, "must be more than 0"),
    ("radius", {"radius": -2}, "must be more than 0"),
    ("radius", {"radius": "2"}, "not a number of arcseconds"),
    ("radius", {"radius": 2 * u.kg}, "not an angle"),
    ("radius", {"radius": 2 * u.deg}, "more than 3600"),
    ("method", {"method": "magic"}, "unknown method"),
    ("maxrec", {"maxrec": 0}, "not a positive whole number"),
    ("service", {"service": "nowhere"}, "unknown service"),
    ("service", {"service": "scs"}, "not a TAP service"),
    ("catalogue", {"catalogue": "esaptest.sourcez"}, "no such table"),
    ("catalogue", {"catalogue": "tap_schema.tables"}, "no right ascension and declination"),
    ("columns", {"columns": ["nope"]}, "no such column"),
    ("ra_column", {"table": "no-coordinates"}, "pos.eq.ra;meta.main"),
    ("ra_column", {"ra_column": "nope"}, "no such column"),
    ("path", {"table": "tables/none.vot"}, "no such file"),
    ("path", {"table": "tables/notes.txt"}, "not a table file"),
    ("path", {"table": "tables/broken.vot"}, "not a readable VOTABLE"),
    ("path", {"table": "../outside.vot"}, "outside your home"),
    ("result_id", {"table": "0123456789abcdef"}, "never stored"),
    ("dec_column", {"table": "upside-down"}, "outside -90..90"),
]


@pytest.mark.parametrize(("field", "options", "said"), BAD, ids=[f"{b[0]}:{b[2]}" for b in BAD])
def test_each_bad_input_is_refused_naming_its_field(home, sources, field, options, said):
    folder = home / "tables"
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("ra dec\n")
    (folder / "broken.vot").write_text("<VOTABLE><RESOURCE><TABLE>")
    tables = {
        "no-coordinates": no_coordinates(),
        "upside-down": Table({"ra": [10.0], "dec": [123.0]}),
    }
    options = dict(options)
    table = options.pop("table", user_table(sources)[:5])
    table = tables.get(table, table) if isinstance(table, str) else table
    service = options.pop("service", "tap")
    catalogue = options.pop("catalogue", CATALOGUE)
    radius = options.pop("radius", RADIUS)
    with pytest.raises(EsapError) as refused:
        esap.data.crossmatch(table, service, catalogue, radius, config=home / "esap.yaml",
                             **options)  # fmt: skip
    error = refused.value
    assert error.field == field
    assert said in error.message
    assert error.fix
    if said == "pos.eq.ra;meta.main":  # the columns it has, what it looked for, how to name them
        assert "its columns are a, b" in error.message
        assert "RAJ2000" not in error.message
        assert "raj2000" in error.message
        assert "ra_column=" in error.fix
    if field == "catalogue" and said == "no such table":
        assert "esaptest.sources" in error.fix  # the nearest name


def test_the_command_line_writes_the_matches(home, sources, tmp_path):
    table = user_table(sources)
    expected = expected_pairs(table["RAJ2000"], table["DEJ2000"], sources, RADIUS)
    table.write(tmp_path / "mine.ecsv", overwrite=True)
    done = subprocess.run(
        [sys.executable, "-m", "esap", "crossmatch", str(tmp_path / "mine.ecsv"),
         "--config", str(home / "esap.yaml"), "-s", "tap", "-c", CATALOGUE,
         "-r", str(RADIUS), "--format", "csv"],
        capture_output=True, timeout=300, check=False,
        env={"ESAP_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert f"{len(expected)} matches of " in done.stderr.decode()
    assert "(upload)" in done.stderr.decode()
    assert_same(pairs_of(Table.read(done.stdout.decode(), format="ascii.csv")), expected)
    bad = subprocess.run(
        [sys.executable, "-m", "esap", "crossmatch", str(tmp_path / "mine.ecsv"),
         "--config", str(home / "esap.yaml"), "-s", "tap", "-c", CATALOGUE, "-r", "0"],
        capture_output=True, timeout=300, check=False,
        env={"ESAP_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path)},
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.decode().startswith("esap crossmatch: radius: 0 arcsec: must be more than 0")


def test_the_upload_stream_counts_the_bytes_it_sends():
    seen: list[tuple[int, int]] = []
    payload = bytes(range(256)) * 400
    body = MultipartStream(
        {"QUERY": "SELECT 1"},
        {"t": io.BytesIO(payload)},
        lambda done, total: seen.append((done, total)),
        lambda: False,
    )
    sent = b""
    while block := body.read(8192):
        sent += block
    assert len(sent) == len(body)
    assert payload in sent
    assert b'name="QUERY"' in sent
    assert seen[-1] == (len(payload), len(payload))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) > 5


# ------------------------------------------------------------------ REST


@pytest.fixture(scope="module")
def api(data_hub):
    with data_hub.client() as client:
        yield client


def wait_for(api, job_id: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        answer = api.get(f"jobs/crossmatch/{job_id}")
        assert answer.status_code == 200, answer.text
        job = answer.json()
        if job["state"] not in ("pending", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def all_rows(api, result_id: str) -> tuple[list[str], list[list[Any]]]:
    page = api.get(f"data/results/{result_id}", params={"limit": 10000}).json()
    return [c["name"] for c in page["columns"]], page["rows"]


@pytest.mark.hub
def test_a_search_result_is_matched_by_the_server_and_paged(api, data_hub):
    images = csv_rows(data_hub.dachs.images_csv)
    sources = csv_rows(data_hub.dachs.sources_csv)
    m51 = tuple(TARGETS["M51"])
    assert inside(images, "s_ra", "s_dec", m51, 0.5), "the archive must hold M51 images"
    with api.stream("POST", "data/search", json={"ra": m51[0], "dec": m51[1], "radius": 0.5,
                                                 "services": ["local-tap"]}) as answer:  # fmt: skip
        events = [line for line in answer.iter_lines() if '"rows"' in line]
    searched = json.loads(events[0])["result_id"]
    names, rows = all_rows(api, searched)
    ids = [row[names.index("obs_id")] for row in rows]
    by_id = {row["obs_id"]: row for row in images}
    ra = [float(by_id[i]["s_ra"]) for i in ids]
    dec = [float(by_id[i]["s_dec"]) for i in ids]
    pairs = expected_pairs(ra, dec, sources, 600)
    expected = {(ids[row], source): sep for (row, source), sep in pairs.items()}
    assert expected, "the M51 images must lie within 600 arcsec of some source"

    for method in ("upload", "local"):
        started = api.post("data/crossmatch", json={"result_id": searched, "service": "local-tap",
                                                    "catalogue": CATALOGUE, "radius": 600,
                                                    "method": method})  # fmt: skip
        assert started.status_code == 202, started.text
        job = wait_for(api, started.json()["id"])
        assert job["state"] == "done", job
        assert job["params"]["ra_column"] == "s_ra"
        assert job["result"]["method"] == method
        names, matched = all_rows(api, job["result"]["result_id"])
        found = {(ids[row[0]], row[names.index("source_id")]): row[1] for row in matched}
        assert_same(found, expected)


@pytest.mark.hub
def test_rest_refusals_name_the_field(api, data_hub):
    home = data_hub.hub.data_dir / "homes" / data_hub.user
    (home / "xm").mkdir(parents=True, exist_ok=True)
    no_coordinates().write(home / "xm" / "plain.csv", format="ascii.csv", overwrite=True)
    Table({"ra": [10.68], "dec": [41.27]}).write(home / "xm" / "one.csv", overwrite=True)
    body = {"service": "local-tap", "catalogue": CATALOGUE, "radius": 2, "path": "xm/one.csv"}
    cases = [
        ({"radius": 0}, "radius"),
        ({"catalogue": "esaptest.nothing"}, "catalogue"),
        ({"path": "xm/plain.csv"}, "ra_column"),
        ({"path": "xm/none.vot"}, "path"),
        ({"result_id": "0123456789abcdef"}, "body"),  # two tables named at once
    ]
    for change, field in cases:
        answer = api.post("data/crossmatch", json={**body, **change})
        assert answer.status_code == 400, (change, answer.text)
        assert answer.json()["error"]["field"] == field, answer.text
        assert answer.json()["error"]["fix"]
    unknown = {k: v for k, v in body.items() if k != "path"} | {"result_id": "0123456789abcdef"}
    answer = api.post("data/crossmatch", json=unknown)
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "result_id"


@pytest.mark.hub
def test_a_large_upload_is_a_job_that_can_be_cancelled(api, data_hub):
    home = data_hub.hub.data_dir / "homes" / data_hub.user
    (home / "xm").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    big = Table({"ra": rng.uniform(10.0, 11.4, 50_000), "dec": rng.uniform(40.6, 41.9, 50_000)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big.write(home / "xm" / "big.vot", format="votable", overwrite=True)
    started = api.post("data/crossmatch", json={"path": "xm/big.vot", "service": "local-tap",
                                                "catalogue": CATALOGUE, "radius": 2,
                                                "method": "upload"})  # fmt: skip
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    assert api.delete(f"jobs/crossmatch/{job_id}").status_code == 204
    job = wait_for(api, job_id)
    assert job["state"] == "cancelled", job
    assert "result_id" not in (job["result"] or {})
