"""The image and cube viewer: the engine on real FITS files, and its REST API on the data hub.

Every file is written by the test (astropy) into a temporary folder or into
the hub user's home; every expectation is recomputed with astropy from the
same header and pixels (world coordinates, projections, spectral values),
never hard-coded. The REST half runs on the data hub's real jupyter-server,
and fetches a product of the real archive (GAVO DaCHS) as a ``view`` job.
"""

from __future__ import annotations

import gzip
import io
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from PIL import Image

from esap.core.errors import FieldError
from esap.view import View, files, open_fits, products, sky, tiles, viewer
from esap.view.png import encode
from esap.view.scaling import colormap_table

M51 = (202.4696, 47.1952)
NX, NY = 300, 200


def tan_header(nx: int = NX, ny: int = NY, scale: float = 0.0005, angle: float = 12.0):
    """A rotated TAN header centred near M51 (the rotation makes x and y mix)."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = list(M51)
    wcs.wcs.crpix = [nx / 2 + 0.3, ny / 2 - 0.7]
    theta = math.radians(angle)
    wcs.wcs.cd = np.array(
        [
            [-scale * math.cos(theta), scale * math.sin(theta)],
            [scale * math.sin(theta), scale * math.cos(theta)],
        ]
    )
    wcs.wcs.radesys = "ICRS"
    header = wcs.to_header()
    header["BUNIT"] = "Jy/beam"
    return header


def gradient(nx: int = NX, ny: int = NY) -> np.ndarray:
    """Pixels whose value says where they are: x + 1000 y."""
    ys, xs = np.mgrid[0:ny, 0:nx]
    return (xs + 1000.0 * ys).astype(np.float32)


def write(path: Path, data: np.ndarray, header=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.PrimaryHDU(data, header=header).writeto(path, overwrite=True)
    return path


def cube(path: Path, planes: int = 5, nx: int = 40, ny: int = 30) -> Path:
    """A cube with a celestial WCS and a wavelength axis in Angstrom; plane k holds k * 10."""
    header = tan_header(nx, ny)
    header["NAXIS"] = 3
    header["CTYPE3"] = "WAVE"
    header["CUNIT3"] = "Angstrom"
    header["CRVAL3"] = 6500.0
    header["CRPIX3"] = 1.0
    header["CDELT3"] = 2.5
    header["WCSAXES"] = 3
    data = np.stack([gradient(nx, ny) + 10.0 * k for k in range(planes)])
    return write(path, data, header)


def png_pixels(data: bytes) -> np.ndarray:
    """A PNG's pixels as PIL decodes them (an independent decoder)."""
    return np.asarray(Image.open(io.BytesIO(data)))


def gray_of(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.round(np.clip((values - low) / (high - low), 0, 1) * 255).astype(np.uint8)


# ---------------------------------------------------------------- engine


def test_the_pointer_reads_what_astropy_reads(tmp_path: Path) -> None:
    header = tan_header()
    data = gradient()
    image = open_fits(write(tmp_path / "m51.fits", data, header))
    expected = WCS(header)
    assert image.memory_mapped
    for x, y in [(0, 0), (17.25, 140.5), (NX - 1, NY - 1), (150, 99)]:
        answer = sky.world(image, x, y)
        truth = expected.pixel_to_world(x, y).icrs
        assert answer["world"]["ra"] == pytest.approx(truth.ra.deg, abs=1e-10)
        assert answer["world"]["dec"] == pytest.approx(truth.dec.deg, abs=1e-10)
        assert answer["world"]["ra_hms"] == truth.ra.to_string(
            unit="hourangle", sep=":", precision=2, pad=True
        )
        assert answer["value"] == data[round(y), round(x)]
        assert answer["unit"] == "Jy/beam"
    off = sky.world(image, -40, 12)
    assert off["value"] is None
    assert off["world"] is not None  # the sky goes on past the image's edge


def test_tiles_are_the_pixels_top_down_and_block_means_when_zoomed_out(tmp_path: Path) -> None:
    data = gradient()
    image = open_fits(write(tmp_path / "g.fits", data, tan_header()))
    low, high = float(data.min()), float(data.max())
    scale = tiles.Scale(low, high)
    assert tiles.levels(image) == 1
    assert tiles.tiles_at(image, 0) == (2, 1)
    # level 0, tile (0, 0): the image's top rows first (FITS row 0 is the bottom)
    first = png_pixels(tiles.render(image, 0, 0, 0, 0, scale))
    assert first.shape == (NY, 256)
    assert np.array_equal(first, gray_of(data[::-1, :256], low, high))
    # the right-hand tile is the image's last 44 columns
    edge = png_pixels(tiles.render(image, 0, 0, 1, 0, scale))
    assert edge.shape == (NY, NX - 256)
    # level 1: one tile, 2x2 block means
    whole = png_pixels(tiles.render(image, 0, 1, 0, 0, scale))
    means = data[::-1].reshape(NY // 2, 2, NX // 2, 2).mean(axis=(1, 3))
    assert whole.shape == (NY // 2, NX // 2)
    assert np.abs(whole.astype(int) - gray_of(means, low, high)).max() <= 1
    with pytest.raises(FieldError) as past:
        tiles.render(image, 0, 0, 2, 0, scale)
    assert past.value.field == "x"


def test_a_plane_far_zoomed_out_is_read_by_striding(tmp_path: Path) -> None:
    ys, xs = np.mgrid[0:40, 0:2100]
    data = (xs + 10_000.0 * ys).astype(np.float32)  # exact in float32: under 2**24
    image = open_fits(write(tmp_path / "wide.fits", data, tan_header(2100, 40)))
    level = tiles.levels(image)
    assert 2**level > tiles.MEAN_MAX  # striding, not block means
    values = tiles.tile_pixels(image, 0, level, 0, 0)
    factor = 2**level
    assert values.shape == (math.ceil(40 / factor), math.ceil(2100 / factor))
    # every value shown is a pixel of its own block (x + 10000 y says which)
    for row, col in np.ndindex(values.shape):
        x, y = int(values[row, col]) % 10_000, int(values[row, col]) // 10_000
        assert col * factor <= x < (col + 1) * factor
        assert row * factor <= 39 - y < (row + 1) * factor


def test_a_cube_shows_one_plane_at_a_time_with_its_spectral_value(tmp_path: Path) -> None:
    path = cube(tmp_path / "cube.fits")
    image = open_fits(path)
    info = viewer.describe(image)
    assert (info["width"], info["height"], info["planes"]) == (40, 30, 5)
    with fits.open(path) as hdul:
        truth = WCS(hdul[0].header).sub([3])
    values = truth.all_pix2world(np.arange(5.0), 0)[0]
    assert info["spectral"]["ctype"] == "WAVE"
    assert info["spectral"]["unit"] == "m"  # astropy.wcs works in SI
    assert info["spectral"]["values"] == pytest.approx(list(values))
    assert info["spectral"]["wavelengths"] == pytest.approx(list(values))
    scale = tiles.Scale(0.0, 30_000.0)
    one, three = (png_pixels(tiles.render(image, k, 0, 0, 0, scale)) for k in (1, 3))
    assert not np.array_equal(one, three)
    assert viewer.limits(image, 1, "minmax")["vmin"] == 10.0
    assert viewer.limits(image, 3, "minmax")["vmin"] == 30.0
    pointer = sky.world(image, 5, 6, plane=3)
    assert pointer["value"] == 5 + 6000 + 30
    assert pointer["spectral"]["value"] == pytest.approx(values[3])
    band = sky.region(image, "circle", (20, 15, 25, 15), plane=2)["band"]
    assert band == pytest.approx([values[2] - 1.25e-10, values[2] + 1.25e-10])
    with pytest.raises(FieldError) as past:
        sky.world(image, 5, 6, plane=5)
    assert past.value.field == "plane"


def test_a_file_without_a_usable_wcs_shows_its_pixels_and_says_why(tmp_path: Path) -> None:
    data = gradient(50, 40)
    bare = open_fits(write(tmp_path / "bare.fits", data))
    info = viewer.describe(bare)
    assert info["wcs"] is None
    assert "no WCS keywords" in info["no_wcs"]
    assert "NAXIS1" in info["header"]
    pointer = sky.world(bare, 3, 4)
    assert pointer["world"] is None
    assert pointer["value"] == 3 + 4000
    assert pointer["no_wcs"] == info["no_wcs"]
    assert sky.grid(bare, (0, 0, 49, 39))["lines"] == []
    with pytest.raises(sky.NoWcs) as refused:
        viewer.overlay(bare, [202.47], [47.19], 10)
    assert refused.value.status == 422
    assert "no WCS keywords" in refused.value.message
    header = fits.Header({"CTYPE1": "LINEAR", "CTYPE2": "LINEAR"})
    linear = open_fits(write(tmp_path / "linear.fits", data, header))
    assert "none is a sky coordinate" in linear.sky().reason
    assert png_pixels(tiles.render(linear, 0, 0, 0, 0, tiles.Scale(0, 1))).shape == (40, 50)


def test_what_is_not_a_viewable_fits_image_is_named(tmp_path: Path) -> None:
    png = tmp_path / "picture.fits"
    png.write_bytes(encode(np.zeros((4, 4), dtype=np.uint8)))
    with pytest.raises(files.NotFits) as caught:
        open_fits(png)
    assert "a PNG image" in caught.value.message
    assert caught.value.field == "path"
    table = tmp_path / "table.csv"
    table.write_text("ra,dec\n1,2\n")
    with pytest.raises(files.NotFits, match="a CSV table"):
        open_fits(table)
    with pytest.raises(files.FileMissing):
        open_fits(tmp_path / "nothing.fits")
    with pytest.raises(files.ViewError, match="is a folder"):
        open_fits(tmp_path)
    columns = fits.BinTableHDU.from_columns([fits.Column(name="ra", format="D", array=[1.0])])
    fits.HDUList([fits.PrimaryHDU(), columns]).writeto(tmp_path / "cat.fits")
    with pytest.raises(files.NoImage) as no_image:
        open_fits(tmp_path / "cat.fits")
    assert "BinTableHDU" in no_image.value.message


def test_compressed_fits_is_read_whole_only_under_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = gradient(60, 50)
    plain = write(tmp_path / "small.fits", data, tan_header(60, 50))
    packed = tmp_path / "small.fits.gz"
    with plain.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    image = open_fits(packed)
    assert not image.memory_mapped
    assert sky.world(image, 7, 9)["value"] == 7 + 9000
    monkeypatch.setattr(files, "COMPRESSED_MAX", 1000)
    with pytest.raises(files.CompressedTooLarge) as caught:
        open_fits(packed)
    assert "cannot be memory-mapped" in caught.value.message
    assert "gunzip" in caught.value.fix


def test_scaled_integers_and_blank_pixels(tmp_path: Path) -> None:
    raw = np.arange(-10, 10, dtype=np.int16).reshape(4, 5)
    raw[0, 0] = -32768
    hdu = fits.PrimaryHDU(raw)
    hdu.header["BSCALE"] = 2.0
    hdu.header["BZERO"] = 100.0
    hdu.header["BLANK"] = -32768
    path = tmp_path / "scaled.fits"
    hdu.writeto(path)
    # astropy's own reading (writeto kept the integers as given, the scale in the header)
    with fits.open(path) as hdul:
        physical = hdul[0].data.astype(float)
    image = open_fits(path)
    assert image.memory_mapped
    assert sky.world(image, 3, 2)["value"] == pytest.approx(physical[2, 3])
    assert sky.world(image, 0, 0)["value"] is None  # BLANK
    pixels = png_pixels(tiles.render(image, 0, 0, 0, 0, tiles.Scale(80, 120)))
    assert pixels.shape == (4, 5, 2)  # grey + alpha: the blank is transparent
    assert pixels[3, 0, 1] == 0
    assert (pixels[:3, :, 1] == 255).all()


def test_grid_lines_run_along_their_coordinate(tmp_path: Path) -> None:
    header = tan_header(400, 400, scale=0.002)
    image = open_fits(write(tmp_path / "grid.fits", gradient(400, 400), header))
    found = sky.grid(image, (-0.5, -0.5, 399.5, 399.5))
    assert found["frame"] == "icrs"
    axes = {line["axis"] for line in found["lines"]}
    assert axes == {"lon", "lat"}
    truth = WCS(header)
    for line in found["lines"]:
        points = np.array(line["points"])
        lon, lat = truth.all_pix2world(points[:, 0], points[:, 1], 0)
        if line["axis"] == "lon":
            assert np.allclose((lon - line["value"] + 180) % 360 - 180, 0, atol=1e-4), line
            assert line["label"].endswith(("h", "m", "s")) or "h" in line["label"]
        else:
            assert np.allclose(lat, line["value"], atol=1e-4), line
            assert line["label"].startswith(("+", "-"))


def test_rows_are_placed_where_astropy_places_them(tmp_path: Path) -> None:
    header = tan_header()
    image = open_fits(write(tmp_path / "rows.fits", gradient(), header))
    truth = WCS(header)
    inside = [truth.pixel_to_world(x, y).icrs for x, y in [(10, 20), (150.4, 99.9), (280, 190)]]
    ra = [c.ra.deg for c in inside] + [None, M51[0] + 180, M51[0] + 1.0]
    dec = [c.dec.deg for c in inside] + [47.0, -M51[1], M51[1]]
    placed = viewer.overlay(image, ra, dec, 100)
    assert placed["total"] == 6
    assert [p["row"] for p in placed["points"]] == [0, 1, 2]
    for point, coord in zip(placed["points"], inside, strict=True):
        x, y = truth.world_to_pixel(SkyCoord(coord.ra, coord.dec))
        assert point["x"] == pytest.approx(float(x), abs=1e-3)
        assert point["y"] == pytest.approx(float(y), abs=1e-3)
    assert viewer.overlay(image, ra, dec, 2)["shown"] == 2
    # a notebook's table column, masked cells included
    from astropy.table import MaskedColumn

    masked = MaskedColumn([*ra[:3], 0.0], mask=[False, True, False, True])
    placed = View(image).project(masked, MaskedColumn([*dec[:3], 0.0]))
    assert [p["row"] for p in placed["points"]] == [0, 2]


def test_a_selection_becomes_a_region_of_the_sky(tmp_path: Path) -> None:
    header = tan_header()
    image = open_fits(write(tmp_path / "region.fits", gradient(), header))
    truth = WCS(header)
    circle = sky.region(image, "circle", (100, 80, 130, 80))
    centre = truth.pixel_to_world(100, 80).icrs
    assert circle["ra"] == pytest.approx(centre.ra.deg)
    assert circle["dec"] == pytest.approx(centre.dec.deg)
    assert circle["radius"] == pytest.approx(centre.separation(truth.pixel_to_world(130, 80)).deg)
    assert "band" not in circle
    box = sky.region(image, "box", (50, 40, 150, 90))
    assert box["width"] == pytest.approx(100 * 0.0005, rel=1e-3)
    assert box["height"] == pytest.approx(50 * 0.0005, rel=1e-3)
    with pytest.raises(FieldError, match="no size"):
        sky.region(image, "circle", (5, 5, 5, 5))


def test_colour_maps_are_matplotlibs_and_pngs_decode() -> None:
    import matplotlib

    for name in ("viridis", "inferno"):
        reference = np.asarray(matplotlib.colormaps[name](np.linspace(0, 1, 256)))[:, :3]
        assert np.array_equal(colormap_table(name), np.round(reference * 255).astype(np.uint8))
    rng = np.random.default_rng(5)
    for shape in ((7, 9), (7, 9, 2), (7, 9, 3), (7, 9, 4)):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        assert np.array_equal(png_pixels(encode(pixels)), pixels)


def test_a_product_id_names_a_fetched_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    with pytest.raises(FieldError) as bad:
        products.product_path("../../etc/passwd")
    assert bad.value.field == "product"
    with pytest.raises(products.UnknownProduct):
        products.product_path("0" * 32)
    folder = products.cache_root() / products.product_id("https://archive.test/x.fits")
    folder.mkdir()
    (folder / "x.fits.part").write_bytes(b"half")
    with pytest.raises(products.UnknownProduct):  # a fetch cut short is not a product
        products.product_path(folder.name)
    (folder / "x.fits").write_bytes(b"SIMPLE  =")
    assert products.product_path(folder.name) == folder / "x.fits"


# ---------------------------------------------------------------- REST, on the data hub


@pytest.fixture(scope="module")
def home(data_hub) -> Path:
    """The hub user's home, where the REST tests write their files."""
    found = data_hub.hub.data_dir / "homes" / data_hub.user
    assert found.is_dir()
    folder = found / "view-tests"
    folder.mkdir(exist_ok=True)
    try:
        yield found
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def api(data_hub):
    with data_hub.client() as client:
        yield client


@pytest.mark.hub
@pytest.mark.dachs
def test_rest_shows_a_home_file_tiles_pointer_grid(api, home: Path) -> None:
    header = tan_header()
    data = gradient()
    write(home / "view-tests" / "m51.fits", data, header)
    source = {"path": "view-tests/m51.fits"}
    info = api.get("view/info", params=source)
    assert info.status_code == 200, info.text
    described = info.json()
    assert (described["width"], described["height"], described["planes"]) == (NX, NY, 1)
    assert described["wcs"]["frame"] == "icrs"
    assert described["bitpix"] == -32
    assert "CTYPE1  = 'RA---TAN'" in described["header"]
    limits = api.get("view/limits", params={**source, "interval": "minmax"}).json()
    assert (limits["vmin"], limits["vmax"]) == (float(data.min()), float(data.max()))
    tile = api.get(
        "view/tile",
        params={**source, "level": 0, "x": 0, "y": 0, "interval": "minmax", "v": "1"},
    )
    assert tile.status_code == 200, tile.text
    assert tile.headers["content-type"] == "image/png"
    low, high = limits["vmin"], limits["vmax"]
    assert np.array_equal(png_pixels(tile.content), gray_of(data[::-1, :256], low, high))
    coloured = api.get("view/tile", params={**source, "cmap": "viridis", "stretch": "asinh"})
    assert png_pixels(coloured.content).shape == (NY, 256, 3)
    world = api.get("view/world", params={**source, "x": 42.3, "y": 17}).json()
    truth = WCS(header).pixel_to_world(42.3, 17).icrs
    assert world["world"]["ra"] == pytest.approx(truth.ra.deg, abs=1e-10)
    assert world["world"]["dec"] == pytest.approx(truth.dec.deg, abs=1e-10)
    assert world["value"] == data[17, 42]
    lines = api.get("view/grid", params={**source, "x0": 0, "y0": 0, "x1": 100, "y1": 100})
    assert lines.status_code == 200
    assert lines.json()["lines"]
    region = api.post("view/region", json={**source, "shape": "box", "x0": 0, "y0": 0,
                                           "x1": 100, "y1": 50})  # fmt: skip
    assert region.status_code == 200, region.text
    assert region.json()["width"] == pytest.approx(0.05, rel=1e-3)
    unknown = api.get("view/tile", params={**source, "stretch": "cubic"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "stretch"


@pytest.mark.hub
@pytest.mark.dachs
@pytest.mark.parametrize(
    ("path", "status", "said"),
    [
        ("../../../etc/passwd", 400, "outside your home"),
        ("/etc/hostname", 400, "outside your home"),
        ("view-tests/out-link.fits", 400, "outside your home"),
        (".esap/jobs.db", 400, ".esap"),
        ("view-tests/notes.csv", 400, "not a FITS file: it is a CSV table"),
        ("view-tests/absent.fits", 404, "no file"),
    ],
)
def test_rest_refuses_what_is_not_a_home_fits_file(
    api, home: Path, path: str, status: int, said: str
) -> None:
    (home / "view-tests" / "notes.csv").write_text("a,b\n1,2\n")
    link = home / "view-tests" / "out-link.fits"
    if not link.is_symlink():
        link.symlink_to("/etc/hostname")
    answer = api.get("view/info", params={"path": path})
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert said in error["message"]
    assert error["field"] == "path"
    assert error["fix"]


@pytest.mark.hub
@pytest.mark.dachs
def test_rest_asks_for_one_source(api) -> None:
    neither = api.get("view/info")
    assert neither.status_code == 400
    assert "give either path" in neither.json()["error"]["message"]
    bad = api.get("view/info", params={"product": "not-an-id"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "product"
    gone = api.get("view/info", params={"product": "f" * 32})
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "no_product"
    for path, allowed in (("view/info", "GET"), ("view/tile", "GET"), ("view/region", "POST")):
        wrong = api.request("PUT", path)
        assert wrong.status_code == 405, wrong.text
        assert wrong.headers["Allow"] == allowed


def _finished(api, job: dict, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while job["state"] in ("pending", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = api.get(f"jobs/view/{job['id']}").json()
    return job


@pytest.mark.hub
@pytest.mark.dachs
def test_rest_views_an_archive_product_with_its_results_rows(api, data_hub) -> None:
    """A search of the real archive, one image fetched as a view job, the rows laid over it."""
    import json

    with api.stream(
        "POST",
        "data/search",
        json={"ra": M51[0], "dec": M51[1], "radius": 0.2, "services": ["local-tap"]},
    ) as answer:
        events = [json.loads(line) for line in answer.iter_lines() if line]
    [rows] = [e for e in events if e.get("event") == "rows"]
    names = [c["name"] for c in rows["columns"]]
    records = [dict(zip(names, row, strict=True)) for row in rows["rows"]]
    [image_row, *_] = [r for r in records if r["dataproduct_type"] == "image"]
    started = api.post(
        "jobs/view",
        json={"access_url": image_row["access_url"], "format": image_row["access_format"]},
    )
    assert started.status_code == 202, started.text
    again = api.post("jobs/view", json={"access_url": image_row["access_url"]})
    assert again.status_code == 202
    job = _finished(api, started.json())
    assert job["state"] == "done", job
    product = job["result"]["product"]
    assert job["progress"]["done"] == job["result"]["size"] > 0
    info = api.get("view/info", params={"product": product}).json()
    assert (info["width"], info["height"]) == (64, 64)
    assert info["wcs"] is not None
    header = fits.Header.fromstring(info["header"], sep="\n")
    truth = WCS(header)
    placed = api.post("view/overlay", json={"product": product, "result_id": rows["result_id"]})
    assert placed.status_code == 200, placed.text
    answer = placed.json()
    assert answer["total"] == rows["total"] == len(records)
    expected = []
    for index, record in enumerate(records):
        x, y = truth.world_to_pixel(SkyCoord(record["s_ra"], record["s_dec"], unit="deg"))
        if -0.5 <= x <= 63.5 and -0.5 <= y <= 63.5:
            expected.append((index, float(x), float(y)))
    assert expected, "the search must find rows on the image"
    assert [p["row"] for p in answer["points"]] == [e[0] for e in expected]
    for point, (_, x, y) in zip(answer["points"], expected, strict=True):
        assert (point["x"], point["y"]) == (pytest.approx(x, abs=1e-3), pytest.approx(y, abs=1e-3))
    second = _finished(
        api, api.post("jobs/view", json={"access_url": image_row["access_url"]}).json()
    )
    assert second["result"]["product"] == product  # cached: the same product, fetched once
