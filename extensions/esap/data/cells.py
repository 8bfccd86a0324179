"""Table cells as JSON scalars: what archives send, made safe to show and to store.

VOTable cells arrive as numpy scalars, masked values, bytes, arrays
(polygons, spectra axes) and NaN; the REST API and the result cache hold
only numbers, strings and null. Strings are passed on as they are — never
interpreted — and the lab renders them as text.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def json_value(value: Any) -> str | int | float | bool | None:
    """One cell as a JSON scalar: masked/NaN -> None, arrays -> space-separated text."""
    if value is None or value is np.ma.masked:
        return None
    if isinstance(value, np.ma.MaskedArray):
        if value.mask is np.ma.nomask or not np.any(value.mask):
            value = value.data
        else:
            value = value.compressed()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return json_value(value.item())
        return " ".join(str(json_value(v)) for v in value.ravel())
    return str(value)


def column_values(column: Any, start: int, stop: int) -> list[Any]:
    """Cells ``start:stop`` of an astropy column as JSON scalars.

    One-dimensional numeric, string and object columns convert through
    ``tolist()`` (fast), masked cells becoming ``None`` from the mask's own
    ``tolist()``; only multidimensional cells (polygons, spectra axes) and
    odd dtypes go cell by cell through :func:`json_value`.
    """
    chunk = column[start:stop]
    data = np.asarray(getattr(chunk, "data", chunk))
    mask = getattr(chunk, "mask", None)
    if data.ndim != 1 or data.dtype.kind not in "iubfUSO":
        return [json_value(chunk[i]) for i in range(len(chunk))]
    values = _plain_values(data)
    if mask is None or mask is np.ma.nomask or not np.any(mask):
        return values
    return [
        None if hidden else value
        for value, hidden in zip(values, np.asarray(mask).tolist(), strict=True)
    ]


def _plain_values(data: np.ndarray[Any, Any]) -> list[Any]:
    """A 1-d array of one of the kinds ``iubfUSO`` as JSON scalars (NaN/inf -> None)."""
    kind = data.dtype.kind
    values: list[Any] = data.tolist()
    if kind in "iub":
        return values
    if kind == "f":
        return [None if v != v or v in (math.inf, -math.inf) else v for v in values]
    if kind == "U":
        return values
    if kind == "S":
        return [v.decode("utf-8", "replace") for v in values]
    return [v if type(v) is str else json_value(v) for v in values]


__all__ = ["column_values", "json_value"]
