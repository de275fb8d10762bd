"""Border depth: the geodesic distance from a point to the nearest edge of a country.

Used by `Boundaries.depth_km`. Longitudes are linear between vertices (plate carrée),
the same as the polygons themselves; distances are measured on the WGS84 ellipsoid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
# The WGS84 geodesic is at most 0.67 % longer than the great circle on the mean sphere
# (0.45 % at most: the prime vertical radius at the poles, 6,399.6 km against 6,371.0)...
_SPHERE_TO_ELLIPSOID_MAX: Final = 1.0067
# ... and at least M(phi) / R of it on a path that keeps |latitude| >= phi, where M is
# the meridian radius of curvature, the smallest radius of the ellipsoid there (the
# metric is M^2 dphi^2 + N^2 cos^2 phi dlambda^2 with N >= M, against R^2 (dphi^2 +
# cos^2 phi dlambda^2) on the sphere). A geodesic's |latitude| has no minimum inside
# it within one hemisphere (Clairaut: a turning point is a vertex, a maximum), so
# between two points of one hemisphere phi is the lower of their two |latitudes|; across
# the equator it is 0, where M / R is 6,335.4 / 6,371.0 = 99.44 %. (Lower bounds taken
# as 99.66 % everywhere missed the nearest segment of a border north or south of a point
# below about 28 degrees of latitude, and overstated its depth.)
_E2_MERIDIAN: Final = WGS84_A_KM * (1 - _E2)


def sphere_to_ellipsoid_floor(abs_lat: FloatArray) -> FloatArray:
    """M(phi) / R at |latitude| `abs_lat` (degrees), rounded down by a millionth."""
    s = np.sin(np.radians(abs_lat))
    floor: FloatArray = _E2_MERIDIAN / (1 - _E2 * s * s) ** 1.5 / _MEAN_RADIUS_KM * (1 - 1e-6)
    return floor


_AT_EQUATOR: Final = float(sphere_to_ellipsoid_floor(np.zeros(1))[0])
_KM_PER_DEG: Final = math.radians(_MEAN_RADIUS_KM)
# Longest piece treated as a straight chord in the azimuthal plane; its sag from the
# lon/lat-straight edge is under 0.1 km at 25 km even at 80 degrees, and shrinks with
# the square of the length: under 5 m at 5 km.
_PIECE_KM: Final = 5.0


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


def geodesic_km_many(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """`geodesic_km` over arrays of point pairs (the same formula, vectorised)."""
    beta1 = np.arctan((1 - WGS84_F) * np.tan(np.radians(lat1)))
    beta2 = np.arctan((1 - WGS84_F) * np.tan(np.radians(lat2)))
    half_dlon = np.sin(np.radians(lon2 - lon1) / 2)
    hav = np.sin((beta2 - beta1) / 2) ** 2 + np.cos(beta1) * np.cos(beta2) * half_dlon**2
    sigma = 2 * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    # Coincident points make both correction terms 0/0; their distance is 0.
    safe = np.where(sigma < 1e-12, 1.0, sigma)
    p = (beta1 + beta2) / 2
    q = (beta2 - beta1) / 2
    x = (safe - np.sin(safe)) * (np.sin(p) * np.cos(q) / np.cos(safe / 2)) ** 2
    y = (safe + np.sin(safe)) * (np.cos(p) * np.sin(q) / np.sin(safe / 2)) ** 2
    distance: FloatArray = WGS84_A_KM * np.where(sigma < 1e-12, sigma, safe - WGS84_F / 2 * (x + y))
    return distance


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
    # Half of each segment's length along its lon/lat-straight path, rounded up (km).
    _half_km: FloatArray
    # Each segment's hemisphere (1 north, -1 south, 0 on or across the equator) and the
    # ellipsoid's floor at its lowest |latitude| (see `sphere_to_ellipsoid_floor`).
    _hemisphere: FloatArray
    _floor: FloatArray
    # Each segment's middle in longitude and latitude: every point of the segment lies
    # within `_half_km` of it along the segment.
    _mid_lon: FloatArray
    _mid_lat: FloatArray

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
        # Longitude degrees are longest at the latitude nearest the equator: an upper bound.
        widest = np.where(y1 * y2 <= 0, 0.0, np.minimum(np.abs(y1), np.abs(y2)))
        length = np.hypot(
            wrap_lon(x2 - x1) * _KM_PER_DEG * np.cos(np.radians(widest)), (y2 - y1) * _KM_PER_DEG
        )
        hemisphere = np.where(np.sign(y1) == np.sign(y2), np.sign(y1), 0.0)
        low = np.where(hemisphere == 0, 0.0, np.minimum(np.abs(y1), np.abs(y2)))
        return cls(
            x1,
            y1,
            x2,
            y2,
            shapely.STRtree(boxes),
            length * 0.505 + 0.001,
            hemisphere,
            sphere_to_ellipsoid_floor(low),
            wrap_lon(x1 + wrap_lon(x2 - x1) / 2),
            (y1 + y2) / 2,
        )

    def depth_many(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        """Ellipsoidal distance in km from each point (lon wrapped) to the nearest segment.

        Vectorised over the points: every step below is one numpy or shapely call for the
        whole batch, with `point` naming the point each candidate row belongs to.
        """
        n = lat.size
        if n == 0 or self.x1.size == 0:
            return np.full(n, math.inf)
        # 1. An upper bound per point: its distance to the segment nearest in degree space.
        point, seed = self.tree.query_nearest(shapely.points(lon, lat))
        upper = self._group_min(point, self._segment_km(lat[point], lon[point], seed), n)
        # 2. Every segment that can beat that bound, and its exact distance.
        point, candidate = self.nearby(lat, lon, upper + 0.01)
        distance = self._segment_km(lat[point], lon[point], candidate)
        return np.minimum(upper, self._group_min(point, distance, n))

    def nearby(
        self, lat: FloatArray, lon: FloatArray, radius_km: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(point, segment) pairs: a superset of the segments within radius_km (on the
        ellipsoid) of each point."""
        point, candidate = self._within(lat, lon, radius_km)
        # A segment's points lie within half its length of its middle, and the
        # ellipsoidal distance is at least `_floor_of` the spherical one.
        middle = self._middle_km(lat[point], lon[point], candidate)
        floor = self._floor_of(lat, point, candidate)
        keep = middle - self._half_km[candidate] <= radius_km[point] / floor + 0.01
        return point[keep], candidate[keep]

    @classmethod
    def gathered(cls, parts: Sequence[tuple[Segments, IntArray]]) -> Segments:
        """The segments `parts` name (of one country or several), one after the other,
        without an index: for `distance_to` over several countries in one call."""

        def joined(column: str) -> FloatArray:
            return np.concatenate([getattr(segments, column)[chosen] for segments, chosen in parts])

        return cls(
            joined("x1"),
            joined("y1"),
            joined("x2"),
            joined("y2"),
            None,
            joined("_half_km"),
            joined("_hemisphere"),
            joined("_floor"),
            joined("_mid_lon"),
            joined("_mid_lat"),
        )

    def lower_km(self, lat: FloatArray, lon: FloatArray, segment: IntArray) -> FloatArray:
        """A lower bound of the ellipsoidal km from each point to its segment."""
        # As in `nearby`: every point of a segment is within half its length of its
        # middle, and the ellipsoidal distance is at least `_floor_of` the spherical.
        lower: FloatArray = (
            self._middle_km(lat, lon, segment) - self._half_km[segment]
        ) * self._floor_of(lat, np.arange(lat.size), segment)
        return lower

    def distance_to(
        self,
        lat: FloatArray,
        lon: FloatArray,
        point: IntArray,
        segment: IntArray,
        upper_km: FloatArray | None = None,
    ) -> FloatArray:
        """Per point, the ellipsoidal km to the nearest of its (point, segment) pairs;
        `upper_km`, when given, bounds that distance from above (it leaves out more)."""
        # The nearest middle bounds the answer from above (a middle is a point of the
        # border); only segments that can come closer than it are measured exactly.
        middle = self._middle_km(lat[point], lon[point], segment)
        upper = self._group_min(point, middle, lat.size) * _SPHERE_TO_ELLIPSOID_MAX
        if upper_km is not None:
            upper = np.minimum(upper, upper_km)
        floor = self._floor_of(lat, point, segment)
        keep = middle - self._half_km[segment] <= upper[point] / floor + 0.01
        point, segment = point[keep], segment[keep]
        distance = self._segment_km(lat[point], lon[point], segment)
        return self._group_min(point, distance, lat.size)

    def _floor_of(self, lat: FloatArray, point: IntArray, segment: IntArray) -> FloatArray:
        """Per (point, segment) pair, a floor of the ellipsoidal distance over the
        spherical one from the point (at `lat[point]`) to any point of the segment
        (see `sphere_to_ellipsoid_floor`)."""
        floor = np.minimum(self._floor[segment], sphere_to_ellipsoid_floor(np.abs(lat))[point])
        same = np.sign(lat)[point] == self._hemisphere[segment]
        result: FloatArray = np.where(same, floor, _AT_EQUATOR)
        return result

    @staticmethod
    def _group_min(point: IntArray, values: FloatArray, n: int) -> FloatArray:
        result = np.full(n, math.inf)
        np.minimum.at(result, point, values)
        return result

    def _middle_km(self, lat: FloatArray, lon: FloatArray, segment: IntArray) -> FloatArray:
        """Spherical km from each point to the middle of its segment."""
        return haversine_km(lat, lon, self._mid_lat[segment], self._mid_lon[segment])

    def _within(
        self, lat: FloatArray, lon: FloatArray, radius_km: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(point, segment) pairs whose segment box meets a window around the point
        holding every place within radius_km of it (a superset)."""
        angle = np.minimum(radius_km / _RADIUS_MIN_KM, math.pi)  # radians of arc, generous
        dlat = np.degrees(angle)
        # Longitude span of a spherical cap: sin(dlon/2) = sin(angle/2) / cos(max latitude).
        cos_top = np.cos(np.radians(np.minimum(90.0, np.abs(lat) + dlat)))
        ratio = np.sin(angle / 2) / np.maximum(cos_top, 1e-12)
        dlon = np.where(
            (cos_top <= 1e-9) | (ratio >= 1),
            360.0,
            np.degrees(2 * np.arcsin(np.minimum(ratio, 1.0))),
        )
        # Windows that cross the antimeridian continue on its other side; a window
        # spanning all longitudes is one box. Boxes never overlap, so no pair repeats.
        west, east = lon - dlon, lon + dlon
        whole = (east - west) >= 360.0
        west, east = np.where(whole, -180.0, west), np.where(whole, 180.0, east)
        owner = np.arange(lat.size)
        spill_west = np.flatnonzero(west < -180.0)  # continues below +180
        spill_east = np.flatnonzero(east > 180.0)  # continues above -180
        boxes = shapely.box(
            np.concatenate(
                [
                    np.maximum(west, -180.0),
                    west[spill_west] + 360.0,
                    np.full(spill_east.size, -180.0),
                ]
            ),
            np.concatenate([lat - dlat, (lat - dlat)[spill_west], (lat - dlat)[spill_east]]),
            np.concatenate(
                [np.minimum(east, 180.0), np.full(spill_west.size, 180.0), east[spill_east] - 360.0]
            ),
            np.concatenate([lat + dlat, (lat + dlat)[spill_west], (lat + dlat)[spill_east]]),
        )
        window, segment = self.tree.query(boxes)
        return np.concatenate([owner, spill_west, spill_east])[window], segment

    def _segment_km(self, lat: FloatArray, lon: FloatArray, segment: IntArray) -> FloatArray:
        """Ellipsoidal km from each point to its (lon/lat-straight) segment."""
        lon_a = lon + wrap_lon(self.x1[segment] - lon)
        lon_b = lon_a + wrap_lon(self.x2[segment] - self.x1[segment])
        lat_a, lat_b = self.y1[segment], self.y2[segment]
        # Split long segments so each piece is nearly straight in the projection below.
        pieces = np.ceil(2 * self._half_km[segment] / _PIECE_KM).astype(np.int64).clip(1)
        parent = np.repeat(np.arange(segment.size), pieces)
        step = np.arange(parent.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t0, t1 = step / pieces[parent], (step + 1) / pieces[parent]
        dlat, dlon = (lat_b - lat_a)[parent], (lon_b - lon_a)[parent]
        a_lat, a_lon = lat_a[parent] + t0 * dlat, lon_a[parent] + t0 * dlon
        b_lat, b_lon = lat_a[parent] + t1 * dlat, lon_a[parent] + t1 * dlon
        # Find each piece's nearest point in an azimuthal equidistant plane centred on
        # its point (distances from the centre are exact on the sphere at any latitude).
        ax, ay = _azimuthal_km(lat[parent], lon[parent], a_lat, a_lon)
        bx, by = _azimuthal_km(lat[parent], lon[parent], b_lat, b_lon)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = np.clip(-(ax * dx + ay * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        # The ellipsoidal distance at that point, mapped back onto the lon/lat-straight
        # piece, is a real distance to the border; it exceeds the true minimum by at most
        # the piece's sag (metres) and the flat curvature at the minimum.
        distance = geodesic_km_many(
            lat[parent], lon[parent], a_lat + t * (b_lat - a_lat), a_lon + t * (b_lon - a_lon)
        )
        return self._group_min(parent, distance, segment.size)


def haversine_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    hav = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    distance: FloatArray = 2 * _MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    return distance


def _azimuthal_km(
    lat0: FloatArray, lon0: FloatArray, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Spherical azimuthal equidistant projection centred on (lat0, lon0), in km."""
    phi0, phi, dlon = np.radians(lat0), np.radians(lat), np.radians(lon - lon0)
    hav = np.sin((phi - phi0) / 2) ** 2 + np.cos(phi0) * np.cos(phi) * np.sin(dlon / 2) ** 2
    distance = 2 * _MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    azimuth = np.arctan2(
        np.sin(dlon) * np.cos(phi),
        np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(dlon),
    )
    return distance * np.sin(azimuth), distance * np.cos(azimuth)
