"""The SSA adapter against a real SSA service: DaCHS's ``ssap.xml`` over the test spectra.

The spectra (``tests/data/dachs/esaptest/data/spectra.csv``, published by
``spectra.rd``) sit at known positions with known spectral ranges; every
expectation is recomputed from that file.  The searches go through the
engine (``esap.data.search`` with an ``esap.yaml`` naming a ``type: ssa``
service), so the config check, the public config and the adapter as a user
server builds it are all on the path.

SSA's SIZE is a diameter, and the adapter sends twice the radius; DaCHS 2.7
reads SIZE as a radius.  The cones here are chosen so that no spectrum lies
between one and two radii from the centre, so they hold either way (the
helper refuses a cone that would not).
"""

from __future__ import annotations

import httpx
import pytest
import pyvo
import yaml
from test_dachs import M31, inside

import esap.data
from esap.core.public_config import public_config
from esap.data.catalog import Catalog
from esap.data.searches import prepare
from esap.data.store import UserStore
from harness.dachs import DachsService, csv_rows

pytestmark = [pytest.mark.dachs]

M1 = (83.6331, 22.0145)
RADIUS = 0.1
#: Band limits are compared with DaCHS's single-precision ssa_specstart/end:
#: keep them this far (relative) from every shipped range limit.
BAND_MARGIN = 1e-3


@pytest.fixture(scope="module")
def spectra(dachs: DachsService) -> list[dict[str, str]]:
    """The shipped spectra (one row per spectrum)."""
    rows = csv_rows(dachs.spectra_csv)
    assert dachs.spectrum_rows == len(rows) > 0
    return rows


@pytest.fixture
def config(dachs: DachsService, tmp_path, monkeypatch) -> str:
    """An esap.yaml whose one data service is the archive's SSA service."""
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "esap.yaml"
    path.write_text(
        yaml.safe_dump(
            {"data_services": [{"name": "spectra", "type": "ssa", "url": dachs.ssa_url}]}
        )
    )
    return str(path)


def cone(rows: list[dict[str, str]], centre: tuple[float, float]) -> list[str]:
    """The pubDIDs within RADIUS of centre; refuses a cone with a spectrum within 2*RADIUS.

    Whether the server reads the SIZE it is sent as a diameter or as a
    radius, such a cone keeps exactly these rows.
    """
    near = inside(rows, "ra", "dec", centre, RADIUS)
    wider = inside(rows, "ra", "dec", centre, 2 * RADIUS)
    assert near == wider, "a spectrum lies between one and two radii of the cone: pick another"
    return sorted(r["ssa_pubDID"] for r in near)


def overlapping(rows: list[dict[str, str]], band: tuple[float, float]) -> list[str]:
    """The pubDIDs whose spectral range overlaps band; refuses limits near a shipped one."""
    limits = [float(r[k]) for r in rows for k in ("ssa_specstart", "ssa_specend")]
    for edge in band:
        assert all(abs(edge - v) > BAND_MARGIN * v for v in limits), f"{edge} is on an edge"
    return sorted(
        r["ssa_pubDID"]
        for r in rows
        if float(r["ssa_specstart"]) <= band[1] and float(r["ssa_specend"]) >= band[0]
    )


def found(config: str, **kwargs) -> list[str]:
    """The pubDIDs the engine's search finds on the SSA service (and no errors)."""
    result = esap.data.search(services=["spectra"], config=config, **kwargs)
    assert result.errors == {}
    return sorted(result.tables["spectra"]["ssa_pubDID"])


def test_pyvo_ssa_service_answers_with_the_shipped_spectra(dachs, spectra):
    expected = cone(spectra, M31)
    results = pyvo.dal.SSAService(dachs.ssa_url).search(pos=M31, diameter=2 * RADIUS)
    assert sorted(r["ssa_pubDID"] for r in results) == expected
    by_did = {r["ssa_pubDID"]: r for r in spectra}
    for record in results:
        shipped = by_did[record["ssa_pubDID"]]
        assert record.acref == dachs.product_url(shipped["accref"])
        assert record.format == shipped["access_format"]


@pytest.mark.parametrize("centre", [M31, M1], ids=["M31", "M1"])
def test_cone_around_a_position_finds_its_spectra_and_not_the_others(config, spectra, centre):
    expected = cone(spectra, centre)
    # the cone is a real filter: it keeps some spectra and drops others
    assert 0 < len(expected) < len(spectra)
    assert found(config, ra=centre[0], dec=centre[1], radius=RADIUS) == expected


def test_a_spectrum_of_the_same_target_outside_the_cone_is_left_out(config, spectra):
    outside = [r for r in spectra if r["ssa_targname"] == "M31"]
    outside = [r["ssa_pubDID"] for r in outside if r["ssa_pubDID"] not in cone(spectra, M31)]
    assert outside
    assert not set(outside) & set(found(config, ra=M31[0], dec=M31[1], radius=RADIUS))


def test_band_selects_by_spectral_range(config, spectra):
    band = (8.0e-7, 1.2e-6)
    expected = overlapping(spectra, band)
    assert 0 < len(expected) < len(spectra)
    assert found(config, band=band) == expected
    # with a position as well, both constraints hold
    both = sorted(set(expected) & set(cone(spectra, M1)))
    assert 0 < len(both) < len(cone(spectra, M1))
    assert found(config, ra=M1[0], dec=M1[1], radius=RADIUS, band=band) == both


def test_time_selects_by_observation_date(config, spectra):
    start, end = 58834.5, 58835.5
    expected = sorted(r["ssa_pubDID"] for r in spectra if start <= float(r["ssa_dateObs"]) <= end)
    assert 0 < len(expected) < len(spectra)
    assert found(config, time=(str(start), str(end))) == expected


def test_a_search_without_position_or_band_lists_the_whole_collection(config, spectra):
    # the adapter sends no constraint; an SSA service answers with all it has
    assert found(config) == sorted(r["ssa_pubDID"] for r in spectra)


@pytest.mark.filterwarnings("ignore::pyvo.dal.exceptions.DALOverflowWarning")
def test_maxrec_truncates_and_says_so(config, spectra):
    result = esap.data.search(services=["spectra"], config=config, maxrec=2)
    table = result.tables["spectra"]
    assert len(table) == 2 < len(spectra)
    assert table.meta["esap_truncated"] is True
    whole = esap.data.search(services=["spectra"], config=config, maxrec=len(spectra))
    assert whole.tables["spectra"].meta["esap_truncated"] is False


def test_access_url_role_is_recognised_and_serves_the_spectrum(config, dachs, spectra, tmp_path):
    catalog = Catalog(public_config(config), UserStore(tmp_path / "data.sqlite"))
    adapter = catalog.adapter("spectra")
    result = esap.data.search(
        services=["spectra"], config=config, ra=M1[0], dec=M1[1], radius=RADIUS
    )
    table = result.tables["spectra"]
    assert sorted(table["ssa_pubDID"]) == cone(spectra, M1)
    roles = adapter.roles(table)
    (access,) = [name for name, role in roles.items() if role == "access_url"]
    assert {"ra", "dec", "format"} <= set(roles.values())

    # the engine's row events carry the same role for the lab
    request = {"services": ["spectra"], "ra": M1[0], "dec": M1[1], "radius": RADIUS}
    prepared = prepare(catalog, request)
    (rows,) = [e for e in prepared.federation.events() if e["event"] == "rows"]
    assert {c["name"]: c["role"] for c in rows["columns"] if c["role"]} == roles

    # "file" is relative to DaCHS's inputs, where the resource directory is copied
    inputs = dachs.spectra_csv.parents[2]
    by_did = {r["ssa_pubDID"]: r for r in spectra}
    for row in table:
        shipped = by_did[row["ssa_pubDID"]]
        assert row[access] == dachs.product_url(shipped["accref"])
        answer = httpx.get(row[access], timeout=30)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == shipped["access_format"]
        assert answer.content == (inputs / shipped["file"]).read_bytes()
