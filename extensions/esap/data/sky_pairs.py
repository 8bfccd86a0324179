"""Pairs of sky positions closer than a radius, and the cones that cover a set of positions.

The local cross-match (:func:`esap.data.crossmatches.match_local`) asks a
catalogue for the rows around the user's positions (:func:`cones`) and
pairs them (:func:`pairs_within`). Both are numpy over unit vectors and
astropy's ``angular_separation``: astropy's ``search_around_sky`` answers
the same pairs but needs scipy's KD-tree, which ESAP Hub does not install
(tens of megabytes in every install for one function).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: Cone queries of one local match at most; the grid that groups rows grows until they suffice.
MAX_CONES = 12
#: The grid cells (degrees) that group the rows into cones, finest first.
CONE_SIZES = (1.0, 2.0, 5.0, 10.0, 30.0, 90.0, 180.0)


@dataclass(frozen=True)
class Cone:
    """One cone query of a local match: its centre, radius (degrees) and the rows it serves."""

    ra: float
    dec: float
    radius: float
    rows: np.ndarray[Any, Any]


def _unit_vectors(ra: Any, dec: Any) -> np.ndarray[Any, Any]:
    import numpy as np

    r, d = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)], axis=-1)


def _angle(vectors: Any, centre: Any) -> np.ndarray[Any, Any]:
    """Degrees between unit vectors and a centre (atan2: precise at small angles too)."""
    import numpy as np

    cross = np.linalg.norm(np.cross(vectors, centre), axis=-1)
    return np.asarray(np.degrees(np.arctan2(cross, vectors @ centre)), dtype=float)


def _linked(ra: Any, dec: Any, cell: float) -> list[np.ndarray[Any, Any]]:
    """Positions grouped by touching cells of a ``cell``-degree RA/Dec grid (RA wraps).

    Positions in one cell or in neighbouring cells are in one group, so two
    groups are at least ``cell`` degrees apart; a union-find over the
    occupied cells (few, whatever the rows) links them.
    """
    import numpy as np

    n_dec = max(1, math.ceil(180.0 / cell))
    n_ra = max(1, math.floor(360.0 / cell))
    i_dec = np.clip(((dec + 90.0) / cell).astype(int), 0, n_dec - 1)
    i_ra = np.clip((np.mod(ra, 360.0) / (360.0 / n_ra)).astype(int), 0, n_ra - 1)
    occupied, inverse = np.unique(i_dec * n_ra + i_ra, return_inverse=True)
    index = {int(key): i for i, key in enumerate(occupied)}
    parent = list(range(len(occupied)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, key in enumerate(occupied.tolist()):
        d, r = divmod(key, n_ra)
        for dd in (-1, 0, 1):
            for dr in (-1, 0, 1):
                if 0 <= d + dd < n_dec:
                    other = index.get((d + dd) * n_ra + (r + dr) % n_ra)
                    if other is not None:
                        parent[root(other)] = root(i)
    labels = np.array([root(i) for i in range(len(occupied))])[inverse.ravel()]
    return [np.flatnonzero(labels == label) for label in np.unique(labels)]


def cones(ra: Any, dec: Any, rows: Any, radius: float) -> list[Cone]:
    """Cones that cover the rows' positions (plus the match radius), at most ``MAX_CONES``.

    Rows whose positions lie together (touching cells of a grid, 1 degree
    first) share one cone; fields far apart get a cone each. With more
    groups than ``MAX_CONES`` the grid grows coarser. Each cone is centred
    on its rows and made just large enough for them and the radius: a
    table of one field is one cone query, a table of three fields three, a
    table scattered over the sky one query of the whole catalogue.
    """
    import numpy as np

    vectors = _unit_vectors(ra[rows], dec[rows])
    margin = radius / 3600.0 + 1e-6
    groups: list[np.ndarray[Any, Any]] = []
    for size in CONE_SIZES:
        groups = _linked(ra[rows], dec[rows], size)
        if len(groups) <= MAX_CONES:
            break
    found = []
    for group in groups:
        mean = vectors[group].sum(axis=0)
        norm = np.linalg.norm(mean)
        centre = mean / norm if norm > 1e-9 else vectors[group[0]]
        reach = float(_angle(vectors[group], centre).max()) + margin
        c_ra = math.degrees(math.atan2(centre[1], centre[0])) % 360.0
        c_dec = math.degrees(math.asin(max(-1.0, min(1.0, float(centre[2])))))
        found.append(Cone(c_ra, c_dec, min(reach, 180.0), rows[group]))
    return found


#: Candidate pairs compared at once (bounds the memory of one step of a match).
PAIRS_AT_ONCE = 2_000_000


def pairs_within(
    ra1: Any, dec1: Any, ra2: Any, dec2: Any, radius: float
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Every pair of a first and a second position closer than ``radius`` (all degrees).

    The indexes into each side and the separations (degrees), as astropy's
    ``search_around_sky`` answers them; that one needs scipy's KD-tree, which
    ESAP Hub does not install. Here the second side is sorted by declination
    and each first position is compared with the strip ``dec ± radius`` only
    (no pair is farther apart in declination than on the sky), the
    separation of each candidate by astropy's ``angular_separation``
    (Vincenty's formula, exact at any distance), a bounded number of
    candidates at a time.
    """
    import numpy as np
    from astropy.coordinates import angular_separation

    empty = np.zeros(0, np.int64)
    known = np.flatnonzero(np.isfinite(ra2) & np.isfinite(dec2))
    if not len(ra1) or not known.size:
        return empty, empty, np.zeros(0)
    order = known[np.argsort(dec2[known], kind="stable")]
    sorted_dec = dec2[order]
    slack = radius + 1e-9
    low = np.searchsorted(sorted_dec, dec1 - slack, side="left")
    high = np.searchsorted(sorted_dec, dec1 + slack, side="right")
    counts = high - low
    firsts, seconds, separations = [], [], []
    start = 0
    while start < len(ra1):
        # as many first positions as keep the candidates under PAIRS_AT_ONCE (one at least)
        within = np.cumsum(counts[start:]) <= PAIRS_AT_ONCE
        stop = start + max(1, int(within.sum()))
        n = counts[start:stop]
        one = np.repeat(np.arange(start, stop), n)
        step = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        other = order[np.repeat(low[start:stop], n) + step]
        apart = np.degrees(
            angular_separation(
                np.radians(ra1[one]), np.radians(dec1[one]),
                np.radians(ra2[other]), np.radians(dec2[other]),
            )
        )  # fmt: skip
        close = apart <= radius
        firsts.append(one[close])
        seconds.append(other[close])
        separations.append(apart[close])
        start = stop
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(separations)


__all__ = ["CONE_SIZES", "MAX_CONES", "PAIRS_AT_ONCE", "Cone", "cones", "pairs_within"]
