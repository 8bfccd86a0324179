"""The real archive the data-discovery tests rely on: GAVO DaCHS over pyvo.

Every expectation is recomputed here from the shipped CSV files, so a change
to the data set changes the expectations with it, and a server that drops,
duplicates or mangles rows fails.  Positions use exact spherical distances;
a helper refuses radii that put a row so close to the edge that rounding
could decide the outcome.  The ADQL is assembled from the test's own
constants and the shipped identifiers (hence the S608 waivers).
"""

from __future__ import annotations

import math

import httpx
import pytest
import pyvo

from harness.dachs import DachsService, csv_rows

pytestmark = [
    pytest.mark.dachs,
    # pyvo does not model DaCHS's SIA capability extension; harmless
    pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]

M31 = (10.6847, 41.2690)
M51 = (202.4696, 47.1952)
#: Distances closer than this to a search radius are "on the edge": refuse them.
EDGE = 1e-6


def separation(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Great-circle distance in degrees (Vincenty's formula: exact at all distances)."""
    a1, d1, a2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    dra = a2 - a1
    num = math.hypot(
        math.cos(d2) * math.sin(dra),
        math.cos(d1) * math.sin(d2) - math.sin(d1) * math.cos(d2) * math.cos(dra),
    )
    den = math.sin(d1) * math.sin(d2) + math.cos(d1) * math.cos(d2) * math.cos(dra)
    return math.degrees(math.atan2(num, den))


def inside(
    rows: list[dict[str, str]],
    ra_key: str,
    dec_key: str,
    centre: tuple[float, float],
    radius: float,
) -> list[dict[str, str]]:
    """Rows whose position lies within ``radius`` of ``centre``; fails on edge cases."""
    found = []
    for row in rows:
        d = separation(*centre, float(row[ra_key]), float(row[dec_key]))
        assert abs(d - radius) > EDGE, f"{row} lies on the edge of the test cone: pick another"
        if d < radius:
            found.append(row)
    return found


def overlapping(
    rows: list[dict[str, str]], centre: tuple[float, float], radius: float
) -> list[dict[str, str]]:
    """Rows whose footprint (s_region) overlaps the circle, where that is certain.

    A footprint whose centre is inside surely overlaps; one whose farthest
    corner cannot reach the circle surely does not.  Anything between would
    need exact polygon geometry, so the test refuses such a circle instead.
    """
    found = []
    for row in rows:
        ra, dec = float(row["s_ra"]), float(row["s_dec"])
        d = separation(*centre, ra, dec)
        corners = [float(v) for v in row["s_region"].split()]
        reach = max(
            separation(ra, dec, corners[i], corners[i + 1]) for i in range(0, len(corners), 2)
        )
        if d < radius - EDGE:
            found.append(row)
        else:
            assert d > radius + reach + EDGE, f"{row['obs_id']} may touch the circle's edge"
    return found


@pytest.fixture(scope="module")
def images(dachs: DachsService) -> list[dict[str, str]]:
    """The shipped ObsCore rows."""
    return csv_rows(dachs.images_csv)


@pytest.fixture(scope="module")
def sources(dachs: DachsService) -> list[dict[str, str]]:
    """The shipped catalogue rows."""
    return csv_rows(dachs.sources_csv)


@pytest.fixture(scope="module")
def tap(dachs: DachsService) -> pyvo.dal.TAPService:
    """pyvo's client of the archive's TAP service."""
    return pyvo.dal.TAPService(dachs.tap_url)


def cone_query(dachs: DachsService, centre: tuple[float, float], radius: float) -> str:
    """ADQL for the ObsCore rows of our collection whose centre is in a cone."""
    return (
        f"SELECT obs_id, s_ra, s_dec FROM {dachs.obscore_table} "  # noqa: S608
        "WHERE source_table = 'esaptest.images' AND 1 = CONTAINS("
        "POINT('ICRS', s_ra, s_dec), "
        f"CIRCLE('ICRS', {centre[0]}, {centre[1]}, {radius}))"
    )


def test_sync_obscore_returns_every_shipped_row(dachs, tap, images):
    result = tap.run_sync(
        "SELECT obs_publisher_did, obs_collection, dataproduct_type, calib_level "  # noqa: S608
        f"FROM {dachs.obscore_table} WHERE source_table = 'esaptest.images'",
        maxrec=10 * len(images),
    )
    table = result.to_table()
    assert dachs.rows == len(images) > 0
    assert len(table) == len(images)
    assert sorted(table["obs_publisher_did"]) == sorted(r["obs_publisher_did"] for r in images)
    by_did = {r["obs_publisher_did"]: r for r in images}
    for row in table:
        shipped = by_did[row["obs_publisher_did"]]
        assert row["obs_collection"] == shipped["obs_collection"] == dachs.collection
        assert row["dataproduct_type"] == shipped["dataproduct_type"]
        assert int(row["calib_level"]) == int(shipped["calib_level"])


def test_contains_circle_around_m31_returns_exactly_those_rows(dachs, tap, images):
    expected = inside(images, "s_ra", "s_dec", M31, 1.0)
    m31 = [r for r in images if r["target_name"] == "M31"]
    # the cone is a real filter: it keeps some M31 tiles and drops others
    assert 0 < len(expected) < len(m31)
    table = tap.run_sync(cone_query(dachs, M31, 1.0)).to_table()
    assert sorted(table["obs_id"]) == sorted(r["obs_id"] for r in expected)


def test_async_job_returns_the_same_rows(dachs, tap, images):
    expected = sorted(r["obs_id"] for r in inside(images, "s_ra", "s_dec", M31, 1.0))
    job = tap.submit_job(cone_query(dachs, M31, 1.0))
    try:
        job.run()
        job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=60)
        assert job.phase == "COMPLETED", job.phase
        table = job.fetch_result().to_table()
    finally:
        job.delete()
    assert sorted(table["obs_id"]) == expected


def test_tap_schema_lists_the_tables_and_their_columns(dachs, tap, images, sources):
    tables = set(tap.run_sync("SELECT table_name FROM tap_schema.tables").to_table()["table_name"])
    assert {dachs.obscore_table, dachs.images_table, dachs.sources_table} <= tables

    def columns(table: str) -> set[str]:
        result = tap.run_sync(
            f"SELECT column_name FROM tap_schema.columns WHERE table_name = '{table}'"  # noqa: S608
        )
        return set(result.to_table()["column_name"])

    obscore_core = {
        "dataproduct_type", "calib_level", "obs_collection", "obs_id", "obs_publisher_did",
        "access_url", "access_format", "access_estsize", "target_name", "s_ra", "s_dec",
        "s_fov", "s_region", "s_resolution", "t_min", "t_max", "t_exptime", "em_min",
        "em_max", "o_ucd", "facility_name", "instrument_name", "preview",
    }  # fmt: skip
    assert obscore_core <= columns(dachs.obscore_table)
    assert set(sources[0]) <= columns(dachs.sources_table)
    product_columns = {"file", "fsize", "access_format"}  # consumed by the products machinery
    assert set(images[0]) - product_columns <= columns(dachs.images_table)


def test_markup_in_archive_strings_comes_back_verbatim(dachs, tap, images):
    hostile = [r for r in images if "<script>" in r["obs_title"]]
    assert len(hostile) == 1
    obs_id = hostile[0]["obs_id"]
    table = tap.run_sync(
        f"SELECT obs_title FROM {dachs.obscore_table} WHERE obs_id = '{obs_id}'"  # noqa: S608
    ).to_table()
    assert list(table["obs_title"]) == [hostile[0]["obs_title"]]


def test_access_url_and_preview_are_served_by_this_server(dachs, tap, images):
    shipped = images[0]
    table = tap.run_sync(
        "SELECT access_url, access_format, access_estsize, preview "  # noqa: S608
        f"FROM {dachs.obscore_table} WHERE obs_id = '{shipped['obs_id']}'"
    ).to_table()
    assert len(table) == 1
    row = table[0]
    assert row["access_url"] == dachs.product_url(shipped["accref"])
    assert row["access_format"] == shipped["access_format"]
    assert int(row["access_estsize"]) == int(shipped["fsize"]) // 1024
    product = httpx.get(row["access_url"], timeout=30)
    assert product.status_code == 200
    assert len(product.content) == int(shipped["fsize"])
    assert product.content.startswith(b"SIMPLE  =")
    assert row["preview"].startswith(dachs.base_url)
    preview = httpx.get(row["preview"], timeout=30)
    assert preview.status_code == 200
    assert preview.headers["Content-Type"] == "image/jpeg"
    assert preview.content.startswith(b"\xff\xd8\xff")


def test_sia2_position_search(dachs, images):
    expected = overlapping(images, M51, 1.0)
    assert expected
    result = pyvo.dal.SIA2Service(dachs.sia2_url).search(pos=(*M51, 1.0))
    assert sorted(result.to_table()["obs_id"]) == sorted(r["obs_id"] for r in expected)
    assert all(record.access_url.startswith(dachs.base_url) for record in result)


def test_sia2_band_search(dachs, images):
    low, high = 6.0e-7, 6.1e-7
    expected = [
        r for r in overlapping(images, M51, 1.0)
        if float(r["em_min"]) <= high and float(r["em_max"]) >= low
    ]  # fmt: skip
    assert expected
    result = pyvo.dal.SIA2Service(dachs.sia2_url).search(pos=(*M51, 1.0), band=(low, high))
    assert sorted(result.to_table()["obs_id"]) == sorted(r["obs_id"] for r in expected)


def test_cone_search_around_m31(dachs, sources):
    expected = inside(sources, "ra", "dec", M31, 0.3)
    assert 0 < len(expected) < len(sources)
    result = pyvo.dal.SCSService(dachs.scs_url).search(pos=M31, radius=0.3)
    assert sorted(result.to_table()["source_id"]) == sorted(r["source_id"] for r in expected)
