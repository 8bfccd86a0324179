"""Step ``compare`` (files): the files the re-run wrote against the published ones, file by file.

Every file of the record but the notebook, its lock and its crate is put in
the run's folder before the run, where the notebook finds it as it did at
publication. After the run, a file the notebook wrote again is compared with
the published one: by SHA-256 first; if the bytes differ and it is a table
(CSV, ECSV, FITS, VOTable) by its content with astropy — the same columns,
the same number of rows, text columns equal and numeric columns within the
tolerance (``numpy.isclose``) — since a table written again holds a new
date in its header, or floats printed differently, without any value
changing. A FITS file without a table compares its image data the same way.
A file the run did not write again (its modification time unchanged) is
reported as such: it is the published copy, not a reproduced one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from esap.publish.reproduction.compare import Tolerance

TABLE_SUFFIXES = {
    ".csv": "ascii.csv",
    ".ecsv": "ascii.ecsv",
    ".tsv": "ascii.tab",
    ".fits": "fits",
    ".fit": "fits",
    ".fts": "fits",
    ".vot": "votable",
    ".votable": "votable",
}

_RANK = {"match": 0, "within_tolerance": 1, "differ": 2}


@dataclass
class FileResult:
    """One output file as the report shows it."""

    name: str
    #: match | within_tolerance | differ | missing | not_rewritten
    state: str
    method: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (``hashlib.file_digest``)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def snapshot(folder: Path, names: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``{name: (size, mtime_ns)}`` of the files put in the run's folder, before the run."""
    found = {}
    for name in names:
        stat = (folder / name).stat()
        found[name] = (stat.st_size, stat.st_mtime_ns)
    return found


def compare_files(
    recorded: Path,
    rerun: Path,
    names: dict[str, str],
    before: dict[str, tuple[int, int]],
    tolerance: Tolerance,
) -> list[FileResult]:
    """Each published output (``names``: the record's name -> its path in the run) compared."""
    results = []
    for name, path in sorted(names.items(), key=lambda item: item[1]):
        mine, theirs = recorded / name, rerun / path
        if not theirs.is_file():
            results.append(FileResult(path, "missing", "exists", ["the run removed it"]))
            continue
        stat = theirs.stat()
        if before.get(path) == (stat.st_size, stat.st_mtime_ns):
            results.append(
                FileResult(
                    path,
                    "not_rewritten",
                    "mtime",
                    [
                        "the run did not write it: it is the published copy (an input, "
                        "or an output this notebook no longer writes)"
                    ],
                )
            )
            continue
        if sha256_of(mine) == sha256_of(theirs):
            results.append(FileResult(path, "match", "sha256"))
            continue
        kind = _table_format(path)
        if kind is None:
            results.append(
                FileResult(path, "differ", "sha256", ["other bytes than the published file"])
            )
            continue
        try:
            state, details = compare_tables(mine, theirs, kind, tolerance)
        except Exception as exc:  # a table astropy cannot read: it is compared by bytes
            state, details = "differ", [f"other bytes, and not readable as a table ({exc})"]
        results.append(FileResult(path, state, "table", details))
    return results


def _table_format(name: str) -> str | None:
    lowered = name.lower().removesuffix(".gz")
    suffix = Path(lowered).suffix
    if suffix == ".xml" and ".vot" in lowered:
        return "votable"
    return TABLE_SUFFIXES.get(suffix)


def compare_tables(
    recorded: Path, rerun: Path, kind: str, tolerance: Tolerance
) -> tuple[str, list[str]]:
    """``(match | within_tolerance | differ, details)`` of two tables (or FITS images)."""
    import numpy as np
    from astropy.table import Table

    if kind == "fits" and not _fits_has_table(recorded):
        return _compare_arrays(_fits_image(recorded), _fits_image(rerun), "the image", tolerance)
    left = Table.read(recorded, format=kind)
    right = Table.read(rerun, format=kind)
    if left.colnames != right.colnames:
        return "differ", [f"columns {left.colnames} became {right.colnames}"]
    if len(left) != len(right):
        return "differ", [f"{len(left)} rows became {len(right)}"]
    state, details = "match", []
    for column in left.colnames:
        a, b = left[column], right[column]
        numeric = np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number)
        if numeric:
            got, found = _compare_arrays(
                np.ma.filled(a, np.nan), np.ma.filled(b, np.nan), f"column {column}", tolerance
            )
        else:
            same = [str(x) == str(y) for x, y in zip(a, b, strict=True)]
            bad = same.index(False) if False in same else None
            got, found = (
                ("match", [])
                if bad is None
                else (
                    "differ",
                    [
                        f"column {column}: {same.count(False)} value(s) differ, first at row "
                        f"{bad}: {a[bad]!r} became {b[bad]!r}"
                    ],
                )
            )
        details += found
        if _RANK[got] > _RANK[state]:
            state = got
    return state, details


def _compare_arrays(a: Any, b: Any, what: str, tolerance: Tolerance) -> tuple[str, list[str]]:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return "differ", [f"{what}: shape {a.shape} became {b.shape}"]
    equal = (a == b) | (np.isnan(a) & np.isnan(b))
    if bool(np.all(equal)):
        return "match", []
    close = np.isclose(b, a, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True)
    largest = float(np.nanmax(np.abs(a - b))) if a.size else 0.0
    if bool(np.all(close)):
        return "within_tolerance", [f"{what}: within tolerance (largest difference {largest:.3g})"]
    bad = int(np.count_nonzero(~close))
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    return "differ", [
        f"{what}: {bad} of {a.size} value(s) beyond rtol={tolerance.rtol:g}, "
        f"atol={tolerance.atol:g} (largest difference {largest:.3g}, first at {first}: "
        f"{a[first]:g} became {b[first]:g})"
    ]


def _fits_has_table(path: Path) -> bool:
    from astropy.io import fits

    with fits.open(path) as hdus:
        return any(isinstance(hdu, fits.BinTableHDU | fits.TableHDU) for hdu in hdus)


def _fits_image(path: Path) -> Any:
    from astropy.io import fits

    with fits.open(path) as hdus:
        for hdu in hdus:
            if hdu.data is not None:
                return hdu.data.copy()
    return []


__all__ = ["FileResult", "compare_files", "compare_tables", "sha256_of", "snapshot"]
