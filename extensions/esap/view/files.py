"""Opening a FITS file for the viewer: what it is, which HDU, memory-mapped, and what is wrong.

A viewer of a 2 GB cube must never read the file whole: astropy opens it
with ``memmap=True`` and ``do_not_scale_image_data=True``, so ``hdu.data``
is a view of the file's pages and a tile reads only the rows it shows (the
operating system pages them in); ``BSCALE``/``BZERO``/``BLANK`` are applied
here to each piece read, because astropy applying them would materialise the
whole array. A tile-compressed image (``CompImageHDU``) is read through
astropy's ``section``, which decompresses only the tiles asked for.

What cannot be viewed is said with what it is: a file that is not FITS is
named by its first bytes (a PNG, a gzip stream, a VOTable...), a FITS file
without an image HDU lists the HDUs it has, and a gzip-compressed FITS file,
which no one can memory-map, is read whole only below a size limit. A file
without a usable WCS is *not* an error: the viewer shows its pixels and
header and says why there are no sky coordinates (``esap.view.sky``).
"""

from __future__ import annotations

import bz2
import gzip
import math
import os
import struct
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from esap.core.errors import FieldError, NotFound

#: A FITS file starts with this card (the standard's first 30 bytes).
FITS_MAGIC = b"SIMPLE  ="
#: What a file is, by its first bytes (checked in order), when it is not FITS.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"{", "a JSON document"),
    (b"<!DOCTYPE html", "an HTML page"),
    (b"<html", "an HTML page"),
    (b"<?xml", "an XML document"),
    (b"<VOTABLE", "a VOTable"),
)
#: What a file is, by its name's ending, when its bytes do not say.
EXTENSIONS = {
    ".csv": "a CSV table",
    ".txt": "a text file",
    ".ipynb": "a notebook",
    ".py": "a Python file",
    ".vot": "a VOTable",
    ".xml": "an XML document",
    ".h5": "an HDF5 file",
    ".hdf5": "an HDF5 file",
    ".png": "a PNG image",
    ".jpg": "a JPEG image",
}
#: The largest compressed FITS file read whole into memory (uncompressed bytes).
COMPRESSED_MAX = 512 * 1024 * 1024
#: Header cards shown at most (a header of a million cards is a table in disguise).
MAX_CARDS = 20_000
#: FITS files kept open by the server (each is a few file handles and parsed headers).
OPEN_MAX = 8


class ViewError(FieldError):
    """A file the viewer cannot show: ``field`` names the request's field, the message why."""

    code = "cannot_view"


class NotFits(ViewError):
    """The file is not FITS; the message says what it is instead."""

    code = "not_fits"


class NoImage(ViewError):
    """A FITS file with no image HDU (only tables, or empty HDUs)."""

    code = "no_image"


class CompressedTooLarge(ViewError):
    """A gzip/bzip2-compressed FITS file too large to read whole, which cannot be memory-mapped."""

    code = "compressed_fits"


class FileMissing(NotFound):
    """No such file."""

    code = "no_file"


def _compressed_size(path: Path, head: bytes) -> int | None:
    """The uncompressed size of a gzip file (its trailer), None when it cannot be told."""
    if not head.startswith(b"\x1f\x8b"):
        return None
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(-4, os.SEEK_END)
        (isize,) = struct.unpack("<I", handle.read(4))
    # ISIZE is the size modulo 2**32: a trailer smaller than the stream is a file past 4 GiB
    return isize if isize >= size // 2 else None


def _decompressed_head(path: Path, head: bytes) -> bytes:
    """The first bytes inside a gzip or bzip2 stream ("" when it is neither or is broken)."""
    try:
        if head.startswith(b"\x1f\x8b"):
            with gzip.open(path, "rb") as stream:
                return stream.read(len(FITS_MAGIC))
        if head.startswith(b"BZh"):
            with bz2.open(path, "rb") as stream:
                return stream.read(len(FITS_MAGIC))
    except (OSError, EOFError):
        return b""
    return b""


def what_is(path: Path, head: bytes) -> str:
    """What a file that is not FITS is, in words, by its first bytes then by its name."""
    if not head:
        return "an empty file"
    stripped = head.lstrip()
    for magic, name in MAGIC:
        if stripped.startswith(magic):
            if name == "an XML document" and b"VOTABLE" in head.upper():
                return "a VOTable"
            return name
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file (not FITS inside)"
    if head.startswith(b"BZh"):
        return "a bzip2-compressed file (not FITS inside)"
    named = EXTENSIONS.get(path.suffix.lower())
    if named:
        return named
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file of unknown type"
    return "a text file"


def check_fits(path: Path, field_name: str) -> bool:
    """Whether ``path`` is compressed FITS (True) or plain FITS (False); raises if it is neither."""
    if not path.exists():
        raise FileMissing(
            f"no file {path.name!r} there",
            "check the path (relative to your home folder); upload or download the file first",
        ).at(field_name)
    if path.is_dir():
        raise ViewError(field_name, f"{path.name!r} is a folder", "give the path of a FITS file")
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(FITS_MAGIC):
        return False
    inner = _decompressed_head(path, head)
    if inner.startswith(FITS_MAGIC):
        return True
    raise NotFits(
        field_name,
        f"{path.name!r} is not a FITS file: it is {what_is(path, head)} "
        f"(a FITS file starts with {FITS_MAGIC.decode()!r})",
        "open a FITS image or cube (.fits, .fit, .fts); a table opens in a notebook",
    )


@dataclass
class HduSummary:
    """One HDU of the file, as the viewer lists it."""

    index: int
    name: str
    kind: str
    shape: list[int]
    image: bool


def _shape(header: Any) -> list[int]:
    """The data's size along each FITS axis (NAXIS1 first), from the header."""
    naxis = int(header.get("ZNAXIS", header.get("NAXIS", 0)) or 0)
    prefix = "ZNAXIS" if "ZNAXIS" in header else "NAXIS"
    return [int(header.get(f"{prefix}{i}", 0) or 0) for i in range(1, naxis + 1)]


def _is_image(hdu: Any) -> bool:
    """Whether an HDU holds an image of at least two axes with pixels (not a table)."""
    from astropy.io import fits

    if not isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.CompImageHDU):
        return False
    shape = _shape(hdu.header)
    return sum(1 for n in shape if n > 1) >= 2 and all(n > 0 for n in shape)


@dataclass
class FitsImage:
    """One image HDU of a FITS file, open and memory-mapped: what the viewer reads from.

    ``nx``, ``ny`` are the sizes along FITS axes 1 and 2 (numpy's last two),
    ``planes`` the size along axis 3 (1 for an image); axes past the third
    are read at their first pixel. Pixel coordinates are 0-based with pixel
    centres on integers (astropy's ``origin=0``); FITS counts from 1.
    """

    path: Path
    hdu_index: int
    hdus: list[HduSummary]
    header: Any
    nx: int
    ny: int
    planes: int
    bitpix: int
    compressed: bool
    memory_mapped: bool
    notes: list[str] = field(default_factory=list)
    _hdul: Any = None
    _array: Any = None
    _bscale: float = 1.0
    _bzero: float = 0.0
    _blank: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _limits_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _limits: dict[tuple[int, str], tuple[float, float]] = field(default_factory=dict, init=False)
    _sky: Any = field(default=None, init=False)

    @property
    def shape(self) -> list[int]:
        """The image's FITS axes' sizes (NAXIS1 first), as the header has them."""
        return _shape(self.header)

    @property
    def bunit(self) -> str | None:
        unit = self.header.get("BUNIT")
        return str(unit).strip() or None if unit is not None else None

    def plane_index(self, plane: int, field_name: str = "plane") -> tuple[int, ...]:
        """The numpy index of plane ``plane`` (leading axes past the third at 0)."""
        if not 0 <= plane < self.planes:
            raise FieldError(
                field_name,
                f"{plane}: the image has {self.planes} plane(s), numbered from 0",
                f"give {field_name} from 0 to {self.planes - 1}",
            )
        extra = self._array.ndim - 2
        if extra <= 0:
            return ()
        index = [0] * extra
        index[-1] = plane
        return tuple(index)

    def read(self, plane: int, rows: slice, cols: slice) -> np.ndarray:
        """Pixels of ``plane`` as float32 physical values (BSCALE/BZERO applied, BLANK as NaN).

        ``rows`` and ``cols`` slice numpy's axes (FITS axes 2 and 1), with a
        positive step; only what they select is read from the file.
        """
        base = self.plane_index(plane)
        raw = np.asarray(self._array[(*base, rows, cols)])
        values = raw.astype(np.float32)
        if self._blank is not None and raw.dtype.kind in "iu":
            values[raw == self._blank] = np.nan
        if self._bscale != 1.0:
            values *= np.float32(self._bscale)
        if self._bzero != 0.0:
            values += np.float32(self._bzero)
        return values

    def value(self, plane: int, x: float, y: float) -> float | None:
        """The pixel value at 0-based (x, y), None outside the image or where it is blank."""
        col, row = round(x), round(y)
        if not (0 <= col < self.nx and 0 <= row < self.ny):
            return None
        found = float(self.read(plane, slice(row, row + 1), slice(col, col + 1))[0, 0])
        return found if math.isfinite(found) else None

    def sample(self, plane: int, size: int = 512) -> np.ndarray:
        """The finite values of about ``size``x``size`` pixels of a plane, read by striding."""
        step_y = max(1, math.ceil(self.ny / size))
        step_x = max(1, math.ceil(self.nx / size))
        values = self.read(plane, slice(0, self.ny, step_y), slice(0, self.nx, step_x))
        finite: np.ndarray = values[np.isfinite(values)]
        return finite

    def limits(self, plane: int, interval: str) -> tuple[float, float]:
        """The display range of a plane for an interval (computed once, on a sample)."""
        from esap.view.scaling import compute_limits

        key = (plane, interval)
        # one computation per plane and interval: a screenful of tiles asks at once
        with self._limits_lock:
            known = self._limits.get(key)
            if known is None:
                known = self._limits[key] = compute_limits(self.sample(plane), interval)
            return known

    def header_text(self) -> str:
        """The header's cards as text, one per line (never markup: the lab shows it as text)."""
        cards = self.header.cards
        lines = [str(card.image).rstrip() for card in cards[:MAX_CARDS]]
        if len(cards) > MAX_CARDS:
            lines.append(f"... {len(cards) - MAX_CARDS} more cards not shown")
        return "\n".join(lines)

    def sky(self) -> Any:
        """The image's celestial and spectral WCS (``esap.view.sky.Sky``), read once."""
        from esap.view.sky import Sky

        with self._lock:
            if self._sky is None:
                self._sky = Sky.of(self)
            return self._sky


def _summaries(hdul: Any) -> list[HduSummary]:
    return [
        HduSummary(
            index=index,
            name=str(hdu.name or ""),
            kind=type(hdu).__name__,
            shape=_shape(hdu.header),
            image=_is_image(hdu),
        )
        for index, hdu in enumerate(hdul)
    ]


def open_fits(path: Path, *, hdu: int | None = None, field_name: str = "path") -> FitsImage:
    """Open the image HDU ``hdu`` of ``path`` (default: the first with pixels), memory-mapped.

    Raises :class:`NotFits`, :class:`NoImage`, :class:`CompressedTooLarge`
    or :class:`FileMissing`, each naming the file and what to do.
    """
    from astropy.io import fits

    compressed = check_fits(path, field_name)
    if compressed:
        with path.open("rb") as handle:
            head = handle.read(4)
        size = _compressed_size(path, head)
        if size is None or size > COMPRESSED_MAX:
            shown = f"{size / 2**20:.0f} MB" if size is not None else "an unknown size"
            raise CompressedTooLarge(
                field_name,
                f"{path.name!r} is compressed FITS ({shown} uncompressed): a compressed file "
                "cannot be memory-mapped, and is read whole only up to "
                f"{COMPRESSED_MAX // 2**20} MB",
                f"decompress it first (gunzip {path.name} or bunzip2), then open the .fits file",
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            hdul = fits.open(
                path,
                memmap=not compressed,
                do_not_scale_image_data=True,
                lazy_load_hdus=True,
                mode="readonly",
            )
            hdus = _summaries(hdul)
        except (OSError, ValueError, TypeError, IndexError) as exc:
            raise NotFits(
                field_name,
                f"{path.name!r} starts like FITS but cannot be read: {exc}",
                "check the file is complete (a download cut short?) and not damaged",
            ) from None
    images = [summary.index for summary in hdus if summary.image]
    listed = ", ".join(
        f"{s.index}: {s.kind}{' ' + s.name if s.name else ''} "
        f"{'x'.join(map(str, s.shape)) or 'empty'}"
        for s in hdus
    )
    if not images:
        hdul.close()
        raise NoImage(
            field_name,
            f"{path.name!r} has no image HDU (at least two axes with pixels); its HDUs: {listed}",
            "open a FITS image or cube; tables open in a notebook (astropy.table.Table.read)",
        )
    chosen = images[0] if hdu is None else hdu
    if chosen not in images:
        hdul.close()
        raise FieldError(
            "hdu",
            f"{chosen}: not an image HDU of {path.name!r} (its HDUs: {listed})",
            f"give one of the image HDUs: {', '.join(map(str, images))}",
        )
    return _image(path, hdul, chosen, hdus, compressed)


def _image(
    path: Path, hdul: Any, index: int, hdus: list[HduSummary], compressed: bool
) -> FitsImage:
    from astropy.io import fits

    hdu = hdul[index]
    header = hdu.header
    shape = _shape(header)
    notes = []
    if isinstance(hdu, fits.CompImageHDU):
        array: Any = hdu.section  # decompresses only the tiles a slice touches
        bscale, bzero, blank = 1.0, 0.0, None  # the section answers physical values
        mapped = False
        notes.append("tile-compressed image: each view decompresses the tiles it shows")
    else:
        try:
            array = hdu.data
        except (OSError, ValueError, TypeError) as exc:
            raise NotFits(
                "path",
                f"{path.name!r}: the pixels of HDU {index} cannot be read: {exc}",
                "check the file is complete (a download cut short?) and not damaged",
            ) from None
        bscale = float(header.get("BSCALE", 1.0) or 1.0)
        bzero = float(header.get("BZERO", 0.0) or 0.0)
        blank_card = header.get("BLANK")
        blank = (
            int(blank_card) if isinstance(blank_card, int) and hdu.header["BITPIX"] > 0 else None
        )
        mapped = not compressed
    if compressed:
        notes.append("compressed FITS: read whole into memory (it cannot be memory-mapped)")
    if len(shape) > 3 and any(n > 1 for n in shape[3:]):
        notes.append(f"axes 4 to {len(shape)} are shown at their first pixel")
    return FitsImage(
        path=path,
        hdu_index=index,
        hdus=hdus,
        header=header,
        nx=shape[0],
        ny=shape[1],
        planes=shape[2] if len(shape) > 2 else 1,
        bitpix=int(header.get("ZBITPIX", header.get("BITPIX", 0))),
        compressed=compressed,
        memory_mapped=mapped,
        notes=notes,
        _hdul=hdul,
        _array=array,
        _bscale=bscale,
        _bzero=bzero,
        _blank=blank,
    )


class OpenFiles:
    """The FITS images a server has open, reused across requests while the file is unchanged.

    A tile request must not parse the header again; a file written anew
    (another size or modification time) is opened again. The least recently
    used are dropped past :data:`OPEN_MAX` (astropy closes a memory map once
    nothing holds its array, so a tile being rendered keeps its own).
    """

    def __init__(self, most: int = OPEN_MAX) -> None:
        self._most = most
        self._open: OrderedDict[tuple[str, int | None], tuple[tuple[int, int], FitsImage]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, path: Path, hdu: int | None = None, field_name: str = "path") -> FitsImage:
        """The image of ``path`` (HDU ``hdu``), opened now or reused."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise FileMissing(
                f"no file {path.name!r} there",
                "check the path (relative to your home folder)",
            ).at(field_name) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        key = (str(path), hdu)
        with self._lock:
            known = self._open.get(key)
            if known is not None and known[0] == stamp:
                self._open.move_to_end(key)
                return known[1]
        image = open_fits(path, hdu=hdu, field_name=field_name)
        with self._lock:
            self._open[key] = (stamp, image)
            self._open.move_to_end(key)
            while len(self._open) > self._most:
                self._open.popitem(last=False)
        return image


__all__ = [
    "COMPRESSED_MAX",
    "CompressedTooLarge",
    "FileMissing",
    "FitsImage",
    "HduSummary",
    "NoImage",
    "NotFits",
    "OpenFiles",
    "ViewError",
    "check_fits",
    "open_fits",
    "what_is",
]
