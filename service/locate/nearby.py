"""Exact border depths for aircraft on the move, re-using each one's nearby border.

Measuring a depth from scratch searches a window of border segments as wide as the
depth itself. An aircraft moves a few km between polls, so its nearest border rarely
changes: after one full measurement at point p (depth D), the cache keeps every segment
within D + margin of p. For a later point q at most margin / 2 from p, the nearest
segment to q is among them, because depth is 1-Lipschitz:

    depth(q) <= D + |pq|,  so  dist(p, nearest(q)) <= D + 2 |pq| <= D + margin.

The answer is therefore exactly what `Boundaries.depth_many` gives, at a fraction of
the cost; the cache is refreshed when the aircraft moves farther or changes country.
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
_NOWHERE = (0.0, 0.0, 0.0, 0.0)  # the anchor of a row without an entry (not reusable)


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

    def depths(
        self, keys: Sequence[str], indexes: npt.ArrayLike, lat: FloatArray, lon: FloatArray
    ) -> FloatArray:
        """Depth in km of each point in country `indexes[i]`; lon in any range."""
        indexes = np.asarray(indexes, dtype=np.int64)
        lon = (lon + 180.0) % 360.0 - 180.0
        result = np.full(lat.size, np.nan)
        reusable, moved_km, stepped_km = self._reusable(keys, indexes, lat, lon)
        self.hits += int(reusable.sum())
        self.misses += int((~reusable).sum())
        hit = np.flatnonzero(reusable)
        if hit.size:  # every country at once: the cost is mostly per numpy call
            result[hit] = self._from_cache(keys, hit, lat, lon, moved_km, stepped_km)
        for index in np.unique(indexes[~reusable]).tolist():
            miss = np.flatnonzero((indexes == index) & ~reusable)
            result[miss] = self._measure(keys, index, miss, lat, lon)
        return result

    def forget(self, key: str) -> None:
        """Drop one key (an aircraft no longer tracked)."""
        self._entries.pop(key, None)

    def _reusable(
        self, keys: Sequence[str], indexes: IntArray, lat: FloatArray, lon: FloatArray
    ) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
        """Which rows the cache answers, and how far (at most, km) each has moved from
        its anchor and from the point last measured."""
        entries = [self._entries.get(key) for key in keys]
        same = np.array(
            [
                e is not None and e.index == i
                for e, i in zip(entries, indexes.tolist(), strict=True)
            ],
            dtype=np.bool_,
        )
        if not same.any():
            return same, np.zeros(lat.size), np.zeros(lat.size)
        anchor = np.array(
            [(e.lat, e.lon, e.last_lat, e.last_lon) if e else _NOWHERE for e in entries]
        )
        moved_km = haversine_km(anchor[:, 0], anchor[:, 1], lat, lon) * _ELLIPSOID_MAX
        stepped_km = haversine_km(anchor[:, 2], anchor[:, 3], lat, lon) * _ELLIPSOID_MAX
        reusable: npt.NDArray[np.bool_] = same & (2 * moved_km <= self._margin_km)
        return reusable, moved_km, stepped_km

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
        self, keys: Sequence[str], index: int, rows: IntArray, lat: FloatArray, lon: FloatArray
    ) -> FloatArray:
        segments = self._boundaries.segments(index)
        at_lat, at_lon = lat[rows], lon[rows]
        depth = segments.depth_many(at_lat, at_lon)
        point, segment = segments.nearby(at_lat, at_lon, depth + self._margin_km + 0.01)
        order = np.argsort(point, kind="stable")
        point, segment = point[order], segment[order]
        splits = np.searchsorted(point, np.arange(1, rows.size))
        if len(self._entries) + rows.size > self._limit:
            self._entries.clear()
        lower = segments.lower_km(lat[rows][point], lon[rows][point], segment)
        for i, (near, bound) in enumerate(
            zip(np.split(segment, splits), np.split(lower, splits), strict=True)
        ):
            row, order = int(rows[i]), np.argsort(bound, kind="stable")
            p_lat, p_lon, p_depth = float(lat[row]), float(lon[row]), float(depth[i])
            self._entries[keys[row]] = _Entry(
                index, p_lat, p_lon, p_depth, near[order], bound[order], p_lat, p_lon, p_depth
            )
        return depth
