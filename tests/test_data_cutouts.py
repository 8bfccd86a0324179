"""Cutouts through the real archive's DataLink and SODA (GAVO DaCHS), engine and REST.

The products and their WCS come from the shipped files (``images.csv`` and
the FITS files it names), never from constants: a cutout is compared pixel
for pixel with the same part of the original file, its WCS centre with the
position asked, a band cutout's planes with the cube's wavelengths. Each
bad input meets its named error: from the engine, from the REST API (a 400
at once, or the job's ``error``), and on the command line.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from esap.basket.store import Basket, default_path
from esap.cli import main as esap_main
from esap.core.jobs import DONE, JobStore
from esap.core.paths import UserPathError
from esap.core.runner import Runner
from esap.data import cutouts
from esap.data.catalog import Catalog
from esap.data.soda import Domain, NoCutoutService, find
from harness.dachs import DachsService, csv_rows

pytestmark = [
    pytest.mark.dachs,
    pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]

#: Seconds a REST cutout job may take on two busy cores.
JOB_WAIT = 120.0


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def products(dachs: DachsService) -> dict[str, dict[str, str]]:
    """A cube and an image of the same target (M51), as shipped."""
    rows = csv_rows(dachs.images_csv)
    cubes = [r for r in rows if r["dataproduct_type"] == "cube"]
    assert cubes, "the archive must ship a cube (images.csv, dataproduct_type cube)"
    cube = cubes[0]
    images = [
        r
        for r in rows
        if r["dataproduct_type"] == "image" and r["target_name"] == cube["target_name"]
    ]
    return {"cube": cube, "image": images[0]}


def shipped_file(dachs: DachsService, row: dict[str, str]) -> Path:
    """The FITS file that serves a product (``file`` is relative to DaCHS's inputs)."""
    return dachs.images_csv.parents[2] / row["file"]


@pytest.fixture(scope="module")
def catalog(dachs: DachsService) -> Catalog:
    return Catalog(
        {
            "data_services": [
                {"name": "tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
                {"name": "sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
                {"name": "ssa", "type": "ssa", "url": dachs.ssa_url, "timeout": 60},
            ]
        }
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home of the module's own (cutouts and the basket are written there)."""
    folder = tmp_path_factory.mktemp("cutout-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(folder))
        patch.delenv("ESAP_STATE_DIR", raising=False)
        yield folder


def row_of(product: dict[str, str], service: str) -> dict[str, Any]:
    """A result row as the lab sends it: its columns and its service."""
    return {
        "service": service,
        "obs_publisher_did": product["obs_publisher_did"],
        "obs_id": product["obs_id"],
        "s_ra": float(product["s_ra"]),
        "s_dec": float(product["s_dec"]),
        "dataproduct_type": product["dataproduct_type"],
    }


def centre_of(header: fits.Header) -> tuple[float, float]:
    """The sky position of a cutout's central pixel."""
    wcs = WCS(header).celestial
    ny, nx = header["NAXIS2"], header["NAXIS1"]
    ra, dec = wcs.pixel_to_world_values((nx - 1) / 2, (ny - 1) / 2)
    return float(ra), float(dec)


def pixel_scale(header: fits.Header) -> float:
    return abs(float(header["CDELT2"]))


def spatial_part(original: fits.PrimaryHDU, cut: fits.PrimaryHDU) -> np.ndarray:
    """The pixels of ``original`` a cutout is, by the shift of its reference pixel.

    DaCHS 2.7 shifts CRPIX by the (possibly fractional) pixel of the region's
    edge and starts the pixels at the whole pixel below it: hence the floor.
    """
    dx = math.floor(original.header["CRPIX1"] - cut.header["CRPIX1"])
    dy = math.floor(original.header["CRPIX2"] - cut.header["CRPIX2"])
    ny, nx = cut.data.shape[-2:]
    return np.asarray(original.data[..., dy : dy + ny, dx : dx + nx])


def first_plane(original: fits.PrimaryHDU, cut: fits.PrimaryHDU) -> int:
    """The plane of ``original`` a band cutout starts at, found by its pixels.

    Not from the cutout's CRPIX3: DaCHS 2.7 writes the band edge's fractional
    pixel there while its planes start at the whole pixel below.
    """
    part = spatial_part(original, cut)
    planes = cut.data.shape[0]
    found = [
        z
        for z in range(part.shape[0] - planes + 1)
        if np.array_equal(part[z : z + planes], cut.data)
    ]
    assert len(found) == 1, f"the cutout's planes are no slab of the cube ({found})"
    return found[0]


# ------------------------------------------------------------------ the engine


def test_a_circle_of_the_cube_is_the_same_pixels_centred_where_asked(
    dachs, products, catalog, home
):
    cube = products["cube"]
    ra, dec = float(cube["s_ra"]), float(cube["s_dec"])
    radius = 0.05
    path = cutouts.cutout(row_of(cube, "sia"), ra, dec, radius, catalog=catalog)
    assert path.parent == home / cutouts.DEFAULT_FOLDER
    assert path.name == f"{cube['obs_id']}-cutout.fits"
    assert not path.with_name(path.name + ".part").exists()
    with fits.open(shipped_file(dachs, cube)) as shipped, fits.open(path) as got:
        original, cut = shipped[0], got[0]
        planes, ny, nx = original.data.shape
        assert cut.data.shape[0] == planes  # no band asked: every plane
        side = 2 * radius / pixel_scale(original.header)
        for n, full in ((cut.data.shape[1], ny), (cut.data.shape[2], nx)):
            assert side - 2 <= n <= side + 3
            assert n < full
        got_ra, got_dec = centre_of(cut.header)
        offset = math.hypot((got_ra - ra) * math.cos(math.radians(dec)), got_dec - dec)
        assert offset <= pixel_scale(original.header)
        assert np.array_equal(cut.data, spatial_part(original, cut))


def test_a_box_of_an_image_through_tap(dachs, products, catalog, home):
    image = products["image"]
    with fits.open(shipped_file(dachs, image)) as shipped:
        original = shipped[0].copy()
    # the image's pixels are its target's: cut around the file's own reference point
    ra, dec = float(original.header["CRVAL1"]), float(original.header["CRVAL2"])
    width, height = 0.2, 0.1
    path = cutouts.cutout(row_of(image, "tap"), ra, dec, box=(width, height), catalog=catalog)
    with fits.open(path) as got:
        cut = got[0]
        scale = pixel_scale(original.header)
        ny, nx = cut.data.shape
        assert width / scale - 2 <= nx <= width / scale + 3
        assert height / scale - 2 <= ny <= height / scale + 3
        assert nx > ny
        got_ra, got_dec = centre_of(cut.header)
        assert abs(got_dec - dec) <= scale
        assert abs(got_ra - ra) * math.cos(math.radians(dec)) <= scale
        assert np.array_equal(cut.data, spatial_part(original, cut))


def test_a_band_of_the_cube_keeps_the_planes_of_that_band(dachs, products, catalog, home):
    cube = products["cube"]
    with fits.open(shipped_file(dachs, cube)) as shipped:
        original = shipped[0].copy()
    planes = original.data.shape[0]
    waves = WCS(original.header).spectral.pixel_to_world_values(np.arange(planes))
    step = float(waves[1] - waves[0])
    low, high = float(waves[4]) + step / 4, float(waves[9]) - step / 4  # inside planes 4 and 9
    ra, dec = float(cube["s_ra"]), float(cube["s_dec"])
    path = cutouts.cutout(row_of(cube, "tap"), ra, dec, 0.03, band=(low, high), catalog=catalog)
    with fits.open(path) as got:
        cut = got[0]
        start = first_plane(original, cut)
        kept = waves[start : start + cut.data.shape[0]]
        # the planes that hold the band, give or take the plane at each edge
        assert 5 <= len(kept) <= 8
        assert kept[0] <= low + step
        assert kept[-1] >= high - step
        assert len(kept) < planes


def test_into_the_basket_too_with_a_url_that_cuts_the_same_again(products, catalog, home):
    cube = products["cube"]
    ra, dec = float(cube["s_ra"]) + 0.02, float(cube["s_dec"]) - 0.01
    path, item = cutouts.cutout(
        row_of(cube, "tap"), ra, dec, 0.04, to="~/mine/cuts", basket=True, catalog=catalog
    )
    assert path.parent == home / "mine" / "cuts"
    assert item.kind == "data"
    assert item.service == "tap"
    assert item.format == "image/fits"
    assert item.size == path.stat().st_size
    assert item.fields["cutout_of"] == cube["obs_publisher_did"]
    assert item.fields["cutout_file"] == "mine/cuts/" + path.name
    with Basket(default_path()) as basket:
        assert default_path().is_relative_to(home)
        assert basket.get(item.id).access_url == item.access_url
    again = httpx.get(str(item.access_url), timeout=60)
    assert again.status_code == 200
    assert again.content == path.read_bytes()


@pytest.mark.parametrize(
    ("change", "error", "code", "field"),
    [
        ({"radius": 0}, cutouts.BadRegion, "bad_region", "radius"),
        ({"radius": -0.1}, cutouts.BadRegion, "bad_region", "radius"),
        ({"radius": None, "box": (0.1, 0)}, cutouts.BadRegion, "bad_region", "box"),
        ({"radius": None}, cutouts.BadRegion, "bad_region", "radius"),
        ({"dec": 95}, cutouts.BadRegion, "bad_region", "dec"),
        ({"ra_off": 30}, cutouts.OutsideProduct, "outside_product", "ra"),
        ({"ra_off": 0.4}, cutouts.OutsideProduct, "outside_product", "ra"),
        ({"band": (4.0e-7, 4.5e-7)}, cutouts.BandOutside, "band_outside", "band"),
        ({"band": (4.5e-7, 4.0e-7)}, cutouts.BadRegion, "bad_region", "band"),
        ({"time": (59000.0, 59001.0)}, cutouts.AxisNotOffered, "axis_not_offered", "time"),
        ({"to": "../elsewhere"}, UserPathError, "bad_path", "to"),
    ],
)
def test_bad_input_is_refused_by_name(products, catalog, home, change, error, code, field):
    cube = products["cube"]
    asked: dict[str, Any] = {
        "ra": float(cube["s_ra"]) + change.pop("ra_off", 0.0),
        "dec": float(cube["s_dec"]),
        "radius": 0.05,
    }
    asked.update(change)
    before = sorted(home.rglob("*.fits*"))
    with pytest.raises(error) as raised:
        cutouts.cutout(row_of(cube, "sia"), catalog=catalog, **asked)
    assert raised.value.code == code
    assert raised.value.field == field
    assert raised.value.message
    assert raised.value.fix
    assert sorted(home.rglob("*.fits*")) == before  # nothing written, no part left


def test_a_band_of_an_image_is_refused(products, catalog, home):
    image = products["image"]
    with pytest.raises(cutouts.AxisNotOffered) as raised:
        cutouts.cutout(
            row_of(image, "tap"),
            float(image["s_ra"]),
            float(image["s_dec"]),
            0.05,
            band=(6.0e-7, 6.5e-7),
            catalog=catalog,
        )
    assert raised.value.field == "band"
    assert "BAND" in raised.value.message
    assert image["obs_id"] in raised.value.message


def test_products_without_soda_are_named_and_downloading_is_suggested(dachs, catalog, home):
    spectrum = csv_rows(dachs.spectra_csv)[0]
    through_ssa = {"service": "ssa", "ssa_pubDID": spectrum["ssa_pubDID"]}
    through_tap = {"service": "tap", "obs_publisher_did": spectrum["ssa_pubDID"]}
    for item, service in ((through_ssa, "ssa"), (through_tap, "tap")):
        with pytest.raises(NoCutoutService) as raised:
            cutouts.cutout(
                item, float(spectrum["ra"]), float(spectrum["dec"]), 0.01, catalog=catalog
            )
        assert raised.value.code == "no_soda"
        assert raised.value.field == "item"
        assert service in raised.value.message
        assert "download the whole product" in raised.value.fix


def test_an_empty_answer_of_the_service_means_outside(products, catalog, home):
    """Without the footprint's limits the service is asked, and its 204 says the same."""
    cube = products["cube"]
    service = find(row_of(cube, "tap"), catalog)
    blind = dataclasses.replace(service, domain=Domain(params=service.domain.params))
    far = cutouts.region(float(cube["s_ra"]) + 5, float(cube["s_dec"]), 0.05)
    cutouts.check(far, blind.domain, blind.product)  # nothing to check against
    with pytest.raises(cutouts.OutsideProduct) as raised:
        cutouts.fetch(blind, far, home / "far.fits")
    assert raised.value.field == "ra"
    assert not (home / "far.fits").exists()
    assert not (home / "far.fits.part").exists()


def test_a_job_cut_off_by_a_restart_is_cut_again_into_the_same_file(products, catalog, home):
    cube = products["cube"]
    store = JobStore(home / ".esap" / "restart-jobs.db")
    runner = Runner(store, [cutouts.kind(lambda: catalog, lambda: Basket(home / "b.sqlite"))])
    chosen = cutouts.region(float(cube["s_ra"]), float(cube["s_dec"]), 0.05)
    folder = cutouts.folder("restart")
    name = cutouts.reserve(folder, cube["obs_id"])
    params = {"item": row_of(cube, "tap"), "region": chosen.as_dict(), "folder": "restart",
              "file": name, "basket": False}  # fmt: skip
    # a job recorded by a server that is gone: its owner's lock is held by no one
    job = store.create(cutouts.KIND, params, owner="ended-server", result={"file": name})
    assert [j.id for j in runner.recover()] == [job.id]
    deadline = time.monotonic() + JOB_WAIT
    done = store.get(cutouts.KIND, job.id)
    while done.active and time.monotonic() < deadline:
        time.sleep(0.1)
        done = store.get(cutouts.KIND, job.id)
    assert done.state == DONE, done.error
    assert done.result["path"] == f"restart/{name}"
    with fits.open(folder / name) as got:
        assert got[0].data.shape[0] == 16
    assert not (folder / f"{name}.part").exists()
    store.close()


def test_esap_cutout_on_the_command_line(dachs, products, home, tmp_path, capsys):
    config = tmp_path / "esap.yaml"
    config.write_text(
        json.dumps({"data_services": [{"name": "tap", "type": "tap", "url": dachs.tap_url}]})
    )
    cube = products["cube"]
    common = ["--service", "tap", "--did", cube["obs_publisher_did"], "--config", str(config)]
    where = ["--ra", cube["s_ra"], "--dec", cube["s_dec"]]
    assert esap_main(["cutout", *common, *where, "--radius", "0.03", "--to", "cli"]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.parent == home / "cli"
    assert written.is_file()
    assert esap_main(["cutout", *common, *where, "--radius", "0"]) == 2
    assert "radius: a radius of 0° cuts out nothing" in capsys.readouterr().err


# ------------------------------------------------------------------ REST


@pytest.fixture(scope="module")
def api(data_hub):
    with data_hub.client() as client:
        yield client


def follow(api: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    """The job as it ended, read from its event stream."""
    last: dict[str, Any] = job
    with api.stream("GET", f"jobs/cutout/{job['id']}/events", timeout=JOB_WAIT) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            if line:
                last = json.loads(line)
    assert last["type"] == "done", last
    return last


@pytest.mark.hub
def test_rest_options_then_a_band_cutout_job_into_the_home_and_the_basket(api, data_hub, products):
    cube, image = products["cube"], products["image"]
    item = row_of(cube, "local-sia")
    answer = api.post("data/cutouts/options", json={"item": item})
    assert answer.status_code == 200, answer.text
    options = answer.json()
    assert options["product"] == cube["obs_id"]
    assert options["service"] == "local-sia"
    assert options["shapes"] == ["circle", "box"]
    assert options["centre"] == [float(cube["s_ra"]), float(cube["s_dec"])]
    low, high = options["band"]
    assert float(cube["em_min"]) <= low < high <= float(cube["em_max"])
    assert len(options["footprint"]) == 4
    image_options = api.post("data/cutouts/options", json={"item": row_of(image, "local-tap")})
    assert image_options.status_code == 200
    assert image_options.json()["band"] is None

    band = [low, low + (high - low) / 3]
    started = api.post(
        "jobs/cutout",
        json={"item": item, "ra": float(cube["s_ra"]), "dec": float(cube["s_dec"]),
              "radius": 0.04, "band": band, "basket": True},
    )  # fmt: skip
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["kind"] == "cutout"
    assert job["params"]["folder"] == "cutouts"
    ended = follow(api, job)
    assert ended["state"] == "done", ended["error"]
    result = ended["result"]
    home = data_hub.hub.data_dir / "homes" / data_hub.user
    written = home / result["path"]
    assert result["path"] == f"cutouts/{result['file']}"
    assert written.is_file()
    assert ended["progress"]["done"] == result["size"] == written.stat().st_size
    with fits.open(shipped_file(data_hub.dachs, cube)) as shipped, fits.open(written) as got:
        original, cut = shipped[0], got[0]
        waves = WCS(original.header).spectral.pixel_to_world_values(np.arange(16))
        step = float(waves[1] - waves[0])
        start = first_plane(original, cut)
        kept = waves[start : start + cut.data.shape[0]]
        assert 1 <= len(kept) < len(waves)
        assert band[0] - step <= kept[0] <= band[0] + step
        assert band[1] - step <= kept[-1] <= band[1] + step
    item_answer = api.get(f"basket/items/{result['basket_item']}")
    assert item_answer.status_code == 200, item_answer.text
    assert item_answer.json()["access_url"] == result["url"]
    listed = api.get("jobs/cutout").json()["jobs"]
    assert job["id"] in [j["id"] for j in listed]


@pytest.mark.hub
def test_rest_refusals_name_their_field(api, data_hub, products, dachs):
    cube = products["cube"]
    item = row_of(cube, "local-tap")
    ra, dec = float(cube["s_ra"]), float(cube["s_dec"])
    zero = api.post("jobs/cutout", json={"item": item, "ra": ra, "dec": dec, "radius": 0})
    assert zero.status_code == 400
    assert zero.json()["error"]["code"] == "bad_region"
    assert zero.json()["error"]["field"] == "radius"

    for body, code, field in (
        ({"ra": ra + 30, "dec": dec, "radius": 0.05}, "outside_product", "ra"),
        ({"ra": ra, "dec": dec, "radius": 0.05, "band": [1e-6, 2e-6]}, "band_outside", "band"),
    ):
        started = api.post("jobs/cutout", json={"item": item, **body})
        assert started.status_code == 202, started.text
        ended = follow(api, started.json())
        assert ended["state"] == "error"
        assert ended["error"]["code"] == code
        assert ended["error"]["field"] == field
        assert ended["error"]["fix"]

    spectrum = csv_rows(dachs.spectra_csv)[0]
    no_soda = api.post(
        "data/cutouts/options",
        json={"item": {"service": "local-tap", "obs_publisher_did": spectrum["ssa_pubDID"]}},
    )
    assert no_soda.status_code == 400
    error = no_soda.json()["error"]
    assert error["code"] == "no_soda"
    assert error["field"] == "item"
    assert "download the whole product" in error["fix"]
    home = data_hub.hub.data_dir / "homes" / data_hub.user
    leftovers = [p.name for p in (home / "cutouts").glob("*.part")]
    assert leftovers == []
