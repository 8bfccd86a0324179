"""Sizes as ``esap.yaml`` writes them (``4G``, ``512Mi``), in bytes, and bytes for people.

Profiles, Dask limits and ``hub.home_quota`` share one syntax, Kubernetes'
(the chart hands some of them to Kubernetes as they are), so they are read
by one function: the hub's gateway policy, the public config that user
servers receive and the quota check all agree on what ``10G`` means.
"""

from __future__ import annotations

import re

_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([KMGT])(i?)$")
_POWERS = {"K": 1, "M": 2, "G": 3, "T": 4}
_UNITS = ("bytes", "kB", "MB", "GB", "TB", "PB")


def memory_bytes(value: str) -> int:
    """``4G`` → 4·10⁹, ``512Mi`` → 512·2²⁰: Kubernetes' reading of a memory size.

    The config models already checked the syntax; anything else is a
    ``ValueError`` naming the value.
    """
    match = _MEMORY.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a memory size such as 4G or 512Mi")
    number, unit, binary = match.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** _POWERS[unit])


def human_bytes(count: float) -> str:
    """``1234567`` → ``1.23 MB``: a size for a message, in the decimal units ``10G`` uses."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns


__all__ = ["human_bytes", "memory_bytes"]
