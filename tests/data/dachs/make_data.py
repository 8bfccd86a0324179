"""Generate the shipped DaCHS test data set (run once; the output is committed).

The tests need a TAP/SIA/SCS archive whose content they can predict exactly,
so the data is synthetic but shaped like a real imaging archive: pointings
scattered around three well-known targets, realistic filters, exposure times,
instruments and footprints.  Everything derives from one seeded generator, so
running this again reproduces the committed files byte for byte; the tests
never hard-code counts, they recompute them from the CSV files.

Usage (from the repository root, with the project's virtualenv)::

    python tests/data/dachs/make_data.py

Writes ``esaptest/data/images.csv``, ``esaptest/data/sources.csv``, one
small FITS image per target (``esaptest/data/<target>.fits``), the spectral
cubes (``esaptest/data/<target>-cube.fits``, rows of ``images.csv`` with
``dataproduct_type`` cube), and the spectral collection:
``esaptest/data/spectra.csv`` and one small spectrum per row
(``esaptest/data/spectra/<id>.csv``, wavelength in Angstrom and flux).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

SEED = 20261124
HERE = Path(__file__).resolve().parent
OUT = HERE / "esaptest" / "data"
#: Resource directory name inside DaCHS's inputs; accrefs and paths start with it.
RESDIR = "esaptest"
COLLECTION = "ESAP test imaging"
DID_BASE = "ivo://esap.test/esaptest"
#: The single row carrying markup, to prove that clients render archive text as text.
HOSTILE_TITLE = "M51 r-band stack <script>alert(1)</script>"
IMAGE_SIDE = 64


@dataclass(frozen=True)
class Target:
    """A field of the synthetic survey."""

    name: str
    slug: str
    target_class: str
    ra: float
    dec: float
    n_images: int
    spread: float  # degrees: max distance of a pointing from the target
    n_sources: int
    source_spread: float  # degrees


TARGETS = [
    # M31 is large on the sky: the survey tiles its disc out to 1.5 degrees.
    Target("M31", "m31", "galaxy", 10.6847, 41.2690, 110, 1.5, 140, 0.8),
    Target("M51", "m51", "galaxy", 202.4696, 47.1952, 80, 0.25, 90, 0.3),
    Target("M1", "m1", "supernova remnant", 83.6331, 22.0145, 60, 0.2, 70, 0.25),
]

# (facility, instrument, field of view diameter in degrees, seeing in arcsec)
SETUPS = [
    ("INT", "WFC", 0.55, 1.2),
    ("CFHT", "MegaCam", 1.1, 0.8),
    ("HST", "ACS/WFC", 0.056, 0.1),
    ("NOT", "ALFOSC", 0.11, 0.9),
]

# band name -> (em_min, em_max) in metres
BANDS = {
    "u": (3.2e-7, 4.0e-7),
    "g": (4.0e-7, 5.5e-7),
    "r": (5.5e-7, 6.9e-7),
    "i": (6.9e-7, 8.5e-7),
    "Halpha": (6.52e-7, 6.64e-7),
}

EXPOSURES = [60.0, 120.0, 300.0, 600.0, 900.0, 1200.0]


@dataclass(frozen=True)
class Cube:
    """A small integral-field cube (RA, Dec, wavelength) on a target, with a full WCS.

    Unlike the images, each cube is its own file, and its row's footprint
    and spectral range are the file's own, so SODA cutouts (spatial and
    BAND) of a cube can be checked against its row.
    """

    target: str
    facility: str
    instrument: str
    band: str
    start: float  # metres: centre of the first spectral plane
    step: float  # metres per plane
    line: float  # metres: observed wavelength of the emission line drawn in
    t_min: float  # MJD
    exptime: float  # seconds


#: (planes, rows, columns) of every cube: NAXIS3, NAXIS2, NAXIS1.
CUBE_SHAPE = (16, 32, 32)
#: Side of a cube's square field in degrees (edge to edge).
CUBE_SIDE = 0.25
CUBES = [
    Cube("M51", "CAHA", "PMAS/PPak", "Halpha", 6.50e-7, 1.0e-9, 6.573e-7, 59310.050, 1800.0),
    Cube("M1", "CAHA", "PMAS/PPak", "OIII", 4.96e-7, 1.0e-9, 5.007e-7, 59581.100, 1200.0),
]  # fmt: skip

IMAGE_COLUMNS = [
    "obs_publisher_did",
    "obs_id",
    "obs_collection",
    "obs_title",
    "dataproduct_type",
    "calib_level",
    "target_name",
    "target_class",
    "s_ra",
    "s_dec",
    "s_fov",
    "s_region",
    "s_resolution",
    "em_min",
    "em_max",
    "em_band",
    "t_min",
    "t_max",
    "t_exptime",
    "facility_name",
    "instrument_name",
    "o_ucd",
    "access_format",
    "accref",
    "file",
    "fsize",
]

SOURCE_COLUMNS = ["source_id", "ra", "dec", "field", "gmag", "rmag", "kind"]

#: The spectra's publisher DIDs start with this (schema of spectra.rd).
SPECTRUM_DID_BASE = "ivo://esap.test/esapspec"
SPECTRUM_POINTS = 120
#: Rest wavelengths in Angstrom of the emission lines drawn into the spectra.
LINES = {"Hbeta": 4861.3, "[OIII]": 5006.8, "Halpha": 6562.8, "Pabeta": 12818.1, "Brgamma": 21655.3}


@dataclass(frozen=True)
class Spectrum:
    """One spectrum of the SSA collection (spectra.rd), at a hand-picked position.

    The positions are chosen for the SSA tests: two spectra share the M31
    nucleus, a third M31 spectrum lies 0.27 degrees away, and the two M1
    spectra lie within 0.01 degrees of each other, so a 0.1 degree cone
    picks a known set whether a server reads SSA's SIZE as a diameter (the
    standard) or as a radius (DaCHS 2.7).  The spectral ranges overlap in
    known ways, for band filters.
    """

    ident: str
    target: str
    target_class: str
    ra: float
    dec: float
    start: float  # metres
    end: float  # metres
    bandpass: str
    facility: str
    instrument: str
    date_obs: float  # MJD, middle of the exposure
    exptime: float  # seconds


SPECTRA = [
    Spectrum("M31-nucleus-blue", "M31", "galaxy", 10.6847, 41.2690, 3.5e-7, 5.6e-7,
             "Optical", "NOT", "ALFOSC", 58834.912, 1200.0),
    Spectrum("M31-nucleus-red", "M31", "galaxy", 10.6847, 41.2690, 5.4e-7, 9.0e-7,
             "Optical", "NOT", "ALFOSC", 58834.931, 1200.0),
    Spectrum("M31-disc-field", "M31", "galaxy", 10.9500, 41.4500, 3.8e-7, 7.2e-7,
             "Optical", "INT", "IDS", 59120.087, 1800.0),
    Spectrum("M51-nucleus", "M51", "galaxy", 202.4696, 47.1952, 3.8e-7, 7.2e-7,
             "Optical", "INT", "IDS", 59310.004, 2400.0),
    Spectrum("M1-filament-optical", "M1", "supernova remnant", 83.6331, 22.0145, 4.0e-7,
             7.0e-7, "Optical", "INT", "IDS", 59580.951, 900.0),
    Spectrum("M1-filament-infrared", "M1", "supernova remnant", 83.6400, 22.0200, 1.0e-6,
             2.4e-6, "Infrared", "NOT", "NOTCam", 59581.012, 600.0),
]  # fmt: skip

SPECTRUM_COLUMNS = [
    "ssa_pubDID",
    "ssa_dstitle",
    "ssa_targname",
    "ssa_targclass",
    "ra",
    "dec",
    "ssa_specstart",
    "ssa_specend",
    "ssa_bandpass",
    "ssa_instrument",
    "ssa_dateObs",
    "ssa_timeExt",
    "ssa_length",
    "access_format",
    "accref",
    "file",
    "fsize",
]


def offset_position(ra: float, dec: float, xi: float, eta: float) -> tuple[float, float]:
    """Inverse gnomonic projection: the sky position at tangent-plane offset (xi, eta).

    Offsets are in degrees, xi towards east, eta towards north.  Using the exact
    projection (not ra + xi/cos(dec)) keeps footprints square near 47 degrees.
    """
    a0, d0 = math.radians(ra), math.radians(dec)
    x, y = math.radians(xi), math.radians(eta)
    denom = math.cos(d0) - y * math.sin(d0)
    a = a0 + math.atan2(x, denom)
    d = math.atan2(math.sin(d0) + y * math.cos(d0), math.hypot(x, denom))
    return math.degrees(a) % 360.0, math.degrees(d)


def footprint(ra: float, dec: float, fov: float) -> list[float]:
    """A square footprint of diameter fov as a DALI polygon (counter-clockwise on the sky)."""
    half = fov / (2.0 * math.sqrt(2.0))
    corners = [(half, half), (half, -half), (-half, -half), (-half, half)]
    flat: list[float] = []
    for xi, eta in corners:
        flat.extend(offset_position(ra, dec, xi, eta))
    return flat


def random_offset(rng: np.random.Generator, spread: float) -> tuple[float, float]:
    """A tangent-plane offset uniform over a disc of radius spread (degrees)."""
    r = spread * math.sqrt(rng.uniform())
    phi = rng.uniform(0.0, 2.0 * math.pi)
    return r * math.cos(phi), r * math.sin(phi)


def write_fits(target: Target, index: int) -> tuple[str, int]:
    """A small FITS image with a WCS on the target; returns (inputs-relative path, size).

    The images are placeholders shared by all observations of a target: they
    give access URLs and previews something real to serve while keeping the
    repository small.
    """
    rng = np.random.default_rng(SEED + 1 + index)
    yy, xx = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE]
    c = (IMAGE_SIDE - 1) / 2.0
    blob = 3000.0 * np.exp(-((xx - c) ** 2 + (yy - c) ** 2) / (2 * 8.0**2))
    data = (200.0 + blob + rng.normal(0.0, 15.0, blob.shape)).astype(np.int16)
    header = fits.Header()
    header["OBJECT"] = target.name
    header["CTYPE1"] = "RA---TAN"
    header["CTYPE2"] = "DEC--TAN"
    header["CRVAL1"] = target.ra
    header["CRVAL2"] = target.dec
    header["CRPIX1"] = c + 1.0
    header["CRPIX2"] = c + 1.0
    header["CDELT1"] = -0.5 / IMAGE_SIDE
    header["CDELT2"] = 0.5 / IMAGE_SIDE
    header["CUNIT1"] = "deg"
    header["CUNIT2"] = "deg"
    header["RADESYS"] = "ICRS"
    header["EQUINOX"] = 2000.0
    header["BUNIT"] = "adu"
    header["ORIGIN"] = "ESAP Hub test data"
    name = f"{target.slug}.fits"
    path = OUT / name
    fits.PrimaryHDU(data=data, header=header).writeto(path, overwrite=True)
    return f"{RESDIR}/data/{name}", path.stat().st_size


def cube_edges(cube: Cube) -> tuple[float, float]:
    """The cube's spectral range in metres: the outer edges of its first and last planes."""
    planes = CUBE_SHAPE[0]
    return cube.start - cube.step / 2, cube.start + (planes - 0.5) * cube.step


def write_cube(cube: Cube, target: Target, index: int) -> tuple[str, int]:
    """A float32 cube on the target: a blob whose emission line peaks in a few planes.

    Returns (inputs-relative path, size).  The WCS is celestial (TAN) on
    axes 1-2 and linear wavelength (``WAVE`` in metres) on axis 3.
    """
    rng = np.random.default_rng(SEED + 200 + index)
    planes, side = CUBE_SHAPE[0], CUBE_SHAPE[1]
    zz, yy, xx = np.mgrid[0:planes, 0:side, 0:side]
    c = (side - 1) / 2.0
    wavelength = cube.start + zz * cube.step
    line = np.exp(-((wavelength - cube.line) ** 2) / (2 * (1.5 * cube.step) ** 2))
    blob = np.exp(-((xx - c) ** 2 + (yy - c) ** 2) / (2 * 4.0**2))
    data = (1.0 + 20.0 * blob * (0.2 + line) + rng.normal(0.0, 0.05, blob.shape)).astype(np.float32)
    header = fits.Header()
    header["OBJECT"] = target.name
    header["CTYPE1"] = "RA---TAN"
    header["CTYPE2"] = "DEC--TAN"
    header["CTYPE3"] = "WAVE"
    header["CRVAL1"] = target.ra
    header["CRVAL2"] = target.dec
    header["CRVAL3"] = cube.start
    header["CRPIX1"] = c + 1.0
    header["CRPIX2"] = c + 1.0
    header["CRPIX3"] = 1.0
    header["CDELT1"] = -CUBE_SIDE / side
    header["CDELT2"] = CUBE_SIDE / side
    header["CDELT3"] = cube.step
    header["CUNIT1"] = "deg"
    header["CUNIT2"] = "deg"
    header["CUNIT3"] = "m"
    header["SPECSYS"] = "TOPOCENT"
    header["RADESYS"] = "ICRS"
    header["EQUINOX"] = 2000.0
    header["BUNIT"] = "1e-20 W/(m2 nm)"
    header["ORIGIN"] = "ESAP Hub test data"
    name = f"{target.slug}-cube.fits"
    path = OUT / name
    fits.PrimaryHDU(data=data, header=header).writeto(path, overwrite=True)
    return f"{RESDIR}/data/{name}", path.stat().st_size


def cube_rows() -> list[dict[str, str]]:
    """The cubes' ObsCore rows (no random draws: the other files stay as they were)."""
    by_name = {t.name: t for t in TARGETS}
    rows: list[dict[str, str]] = []
    for index, cube in enumerate(CUBES, start=1):
        target = by_name[cube.target]
        path, size = write_cube(cube, target, index)
        em_min, em_max = cube_edges(cube)
        diagonal = CUBE_SIDE * math.sqrt(2.0)
        region = footprint(target.ra, target.dec, diagonal)
        obs_id = f"{target.name}-{cube.facility}-{cube.band}-{index:04d}"
        setup = f"{cube.facility}/{cube.instrument}"
        rows.append(
            {
                "obs_publisher_did": f"{DID_BASE}?{obs_id}",
                "obs_id": obs_id,
                "obs_collection": COLLECTION,
                "obs_title": f"{target.name} {cube.band} cube ({setup})",
                "dataproduct_type": "cube",
                "calib_level": "3",
                "target_name": target.name,
                "target_class": target.target_class,
                "s_ra": f"{target.ra:.6f}",
                "s_dec": f"{target.dec:.6f}",
                "s_fov": f"{diagonal:.4f}",
                "s_region": " ".join(f"{v:.6f}" for v in region),
                "s_resolution": "1.50",
                "em_min": f"{em_min:.4e}",
                "em_max": f"{em_max:.4e}",
                "em_band": cube.band,
                "t_min": f"{cube.t_min:.6f}",
                "t_max": f"{cube.t_min + cube.exptime / 86400.0:.6f}",
                "t_exptime": f"{cube.exptime:.1f}",
                "facility_name": cube.facility,
                "instrument_name": cube.instrument,
                "o_ucd": "phot.flux.density;em.wl",
                "access_format": "image/fits",
                "accref": f"{RESDIR}/{target.slug}/{obs_id}.fits",
                "file": path,
                "fsize": str(size),
            }
        )
    return rows


def image_rows(rng: np.random.Generator, files: dict[str, tuple[str, int]]) -> list[dict[str, str]]:
    """The ObsCore-like rows: one per image product."""
    rows: list[dict[str, str]] = []
    hostile_done = False
    for target in TARGETS:
        for n in range(1, target.n_images + 1):
            facility, instrument, fov, seeing = SETUPS[int(rng.integers(len(SETUPS)))]
            band = list(BANDS)[int(rng.integers(len(BANDS)))]
            em_min, em_max = BANDS[band]
            exptime = EXPOSURES[int(rng.integers(len(EXPOSURES)))]
            t_min = float(rng.uniform(57000.0, 60500.0))
            t_max = t_min + exptime / 86400.0
            ra, dec = offset_position(target.ra, target.dec, *random_offset(rng, target.spread))
            calib_level = int(rng.choice([1, 2, 2, 3]))
            obs_id = f"{target.name}-{facility}-{band}-{n:04d}"
            title = f"{target.name} {band}-band {exptime:.0f} s ({facility}/{instrument})"
            if target.name == "M51" and band == "r" and not hostile_done:
                title = HOSTILE_TITLE
                hostile_done = True
            path, size = files[target.slug]
            rows.append(
                {
                    "obs_publisher_did": f"{DID_BASE}?{obs_id}",
                    "obs_id": obs_id,
                    "obs_collection": COLLECTION,
                    "obs_title": title,
                    "dataproduct_type": "image",
                    "calib_level": str(calib_level),
                    "target_name": target.name,
                    "target_class": target.target_class,
                    "s_ra": f"{ra:.6f}",
                    "s_dec": f"{dec:.6f}",
                    "s_fov": f"{fov:.4f}",
                    "s_region": " ".join(f"{v:.6f}" for v in footprint(ra, dec, fov)),
                    "s_resolution": f"{seeing * rng.uniform(0.9, 1.4):.2f}",
                    "em_min": f"{em_min:.4e}",
                    "em_max": f"{em_max:.4e}",
                    "em_band": band,
                    "t_min": f"{t_min:.6f}",
                    "t_max": f"{t_max:.6f}",
                    "t_exptime": f"{exptime:.1f}",
                    "facility_name": facility,
                    "instrument_name": instrument,
                    "o_ucd": "phot.count" if calib_level == 1 else "phot.flux.density;em.opt",
                    "access_format": "image/fits",
                    "accref": f"{RESDIR}/{target.slug}/{obs_id}.fits",
                    "file": path,
                    "fsize": str(size),
                }
            )
    if not hostile_done:
        raise SystemExit("no M51 r-band row to carry the hostile title: change SEED")
    return rows


def source_rows(rng: np.random.Generator) -> list[dict[str, str]]:
    """A small point-source catalogue around the same targets (for cone search)."""
    rows: list[dict[str, str]] = []
    for target in TARGETS:
        for n in range(1, target.n_sources + 1):
            ra, dec = offset_position(
                target.ra, target.dec, *random_offset(rng, target.source_spread)
            )
            kind = str(rng.choice(["star", "star", "star", "galaxy", "cluster"]))
            gmag = float(rng.uniform(14.0, 22.5))
            rows.append(
                {
                    "source_id": f"ESAPT-{target.name}-{n:04d}",
                    "ra": f"{ra:.7f}",
                    "dec": f"{dec:.7f}",
                    "field": target.name,
                    "gmag": f"{gmag:.3f}",
                    "rmag": f"{gmag - float(rng.uniform(0.1, 1.2)):.3f}",
                    "kind": kind,
                }
            )
    return rows


def write_spectrum(spectrum: Spectrum, index: int) -> Path:
    """A small CSV spectrum: a sloped continuum, the emission lines in range, noise.

    Placeholders like the images, but each spectrum is its own file, so
    the access URL of every SSA row serves something distinct.
    """
    rng = np.random.default_rng(SEED + 100 + index)
    wavelength = np.linspace(spectrum.start * 1e10, spectrum.end * 1e10, SPECTRUM_POINTS)
    flux = 1.0 + 0.3 * (wavelength / wavelength[0] - 1.0)
    step = wavelength[1] - wavelength[0]
    for rest in LINES.values():
        flux += 4.0 * np.exp(-((wavelength - rest) ** 2) / (2 * (1.5 * step) ** 2))
    flux = 1e-16 * (flux + rng.normal(0.0, 0.03, flux.shape))
    path = OUT / "spectra" / f"{spectrum.ident}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        f.write("wavelength,flux\n")
        f.writelines(f"{w:.2f},{v:.4e}\n" for w, v in zip(wavelength, flux, strict=True))
    return path


def spectrum_rows() -> list[dict[str, str]]:
    """The SSA rows (column names of DaCHS's SSA model) and their spectrum files."""
    rows: list[dict[str, str]] = []
    for index, spectrum in enumerate(SPECTRA):
        path = write_spectrum(spectrum, index)
        relative = path.relative_to(OUT.parent).as_posix()
        part = spectrum.ident.split("-", 1)[1].replace("-", " ")
        setup = f"{spectrum.facility}/{spectrum.instrument}"
        rows.append(
            {
                "ssa_pubDID": f"{SPECTRUM_DID_BASE}?{spectrum.ident}",
                "ssa_dstitle": f"{spectrum.target} {part} ({setup})",
                "ssa_targname": spectrum.target,
                "ssa_targclass": spectrum.target_class,
                "ra": f"{spectrum.ra:.6f}",
                "dec": f"{spectrum.dec:.6f}",
                "ssa_specstart": f"{spectrum.start:.4e}",
                "ssa_specend": f"{spectrum.end:.4e}",
                "ssa_bandpass": spectrum.bandpass,
                "ssa_instrument": setup,
                "ssa_dateObs": f"{spectrum.date_obs:.6f}",
                "ssa_timeExt": f"{spectrum.exptime:.1f}",
                "ssa_length": str(SPECTRUM_POINTS),
                "access_format": "text/csv",
                "accref": f"{RESDIR}/spectra/{spectrum.ident}.csv",
                "file": f"{RESDIR}/{relative}",
                "fsize": str(path.stat().st_size),
            }
        )
    return rows


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    """Write rows with a header line; Unix line ends so the file hashes the same everywhere."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Regenerate every data file."""
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    files = {t.slug: write_fits(t, i) for i, t in enumerate(TARGETS)}
    images = image_rows(rng, files)
    sources = source_rows(rng)
    cubes = cube_rows()
    images += cubes
    write_csv(OUT / "images.csv", IMAGE_COLUMNS, images)
    write_csv(OUT / "sources.csv", SOURCE_COLUMNS, sources)
    spectra = spectrum_rows()
    write_csv(OUT / "spectra.csv", SPECTRUM_COLUMNS, spectra)
    print(
        f"wrote {len(images) - len(cubes)} images, {len(cubes)} cubes, {len(sources)} sources, "
        f"{len(files)} FITS images "
        f"and {len(spectra)} spectra to {OUT}"
    )


if __name__ == "__main__":
    main()
