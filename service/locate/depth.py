"""Border depth: the geodesic distance from a point to the nearest edge of a country.

Used by `Boundaries.depth_km`. Longitudes are linear between vertices (plate carrée),
the same as the polygons themselves; distances are measured on the WGS84 ellipsoid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
WGS84_A_KM: Final = 6378.137
WGS84_F: Final = 1 / 298.257223563
_E2: Final = WGS84_F * (2 - WGS84_F)
# Smallest radius of curvature of the WGS84 ellipsoid (meridian at the equator, km),
# rounded down: search windows computed with it err on the large side.
_RADIUS_MIN_KM: Final = 6335.0
_MEAN_RADIUS_KM: Final = 6371.0088
_KM_PER_DEG: Final = math.radians(_MEAN_RADIUS_KM)
# Longest piece ranked as a straight chord; it sags under 0.1 km even at 80 degrees.
_PIECE_KM: Final = 25.0
_GOLDEN: Final = (math.sqrt(5) - 1) / 2


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """WGS84 distance in km by Lambert's formula for long lines (about 10 m accuracy).

    Formula as given in Wikipedia, "Geographical distance": reduced latitudes, the
    central angle between them, then an ellipsoidal correction. Scalar on purpose:
    it is called a few hundred times per depth query, where numpy overhead dominates.
    """
    beta1 = math.atan((1 - WGS84_F) * math.tan(math.radians(lat1)))
    beta2 = math.atan((1 - WGS84_F) * math.tan(math.radians(lat2)))
    half_dlon = math.sin(math.radians(lon2 - lon1) / 2)
    hav = math.sin((beta2 - beta1) / 2) ** 2 + math.cos(beta1) * math.cos(beta2) * half_dlon**2
    sigma = 2 * math.asin(math.sqrt(min(1.0, max(0.0, hav))))
    if sigma < 1e-12:  # both correction terms are 0/0 at coincident points
        return WGS84_A_KM * sigma
    p = (beta1 + beta2) / 2
    q = (beta2 - beta1) / 2
    x = (sigma - math.sin(sigma)) * (math.sin(p) * math.cos(q) / math.cos(sigma / 2)) ** 2
    y = (sigma + math.sin(sigma)) * (math.cos(p) * math.sin(q) / math.sin(sigma / 2)) ** 2
    return WGS84_A_KM * (sigma - WGS84_F / 2 * (x + y))


def _nearest_on_segment_km(
    lat: float, lon: float, start: tuple[float, float], end: tuple[float, float], km: float
) -> float:
    """Exact distance to a lon/lat-straight segment of about `km` length.

    Golden-section search on the position along the segment; distance to a straight
    piece of border is unimodal along it. Stops at ~5 m resolution, which moves the
    result by well under a metre because the distance is flat at its minimum.
    """
    (lat_a, lon_a), (lat_b, lon_b) = start, end

    def distance(t: float) -> float:
        return geodesic_km(lat, lon, lat_a + t * (lat_b - lat_a), lon_a + t * (lon_b - lon_a))

    steps = max(1, min(48, math.ceil(math.log(0.005 / max(km, 0.005)) / math.log(_GOLDEN))))
    low, high = 0.0, 1.0
    left, right = high - _GOLDEN, _GOLDEN
    d_left, d_right = distance(left), distance(right)
    for _ in range(steps):
        if d_left < d_right:
            high, right, d_right = right, left, d_left
            left = high - _GOLDEN * (high - low)
            d_left = distance(left)
        else:
            low, left, d_left = left, right, d_right
            right = low + _GOLDEN * (high - low)
            d_right = distance(right)
    return min(d_left, d_right, distance(0.0), distance(1.0))


def wrap_lon(lon: FloatArray) -> FloatArray:
    return (lon + 180.0) % 360.0 - 180.0


@dataclass(slots=True)
class Segments:
    """The border of one country as straight lon/lat segments, with an index over them."""

    x1: FloatArray
    y1: FloatArray
    x2: FloatArray
    y2: FloatArray
    tree: Any  # shapely.STRtree over the segments' bounding boxes

    @classmethod
    def from_rings(cls, coords: FloatArray, ring_offsets: IntArray) -> Segments:
        # Consecutive vertex pairs inside each ring; pairs straddling two rings are dropped.
        first = np.arange(ring_offsets[0], ring_offsets[-1] - 1)
        first = first[~np.isin(first, ring_offsets[1:-1] - 1)]
        x1, y1 = coords[first, 0], coords[first, 1]
        x2, y2 = coords[first + 1, 0], coords[first + 1, 1]
        # Polygons cut at the antimeridian carry edges along lon = ±180 that are not borders.
        keep = ~((x1 == x2) & (np.abs(x1) == 180.0))
        x1, y1, x2, y2 = x1[keep], y1[keep], x2[keep], y2[keep]
        boxes = shapely.box(
            np.minimum(x1, x2), np.minimum(y1, y2), np.maximum(x1, x2), np.maximum(y1, y2)
        )
        return cls(x1, y1, x2, y2, shapely.STRtree(boxes))

    def near(self, lat: float, lon: float, radius_km: float) -> IntArray:
        """Indices of segments that may lie within radius_km of the point (a superset)."""
        angle = radius_km / _RADIUS_MIN_KM  # radians of arc, generous
        dlat = math.degrees(angle)
        # Longitude span of a spherical cap: sin(dlon/2) = sin(angle/2) / cos(max latitude).
        cos_top = math.cos(math.radians(min(90.0, abs(lat) + dlat)))
        ratio = math.sin(min(angle, math.pi) / 2) / cos_top if cos_top > 1e-9 else 2.0
        dlon = 360.0 if ratio >= 1 else min(360.0, math.degrees(2 * math.asin(ratio)))
        south, north = lat - dlat, lat + dlat
        # Three copies of the window cover searches that wrap across the antimeridian.
        shifts = np.array([-360.0, 0.0, 360.0])
        windows = shapely.box(lon - dlon + shifts, south, lon + dlon + shifts, north)
        hits: IntArray = self.tree.query(windows)[1]
        return np.unique(hits)

    def nearest_km(
        self, lat: float, lon: float, candidates: IntArray, *, exact: bool = True
    ) -> float:
        """Ellipsoidal distance from the point to the nearest candidate segment.

        With exact=False, a cheap upper bound on it (spherical ranking plus margins).
        """
        lon_a = lon + wrap_lon(self.x1[candidates] - lon)
        lon_b = lon_a + wrap_lon(self.x2[candidates] - self.x1[candidates])
        lat_a, lat_b = self.y1[candidates], self.y2[candidates]
        # Split long segments so each piece is nearly straight in the projection below.
        rough_km = np.hypot(
            (lon_b - lon_a) * _KM_PER_DEG * np.cos(np.radians((lat_a + lat_b) / 2)),
            (lat_b - lat_a) * _KM_PER_DEG,
        )
        pieces = np.ceil(rough_km / _PIECE_KM).astype(np.int64).clip(1)
        parent = np.repeat(np.arange(candidates.size), pieces)
        step = np.arange(parent.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t0, t1 = step / pieces[parent], (step + 1) / pieces[parent]
        p_lat_a = lat_a[parent] + t0 * (lat_b - lat_a)[parent]
        p_lon_a = lon_a[parent] + t0 * (lon_b - lon_a)[parent]
        p_lat_b = lat_a[parent] + t1 * (lat_b - lat_a)[parent]
        p_lon_b = lon_a[parent] + t1 * (lon_b - lon_a)[parent]
        # Rank pieces in an azimuthal equidistant plane centred on the point: distances
        # from the centre are exact on the sphere at any latitude, unlike lon/lat scaling.
        ax, ay = _azimuthal_km(lat, lon, p_lat_a, p_lon_a)
        bx, by = _azimuthal_km(lat, lon, p_lat_b, p_lon_b)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = np.clip(-(ax * dx + ay * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        approx = np.hypot(ax + t * dx, ay + t * dy)
        # The ellipsoidal distance is within -0.34 %/+0.67 % of the spherical one, and a
        # piece's chord sags under 0.1 km from it, which bounds every ranking error.
        order = np.argsort(approx)[:24]
        if not exact:
            return float(approx[order[0]]) * 1.01 + 0.5
        best = math.inf
        for i in order:
            if approx[i] * 0.9966 - 0.3 > best:
                break  # this piece, and every later one, is provably farther
            start, end = (p_lat_a[i], p_lon_a[i]), (p_lat_b[i], p_lon_b[i])
            best = min(best, _nearest_on_segment_km(lat, lon, start, end, length2[i] ** 0.5))
        return best


def _azimuthal_km(
    lat0: float, lon0: float, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Spherical azimuthal equidistant projection centred on (lat0, lon0), in km."""
    phi0, phi, dlon = math.radians(lat0), np.radians(lat), np.radians(lon - lon0)
    hav = np.sin((phi - phi0) / 2) ** 2 + math.cos(phi0) * np.cos(phi) * np.sin(dlon / 2) ** 2
    distance = 2 * _MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    azimuth = np.arctan2(
        np.sin(dlon) * np.cos(phi),
        math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(dlon),
    )
    return distance * np.sin(azimuth), distance * np.cos(azimuth)
