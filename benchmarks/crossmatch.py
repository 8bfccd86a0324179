"""Cross-matching 100k user rows with the test catalogue: ESAP Hub vs the same match by hand.

The archive is the test suite's GAVO DaCHS (started and stopped here, as
the tests do); the catalogue is its ``esaptest.sources`` (the shipped
point sources of three fields). The user's table has 100,000 rows: random
positions within the catalogue's three fields, and among them each
catalogue source ten times, moved by about an arcsecond, so that there are
matches. The radius is 2 arcsec.

* ours: ``esap.data.crossmatch(table, service, catalogue, 2)`` in this
  process (the notebook face: a job of the job store, its answer stored in
  the result cache), with ``method="upload"`` and with ``method="local"``.
* peer, upload: what a scientist writes with pyvo —
  ``TAPService(url).run_async(adql, uploads={"mine": table}, maxrec=...)``
  with the same ``TAP_UPLOAD`` join (asynchronous: DaCHS takes at most
  500 kB with a synchronous upload);
* peer, local: one pyvo cone query per field and astropy's
  ``search_around_sky`` (when scipy is installed; else astropy's
  ``SkyCoord.separation`` against each catalogue row of the cone).

Both sides start from the same astropy table and must find the same pairs.
Runs alternate after one warm-up each; medians. The local fallback's line
comes first, the last line is the upload's:

    crossmatch by TAP upload (100k rows, esaptest.sources, 2 arcsec): ours <x> s,
    hand-written pyvo upload <y> s, ratio <r> (goal <= 1.1)

(on one line).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import astropy.units as u
import numpy as np
import pyvo
import yaml
from _data_bench import median, running_dachs
from astropy.coordinates import SkyCoord
from astropy.table import Table

from harness.dachs import csv_rows

ROWS = 100_000
RADIUS = 2.0  # arcsec
COPIES = 10
CATALOGUE = "esaptest.sources"
#: The catalogue's fields: centre and radius (degrees), as the test archive's README says.
FIELDS = {"M31": (10.6847, 41.2690, 0.8), "M51": (202.4696, 47.1952, 0.3),
          "M1": (83.6331, 22.0145, 0.3)}  # fmt: skip


def user_table(sources: list[dict[str, str]], seed: int = 2026) -> Table:
    """100k rows: random positions in the three fields, and every source ten times, moved."""
    rng = np.random.default_rng(seed)
    ra = np.repeat([float(s["ra"]) for s in sources], COPIES)
    dec = np.repeat([float(s["dec"]) for s in sources], COPIES)
    moved_dec = dec + rng.normal(0, 0.8, len(dec)) / 3600
    moved_ra = ra + rng.normal(0, 0.8, len(ra)) / 3600 / np.cos(np.radians(dec))
    left = ROWS - len(ra)
    names = list(FIELDS)
    field = rng.choice(len(names), left)
    centre_ra = np.array([FIELDS[names[f]][0] for f in field])
    centre_dec = np.array([FIELDS[names[f]][1] for f in field])
    reach = np.array([FIELDS[names[f]][2] for f in field])
    # uniform within each field's circle (small: a flat disc is close enough)
    distance = reach * np.sqrt(rng.uniform(0, 1, left))
    angle = rng.uniform(0, 2 * np.pi, left)
    random_dec = centre_dec + distance * np.sin(angle)
    random_ra = centre_ra + distance * np.cos(angle) / np.cos(np.radians(centre_dec))
    order = rng.permutation(ROWS)
    return Table(
        {
            "id": np.arange(ROWS),
            "ra": np.concatenate([moved_ra, random_ra])[order],
            "dec": np.concatenate([moved_dec, random_dec])[order],
        }
    )


def upload_adql() -> str:
    return (
        "SELECT u.id AS user_row, DISTANCE(POINT('ICRS', u.ra, u.dec), "  # noqa: S608 - constants
        "POINT('ICRS', c.ra, c.dec)) * 3600.0 AS separation, c.* "
        f"FROM TAP_UPLOAD.mine AS u JOIN {CATALOGUE} AS c "
        "ON 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), "
        f"CIRCLE('ICRS', u.ra, u.dec, {RADIUS / 3600!r}))"
    )


def peer_upload(tap_url: str, table: Table) -> set[tuple[int, str]]:
    """The match by hand with pyvo: the table uploaded, the same join."""
    service = pyvo.dal.TAPService(tap_url)
    found = service.run_async(upload_adql(), uploads={"mine": table}, maxrec=10_000_000)
    answer = found.to_table()
    return {(int(r), str(s)) for r, s in zip(answer["user_row"], answer["source_id"], strict=True)}


def peer_local(tap_url: str, table: Table) -> set[tuple[int, str]]:
    """The match by hand: one pyvo cone query per field, astropy pairs the rows."""
    service = pyvo.dal.TAPService(tap_url)
    mine = SkyCoord(np.asarray(table["ra"]) * u.deg, np.asarray(table["dec"]) * u.deg)
    pairs: set[tuple[int, str]] = set()
    for ra, dec, reach in FIELDS.values():
        cone = service.run_sync(
            f"SELECT * FROM {CATALOGUE} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "  # noqa: S608
            f"CIRCLE('ICRS', {ra}, {dec}, {reach + 0.01}))",
            maxrec=10_000_000,
        ).to_table()
        theirs = SkyCoord(np.asarray(cone["ra"]) * u.deg, np.asarray(cone["dec"]) * u.deg)
        near = mine.separation(SkyCoord(ra * u.deg, dec * u.deg)) < (reach + 0.01) * u.deg
        rows = np.flatnonzero(near)
        for one, other in _around(mine[rows], theirs):
            pairs.add((int(rows[one]), str(cone["source_id"][other])))
    return pairs


def _around(mine: SkyCoord, theirs: SkyCoord) -> Iterator[tuple[int, int]]:
    try:
        from astropy.coordinates import search_around_sky

        ones, others, _, _ = search_around_sky(mine, theirs, RADIUS * u.arcsec)
        yield from zip(ones.tolist(), others.tolist(), strict=True)
    except ImportError:  # no scipy: each catalogue row against every user row
        for other in range(len(theirs)):
            for one in np.flatnonzero(mine.separation(theirs[other]) < RADIUS * u.arcsec):
                yield int(one), other


def ours(table: Table, config: Path, method: str) -> set[tuple[int, str]]:
    import esap.data

    answer = esap.data.crossmatch(table, "archive", CATALOGUE, RADIUS, method=method,
                                  config=config)  # fmt: skip
    return {(int(r), str(s)) for r, s in zip(answer["user_row"], answer["source_id"], strict=True)}


def timed(work: Callable[[], set[tuple[int, str]]]) -> tuple[float, set[tuple[int, str]]]:
    began = time.perf_counter()
    found = work()
    return time.perf_counter() - began, found


def compare(
    runs: int, mine: Callable[[], set[tuple[int, str]]], theirs: Callable[[], set[tuple[int, str]]]
) -> tuple[float, float, int]:
    """Alternate the two after a warm-up each; the medians and the pairs both found."""
    _, expected = timed(theirs)
    _, same = timed(mine)
    assert same == expected, f"ours found {len(same)} pairs, the peer {len(expected)}"
    ours_s, peer_s = [], []
    for _ in range(runs):
        seconds, found = timed(mine)
        assert found == expected
        ours_s.append(seconds)
        seconds, found = timed(theirs)
        assert found == expected
        peer_s.append(seconds)
    return median(ours_s), median(peer_s), len(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pyvo's and astropy's VOTable notes
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_dachs(Path(tmp) / "dachs") as (_harness, dachs),
        _state(Path(tmp) / "state"),
    ):
        config = Path(tmp) / "esap.yaml"
        service = {"name": "archive", "type": "tap", "url": dachs.tap_url, "timeout": 900}
        config.write_text(yaml.safe_dump({"data_services": [service]}))
        table = user_table(csv_rows(dachs.sources_csv))
        local = compare(args.runs, lambda: ours(table, config, "local"),
                        lambda: peer_local(dachs.tap_url, table))  # fmt: skip
        upload = compare(args.runs, lambda: ours(table, config, "upload"),
                         lambda: peer_upload(dachs.tap_url, table))  # fmt: skip
    print(f"{ROWS} user rows, {upload[2]} pairs within {RADIUS:g} arcsec; "
          f"{args.runs} runs, medians")  # fmt: skip
    print(
        f"crossmatch local fallback ({ROWS // 1000}k rows, {CATALOGUE}, {RADIUS:g} arcsec): "
        f"ours {local[0]:.2f} s, hand-written pyvo cones + astropy {local[1]:.2f} s, "
        f"ratio {local[0] / local[1]:.2f}"
    )
    print(
        f"crossmatch by TAP upload ({ROWS // 1000}k rows, {CATALOGUE}, {RADIUS:g} arcsec): "
        f"ours {upload[0]:.2f} s, hand-written pyvo upload {upload[1]:.2f} s, "
        f"ratio {upload[0] / upload[1]:.2f} (goal <= 1.1)"
    )


@contextlib.contextmanager
def _state(directory: Path) -> Iterator[None]:
    """ESAP's state (jobs, result cache) in the benchmark's own folder, not the user's."""
    before = os.environ.get("ESAP_STATE_DIR")
    os.environ["ESAP_STATE_DIR"] = str(directory)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("ESAP_STATE_DIR", None)
        else:
            os.environ["ESAP_STATE_DIR"] = before


if __name__ == "__main__":
    main()
