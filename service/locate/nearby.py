"""Exact border depths for aircraft on the move, re-using each one's nearby border.

Measuring a depth from scratch searches a window of border segments as wide as the
depth itself. An aircraft moves a few km between polls, so its nearest border rarely
changes: after one full measurement at point p (depth D), the cache keeps every segment
within D + margin of p. For a later point q at most margin / 2 from p, the nearest
segment to q is among them, because depth is 1-Lipschitz:

    depth(q) <= D + |pq|,  so  dist(p, nearest(q)) <= D + 2 |pq| <= D + margin.

The answer is therefore exactly what `Boundaries.depth_many` gives, at a fraction of
the cost; the cache is refreshed when the aircraft moves farther or changes country.
A refresh within the same country needs no search for the nearest segment either: the
depth d last measured, at r, bounds the new one by d + |rq|, so one window of that
radius plus the margin holds both the nearest segment and the new entry's segments.
The cached segments are kept in the order of a lower bound of their distance from p,
so that only the prefix within D + 2 |pq| (and a little for rounding) is measured for
q: for an aircraft deep inside a country that is a thin ring of the border near its
nearest point, not every segment within D + margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.locate.boundaries import Boundaries
from service.locate.depth import Segments, haversine_km

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# The WGS84 geodesic is at most 0.67 % longer than the great circle on the mean sphere.
_ELLIPSOID_MAX = 1.0067
# Added to D + 2 |pq| before cutting the sorted segments: far more than the metres by
# which the measured distances may differ from the true ones, so the segment the full
# measurement finds nearest is always measured.
_SLACK_KM = 0.05
_NOWHERE = (0.0, 0.0, 0.0, 0.0, 0.0)  # the anchor of a row without an entry (not reusable)


@dataclass(slots=True)
class _Entry:
    index: int
    lat: float
    lon: float
    depth_km: float  # D, the depth measured at (lat, lon), the anchor
    segments: IntArray  # by `lower`, ascending
    lower: FloatArray  # a lower bound of each segment's distance from (lat, lon), km
    # The point last measured from this entry, and its depth: a closer bound than the
    # anchor's for the next point (see _from_cache).
    last_lat: float
    last_lon: float
    last_depth_km: float


class NearbyBorders:
    """Per-key (aircraft address) cache of border segments; see the module docstring."""

    def __init__(
        self, boundaries: Boundaries, margin_km: float = 20.0, limit: int = 20_000
    ) -> None:
        if margin_km <= 0:
            raise ValueError("margin_km must be positive")
        self._boundaries = boundaries
        self._margin_km = margin_km
        self._limit = limit
        self._entries: dict[str, _Entry] = {}
        self.hits = 0
        self.misses = 0
        self.bounded = 0  # misses measured from their own bound, without a search

    def depths(
        self, keys: Sequence[str], indexes: npt.ArrayLike, lat: FloatArray, lon: FloatArray
    ) -> FloatArray:
        """Depth in km of each point in country `indexes[i]`; lon in any range."""
        indexes = np.asarray(indexes, dtype=np.int64)
        lon = (lon + 180.0) % 360.0 - 180.0
        result = np.full(lat.size, np.nan)
        reusable, moved_km, stepped_km, bound_km = self._reusable(keys, indexes, lat, lon)
        self.hits += int(reusable.sum())
        self.misses += int((~reusable).sum())
        hit = np.flatnonzero(reusable)
        if hit.size:  # every country at once: the cost is mostly per numpy call
            result[hit] = self._from_cache(keys, hit, lat, lon, moved_km, stepped_km)
        for index in np.unique(indexes[~reusable]).tolist():
            miss = np.flatnonzero((indexes == index) & ~reusable)
            result[miss] = self._measure(keys, index, miss, lat, lon, bound_km[miss])
        return result

    def forget(self, key: str) -> None:
        """Drop one key (an aircraft no longer tracked)."""
        self._entries.pop(key, None)

    def _reusable(
        self, keys: Sequence[str], indexes: IntArray, lat: FloatArray, lon: FloatArray
    ) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray, FloatArray]:
        """Which rows the cache answers, how far (at most, km) each has moved from its
        anchor and from the point last measured, and an upper bound of each row's depth
        (inf where no entry of the same country knows one)."""
        entries = [self._entries.get(key) for key in keys]
        same = np.array(
            [
                e is not None and e.index == i
                for e, i in zip(entries, indexes.tolist(), strict=True)
            ],
            dtype=np.bool_,
        )
        if not same.any():
            return same, np.zeros(lat.size), np.zeros(lat.size), np.full(lat.size, np.inf)
        anchor = np.array(
            [
                (e.lat, e.lon, e.last_lat, e.last_lon, e.last_depth_km) if e else _NOWHERE
                for e in entries
            ]
        )
        moved_km = haversine_km(anchor[:, 0], anchor[:, 1], lat, lon) * _ELLIPSOID_MAX
        stepped_km = haversine_km(anchor[:, 2], anchor[:, 3], lat, lon) * _ELLIPSOID_MAX
        reusable: npt.NDArray[np.bool_] = same & (2 * moved_km <= self._margin_km)
        # depth(q) <= d + |rq| (1-Lipschitz): a miss of a known aircraft needs no search
        # for its nearest segment to bound its depth.
        bound_km = np.where(same, anchor[:, 4] + stepped_km + _SLACK_KM, np.inf)
        return reusable, moved_km, stepped_km, bound_km

    def _from_cache(
        self,
        keys: Sequence[str],
        rows: IntArray,
        lat: FloatArray,
        lon: FloatArray,
        moved_km: FloatArray,
        stepped_km: FloatArray,
    ) -> FloatArray:
        """The depths of `rows` from their cached segments.

        From the anchor p (depth D) and the point r last measured (depth d), for the
        point q: depth(q) <= d + |rq| (1-Lipschitz), so the nearest segment lies within
        min(D + |pq|, d + |rq|) of q, and within min(D + 2 |pq|, d + |rq| + |pq|) of p:
        only that prefix of the segments (sorted by their distance from p) is measured,
        and none whose distance from q cannot be under d + |rq|."""
        entries = [self._entries[keys[row]] for row in rows.tolist()]
        moved, stepped = moved_km[rows], stepped_km[rows]
        last = np.array([entry.last_depth_km for entry in entries])
        anchored = np.array([entry.depth_km for entry in entries])
        upper = last + stepped
        reach = (np.minimum(anchored + moved, upper) + moved + _SLACK_KM).tolist()
        by_country: dict[int, list[tuple[int, IntArray]]] = {}
        for i, entry in enumerate(entries):
            near = entry.segments[: int(entry.lower.searchsorted(reach[i], "right"))]
            by_country.setdefault(entry.index, []).append((i, near))
        parts, points = [], []
        for index, cached in by_country.items():
            parts.append((self._boundaries.segments(index), np.concatenate([c for _, c in cached])))
            points.append(np.repeat([i for i, _ in cached], [c.size for _, c in cached]))
        segments = Segments.gathered(parts)
        point = np.concatenate(points)
        at_lat, at_lon = lat[rows], lon[rows]
        depth = segments.distance_to(
            at_lat, at_lon, point, np.arange(point.size), upper + _SLACK_KM
        )
        for entry, q_lat, q_lon, q_depth in zip(
            entries, at_lat.tolist(), at_lon.tolist(), depth.tolist(), strict=True
        ):
            entry.last_lat, entry.last_lon, entry.last_depth_km = q_lat, q_lon, q_depth
        return depth

    def _measure(
        self,
        keys: Sequence[str],
        index: int,
        rows: IntArray,
        lat: FloatArray,
        lon: FloatArray,
        bound_km: FloatArray,
    ) -> FloatArray:
        """The depths of `rows` (all in country `index`) measured in full, and a new
        entry for each: the segments within its depth plus the margin."""
        segments = self._boundaries.segments(index)
        at_lat, at_lon = lat[rows], lon[rows]
        depth = np.full(rows.size, np.inf)
        margin = self._margin_km
        points: list[IntArray] = []
        nears: list[IntArray] = []
        known = np.flatnonzero(np.isfinite(bound_km))
        if known.size:
            # One window query, as wide as the bound plus the margin: it holds the
            # nearest segment (within the bound) and every segment the entry keeps.
            k_lat, k_lon, k_bound = at_lat[known], at_lon[known], bound_km[known]
            point, segment = segments.nearby(k_lat, k_lon, k_bound + margin + 0.01)
            depth[known] = segments.distance_to(k_lat, k_lon, point, segment, k_bound)
            points.append(known[point])
            nears.append(segment)
        # Searched from scratch: aircraft new to the cache or to the country, and any
        # the bound failed (it cannot, but a wrong depth must never come of it).
        fresh = np.flatnonzero(~np.isfinite(depth) | (depth > bound_km))
        self.bounded += int(known.size - np.isin(known, fresh).sum())
        if fresh.size:
            if points:  # a failed bound's pairs are searched again below
                again = np.isin(points[0], fresh)
                points[0], nears[0] = points[0][~again], nears[0][~again]
            f_lat, f_lon = at_lat[fresh], at_lon[fresh]
            depth[fresh] = segments.depth_many(f_lat, f_lon)
            point, segment = segments.nearby(f_lat, f_lon, depth[fresh] + margin + 0.01)
            points.append(fresh[point])
            nears.append(segment)
        point, segment = np.concatenate(points), np.concatenate(nears)
        lower = segments.lower_km(at_lat[point], at_lon[point], segment)
        # The entry keeps what a window of the depth plus the margin holds (every
        # segment within that distance: its lower bound is under it).
        keep = lower <= depth[point] + margin + 0.02
        point, segment, lower = point[keep], segment[keep], lower[keep]
        order = np.lexsort((lower, point))  # by row, then nearest first
        point, segment, lower = point[order], segment[order], lower[order]
        splits = np.searchsorted(point, np.arange(1, rows.size))
        if len(self._entries) + rows.size > self._limit:
            self._entries.clear()
        for i, (near, bound) in enumerate(
            zip(np.split(segment, splits), np.split(lower, splits), strict=True)
        ):
            row = int(rows[i])
            p_lat, p_lon, p_depth = float(lat[row]), float(lon[row]), float(depth[i])
            self._entries[keys[row]] = _Entry(
                index, p_lat, p_lon, p_depth, near, bound, p_lat, p_lon, p_depth
            )
        return depth
